package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/app"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the API server (the default command)",
		Description: "Migrates the database, seeds the demo data in development, runs the purge every\n" +
			"PORTAL_PURGE_INTERVAL and the webhook deliverer, and serves GraphQL on PORTAL_ADDR\n" +
			"until SIGINT or SIGTERM, then finishes in-flight requests within PORTAL_SHUTDOWN_GRACE.",
		Action: serveAction,
	}
}

func serveAction(ctx context.Context, cmd *cli.Command) error {
	if err := wantArgs(cmd, 0); err != nil {
		return err
	}
	cfg, log, err := setup(cmd)
	if err != nil {
		return err
	}
	return app.Serve(ctx, cfg, log, version)
}

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "migrate",
		Usage:     "apply, roll back or list the database migrations",
		UsageText: "portal migrate up|down|status",
		Action: func(_ context.Context, cmd *cli.Command) error {
			if cmd.NArg() == 0 {
				return usageErrorf(cmd, "migrate needs a command: up, down or status")
			}
			return usageErrorf(cmd, "unknown migrate command %q (up, down, status)", cmd.Args().First())
		},
		Commands: []*cli.Command{
			{
				Name:  "up",
				Usage: "apply every pending migration",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if err := wantArgs(cmd, 0); err != nil {
						return err
					}
					return migrate(ctx, cmd, "up")
				},
			},
			{
				Name:  "down",
				Usage: "roll back the latest applied migration (one; --yes in production)",
				Description: "Rolls back exactly one migration: the most recent. Rolling back can drop tables and\n" +
					"the data in them; in production it needs --yes.",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "yes", Usage: "confirm the rollback (required when PORTAL_ENV=production)"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if err := wantArgs(cmd, 0); err != nil {
						return err
					}
					return migrate(ctx, cmd, "down")
				},
			},
			{
				Name:  "status",
				Usage: "list the migrations, applied and pending",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if err := wantArgs(cmd, 0); err != nil {
						return err
					}
					return migrate(ctx, cmd, "status")
				},
			},
		},
	}
}

func migrate(ctx context.Context, cmd *cli.Command, sub string) error {
	cfg, log, err := setup(cmd)
	if err != nil {
		return err
	}
	if sub == "down" && !cfg.Development() && !cmd.Bool("yes") {
		return errors.New("migrate down: refused in production without --yes: rolling back can drop tables and their data")
	}
	db, err := app.OpenDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	out := cmd.Root().Writer
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
	}
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
