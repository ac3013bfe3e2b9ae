package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoValuesInLogs writes a row carrying a known phone number and e-mail
// address that the database refuses (its subscriber does not exist), and
// one that is slow because another session holds a lock, with the store's
// logger at debug level; no log line may carry either value, on either
// store. Before the logger wrapper passed on gorm's ParamsFilter, both
// lines held the whole statement with its values.
func TestNoValuesInLogs(t *testing.T) {
	const phone, email = "010-5555-4444", "prod.person@example.com"
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			logs := &lockedBuffer{}
			opts := store.Options{Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			if dialect == "postgres" {
				opts.URL = storetest.PostgresURL(t)
			} else {
				opts.SQLitePath = filepath.Join(t.TempDir(), "portal.db")
			}
			db, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			rec := func(sub, ext string) []*models.Record {
				return []*models.Record{{SubscriberID: sub, Kind: "call", OccurredAt: time.Now(), ExternalID: ext,
					Summary: "call me at " + phone + " or " + email, PurgeClause: "x"}}
			}
			if _, err := db.AppendRecords(ctx, rec("no-such-subscriber", "e1")); err == nil {
				t.Fatal("a record of a missing subscriber was stored")
			}
			if !strings.Contains(logs.String(), "INSERT") {
				t.Fatalf("the failed write was not logged at all:\n%s", logs.String())
			}

			// A slow statement: another connection holds the table.
			if err := db.UpsertSubscriber(ctx, &models.Subscriber{ID: "s1", Status: models.StatusActive, BillingState: models.BillingSettled, SignedUpAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			// SQLite's pool has one connection: the lock is taken through a
			// second store on the same file.
			locker := db
			if dialect == "sqlite" {
				if locker, err = store.Open(ctx, store.Options{SQLitePath: opts.SQLitePath}); err != nil {
					t.Fatal(err)
				}
				defer locker.Close()
			}
			conn, err := locker.SQL().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			lock := "BEGIN; LOCK TABLE records IN ACCESS EXCLUSIVE MODE"
			if dialect == "sqlite" {
				lock = "BEGIN IMMEDIATE"
			}
			for _, s := range strings.Split(lock, "; ") {
				if _, err := conn.ExecContext(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			go func() {
				time.Sleep(400 * time.Millisecond)
				_, _ = conn.ExecContext(ctx, "COMMIT")
				_ = conn.Close()
			}()
			if _, err := db.AppendRecords(ctx, rec("s1", "e2")); err != nil {
				t.Fatal(err)
			}
			out := logs.String()
			if !strings.Contains(out, `"level":"WARN"`) || strings.Count(out, "INSERT") < 2 {
				t.Errorf("the slow write was not logged:\n%s", out)
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, phone) || strings.Contains(line, email) || strings.Contains(line, "prod.person") {
					t.Errorf("a log line carries a personal value: %s", line)
				}
			}
		})
	}
}
