package live_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/xroshot/portal/live"
	"github.com/xroshot/portal/store/storetest"
)

// sink records what the relay delivers.
type sink struct {
	mu  sync.Mutex
	ids []string
	all int
	ch  chan struct{}
}

func newSink() *sink { return &sink{ch: make(chan struct{}, 100)} }

func (s *sink) Deliver(id string) {
	s.mu.Lock()
	s.ids = append(s.ids, id)
	s.mu.Unlock()
	s.ch <- struct{}{}
}

func (s *sink) DeliverAll() {
	s.mu.Lock()
	s.all++
	s.mu.Unlock()
	s.ch <- struct{}{}
}

func (s *sink) wait(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		s.mu.Lock()
		done := ok()
		s.mu.Unlock()
		if done {
			return
		}
		select {
		case <-s.ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// An announcement through one pool reaches the listener of another relay on
// the same database; when the listening connection is killed, the relay
// reconnects, tells every subscriber to refresh (announcements in the gap
// are lost), and hears later announcements again.
func TestRelayDeliversAndSurvivesALostConnection(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	pool, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	listener := live.NewPostgres(url, pool, nil)
	s := newSink()
	wait, err := listener.Start(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); wait() })
	if !listener.Listening() {
		t.Fatal("not listening after Start")
	}

	announcer := live.NewPostgres(url, pool, nil)
	if err := announcer.Announce(ctx, "req-1"); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "req-1", func() bool { return len(s.ids) == 1 && s.ids[0] == "req-1" })

	res, err := pool.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("terminated %d listening backends, want 1", n)
	}
	s.wait(t, "a refresh of every subscriber after reconnecting", func() bool { return s.all == 1 })
	if err := announcer.Announce(ctx, "req-2"); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "req-2 after reconnecting", func() bool { return len(s.ids) == 2 && s.ids[1] == "req-2" })
}
