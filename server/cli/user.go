package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/config"
	"github.com/polis-portal/polis/server/store"
)

// runUser manages accounts from the command line: create-admin, reset-2fa,
// list. Every change is written to the audit log as done by the system.
func runUser(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(env.Stderr, "Usage: polis user create-admin|reset-2fa|list [flags]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return nil
		}
		return errUsage
	}
	sub, args := args[0], args[1:]
	cfg := config.Default()
	var synopsis string
	switch sub {
	case "create-admin":
		synopsis = "Create an administrator. The password is read from standard input (one line);\nthe administrator enrols two-step verification at the first login."
	case "reset-2fa":
		synopsis = "Remove a user's TOTP secret and recovery codes and end their sessions, so that\nthey enrol again at the next login."
	case "list":
		synopsis = "List accounts with their role and status."
	default:
		fmt.Fprintf(env.Stderr, "polis user: unknown command %q\n", sub)
		return errUsage
	}
	fs := newFlags(env, "user "+sub, synopsis)
	cfg.Bind(fs, "data", "db")
	email := fs.String("email", "", "the account's e-mail address")
	name := fs.String("name", "", "full name (create-admin)")
	org := fs.String("organisation", "Polis", "organisation (create-admin)")
	country := fs.String("country", "", "ISO 3166-1 alpha-2 country code (create-admin)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := config.ApplyEnv(fs, env.Getenv); err != nil {
		return err
	}
	st, err := store.Open(ctx, dsnFor(cfg))
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().Unix()
	addr := strings.ToLower(strings.TrimSpace(*email))

	switch sub {
	case "list":
		users, err := st.Users(ctx, store.UserFilter{Limit: 500})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tE-MAIL\tNAME\tROLE\tSTATUS\t2FA")
		for _, u := range users {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%v\n", u.ID, u.Email, u.FullName, u.Role, u.Status, u.TOTPSecret != "")
		}
		return tw.Flush()

	case "reset-2fa":
		u, err := st.UserByEmail(ctx, addr)
		if err != nil {
			return fmt.Errorf("no account %q: %w", addr, err)
		}
		if err := st.SetTOTP(ctx, u.ID, ""); err != nil {
			return err
		}
		if err := st.ReplaceRecoveryCodes(ctx, u.ID, nil); err != nil {
			return err
		}
		n, err := st.DeleteUserSessions(ctx, u.ID, "")
		if err != nil {
			return err
		}
		st.Audit(ctx, store.AuditEntry{At: now, Action: "2fa.reset", TargetID: u.ID, Detail: "polis user reset-2fa", IP: "cli"})
		fmt.Fprintf(env.Stdout, "two-step verification reset for %s; %d sessions ended\n", u.Email, n)
		return nil

	default: // create-admin
		if *name == "" || addr == "" || *country == "" {
			fs.Usage()
			return errUsage
		}
		password, err := readLine(env)
		if err != nil {
			return err
		}
		if err := auth.CheckPassword(password, addr); err != nil {
			return fmt.Errorf("password refused: %v (at least %d characters, not common)", err, auth.MinPasswordLength)
		}
		hash, err := auth.NewHasher(auth.DefaultParams, 1).Hash(ctx, password)
		if err != nil {
			return err
		}
		u := &store.User{Email: addr, FullName: *name, Organisation: *org, Country: strings.ToUpper(*country), Function: "administrator",
			Role: store.RoleAdministrator, Status: store.StatusApproved, PasswordHash: hash, Lang: "en", CreatedAt: now}
		if err := st.CreateUser(ctx, u); errors.Is(err, store.ErrDuplicate) {
			return fmt.Errorf("an account for %s exists already", addr)
		} else if err != nil {
			return err
		}
		st.MarkVerified(ctx, u.ID, now)
		st.Audit(ctx, store.AuditEntry{At: now, Action: "setup.administrator", TargetID: u.ID, Detail: "polis user create-admin", IP: "cli"})
		fmt.Fprintf(env.Stdout, "administrator %s created (id %d); two-step verification is enrolled at the first login\n", addr, u.ID)
		return nil
	}
}

// readLine reads the password from standard input, so it never appears in
// the shell history or the process list.
func readLine(env *Env) (string, error) {
	if env.Stdin == nil {
		return "", errors.New("no standard input to read the password from")
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
