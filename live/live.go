// Package live carries "this request changed" between the portal's replicas
// through PostgreSQL LISTEN/NOTIFY, so that a client subscribed through one
// replica hears of a change made through another. Only ids travel: each
// replica's subscriptions read the request afresh, as their own viewer.
//
// On the embedded SQLite store there is one process and no relay: the
// requests broker fans out in process.
package live

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the NOTIFY channel request changes travel on.
const Channel = "portal_request_updated"

// Sink receives what the relay hears: the requests broker.
type Sink interface {
	// Deliver signals the subscribers of one request.
	Deliver(requestID string)
	// DeliverAll signals every subscriber, after a gap in listening.
	DeliverAll()
}

// Postgres announces changes with pg_notify over the store's pool and
// listens on one dedicated connection of its own.
type Postgres struct {
	url  string
	pool *sql.DB
	log  *slog.Logger

	mu      sync.Mutex
	healthy bool
}

// NewPostgres returns a relay on the database at url; pool is the store's
// pool, used to announce.
func NewPostgres(url string, pool *sql.DB, log *slog.Logger) *Postgres {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Postgres{url: url, pool: pool, log: log}
}

// Announce notifies every listening replica, this one included, that the
// request changed. NOTIFY payloads are limited to 8000 bytes; an id is far
// below that.
func (p *Postgres) Announce(ctx context.Context, requestID string) error {
	if _, err := p.pool.ExecContext(ctx, "SELECT pg_notify($1, $2)", Channel, requestID); err != nil {
		return fmt.Errorf("announce request change: %w", err)
	}
	return nil
}

// Listening reports whether the listener's connection is up, for metrics
// and readiness reporting.
func (p *Postgres) Listening() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.healthy
}

func (p *Postgres) setHealthy(v bool) {
	p.mu.Lock()
	p.healthy = v
	p.mu.Unlock()
}

// Start connects, issues LISTEN and returns once notifications are being
// received, so that a change made after Start returns is heard. It then
// keeps listening in the background until ctx ends, reconnecting with
// backoff after a lost connection; every reconnection signals all of sink's
// subscribers, since announcements made in the gap were lost. The returned
// function waits for the listener to stop.
func (p *Postgres) Start(ctx context.Context, sink Sink) (wait func(), err error) {
	conn, err := p.connect(ctx)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.run(ctx, conn, sink)
	}()
	return func() { <-done }, nil
}

func (p *Postgres) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, p.url)
	if err != nil {
		return nil, fmt.Errorf("live updates: connect listener: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		_ = conn.Close(context.Background())
		return nil, fmt.Errorf("live updates: listen: %w", err)
	}
	p.setHealthy(true)
	return conn, nil
}

func (p *Postgres) run(ctx context.Context, conn *pgx.Conn, sink Sink) {
	backoff := 100 * time.Millisecond
	for {
		err := p.receive(ctx, conn, sink)
		_ = conn.Close(context.Background())
		p.setHealthy(false)
		if ctx.Err() != nil {
			return
		}
		p.log.Warn("live updates: listener lost its connection; reconnecting", "err", err)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			conn, err = p.connect(ctx)
			if err == nil {
				break
			}
			backoff = min(2*backoff, 30*time.Second)
			p.log.Warn("live updates: reconnect failed", "err", err, "retry_in", backoff)
		}
		backoff = 100 * time.Millisecond
		p.log.Info("live updates: listener reconnected")
		sink.DeliverAll()
	}
}

func (p *Postgres) receive(ctx context.Context, conn *pgx.Conn, sink Sink) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel == Channel && n.Payload != "" {
			sink.Deliver(n.Payload)
		}
	}
}
