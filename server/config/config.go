// Package config holds the server's settings: parsed once from flags with
// environment overrides, validated, then passed down explicitly.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is what `polis serve` and `polis build` need to know. Hugo's own
// site configuration stays in config.toml.
type Config struct {
	Addr   string // listen address, POLIS_ADDR
	Data   string // data folder: database, index, secrets; POLIS_DATA
	DB     string // database DSN; empty means SQLite in Data; POLIS_DB
	Site   string // site source folder holding config.toml; POLIS_SITE
	Public string // Hugo's output folder; POLIS_PUBLIC

	// Attachments is where forum and workshop documents are kept; empty:
	// the data folder's attachments/. Several servers share one folder
	// (a network file system). POLIS_ATTACHMENTS
	Attachments string

	MaxBodyBytes int64 // request body limit

	SecureCookies bool   // served over TLS (directly or behind a proxy): Secure, __Host- cookies; POLIS_SECURE_COOKIES
	SMTPAddr      string // host:port; empty keeps mail in the outbox; POLIS_SMTP_ADDR
	SMTPFrom      string // sender address; POLIS_SMTP_FROM
	SMTPUser      string // POLIS_SMTP_USER (the password comes only from POLIS_SMTP_PASSWORD)

	SessionIdle      time.Duration // POLIS_SESSION_IDLE
	SessionMax       time.Duration // POLIS_SESSION_MAX
	ExpertsTOTP      bool          // experts must use a second factor (staff always must); POLIS_EXPERTS_2FA
	InviteSkipsQueue bool          // invited applicants are approved at verification; else first in the queue; POLIS_INVITE_SKIPS_QUEUE

	PostKB         int   // largest forum post, KiB of Markdown; POLIS_POST_KB
	PostsPerMinute int   // a member's posts in any minute; POLIS_POSTS_PER_MINUTE
	PostsPerDay    int   // a member's posts in any 24 hours; POLIS_POSTS_PER_DAY
	FileMB         int64 // largest attachment, MiB; POLIS_FILE_MB
	FilesPerPost   int   // POLIS_FILES_PER_POST

	MetricsAllow string // addresses (CIDRs, comma-separated) that may read /metrics; POLIS_METRICS_ALLOW
}

// MetricsNets parses MetricsAllow (checked by Validate).
func (c Config) MetricsNets() []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.Split(c.MetricsAllow, ",") {
		if p, err := netip.ParsePrefix(strings.TrimSpace(f)); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// UploadBytes is the body limit of a form with files: room for every file
// at its largest, so that a refused file is explained by the forum (with
// the text kept) rather than cut off by the limit.
func (c Config) UploadBytes() int64 {
	return int64(c.FilesPerPost)*c.FileMB<<20 + c.MaxBodyBytes
}

// Default returns the settings used when no flag or variable is given.
func Default() Config {
	return Config{
		Addr:         "127.0.0.1:8080",
		Data:         "data",
		Site:         ".",
		Public:       "public",
		MaxBodyBytes: 1 << 20,

		SessionIdle:      30 * time.Minute,
		SessionMax:       12 * time.Hour,
		ExpertsTOTP:      true,
		InviteSkipsQueue: true,

		PostKB:         64,
		PostsPerMinute: 6,
		PostsPerDay:    200,
		FileMB:         10,
		FilesPerPost:   3,

		MetricsAllow: "127.0.0.1/32,::1/128",
	}
}

// env maps each setting's environment variable to its flag.
var env = map[string]string{
	"POLIS_ADDR":               "addr",
	"POLIS_DATA":               "data",
	"POLIS_DB":                 "db",
	"POLIS_SITE":               "site",
	"POLIS_PUBLIC":             "public",
	"POLIS_ATTACHMENTS":        "attachments",
	"POLIS_SECURE_COOKIES":     "secure-cookies",
	"POLIS_SMTP_ADDR":          "smtp-addr",
	"POLIS_SMTP_FROM":          "smtp-from",
	"POLIS_SMTP_USER":          "smtp-user",
	"POLIS_SESSION_IDLE":       "session-idle",
	"POLIS_SESSION_MAX":        "session-max",
	"POLIS_EXPERTS_2FA":        "experts-2fa",
	"POLIS_INVITE_SKIPS_QUEUE": "invite-skips-queue",
	"POLIS_POST_KB":            "post-kb",
	"POLIS_POSTS_PER_MINUTE":   "posts-per-minute",
	"POLIS_POSTS_PER_DAY":      "posts-per-day",
	"POLIS_FILE_MB":            "file-mb",
	"POLIS_FILES_PER_POST":     "files-per-post",
	"POLIS_METRICS_ALLOW":      "metrics-allow",
}

// Bind registers the flags that the named fields need on fs. Which flags a
// command gets depends on what it does; the values land in c.
func (c *Config) Bind(fs *flag.FlagSet, fields ...string) {
	for _, f := range fields {
		switch f {
		case "addr":
			fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on (env POLIS_ADDR)")
		case "data":
			fs.StringVar(&c.Data, "data", c.Data, "data folder for the database, search index and secrets (env POLIS_DATA)")
		case "db":
			fs.StringVar(&c.DB, "db", c.DB, "database DSN; empty means SQLite in the data folder (env POLIS_DB)")
		case "site":
			fs.StringVar(&c.Site, "site", c.Site, "site source folder holding config.toml, content, i18n and themes (env POLIS_SITE)")
		case "attachments":
			fs.StringVar(&c.Attachments, "attachments", c.Attachments, "folder of forum and workshop documents, shared by all servers; empty: attachments/ in the data folder (env POLIS_ATTACHMENTS)")
		case "public":
			fs.StringVar(&c.Public, "public", c.Public, "folder Hugo renders the site into; relative to the site folder (env POLIS_PUBLIC)")
		case "accounts":
			fs.BoolVar(&c.SecureCookies, "secure-cookies", c.SecureCookies, "Polis is reached over HTTPS: mark the session cookie Secure with the __Host- prefix (env POLIS_SECURE_COOKIES)")
			fs.StringVar(&c.SMTPAddr, "smtp-addr", c.SMTPAddr, "SMTP server host:port; empty keeps mail in the outbox for administrators (env POLIS_SMTP_ADDR)")
			fs.StringVar(&c.SMTPFrom, "smtp-from", "polis@localhost", "sender address of Polis's mail (env POLIS_SMTP_FROM)")
			fs.StringVar(&c.SMTPUser, "smtp-user", c.SMTPUser, "SMTP user; the password is read from POLIS_SMTP_PASSWORD only (env POLIS_SMTP_USER)")
			fs.DurationVar(&c.SessionIdle, "session-idle", c.SessionIdle, "end a session after this long without a request (env POLIS_SESSION_IDLE)")
			fs.DurationVar(&c.SessionMax, "session-max", c.SessionMax, "end a session this long after login, whatever its activity (env POLIS_SESSION_MAX)")
			fs.BoolVar(&c.ExpertsTOTP, "experts-2fa", c.ExpertsTOTP, "experts must use two-step verification; staff always must (env POLIS_EXPERTS_2FA)")
			fs.BoolVar(&c.InviteSkipsQueue, "invite-skips-queue", c.InviteSkipsQueue, "invited applicants are approved when they confirm their address; else they go first in the vetting queue (env POLIS_INVITE_SKIPS_QUEUE)")
		case "forum":
			fs.IntVar(&c.PostKB, "post-kb", c.PostKB, "largest forum post, in KiB of text (env POLIS_POST_KB)")
			fs.IntVar(&c.PostsPerMinute, "posts-per-minute", c.PostsPerMinute, "a member's forum posts allowed in any minute (env POLIS_POSTS_PER_MINUTE)")
			fs.IntVar(&c.PostsPerDay, "posts-per-day", c.PostsPerDay, "a member's forum posts allowed in any 24 hours (env POLIS_POSTS_PER_DAY)")
			fs.Int64Var(&c.FileMB, "file-mb", c.FileMB, "largest forum attachment, in MiB (env POLIS_FILE_MB)")
			fs.IntVar(&c.FilesPerPost, "files-per-post", c.FilesPerPost, "attachments allowed on one post (env POLIS_FILES_PER_POST)")
		case "ops":
			fs.StringVar(&c.MetricsAllow, "metrics-allow", c.MetricsAllow, "addresses (CIDRs, comma-separated) allowed to read /metrics; empty: nobody (env POLIS_METRICS_ALLOW)")
		default:
			panic("config: unknown field " + f)
		}
	}
}

// ApplyEnv sets every flag on fs that was not given on the command line from
// its environment variable, so that an explicit flag always wins.
func ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, flagName := range env {
		v := getenv(name)
		if v == "" || given[flagName] || fs.Lookup(flagName) == nil {
			continue
		}
		if err := fs.Set(flagName, v); err != nil {
			return fmt.Errorf("config: %s=%q: %w", name, v, err)
		}
	}
	return nil
}

// Validate checks the settings together and makes the paths absolute.
func (c *Config) Validate() error {
	var errs []error
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			errs = append(errs, fmt.Errorf("--addr %q: want host:port (%v)", c.Addr, err))
		}
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "file:") && !strings.HasSuffix(c.DB, ".db") &&
		!strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		errs = append(errs, fmt.Errorf("--db: want SQLite (a file: DSN or a .db path) or PostgreSQL (postgres://…)"))
	}
	for _, f := range strings.Split(c.MetricsAllow, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if _, err := netip.ParsePrefix(f); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-allow %q: want CIDRs such as 127.0.0.1/32 (%v)", f, err))
		}
	}
	if c.SessionIdle < time.Minute || c.SessionMax < c.SessionIdle {
		errs = append(errs, fmt.Errorf("--session-idle %s and --session-max %s: want at least a minute, and max no shorter than idle", c.SessionIdle, c.SessionMax))
	}
	if c.PostKB < 1 || c.PostsPerMinute < 1 || c.PostsPerDay < c.PostsPerMinute || c.FileMB < 1 || c.FilesPerPost < 0 {
		errs = append(errs, fmt.Errorf("forum limits: want --post-kb, --posts-per-minute and --file-mb of at least 1, --posts-per-day no lower than --posts-per-minute and --files-per-post of 0 or more"))
	}
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("the request body limit must be positive"))
	}
	for _, p := range []*string{&c.Data, &c.Site} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		*p = abs
	}
	if c.Attachments == "" {
		c.Attachments = filepath.Join(c.Data, "attachments")
	} else if abs, err := filepath.Abs(c.Attachments); err == nil {
		c.Attachments = abs
	}
	if !filepath.IsAbs(c.Public) {
		c.Public = filepath.Join(c.Site, c.Public)
	}
	if _, err := os.Stat(filepath.Join(c.Site, "config.toml")); err != nil {
		errs = append(errs, fmt.Errorf("--site %q: no config.toml there (run polis from the repository, or set --site)", c.Site))
	}
	return errors.Join(errs...)
}
