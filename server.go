// Command portal is the data-subject rights portal backend: a GraphQL API
// through which subscribers see what personal data is held about them and
// until when, change their consents and file requests, agents work those
// requests and admins run the purge.
//
// The portal is assembled in package app; this package only reads the
// command line and calls it.
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		os.Exit(1)
	}
}

const usage = `usage: portal [command] [flags]

commands:
  serve                 run the API server (the default)
  migrate up|down|status
                        apply, roll back one, or list database migrations
  token --subject ID --roles subscriber[,agent,…] [--act GUARDIAN_ID] [--ttl 1h]
  token --demo NAME     mint a development token (active, terminated, minor,
                        guardian, agent, admin); refused in production
  import FILE           load subscribers and records from JSON Lines (- for stdin)
  seed --subscribers N [--seed S] [--force] [--jsonl FILE]
                        fill an empty development database with generated subscribers
  notify once|run|dead [--limit N]|attempts SUB ID|requeue SUB ID
                        deliver due notices to the webhook; list, inspect and requeue dead ones
  purge [--dry-run] [--clause CODE,…]
                        erase what is due and not held; print counts per clause and category
  reconfirm [--batch N]  queue the due two-yearly marketing reconfirmation notices
  verify [--from SEQ | --since SEQ:HASH]
                        check the audit trail's hash chain
  loadtest me|consent|queue|baseline|requests [flags]
                        load benchmarks against a server on loopback and a seeded database
  version               print the version
`

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "version" {
		fmt.Fprintln(stdout, "portal", version)
		return nil
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cfg, err := app.FromEnv(protect.DevelopmentKey)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := app.NewLogger(cfg, stderr)
	switch cmd {
	case "serve":
		return app.Serve(ctx, cfg, log, version)
	case "migrate":
		return migrateCmd(ctx, cfg, log, args, stdout)
	case "token":
		return tokenCmd(cfg, args, stdout)
	case "seed":
		return seedCmd(ctx, cfg, log, args, stdout, stderr)
	case "notify":
		return notifyCmd(ctx, cfg, log, args, stdout)
	case "loadtest":
		return loadtestCmd(ctx, cfg, args, stdout, stderr)
	case "purge":
		a, err := app.New(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.Close()
		return purgeCmd(ctx, a, args, stdout)
	case "reconfirm":
		a, err := app.New(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.Close()
		return reconfirmCmd(ctx, a, args, stdout)
	case "verify":
		a, err := app.New(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.Close()
		return verifyCmd(ctx, a, args, stdout)
	case "import":
		a, err := app.New(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.Close()
		return importCmd(ctx, a, args, stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func migrateCmd(ctx context.Context, cfg app.Config, log *slog.Logger, args []string, out io.Writer) error {
	sub := "up"
	if len(args) > 0 {
		sub = args[0]
	}
	db, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath, Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "up":
		applied, err := db.Migrate(ctx)
		for _, m := range applied {
			fmt.Fprintln(out, "applied", m)
		}
		if err == nil && len(applied) == 0 {
			fmt.Fprintln(out, "schema is up to date")
		}
		return err
	case "down":
		m, err := db.MigrateDown(ctx)
		if err == nil {
			fmt.Fprintln(out, "rolled back", m)
		}
		return err
	case "status":
		st, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(out, "%05d  %-8s %s\n", s.Version, state, s.Name)
		}
		return nil
	}
	return fmt.Errorf("migrate: unknown subcommand %q (up, down, status)", sub)
}
