// Command portal is the data-subject rights portal backend: a GraphQL API
// through which subscribers see what personal data is held about them and
// until when, change their consents and file requests, agents work those
// requests and admins run the purge.
//
// The portal is assembled in package app; this package only reads the
// command line (urfave/cli) and calls it. Every flag and argument is
// checked before anything reads the configuration or opens a database, so
// asking for help, or mistyping, never has a side effect.
package main

//go:generate go run ./tools/gqlgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/protect"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit statuses: a command that ran and failed exits 1, a command line
// that names no command, an unknown flag or the wrong arguments exits 2.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the portal with args and returns its exit status, having
// printed any error to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := realMain(ctx, args, getenv, stdout, stderr)
	code := exitCode(err)
	var reported reportedError
	if err != nil && code != exitUsage && !errors.As(err, &reported) {
		fmt.Fprintln(stderr, "portal:", err)
	}
	return code
}

// exitCode is the exit status of realMain's error.
func exitCode(err error) int {
	var (
		usage *usageError
		exit  cli.ExitCoder
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		return exitUsage
	case errors.As(err, &exit):
		// Only the CLI library returns these: "help" for a topic that
		// does not exist.
		return exitUsage
	}
	return exitFail
}

// realMain parses args and runs the command they name, with the
// configuration getenv reads (os.Getenv outside tests); a wrong command
// line prints what was wrong and the command's usage to stderr.
func realMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	root := newCLI(getenv, stdout, stderr)
	err := root.Run(ctx, append([]string{"portal"}, args...))
	var usage *usageError
	if errors.As(err, &usage) {
		fmt.Fprintf(stderr, "portal: %v\n\n", usage.err)
		printHelp(usage.cmd, stderr)
	}
	var exit cli.ExitCoder
	if errors.As(err, &exit) && usage == nil {
		fmt.Fprintln(stderr, "portal:", exit.Error())
	}
	return err
}

// newCLI is the command tree. It is built anew for every run: the
// library keeps parsed values in the flags.
func newCLI(getenv func(string) string, stdout, stderr io.Writer) *cli.Command {
	root := &cli.Command{
		Name:      "portal",
		Usage:     "the data-subject rights portal backend",
		UsageText: "portal [command] [options]   (no command: serve)",
		Description: "Configuration comes from the environment (PORTAL_ENV, PORTAL_DATABASE_URL, … — see README.md),\n" +
			"read only once the command line is understood. --help on any command prints its usage and does nothing else.",
		Version:         version,
		HideHelpCommand: false,
		Writer:          stdout,
		Metadata:        map[string]any{getenvKey: getenv},
		ErrWriter:       stderr,
		// The exit status is decided in run, never inside the library.
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.NArg() > 0 {
				return usageErrorf(cmd, "unknown command %q", cmd.Args().First())
			}
			return serveAction(ctx, cmd)
		},
		Commands: []*cli.Command{
			serveCommand(),
			migrateCommand(),
			tokenCommand(),
			importCommand(),
			seedCommand(),
			purgeCommand(),
			reconfirmCommand(),
			notifyCommand(),
			transmitCommand(),
			usageNoticeCommand(),
			verifyCommand(),
			rewrapCommand(),
			loadtestCommand(),
			schemaCommand(),
			versionCommand(),
		},
	}
	_ = root.Walk(func(c *cli.Command) error {
		c.OnUsageError = func(_ context.Context, cmd *cli.Command, err error, _ bool) error {
			return &usageError{cmd: cmd, err: err}
		}
		return nil
	})
	return root
}

// usageError is a command line the command cannot run: an unknown flag or
// command, a missing or extra argument, a flag out of range.
type usageError struct {
	cmd *cli.Command
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(cmd *cli.Command, format string, a ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, a...)}
}

// wantArgs checks that cmd was given exactly the positional arguments its
// usage names.
func wantArgs(cmd *cli.Command, n int) error {
	switch {
	case cmd.NArg() == n:
		return nil
	case cmd.NArg() > n:
		return usageErrorf(cmd, "unexpected argument %q", cmd.Args().Get(n))
	}
	return usageErrorf(cmd, "missing argument: %s", cmd.ArgsUsage)
}

// printHelp prints cmd's help to w, as --help would to stdout.
func printHelp(cmd *cli.Command, w io.Writer) {
	tmpl := cli.CommandHelpTemplate
	switch {
	case cmd.Root() == cmd:
		tmpl = cli.RootCommandHelpTemplate
	case len(cmd.VisibleCommands()) > 0:
		tmpl = cli.SubcommandHelpTemplate
	}
	cli.HelpPrinter(w, tmpl, cmd)
}

// setup reads the configuration and makes the logger a command runs
// with. It is the first thing a command's action does, after its command
// line is checked. A configuration the portal refuses is reported as the
// logs would report it: JSON in production, plain text in development.
func setup(cmd *cli.Command) (app.Config, *slog.Logger, error) {
	stderr := cmd.Root().ErrWriter
	getenv, _ := cmd.Root().Metadata[getenvKey].(func(string) string)
	cfg, err := app.LoadConfig(getenv, protect.DevelopmentKey)
	if err != nil {
		if cfg.Env == "production" {
			problems := strings.Split(err.Error(), "\n")
			app.NewLogger(cfg, stderr).Error("configuration refused", "problems", problems)
			return cfg, nil, reportedError{fmt.Errorf("configuration: %w", err)}
		}
		return cfg, nil, fmt.Errorf("configuration: %w", err)
	}
	return cfg, app.NewLogger(cfg, stderr), nil
}

// getenvKey keeps the environment reader in the root command's metadata,
// where every command's setup finds it.
const getenvKey = "getenv"

// reportedError is an error already written to stderr, in the log's
// format; run does not print it again.
type reportedError struct{ err error }

func (e reportedError) Error() string { return e.err.Error() }
func (e reportedError) Unwrap() error { return e.err }

// open reads the configuration and assembles the portal over the migrated
// store, for the commands that work on the data.
func open(ctx context.Context, cmd *cli.Command) (*app.App, error) {
	cfg, log, err := setup(cmd)
	if err != nil {
		return nil, err
	}
	return app.New(ctx, cfg, log)
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version",
		Action: func(_ context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 0); err != nil {
				return err
			}
			fmt.Fprintln(cmd.Root().Writer, "portal", version)
			return nil
		},
	}
}
