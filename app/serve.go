package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/demo"
	"github.com/xroshot/portal/httpapi"
	"github.com/xroshot/portal/live"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/telemetry"
	"github.com/xroshot/portal/transmit"
)

// Serve runs the API server until ctx ends, then finishes in-flight
// requests within the configured grace: the portal's default command.
// version is the build's, for the start-up line.
func Serve(ctx context.Context, cfg Config, log *slog.Logger, version string) error {
	log.Info("starting portal", "version", version, "config", cfg)
	tuneGC(log)
	stopTracing, err := telemetry.SetupTracing(ctx, cfg.Tracing, version)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			log.Warn("tracing: spans not flushed at shutdown", "err", err)
		}
	}()
	a, err := New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := telemetry.NewMetrics(reg, telemetry.Build{Version: version, Store: a.DB.Dialect()})
	telemetry.RegisterStore(reg, a.DB.SQL(), a.DB.Dialect(), a.DB, log)
	telemetry.RegisterRequests(reg, a.Requests, log)
	a.Observer = metrics

	if cfg.Development() {
		if err := a.seedDemo(ctx); err != nil {
			return err
		}
	}
	// The background workers stop with jobs, which ends when ctx does or
	// when Serve returns early (a port already taken): their waits, deferred
	// before the cancel, would otherwise wait for a signal that never comes.
	jobs, stopJobs := context.WithCancel(ctx)
	waitNotifier, err := a.StartNotifier(jobs)
	if err != nil {
		stopJobs()
		return err
	}
	defer waitNotifier()
	defer stopJobs()

	if a.Relay != nil {
		// Listening before serving: a change made once this replica takes
		// traffic reaches its subscribers.
		waitRelay, err := a.Relay.Start(jobs, a.Requests.Broker())
		if err != nil {
			return err
		}
		defer func() { stopJobs(); waitRelay() }()
	}
	sessions := live.NewSessions()
	var listening func() bool
	if a.Relay != nil {
		listening = a.Relay.Listening
	}
	telemetry.RegisterLive(reg, a.Requests.Broker().Subscribers, sessions.Open, listening)
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           sessions.Wrap(a.Handler(reg)), // Edge traces it
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
	log.Info("serving", "addr", ln.Addr().String(), "graphql", "/graphql", "graphiql", cfg.Development(), "store", a.DB.Dialect())
	if cfg.MetricsAddr != "" {
		// Metrics on an internal address only: they show operation names,
		// latencies and the process's state to anyone who can read them.
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s for metrics: %w", cfg.MetricsAddr, err)
		}
		mmux := http.NewServeMux()
		mmux.Handle("GET /metrics", httpapi.MetricsHandler(reg))
		msrv := &http.Server{Handler: mmux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
		log.Info("serving metrics", "addr", mln.Addr().String(), "path", "/metrics")
	}

	if cfg.PurgeInterval > 0 {
		// Every replica runs the scheduler; the job lock lets one purge at a
		// time, and row locks (SKIP LOCKED) would keep even overlapping runs
		// from erasing a row twice.
		sched := &purge.Scheduler{Purge: a.Purge, Interval: cfg.PurgeInterval, Logger: log, Observer: metrics,
			Lock: func(ctx context.Context) (func(), bool, error) { return a.DB.TryLock(ctx, "purge") }}
		purged := make(chan struct{})
		go func() {
			defer close(purged)
			if err := sched.Run(jobs); err != nil {
				log.Error("purge scheduler stopped", "err", err)
			}
		}()
		// A batch in flight finishes before the store closes.
		defer func() { stopJobs(); <-purged }()
	}

	if cfg.TransmitInterval > 0 {
		// Every replica runs the worker; its claims skip what another
		// replica holds, so a delivery is made by one of them at a time.
		w, err := a.TransmitWorker(cfg.TransmitInterval)
		if err != nil {
			return err
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := w.Run(jobs); err != nil {
				log.Error("transmission worker stopped", "err", err)
			}
		}()
		// Stopped with the other jobs (also when serving fails) and
		// waited for before the store closes.
		defer func() { stopJobs(); <-done }()
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
	// Hijacked WebSocket connections are not Shutdown's: close them with a
	// close frame, so clients know to reconnect rather than see a drop.
	sessions.Close(sctx)
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
func (a *App) seedDemo(ctx context.Context) error {
	seeded, err := demo.Seed(ctx, a.DB, a.Feed, a.Consent, a.Requests, a.Clock.Now())
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	if seeded {
		// The demo's personas have years of history, so some of their
		// items are already past retention. They are erased here, by the
		// purge and said plainly, so that the scheduler's first run does
		// not log "erased=5" as if the demo had just been deleted.
		rep, err := a.Purge.Run(ctx, purge.Options{Actor: "demo-seed"})
		if err != nil {
			return fmt.Errorf("purge the demo's due items: %w", err)
		}
		a.Log.Info("seeded demo data into the empty development database; the purge erased the demo's own items already past retention (the personas' history is years long), the rest is what the demo shows",
			"erased_due_demo_items", rep.Erased, "held", rep.SkippedHeld)
	}
	m := a.Minter()
	if len(m.Secret) == 0 {
		return nil
	}
	for _, p := range demo.Personas {
		tok, err := m.Mint(p.Subject, p.Roles, p.Actor, 24*time.Hour)
		if err != nil {
			return err
		}
		a.Log.Info("demo token (development only)", "persona", p.Name, "subject", p.Subject, "token", tok)
	}
	return nil
}

// NewDeliverer builds the notification deliverer of the configuration, or
// nil when no webhook is configured.
func NewDeliverer(cfg Config, log *slog.Logger, db notify.Store, c clock.Clock) (*notify.Deliverer, error) {
	return newDeliverer(cfg, log, db, c, nil)
}

func newDeliverer(cfg Config, log *slog.Logger, db notify.Store, c clock.Clock, obs notify.Observer) (*notify.Deliverer, error) {
	if cfg.WebhookURL == "" {
		return nil, nil
	}
	key, err := notify.ParseSecret(cfg.WebhookSecret)
	if err != nil {
		return nil, fmt.Errorf("PORTAL_WEBHOOK_SECRET: %w", err)
	}
	d, err := notify.New(db, notify.Config{
		URL: cfg.WebhookURL, Secret: key, LegacyHeaders: cfg.WebhookLegacyHeaders, Interval: cfg.NotifyInterval,
		Clock: c, Logger: log.With("job", "notify"), Observer: obs,
	})
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return d, nil
}

// StartNotifier runs the deliverer in the background until ctx ends, when
// one is configured, and returns a function waiting for it to stop: call it
// before the store closes. Without PORTAL_WEBHOOK_URL notices wait in the
// outbox, and it says so.
func (a *App) StartNotifier(ctx context.Context) (wait func(), err error) {
	d, err := newDeliverer(a.Config, a.Log, a.DB.ForNotify(), a.Clock, a.Observer)
	if err != nil {
		return nil, err
	}
	if d == nil {
		level := slog.LevelWarn
		if a.Config.Development() {
			level = slog.LevelInfo
		}
		a.Log.Log(ctx, level, "PORTAL_WEBHOOK_URL is not set: subscriber notices stay in the outbox, undelivered")
		return func() {}, nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil {
			a.Log.Error("notification deliverer stopped", slog.Any("error", err))
		}
	}()
	return func() { <-done }, nil
}

// TransmitWorker is the transmission worker of the portal (package
// transmit), passing every interval: serve runs it, and so does
// `portal transmit run`.
func (a *App) TransmitWorker(interval time.Duration) (*transmit.Worker, error) {
	return transmit.NewWorker(a.Transmit, transmit.WorkerConfig{Interval: interval, Logger: a.Log.With("job", "transmit")})
}
