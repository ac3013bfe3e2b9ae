package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/loadtest"
)

// loadtestCommand runs a load benchmark against a server on loopback and
// a seeded database (package loadtest), or fills the request queue the
// agent benchmark reads. Tokens are minted with the configured development
// key, so it refuses production, as token does.
func loadtestCommand() *cli.Command {
	bench := func(name, usage string) *cli.Command {
		return &cli.Command{
			Name:      name,
			Usage:     usage,
			UsageText: "portal loadtest " + name + " --subscribers N [--seed S] [--url URL] [--clients 32] [--duration 30s] [--max-ops N]\n[--timeout 10s] [--server-pid PID] [--baseline OPS] [--rand-seed R]",
			Flags: []cli.Flag{
				&cli.IntFlag{Name: "subscribers", Usage: "how many subscribers the database was seeded with (portal seed --subscribers)"},
				&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "the seed the database was seeded with (portal seed --seed)"},
				&cli.StringFlag{Name: "url", Value: "http://127.0.0.1:8080/graphql", Usage: "the server's GraphQL endpoint"},
				&cli.IntFlag{Name: "clients", Value: 32, Usage: "concurrent closed-loop clients (1 to 1000)", Validator: between("--clients", 1, 1000)},
				&cli.DurationFlag{Name: "duration", Value: 30 * time.Second, Usage: "how long to run (at most 1h)"},
				&cli.IntFlag{Name: "max-ops", Usage: "stop after this many operations (0: run for the duration)"},
				&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "the longest one operation may take"},
				&cli.IntFlag{Name: "server-pid", Usage: "the server's process id, for its memory (default: the process listening on the URL's port)"},
				&cli.Float64Flag{Name: "baseline", Usage: "me: the baseline's throughput (operations/s) to compare with"},
				&cli.Uint64Flag{Name: "rand-seed", Usage: "the clients' random choices (subscribers, topics); 0 draws new ones each run"},
			},
			Action: benchAction,
		}
	}
	return &cli.Command{
		Name:      "loadtest",
		Usage:     "load benchmarks against a server on loopback and a seeded database (development only)",
		UsageText: "portal loadtest me|consent|queue|baseline|baseline-batch|postgraphile|compare|requests [options]",
		Description: "See BENCHMARKS.md. Tokens are minted with the development key, so loadtest refuses\n" +
			"production, as token does.",
		Action: func(_ context.Context, cmd *cli.Command) error {
			if cmd.NArg() == 0 {
				return usageErrorf(cmd, "loadtest needs a benchmark: me, consent, queue, baseline, baseline-batch, postgraphile, compare or requests")
			}
			return usageErrorf(cmd, "unknown benchmark %q", cmd.Args().First())
		},
		Commands: []*cli.Command{
			bench("me", "the subscriber's home screen for random subscribers"),
			bench("consent", "setConsent on a random advertising topic of random subscribers"),
			bench("queue", "an agent's first page of overdue disputes (load the queue first: loadtest requests)"),
			bench("baseline", "the statements of one 'me', run directly on PORTAL_DATABASE_URL, one after the other"),
			bench("baseline-batch", "the statements of one 'me', run directly on PORTAL_DATABASE_URL, pipelined in one round trip as the server sends them"),
			bench("postgraphile", "the home screen's nearest equivalent through PostGraphile 4 (scripts/postgraphile/start.sh) at --url"),
			{
				Name:  "compare",
				Usage: "me and the raw-SQL baseline (and PostGraphile, another portal) interleaved, round after round; a Markdown table",
				UsageText: "portal loadtest compare --subscribers N [--seed S] [--url URL] [--before-url URL] [--postgraphile-url URL]\n" +
					"[--rounds 6] [--round 20s] [--clients 32] [--rand-seed R]",
				Flags: []cli.Flag{
					&cli.IntFlag{Name: "subscribers", Usage: "how many subscribers the database was seeded with (portal seed --subscribers)"},
					&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "the seed the database was seeded with (portal seed --seed)"},
					&cli.StringFlag{Name: "url", Value: "http://127.0.0.1:8080/graphql", Usage: "the portal's GraphQL endpoint (arm `me`)"},
					&cli.StringFlag{Name: "before-url", Usage: "another portal on the same database, e.g. an older build (arm `me-before`)"},
					&cli.StringFlag{Name: "postgraphile-url", Usage: "PostGraphile 4 on the same database (arm `postgraphile`; scripts/postgraphile/start.sh)"},
					&cli.BoolFlag{Name: "no-baseline", Usage: "leave out the raw-SQL baselines (one after the other, and pipelined)"},
					&cli.IntFlag{Name: "rounds", Value: 6, Usage: "rounds (1 to 100)", Validator: between("--rounds", 1, 100)},
					&cli.DurationFlag{Name: "round", Value: 20 * time.Second, Usage: "how long each arm runs a round (at most 10m)"},
					&cli.IntFlag{Name: "clients", Value: 32, Usage: "concurrent closed-loop clients (1 to 1000)", Validator: between("--clients", 1, 1000)},
					&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "the longest one operation may take"},
					&cli.Uint64Flag{Name: "rand-seed", Value: 1, Usage: "the clients' random choices of subscribers (the same in every run of an arm)"},
				},
				Action: compareAction,
			},
			{
				Name:  "requests",
				Usage: "add open requests to the seeded PORTAL_DATABASE_URL database, some overdue",
				Flags: []cli.Flag{
					&cli.IntFlag{Name: "count", Value: 100_000, Usage: "how many open requests to add", Validator: between("--count", 1, 10_000_000)},
					&cli.Float64Flag{Name: "overdue", Value: 0.3, Usage: "the share of them past their due date (0 to 1)"},
					&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "the seed the database was seeded with (portal seed --seed)"},
				},
				Action: loadRequestsAction,
			},
		},
	}
}

// loadtestConfig reads the configuration and refuses production.
func loadtestConfig(cmd *cli.Command) (app.Config, error) {
	cfg, _, err := setup(cmd)
	if err != nil {
		return cfg, err
	}
	if !cfg.Development() {
		return cfg, errors.New("loadtest: refused in production (PORTAL_ENV=production): it mints tokens with the development key and writes generated requests")
	}
	return cfg, nil
}

func loadRequestsAction(ctx context.Context, cmd *cli.Command) error {
	if err := wantArgs(cmd, 0); err != nil {
		return err
	}
	if o := cmd.Float64("overdue"); o < 0 || o > 1 {
		return usageErrorf(cmd, "--overdue is a share between 0 and 1")
	}
	cfg, err := loadtestConfig(cmd)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("loadtest requests: set PORTAL_DATABASE_URL to the seeded PostgreSQL database")
	}
	l, err := loadtest.LoadRequests(ctx, cfg.DatabaseURL, loadtest.Requests{Count: cmd.Int("count"), Overdue: cmd.Float64("overdue"), Seed: cmd.Uint64("seed")})
	if err != nil {
		return fmt.Errorf("loadtest requests: %w", err)
	}
	fmt.Fprintf(cmd.Root().Writer, "loaded %d open requests (%d overdue, %d of them disputes) and %d holds in %s\n",
		l.Requests, l.Overdue, l.OverdueDisputes, l.Holds, l.Elapsed.Round(time.Millisecond))
	return nil
}

func compareAction(ctx context.Context, cmd *cli.Command) error {
	if err := wantArgs(cmd, 0); err != nil {
		return err
	}
	round := cmd.Duration("round")
	if round <= 0 || round > 10*time.Minute {
		return usageErrorf(cmd, "--round is between 1s and 10m")
	}
	if cmd.Int("subscribers") <= 0 {
		return usageErrorf(cmd, "--subscribers N is required: how many subscribers the database was seeded with")
	}
	cfg, err := loadtestConfig(cmd)
	if err != nil {
		return err
	}
	if cfg.JWTSecret == "" {
		return errors.New("loadtest: needs the server's HS256 secret (PORTAL_JWT_SECRET) to mint tokens")
	}
	base := loadtest.Config{
		DatabaseURL: cfg.DatabaseURL,
		Minter:      auth.Minter{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, Secret: []byte(cfg.JWTSecret)},
		Loop:        loadtest.Loop{Clients: cmd.Int("clients"), Duration: round, Timeout: cmd.Duration("timeout"), Seed: cmd.Uint64("rand-seed")},
		Subscribers: cmd.Int("subscribers"),
		Seed:        cmd.Uint64("seed"),
	}
	arm := func(name, scenario, url string) loadtest.Arm {
		c := base
		c.Scenario, c.URL = scenario, url
		return loadtest.Arm{Name: name, Config: c}
	}
	arms := []loadtest.Arm{arm("me", loadtest.ScenarioMe, cmd.String("url"))}
	if u := cmd.String("before-url"); u != "" {
		arms = append(arms, arm("me-before", loadtest.ScenarioMe, u))
	}
	if !cmd.Bool("no-baseline") {
		arms = append(arms, arm("baseline", loadtest.ScenarioBaseline, ""),
			arm("baseline-batch", loadtest.ScenarioBaselineBatch, ""))
	}
	if u := cmd.String("postgraphile-url"); u != "" {
		arms = append(arms, arm("postgraphile", loadtest.ScenarioPostGraphile, u))
	}
	runs, err := loadtest.Compare(ctx, arms, cmd.Int("rounds"), cmd.Root().ErrWriter)
	if err != nil {
		return fmt.Errorf("loadtest compare: %w", err)
	}
	loadtest.PrintComparison(cmd.Root().Writer, runs)
	return nil
}

func benchAction(ctx context.Context, cmd *cli.Command) error {
	if err := wantArgs(cmd, 0); err != nil {
		return err
	}
	scenario := cmd.Name
	duration, maxOps := cmd.Duration("duration"), cmd.Int("max-ops")
	if duration <= 0 && maxOps <= 0 {
		return usageErrorf(cmd, "--duration or --max-ops must be positive")
	}
	if duration > time.Hour {
		return usageErrorf(cmd, "--duration is at most 1h")
	}
	randSeed := cmd.Uint64("rand-seed")
	if randSeed == 0 {
		// A consent run repeating the last one's choices would find every
		// topic already as asked and write nothing.
		randSeed = uint64(time.Now().UnixNano())
	}
	cfg, err := loadtestConfig(cmd)
	if err != nil {
		return err
	}
	if cfg.JWTSecret == "" {
		return errors.New("loadtest: needs the server's HS256 secret (PORTAL_JWT_SECRET) to mint tokens")
	}
	res, err := loadtest.Bench(ctx, loadtest.Config{
		Scenario:    scenario,
		URL:         cmd.String("url"),
		DatabaseURL: cfg.DatabaseURL,
		Minter:      auth.Minter{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, Secret: []byte(cfg.JWTSecret)},
		Loop: loadtest.Loop{
			Clients: cmd.Int("clients"), Duration: duration, MaxOps: maxOps, Timeout: cmd.Duration("timeout"), Seed: randSeed,
		},
		Subscribers:        cmd.Int("subscribers"),
		Seed:               cmd.Uint64("seed"),
		ServerPID:          cmd.Int("server-pid"),
		BaselineThroughput: cmd.Float64("baseline"),
	})
	if err != nil {
		return fmt.Errorf("loadtest %s: %w", scenario, err)
	}
	res.Print(cmd.Root().Writer)
	return nil
}
