package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/loadtest"
)

const loadtestUsage = `usage:
  portal loadtest me|consent|queue|baseline --subscribers N [--seed S] [--url http://127.0.0.1:8080/graphql]
                  [--clients 32] [--duration 30s] [--max-ops N] [--timeout 10s] [--server-pid PID] [--baseline OPS] [--rand-seed R]
  portal loadtest requests --count 100000 [--overdue 0.3] [--seed S]

me        the subscriber's home screen for random subscribers
consent   setConsent on a random advertising topic of random subscribers
queue     an agent's first page of overdue disputes (load the queue first: requests)
baseline  the statements of one 'me', run directly on PORTAL_DATABASE_URL
requests  add open requests to the seeded PORTAL_DATABASE_URL database, some overdue
`

// loadtestCmd runs a load benchmark against a server on loopback and a
// seeded database (package loadtest), or fills the request queue the agent
// benchmark reads. Tokens are minted with the configured development key,
// so it refuses production, as token does.
func loadtestCmd(ctx context.Context, cfg app.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, loadtestUsage)
		return errors.New("loadtest: which benchmark? me, consent, queue, baseline or requests")
	}
	if !cfg.Development() {
		return errors.New("loadtest: refused in production (PORTAL_ENV=production): it mints tokens with the development key and writes generated requests")
	}
	scenario, args := args[0], args[1:]
	fs := flag.NewFlagSet("loadtest "+scenario, flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "the seed the database was seeded with (portal seed --seed)")
	if scenario == "requests" {
		count := fs.Int("count", 100_000, "how many open requests to add")
		overdue := fs.Float64("overdue", 0.3, "the share of them past their due date")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("loadtest requests: unexpected %q", fs.Args())
		}
		if cfg.DatabaseURL == "" {
			return errors.New("loadtest requests: set PORTAL_DATABASE_URL to the seeded PostgreSQL database")
		}
		l, err := loadtest.LoadRequests(ctx, cfg.DatabaseURL, loadtest.Requests{Count: *count, Overdue: *overdue, Seed: *seed})
		if err != nil {
			return fmt.Errorf("loadtest requests: %w", err)
		}
		fmt.Fprintf(stdout, "loaded %d open requests (%d overdue, %d of them disputes) and %d holds in %s\n",
			l.Requests, l.Overdue, l.OverdueDisputes, l.Holds, l.Elapsed.Round(time.Millisecond))
		return nil
	}
	url := fs.String("url", "http://127.0.0.1:8080/graphql", "the server's GraphQL endpoint")
	clients := fs.Int("clients", 32, "concurrent closed-loop clients")
	duration := fs.Duration("duration", 30*time.Second, "how long to run")
	maxOps := fs.Int("max-ops", 0, "stop after this many operations (0: run for the duration)")
	timeout := fs.Duration("timeout", 10*time.Second, "the longest one operation may take")
	subscribers := fs.Int("subscribers", 0, "how many subscribers the database was seeded with (portal seed --subscribers)")
	pid := fs.Int("server-pid", 0, "the server's process id, for its memory (default: the process listening on the URL's port)")
	baseline := fs.Float64("baseline", 0, "me: the baseline's throughput (operations/s) to compare with")
	randSeed := fs.Uint64("rand-seed", 0, "the clients' random choices (subscribers, topics); 0 draws new ones each run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("loadtest %s: unexpected %q", scenario, fs.Args())
	}
	if *clients <= 0 || *clients > 1000 {
		return errors.New("loadtest: --clients must be between 1 and 1000")
	}
	if *duration <= 0 && *maxOps <= 0 {
		return errors.New("loadtest: --duration or --max-ops must be positive")
	}
	if *duration > time.Hour {
		return errors.New("loadtest: --duration is at most 1h")
	}
	if *randSeed == 0 {
		// A consent run repeating the last one's choices would find every
		// topic already as asked and write nothing.
		*randSeed = uint64(time.Now().UnixNano())
	}
	if cfg.JWTSecret == "" {
		return errors.New("loadtest: needs the server's HS256 secret (PORTAL_JWT_SECRET) to mint tokens")
	}
	res, err := loadtest.Bench(ctx, loadtest.Config{
		Scenario:    scenario,
		URL:         *url,
		DatabaseURL: cfg.DatabaseURL,
		Minter:      auth.Minter{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, Secret: []byte(cfg.JWTSecret)},
		Loop: loadtest.Loop{
			Clients: *clients, Duration: *duration, MaxOps: *maxOps, Timeout: *timeout, Seed: *randSeed,
		},
		Subscribers:        *subscribers,
		Seed:               *seed,
		ServerPID:          *pid,
		BaselineThroughput: *baseline,
	})
	if err != nil {
		return fmt.Errorf("loadtest %s: %w", scenario, err)
	}
	res.Print(stdout)
	return nil
}
