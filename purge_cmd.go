package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/purge"
)

func purgeCommand() *cli.Command {
	return &cli.Command{
		Name:  "purge",
		Usage: "erase what is due and not held, once; print counts per clause and category",
		Description: "The server runs the same purge every PORTAL_PURGE_INTERVAL; this runs it once, e.g. from\n" +
			"cron with PORTAL_PURGE_INTERVAL=0 on the servers. --dry-run erases nothing and prints what\n" +
			"a run would erase now.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "count what would be erased; erase nothing"},
			&cli.StringFlag{Name: "clause", Usage: "comma-separated clause codes to limit the run to (e.g. POST_TERMINATION,TAX_RECORDS)"},
			&cli.IntFlag{Name: "batch", Usage: "rows erased per transaction (0: the engine's default)", Validator: between("--batch", 0, 100_000)},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 0); err != nil {
				return err
			}
			o := purge.Options{DryRun: cmd.Bool("dry-run"), Actor: "cli:purge", BatchSize: cmd.Int("batch")}
			if c := cmd.String("clause"); c != "" {
				for _, code := range strings.Split(c, ",") {
					o.Clauses = append(o.Clauses, strings.TrimSpace(code))
				}
			}
			a, err := open(ctx, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			rep, err := a.Purge.Run(ctx, o)
			if err != nil {
				return fmt.Errorf("purge: %w", err)
			}
			out := cmd.Root().Writer
			if o.DryRun {
				fmt.Fprintln(out, "DRY RUN: nothing was erased; these are the counts a purge would erase now.")
			}
			return rep.Print(out)
		},
	}
}

// between is a flag validator accepting lo to hi inclusive; a value out of
// range is a usage error.
func between(name string, lo, hi int) func(int) error {
	return func(v int) error {
		if v < lo || v > hi {
			return fmt.Errorf("%s must be between %d and %d", name, lo, hi)
		}
		return nil
	}
}
