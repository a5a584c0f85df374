// Package cli is the polis command: one binary that builds the site with
// its compiled-in Hugo and serves it with the Go server.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

var commands = []command{
	{"build", "render the site with Hugo into the public folder", runBuild},
	{"serve", "build the site if needed, open the data folder and serve", runServe},
	{"user", "manage accounts: create-admin, reset-2fa, list", runUser},
	{"index", "rebuild the search index: --rebuild", runIndex},
	{"import", "add documents (Markdown, text, HTML, PDF) to the knowledge base", runImport},
	{"backup", "write the database, attachments, secrets and content into one archive", runBackup},
	{"restore", "unpack a backup archive into an empty data folder", runRestore},
	{"loadtest", "measure servers on this machine under many concurrent users", runLoadtest},
}

// hidden are commands the program runs itself, not listed in the usage.
var hidden = []command{
	{pdfChildCommand, "read one PDF's text (import runs it in a child process)", runPDFChild},
}

// Env is the outside world a command sees; tests give their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// errUsage marks an error already explained by a usage message.
var errUsage = errors.New("usage")

// Run runs the polis command with args (without the program name) and
// returns the process exit code.
func Run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	return Main(ctx, env, args)
}

// Main is Run with the context and environment given.
func Main(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			return Main(ctx, env, []string{args[1], "--help"})
		}
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range append(commands, hidden...) {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(env.Stderr, "polis %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "polis: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Polis: a multilingual knowledge portal against the sexual exploitation of children online.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: polis <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  help      show this text, or `polis help <command>` for a command's flags")
}

// newFlags makes a flag set whose --help prints a summary and the flags.
func newFlags(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: polis %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning a bad flag into errUsage (the flag package has
// already printed why) and leaving --help as flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	return nil
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
