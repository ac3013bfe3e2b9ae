package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/seedgen"
)

// seedCommand fills a database with generated subscribers for load tests
// and benchmarks (seedgen), or writes them as JSON Lines for `portal
// import`. Into a database it takes the fast path: every line is checked,
// sealed and scheduled by the feed's rules (feed.Service.Prepare), then
// written in bulk. It refuses production, and a database that already
// holds subscribers unless --force.
func seedCommand() *cli.Command {
	return &cli.Command{
		Name:      "seed",
		Usage:     "fill an empty development database with generated subscribers (refused in production)",
		UsageText: "portal seed --subscribers N [--seed S] [--force] [--jsonl FILE]",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "subscribers", Usage: "how many subscribers to generate (required)", Validator: between("--subscribers", 1, 100_000_000)},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "the data set: the same seed on the same day gives the same subscribers"},
			&cli.BoolFlag{Name: "force", Usage: "add to a database that already holds subscribers"},
			&cli.StringFlag{Name: "jsonl", Usage: "write JSON Lines to this file (- for standard output) instead of the database", TakesFile: true},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 0); err != nil {
				return err
			}
			n := cmd.Int("subscribers")
			if n <= 0 {
				return usageErrorf(cmd, "seed needs --subscribers N")
			}
			cfg, log, err := setup(cmd)
			if err != nil {
				return err
			}
			if !cfg.Development() {
				return errors.New("seed: refused in production (PORTAL_ENV=production): generated subscribers are for development and benchmark databases")
			}
			stdout, stderr := cmd.Root().Writer, cmd.Root().ErrWriter
			g := seedgen.New(seedgen.Options{Seed: cmd.Uint64("seed")})
			if path := cmd.String("jsonl"); path != "" {
				return app.SeedJSONL(ctx, g, n, path, stdout, stderr)
			}
			a, err := app.New(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer a.Close()
			return a.SeedStore(ctx, g, n, cmd.Bool("force"), stdout, stderr)
		},
	}
}
