// Package app is the portal's one assembly: configuration → logger → store
// (open, migrate) → domain services → HTTP handler. The server, every
// command and the tests build the portal through it, so there is one way to
// start up; package main only parses the command line.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/graph"
	"github.com/xroshot/portal/httpapi"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/live"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/resolvers"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/telemetry"
	"github.com/xroshot/portal/transmit"
	"github.com/xroshot/portal/usenotice"
)

// NewLogger is the portal's logger: text for a person in development, JSON
// for the log pipeline in production.
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel, ReplaceAttr: telemetry.ReplaceAttr}
	if cfg.Development() {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// OpenDatabase opens the configured database as it is, unmigrated: what
// the migrate command works on. Everything else uses OpenStore.
func OpenDatabase(ctx context.Context, cfg Config, log *slog.Logger) (*store.DB, error) {
	return store.Open(ctx, store.Options{URL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath, Logger: log})
}

// OpenStore opens and migrates the configured database.
func OpenStore(ctx context.Context, cfg Config, log *slog.Logger) (*store.DB, error) {
	db, err := OpenDatabase(ctx, cfg, log)
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

// App is the assembled portal: what serve, the commands and the tests run
// with.
type App struct {
	Config    Config
	Log       *slog.Logger
	DB        *store.DB
	Catalog   *policy.Catalog
	Keys      *protect.Keyring
	Verifier  *auth.Verifier
	Clock     clock.Clock
	Inventory *inventory.Service
	Feed      *feed.Service
	Consent   *consent.Service
	Requests  *requests.Service
	Audit     *audit.Trail
	Purge     *purge.Service
	// Transmit serves transmission requests (법 35조의2) and UsageNotice
	// the yearly notice of use and provision (법 20조의2).
	Transmit    *transmit.Service
	UsageNotice *usenotice.Service
	// Relay carries request changes between replicas (LISTEN/NOTIFY); nil
	// on SQLite, where one process fans out in memory.
	Relay *live.Postgres
	// Observer is told of the deliverer's attempts (the metrics); nil for
	// none. Serve sets it before starting the notifier.
	Observer notify.Observer
}

// New builds the portal of the configuration: it checks the keys, opens and
// migrates the store, records the policy version and wires the services.
// Close releases what it opened.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
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
	db, err := OpenStore(ctx, cfg, log)
	if err != nil {
		verifier.Close()
		return nil, err
	}
	if err := db.SavePolicyVersion(ctx, cat.Version, cat.Hash, string(policy.DefaultSource())); err != nil {
		verifier.Close()
		_ = db.Close()
		return nil, fmt.Errorf("store policy version: %w", err)
	}
	return Assemble(Parts{Config: cfg, Log: log, DB: db, Catalog: cat, Keys: keys, Verifier: verifier, Clock: clock.Real{}}), nil
}

// Parts are what the domain services are built from: New makes them from
// the configuration; a test brings its own (a fresh database, a generated
// key, a manual clock).
type Parts struct {
	Config   Config
	Log      *slog.Logger
	DB       *store.DB
	Catalog  *policy.Catalog
	Keys     *protect.Keyring
	Verifier *auth.Verifier
	Clock    clock.Clock
}

// Assemble wires the domain services over the parts. It opens nothing, so
// it cannot fail; Close closes the parts' store and verifier.
func Assemble(p Parts) *App {
	a := &App{Config: p.Config, Log: p.Log, DB: p.DB, Catalog: p.Catalog, Keys: p.Keys, Verifier: p.Verifier, Clock: p.Clock}
	a.Inventory = inventory.New(a.DB, a.Catalog, a.Keys, a.Clock)
	// Requests own the rule of staff agency; consent reads it (Delegation),
	// and requests withdraw consents through consent (Consents): each
	// declares what it needs of the other, and both are given here.
	a.Consent = consent.New(a.DB.ForConsent(), a.Inventory, a.Clock, requests.NewAgency(a.DB.ForRequests()))
	a.Feed = feed.New(a.DB.ForFeed(), a.Inventory, a.Keys, a.Clock, feed.WithMarketingEnder(a.Consent))
	a.Requests = requests.New(requests.Deps{Store: a.DB.ForRequests(), Inventory: a.Inventory, Clock: a.Clock, Consents: a.Consent})
	a.Audit = audit.New(a.DB.ForAudit(), a.Clock)
	a.Purge = purge.New(a.DB.ForPurge(), a.Catalog, a.Clock)
	a.Transmit = transmit.New(a.DB.ForTransmit(), a.Inventory, a.Keys, requests.NewAgency(a.DB.ForRequests()), a.Clock)
	a.UsageNotice = usenotice.New(a.DB.ForUsageNotice(), a.Inventory, a.Clock)
	a.Purge.SetNoticeWindows(p.Config.NoticeProofWindow, p.Config.DeadNoticeWindow)
	a.Purge.SetRescheduler(func(ctx context.Context, subscriberID string) error {
		return a.DB.InTx(ctx, func(tx *store.DB) error { return a.Inventory.Reschedule(ctx, tx, subscriberID) })
	})
	if a.DB.Dialect() == "postgres" && p.Config.DatabaseURL != "" {
		a.Relay = live.NewPostgres(p.Config.DatabaseURL, a.DB.SQL(), a.Log)
		a.Requests.Broker().UseRelay(a.Relay, a.Log)
	}
	return a
}

// Close releases the verifier and the store.
func (a *App) Close() {
	if a.Verifier != nil {
		a.Verifier.Close()
	}
	_ = a.DB.Close()
}

// Minter mints tokens with the configured HS256 secret: the demo's and the
// development commands' tokens.
func (a *App) Minter() auth.Minter {
	return auth.Minter{Issuer: a.Config.JWTIssuer, Audience: a.Config.JWTAudience, Secret: []byte(a.Config.JWTSecret)}
}

// Schema is the executable GraphQL schema over the services, and the
// resolvers' per-operation middleware (the data loaders) that must run
// around it.
func (a *App) Schema() (graphql.ExecutableSchema, graphql.OperationMiddleware) {
	res := resolvers.New(resolvers.Deps{Catalog: a.Catalog, Inventory: a.Inventory, Feed: a.Feed, Consent: a.Consent, RequestSvc: a.Requests, Audit: a.Audit, Purge: a.Purge,
		Transmit: a.Transmit, UsageNotice: a.UsageNotice})
	return graph.NewExecutableSchema(resolvers.Config(res)), res.WithLoaders
}

// Handler is the HTTP edge over the schema, registering its metrics in reg.
func (a *App) Handler(reg *prometheus.Registry) http.Handler {
	schema, loaders := a.Schema()
	return a.Edge(schema, loaders, reg)
}

// Edge is the HTTP edge over a schema built by Schema, for a caller that
// keeps the schema too (tests building a second edge over it).
func (a *App) Edge(schema graphql.ExecutableSchema, loaders graphql.OperationMiddleware, reg *prometheus.Registry) http.Handler {
	return telemetry.HTTP(httpapi.New(httpapi.Config{
		Schema:      schema,
		Development: a.Config.Development(),
		Logger:      a.Log,
		Verifier:    a.Verifier,
		Ready:       a.DB.Ping,
		Registry:    reg,
		Around:      []graphql.OperationMiddleware{telemetry.OperationSpans, loaders},
		RateLimit:   rateLimit(a.Config.RateLimit),
		// The verifier checks expiry on the same clock.
		Now:            a.Clock.Now,
		AllowedOrigins: a.Config.AllowedOrigins,
		MetricsApart:   a.Config.MetricsAddr != "",
		GraphiQL:       a.graphiqlDefaults(),
	}))
}

// rateLimit turns PORTAL_RATE_LIMIT into the edge's limit: 0 is off.
func rateLimit(perSecond float64) httpapi.RateLimit {
	if perSecond <= 0 {
		return httpapi.RateLimit{PerSecond: -1}
	}
	return httpapi.RateLimit{PerSecond: perSecond, Burst: int(2*perSecond) + 1}
}

// WriteSDL writes the API's schema in the GraphQL schema definition
// language, as introspection shows it to clients (`portal schema`; the
// committed copy is docs/schema.graphql).
func WriteSDL(w io.Writer) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	formatter.NewFormatter(w, formatter.WithIndent("  ")).FormatSchema(s)
}
