package purge_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// dueNow is when the concurrency tests purge: every message older than a
// month is due.
var dueNow = kst(2024, 6, 1)

// messages feeds subs active subscribers with n message records each, all
// due at dueNow, and returns their ids.
func messages(t testing.TB, e *env, subs, n int) []string {
	t.Helper()
	ids := make([]string, subs)
	for i := range ids {
		ids[i] = fmt.Sprintf("sub-%03d", i)
		e.subscriber(t, ids[i], kst(2023, 1, 1), nil, records(ids[i], "MESSAGE_CONTENT", n, kst(2024, 3, 1)))
	}
	return ids
}

// recordsOf counts a subscriber's records.
func recordsOf(t testing.TB, db *store.DB, sub string) int64 {
	t.Helper()
	var n int64
	if err := db.SQL().QueryRow("SELECT COUNT(*) FROM records WHERE subscriber_id = '" + sub + "'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// erasedOf adds up a subscriber's erasure records.
func erasedOf(t testing.TB, db *store.DB, sub string) int64 {
	t.Helper()
	var n int64
	if err := db.SQL().QueryRow("SELECT COALESCE(SUM(count), 0) FROM erasures WHERE subscriber_id = '" + sub + "'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConcurrentRunsEraseEachItemExactlyOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, dueNow)
		const subs, per, runs = 30, 100, 4
		ids := messages(t, e, subs, per)

		reports := make([]*purge.Report, runs)
		var wg sync.WaitGroup
		for i := range reports {
			wg.Go(func() {
				rep, err := e.purge.Run(ctx, purge.Options{Actor: fmt.Sprintf("replica-%d", i), BatchSize: 40})
				if err != nil {
					t.Error(err)
				}
				reports[i] = rep
			})
		}
		wg.Wait()
		var erased int64
		for _, r := range reports {
			if r != nil {
				erased += r.Erased
			}
		}
		if erased != subs*per {
			t.Errorf("the runs report %d erased in all, want %d", erased, subs*per)
		}
		if got := sumErasures(t, db); got != subs*per {
			t.Errorf("erasure records add up to %d, want %d", got, subs*per)
		}
		for _, id := range ids {
			if n, m := recordsOf(t, db, id), erasedOf(t, db, id); n != 0 || m != per {
				t.Errorf("%s: %d records left, %d recorded erased; want 0 and %d", id, n, m, per)
			}
		}
	})
}

func TestAHoldPlacedDuringARunWins(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, dueNow)
		const subs, per = 40, 100
		ids := messages(t, e, subs, per)

		// While two purges run, holds are placed on every other subscriber,
		// half on everything and half on the records still there. Once a
		// placement returns, nothing it covers may go.
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			heldLeft  = map[string]int64{}
			heldItems = map[string][]int64{}
		)
		for r := range 2 {
			wg.Go(func() {
				if _, err := e.purge.Run(ctx, purge.Options{Actor: fmt.Sprintf("replica-%d", r), BatchSize: 20}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Go(func() {
			for i := 0; i < subs; i += 2 {
				id := ids[i]
				p := holds.Placement{SubscriberID: id, Reason: models.HoldDispute, SourceRef: "req-" + id, PlacedBy: "agent-1"}
				if i%4 == 0 {
					p.AllItems = true
				} else if p.Records = e.recordIDs(t, id, "MESSAGE_CONTENT"); len(p.Records) == 0 {
					continue
				}
				_, err := e.holds.Place(ctx, p)
				if apperr.IsNotFound(err) {
					// Some named record was erased between listing and
					// placing: the placement changed nothing.
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				heldLeft[id] = recordsOf(t, db, id)
				heldItems[id] = p.Records
				mu.Unlock()
			}
		})
		wg.Wait()

		after, err := e.purge.Run(ctx, purge.Options{Actor: "replica-0"})
		if err != nil {
			t.Fatal(err)
		}
		var held int64
		for i, id := range ids {
			left := recordsOf(t, db, id)
			want, isHeld := heldLeft[id]
			if !isHeld {
				if left != 0 {
					t.Errorf("%s (not held): %d records left after the runs", id, left)
				}
				continue
			}
			held += want
			if left != want {
				t.Errorf("%s (held, %d): %d records left, %d when the hold was placed", id, i, left, want)
			}
			if items := heldItems[id]; items != nil && int64(len(items)) != left {
				t.Errorf("%s: the hold names %d records, %d are left", id, len(items), left)
			}
			if got := erasedOf(t, db, id) + left; got != per {
				t.Errorf("%s: %d erased and left, want %d", id, got, per)
			}
		}
		// The run after may still erase rows of unheld subscribers that the
		// first runs passed while a placement had their subscriber locked.
		if after.SkippedHeld != held {
			t.Errorf("the run after skipped %d held, want %d", after.SkippedHeld, held)
		}
	})
}

// faultyStore runs fault after the nth EraseDue of a run, inside that
// batch's transaction, before it commits.
type faultyStore struct {
	purge.Store
	n     *atomic.Int64
	fault func(n int64) error
}

func (f faultyStore) InTx(ctx context.Context, fn func(purge.Store) error) error {
	return f.Store.InTx(ctx, func(tx purge.Store) error { return fn(faultyStore{Store: tx, n: f.n, fault: f.fault}) })
}

func (f faultyStore) EraseDue(ctx context.Context, b purge.Batch) ([]purge.Count, error) {
	out, err := f.Store.EraseDue(ctx, b)
	if err != nil {
		return nil, err
	}
	if err := f.fault(f.n.Add(1)); err != nil {
		return nil, err
	}
	return out, nil
}

func TestAnInterruptedRunLeavesNoHalfErasedItemAndTheNextRunFinishes(t *testing.T) {
	t.Parallel()
	errInjected := errors.New("injected failure after the delete")
	tests := []struct {
		name string
		// fault interrupts the third batch after its delete.
		fault       func(db *store.DB, cancel context.CancelFunc) func(n int64) error
		wantOutcome models.PurgeOutcome
		postgres    bool
	}{
		{
			name: "the context is cancelled",
			fault: func(_ *store.DB, cancel context.CancelFunc) func(int64) error {
				return func(n int64) error {
					if n == 3 {
						cancel()
					}
					return nil
				}
			},
			wantOutcome: models.PurgeInterrupted,
		},
		{
			name: "the batch fails after its delete, before its commit",
			fault: func(*store.DB, context.CancelFunc) func(int64) error {
				return func(n int64) error {
					if n == 3 {
						return errInjected
					}
					return nil
				}
			},
			wantOutcome: models.PurgeFailed,
		},
		{
			name:     "the database connection is lost",
			postgres: true,
			fault: func(db *store.DB, _ context.CancelFunc) func(int64) error {
				return func(n int64) error {
					if n == 3 {
						_, err := db.SQL().Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
						return err
					}
					return nil
				}
			},
			wantOutcome: models.PurgeFailed,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				if tc.postgres && db.Dialect() != "postgres" {
					t.Skip("a lost connection needs a server")
				}
				e := newEnv(t, db, dueNow)
				const subs, per, batch = 10, 30, 40
				messages(t, e, subs, per)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				// Not wiring: one purge over a store made to fail or be cancelled mid-run.
				faulty := purge.New(faultyStore{Store: db.ForPurge(), n: new(atomic.Int64), fault: tc.fault(db, cancel)}, e.cat, e.clock)

				rep, err := faulty.Run(ctx, purge.Options{Actor: "admin-1", BatchSize: batch})
				if err == nil {
					t.Fatal("the interrupted run reported no error")
				}
				// Two batches committed, the third rolled back whole: what
				// is gone is exactly what is recorded as erased.
				if rep.Erased != 2*batch || rep.Outcome != tc.wantOutcome {
					t.Errorf("report: erased %d, outcome %s; want %d, %s", rep.Erased, rep.Outcome, 2*batch, tc.wantOutcome)
				}
				left := countRows(t, db, "records")
				if got := sumErasures(t, db); got != 2*batch || left != subs*per-2*batch {
					t.Errorf("%d records left and %d recorded erased; want %d and %d", left, got, subs*per-2*batch, 2*batch)
				}
				run, _, err := db.GetPurgeRun(context.Background(), rep.RunID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]any{tc.wantOutcome, int64(2 * batch)}, []any{run.Outcome, run.Erased}); diff != "" {
					t.Errorf("recorded run (-want +got):\n%s", diff)
				}

				next, err := e.purge.Run(context.Background(), purge.Options{Actor: "admin-1", BatchSize: batch})
				if err != nil {
					t.Fatal(err)
				}
				if next.Erased != subs*per-2*batch || countRows(t, db, "records") != 0 || sumErasures(t, db) != subs*per {
					t.Errorf("the next run erased %d, left %d, %d recorded in all", next.Erased, countRows(t, db, "records"), sumErasures(t, db))
				}
			})
		})
	}
}

func TestSchedulerRunsEveryIntervalUntilCancelled(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, dueNow)
		messages(t, e, 2, 5)
		for _, d := range []time.Duration{0, -time.Second} {
			if err := (&purge.Scheduler{Purge: e.purge, Interval: d}).Run(context.Background()); err == nil {
				t.Errorf("a scheduler with interval %s ran", d)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- (&purge.Scheduler{Purge: e.purge, Interval: 5 * time.Millisecond}).Run(ctx) }()
		deadline := time.Now().Add(20 * time.Second)
		for countRows(t, db, "purge_runs") < 3 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() after cancel = %v", err)
		}
		if n := countRows(t, db, "purge_runs"); n < 3 {
			t.Errorf("%d runs in 20s", n)
		}
		if n := countRows(t, db, "records"); n != 0 {
			t.Errorf("%d due records left", n)
		}
	})
}
