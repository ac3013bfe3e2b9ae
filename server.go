// Command portal is the data-subject rights portal backend: a GraphQL API
// through which subscribers see what personal data is held about them and
// until when, change their consents and file requests, agents work those
// requests and admins run the purge.
//
// This file is the only wiring point: config → logger → store (open,
// migrate) → domain services → HTTP handler → serve → graceful shutdown.
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/demo"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/graph"
	"github.com/xroshot/portal/httpapi"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/resolvers"
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
	cfg, err := envConfig(protect.DevelopmentKey)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
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
		a, err := newApp(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.Close()
		return purgeCmd(ctx, a, args, stdout)
	case "reconfirm":
		a, err := newApp(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.Close()
		return reconfirmCmd(ctx, a, args, stdout)
	case "verify":
		a, err := newApp(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.Close()
		return verifyCmd(ctx, a, args, stdout)
	case "import":
		a, err := newApp(ctx, cfg, log)
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

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Development() {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// openStore opens and migrates the configured database.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath, Logger: log})
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	for _, m := range applied {
		log.Info("migration applied", "migration", m)
	}
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// app is the assembled portal: what serve, and later the other commands,
// run with.
type app struct {
	cfg      Config
	log      *slog.Logger
	db       *store.DB
	catalog  *policy.Catalog
	keys     *protect.Keyring
	verifier *auth.Verifier
	clock    clock.Clock
	inv      *inventory.Service
	feed     *feed.Service
	consent  *consent.Service
	requests *requests.Service
	audit    *audit.Trail
	purge    *purge.Service
}

func newApp(ctx context.Context, cfg Config, log *slog.Logger) (*app, error) {
	cat, err := policy.Default()
	if err != nil {
		return nil, fmt.Errorf("policy catalog: %w", err)
	}
	keys, err := protect.ParseKeyring(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("PORTAL_ENCRYPTION_KEY: %w", err)
	}
	if cfg.devEncryptionDefault {
		log.Warn("DEVELOPMENT ENCRYPTION KEY IN USE: values are encrypted with a published key; set PORTAL_ENCRYPTION_KEY")
	}
	if cfg.devSecretFallback {
		log.Warn("DEVELOPMENT JWT SECRET IN USE: anyone can mint tokens; set PORTAL_JWT_SECRET, PORTAL_JWT_PUBLIC_KEY_FILE or PORTAL_JWT_JWKS_URL")
	}
	acfg := auth.Config{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, JWKSURL: cfg.JWTJWKSURL, Logger: log}
	if cfg.JWTSecret != "" {
		acfg.Secret = []byte(cfg.JWTSecret)
	}
	if cfg.JWTPublicKeyFile != "" {
		pem, err := os.ReadFile(cfg.JWTPublicKeyFile)
		if err != nil {
			return nil, fmt.Errorf("PORTAL_JWT_PUBLIC_KEY_FILE: %w", err)
		}
		acfg.PublicKeyPEM = pem
	}
	verifier, err := auth.NewVerifier(ctx, acfg)
	if err != nil {
		return nil, fmt.Errorf("token verification: %w", err)
	}
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		verifier.Close()
		return nil, err
	}
	if err := db.SavePolicyVersion(ctx, cat.Version, cat.Hash, string(policy.DefaultSource())); err != nil {
		verifier.Close()
		_ = db.Close()
		return nil, fmt.Errorf("store policy version: %w", err)
	}
	a := &app{cfg: cfg, log: log, db: db, catalog: cat, keys: keys, verifier: verifier, clock: clock.Real{}}
	a.inv = inventory.New(db, cat, keys, a.clock)
	a.feed = feed.New(db.ForFeed(), a.inv, keys, a.clock)
	a.consent = consent.New(db.ForConsent(), a.inv, a.clock)
	a.requests = requests.New(requests.Deps{Store: db.ForRequests(), Inventory: a.inv, Clock: a.clock, Consents: consentWithdrawal(a.consent)})
	a.consent.SetDelegation(a.requests.AgentMaySee)
	a.audit = audit.New(db.ForAudit(), a.clock)
	a.purge = purge.New(db.ForPurge(), cat, a.clock)
	return a, nil
}

func (a *app) Close() {
	a.verifier.Close()
	_ = a.db.Close()
}

func (a *app) minter() auth.Minter {
	return auth.Minter{Issuer: a.cfg.JWTIssuer, Audience: a.cfg.JWTAudience, Secret: []byte(a.cfg.JWTSecret)}
}

func (a *app) handler(reg *prometheus.Registry) http.Handler {
	res := resolvers.New(resolvers.Deps{Catalog: a.catalog, Clock: a.clock, Inventory: a.inv, Feed: a.feed, Consent: a.consent, RequestSvc: a.requests, Audit: a.audit, Purge: a.purge})
	return httpapi.New(httpapi.Config{
		Schema:      graph.NewExecutableSchema(resolvers.Config(res)),
		Development: a.cfg.Development(),
		Logger:      a.log,
		Verifier:    a.verifier,
		Ready:       a.db.Ping,
		Registry:    reg,
		Around:      []graphql.OperationMiddleware{res.WithLoaders},
		RateLimit:   rateLimit(a.cfg.RateLimit),
	})
}

// rateLimit turns PORTAL_RATE_LIMIT into the edge's limit: 0 is off.
func rateLimit(perSecond float64) httpapi.RateLimit {
	if perSecond <= 0 {
		return httpapi.RateLimit{PerSecond: -1}
	}
	return httpapi.RateLimit{PerSecond: perSecond, Burst: int(2*perSecond) + 1}
}

// consentWithdrawal lets a resolved deletion request withdraw the consents
// it covered, through the consent service's history and receipts.
func consentWithdrawal(cs *consent.Service) requests.Consents {
	return requests.ConsentsFunc(func(ctx context.Context, subscriberID, requestID, staffID string, topics []string) error {
		_, err := cs.WithdrawForRequest(ctx, subscriberID, requestID, staffID, topics)
		return err
	})
}

func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	log.Info("starting portal", "version", version, "config", cfg)
	tuneGC(log)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()

	if cfg.Development() {
		if err := seedDemo(ctx, a); err != nil {
			return err
		}
	}
	waitNotifier, err := a.startNotifier(ctx)
	if err != nil {
		return err
	}
	defer waitNotifier()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           a.handler(reg),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "graphql", "/graphql", "graphiql", cfg.Development(), "store", a.db.Dialect())

	if cfg.PurgeInterval > 0 {
		// Every replica runs the purge; row locks keep their runs apart.
		sched := &purge.Scheduler{Purge: a.purge, Interval: cfg.PurgeInterval, Logger: log}
		go func() {
			if err := sched.Run(ctx); err != nil {
				log.Error("purge scheduler stopped", "err", err)
			}
		}()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "grace", cfg.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// seedDemo fills an empty development database with the demo personas and
// prints a token for each, so a first query needs no identity provider.
func seedDemo(ctx context.Context, a *app) error {
	seeded, err := demo.Seed(ctx, a.db, a.feed, a.consent, a.requests, a.clock.Now())
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	if seeded {
		a.log.Info("seeded demo data into the empty development database")
	}
	m := a.minter()
	if len(m.Secret) == 0 {
		return nil
	}
	for _, p := range demo.Personas {
		tok, err := m.Mint(p.Subject, p.Roles, p.Actor, 24*time.Hour)
		if err != nil {
			return err
		}
		a.log.Info("demo token (development only)", "persona", p.Name, "subject", p.Subject, "token", tok)
	}
	return nil
}

func migrateCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
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
