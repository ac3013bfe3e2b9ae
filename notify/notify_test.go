package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// A 2xx delivers: every message is posted once, signed, with the row's
// kind, subscriber and notice; each attempt is recorded and audited; and a
// delivered message is never posted again.
func TestDeliverOnceDeliversSignedMessagesOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(t0.Add(time.Minute))
		g := newGateway(t, clk)
		keys := seed(t, db, []string{"sub-1", "sub-2"}, 2)
		d := newDeliverer(t, db, g, clk, func(c *notify.Config) { c.BatchSize = 3 })

		rep, err := d.DeliverOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(notify.Report{Batches: 2, Claimed: 4, Delivered: 4}, rep); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
		g.check()
		for i, k := range keys {
			if n := g.hitsOf(k); n != 1 {
				t.Errorf("message %d posted %d times, want 1", k.ID, n)
			}
			id := strconv.FormatInt(k.ID, 10)
			want := notify.Envelope{
				ID: id, Kind: "CONSENT_RESULT", SubscriberID: k.SubscriberID, CreatedAt: t0, DueBy: t0.AddDate(0, 0, 14),
				Message: json.RawMessage(`{"kind":"CONSENT_RESULT","subscriberId":"` + k.SubscriberID + `","n":` + strconv.Itoa(i/2) + `,"note":"<동의 결과>"}`),
			}
			if diff := cmp.Diff(want, g.envelopes[id], cmpInstants); diff != "" {
				t.Errorf("message %d as the gateway got it (-want +got):\n%s", k.ID, diff)
			}
			wantStatus := &models.OutboxStatus{ID: k.ID, SubscriberID: k.SubscriberID, Kind: "CONSENT_RESULT", DueBy: t0.AddDate(0, 0, 14), CreatedAt: t0, Attempts: 1, DeliveredAt: new(clk.Now())}
			if diff := cmp.Diff(wantStatus, status(t, db, k), cmpInstants); diff != "" {
				t.Errorf("message %d status (-want +got):\n%s", k.ID, diff)
			}
			wantAttempts := []attemptView{{Attempt: 1, AttemptedAt: clk.Now(), Status: 200, Outcome: models.DeliveryDelivered}}
			if diff := cmp.Diff(wantAttempts, viewAttempts(deliveries(t, db, k)), cmpInstants); diff != "" {
				t.Errorf("message %d attempts (-want +got):\n%s", k.ID, diff)
			}
		}

		evs, err := db.ListAuditEvents(ctx, models.AuditQuery{Action: notify.ActionDelivered, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != len(keys) || evs[0].ActorID != "portal:notify" || evs[0].TargetType != "outbox" {
			t.Errorf("audit events = %d (first %+v), want %d by portal:notify on outbox rows", len(evs), evs[0], len(keys))
		}

		clk.Advance(48 * time.Hour)
		rep, err = d.DeliverOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Claimed != 0 {
			t.Errorf("a later pass claimed %d delivered messages", rep.Claimed)
		}
		for _, k := range keys {
			if n := g.hitsOf(k); n != 1 {
				t.Errorf("message %d posted %d times after a later pass, want 1", k.ID, n)
			}
		}
	})
}

// Anything but a 2xx, and no answer in time, schedule another attempt
// after a growing delay; after MaxAttempts the message is dead, kept and
// listed, and no longer posted. Every attempt is recorded.
func TestFailedAttemptsBackOffThenGiveUp(t *testing.T) {
	t.Parallel()
	const maxAttempts = 6
	tests := []struct {
		name    string
		respond func(w http.ResponseWriter, r *http.Request, id string, n int)
		timeout time.Duration
		// wantDelays are the delays after attempts 1..maxAttempts-1.
		wantDelays []time.Duration
		wantStatus int
		wantError  string
	}{
		{
			name: "500",
			respond: func(w http.ResponseWriter, _ *http.Request, _ string, _ int) {
				w.WriteHeader(http.StatusInternalServerError)
			},
			wantDelays: []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute},
			wantStatus: 500, wantError: "gateway answered 500 Internal Server Error",
		},
		{
			name: "timeout",
			respond: func(w http.ResponseWriter, r *http.Request, _ string, _ int) {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			},
			timeout:    100 * time.Millisecond,
			wantDelays: []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute},
			wantError:  "timeout after 100ms",
		},
		{
			name: "redirect, not followed",
			respond: func(w http.ResponseWriter, r *http.Request, _ string, _ int) {
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
			},
			wantDelays: []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute},
			wantStatus: 302, wantError: "gateway answered 302 Found",
		},
		{
			name: "503 with Retry-After",
			respond: func(w http.ResponseWriter, _ *http.Request, _ string, _ int) {
				w.Header().Set("Retry-After", "600")
				w.WriteHeader(http.StatusServiceUnavailable)
			},
			wantDelays: []time.Duration{10 * time.Minute, 10 * time.Minute, 10 * time.Minute, 10 * time.Minute, 10 * time.Minute},
			wantStatus: 503, wantError: "gateway answered 503 Service Unavailable",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				clk := clock.NewManual(t0)
				g := newGateway(t, clk)
				g.respond = tc.respond
				k := seed(t, db, []string{"sub-1"}, 1)[0]
				d := newDeliverer(t, db, g, clk, func(c *notify.Config) {
					c.MaxAttempts = maxAttempts
					if tc.timeout > 0 {
						c.Timeout = tc.timeout
					}
				})

				var (
					gotDelays []time.Duration
					want      []attemptView
				)
				for attempt := 1; attempt <= maxAttempts; attempt++ {
					at := clk.Now()
					if _, err := d.DeliverOnce(ctx); err != nil {
						t.Fatal(err)
					}
					st := status(t, db, k)
					outcome := models.DeliveryRetry
					if attempt == maxAttempts {
						outcome = models.DeliveryDead
					}
					want = append(want, attemptView{Attempt: attempt, AttemptedAt: at, Status: tc.wantStatus, Error: tc.wantError, Outcome: outcome})
					if st.NextAttemptAt == nil {
						if st.DeadAt == nil {
							t.Fatalf("after attempt %d the message is neither scheduled nor dead: %+v", attempt, st)
						}
						break
					}
					delay := st.NextAttemptAt.Sub(clk.Now())
					gotDelays = append(gotDelays, delay)
					// Not yet due: a pass a second early posts nothing.
					clk.Advance(delay - time.Second)
					if rep, err := d.DeliverOnce(ctx); err != nil || rep.Claimed != 0 {
						t.Fatalf("a pass before the retry time claimed %d (%v)", rep.Claimed, err)
					}
					clk.Advance(time.Second)
				}
				g.check()
				if diff := cmp.Diff(tc.wantDelays, gotDelays); diff != "" {
					t.Errorf("delays (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(want, viewAttempts(deliveries(t, db, k)), cmpInstants); diff != "" {
					t.Errorf("recorded attempts (-want +got):\n%s", diff)
				}
				st := status(t, db, k)
				if st.DeadAt == nil || st.DeliveredAt != nil || st.Attempts != maxAttempts {
					t.Errorf("after %d failed attempts: %+v, want dead", maxAttempts, st)
				}
				dead, more, err := notify.NewOutbox(db.ForNotify(), clk).Dead(ctx, 10)
				if err != nil || more || len(dead) != 1 || dead[0].ID != k.ID {
					t.Errorf("Dead() = %v, %v, %v; want the message", dead, more, err)
				}
				evs, err := db.ListAuditEvents(ctx, models.AuditQuery{Action: notify.ActionDead, Limit: 10})
				if err != nil || len(evs) != 1 {
					t.Errorf("dead audit events = %d (%v), want 1", len(evs), err)
				}

				clk.Advance(24 * time.Hour)
				if rep, err := d.DeliverOnce(ctx); err != nil || rep.Claimed != 0 {
					t.Errorf("a pass after giving up claimed %d (%v)", rep.Claimed, err)
				}
				if n := g.hitsOf(k); n != maxAttempts {
					t.Errorf("posted %d times, want %d", n, maxAttempts)
				}
			})
		})
	}
}

// A message that fails, then succeeds, is delivered and stays delivered:
// at least once, and no more once acknowledged.
func TestRetriedMessageIsDeliveredOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(t0)
		g := newGateway(t, clk)
		g.respond = func(w http.ResponseWriter, _ *http.Request, _ string, n int) {
			if n < 3 {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			w.WriteHeader(http.StatusAccepted)
		}
		k := seed(t, db, []string{"sub-1"}, 1)[0]
		d := newDeliverer(t, db, g, clk, nil)
		for range 6 {
			if _, err := d.DeliverOnce(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Hour)
		}
		g.check()
		want := []attemptView{
			{Attempt: 1, AttemptedAt: t0, Status: 502, Error: "gateway answered 502 Bad Gateway", Outcome: models.DeliveryRetry},
			{Attempt: 2, AttemptedAt: t0.Add(time.Hour), Status: 502, Error: "gateway answered 502 Bad Gateway", Outcome: models.DeliveryRetry},
			{Attempt: 3, AttemptedAt: t0.Add(2 * time.Hour), Status: 202, Outcome: models.DeliveryDelivered},
		}
		if diff := cmp.Diff(want, viewAttempts(deliveries(t, db, k)), cmpInstants); diff != "" {
			t.Errorf("recorded attempts (-want +got):\n%s", diff)
		}
		if n := g.hitsOf(k); n != 3 {
			t.Errorf("posted %d times, want 3", n)
		}
		if diff := cmp.Diff([]string{"1", "2", "3"}, g.attempts[strconv.FormatInt(k.ID, 10)]); diff != "" {
			t.Errorf("X-Portal-Attempt headers (-want +got):\n%s", diff)
		}
	})
}

// Two deliverers running at once — on PostgreSQL over two connection
// pools, as two replicas would — post every message exactly once.
func TestConcurrentDeliverersPostEachMessageOnce(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var db1, db2 *store.DB
			if dialect == "postgres" {
				url := storetest.PostgresURL(t)
				for _, p := range []**store.DB{&db1, &db2} {
					db, err := store.Open(ctx, store.Options{URL: url, MaxOpenConns: 8})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = db.Close() })
					*p = db
				}
			} else {
				db1 = storetest.Open(t, dialect)
				db2 = db1
			}
			clk := clock.NewManual(t0)
			g := newGateway(t, clk)
			g.respond = func(w http.ResponseWriter, _ *http.Request, _ string, _ int) {
				time.Sleep(time.Millisecond)
				w.WriteHeader(http.StatusOK)
			}
			keys := seed(t, db1, []string{"sub-1", "sub-2", "sub-3", "sub-4"}, 40)
			adjust := func(c *notify.Config) { c.BatchSize, c.Concurrency = 10, 4 }
			ds := []*notify.Deliverer{newDeliverer(t, db1, g, clk, adjust), newDeliverer(t, db2, g, clk, adjust)}

			reps := make([]notify.Report, len(ds))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, d := range ds {
				wg.Go(func() {
					<-start
					var err error
					if reps[i], err = d.DeliverOnce(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			close(start)
			wg.Wait()
			g.check()

			for _, k := range keys {
				if n := g.hitsOf(k); n != 1 {
					t.Errorf("message %d posted %d times, want 1", k.ID, n)
				}
				if st := status(t, db1, k); st.DeliveredAt == nil || st.Attempts != 1 {
					t.Errorf("message %d: %+v, want delivered at the first attempt", k.ID, st)
				}
			}
			if got := reps[0].Claimed + reps[1].Claimed; got != len(keys) {
				t.Errorf("claimed %d + %d, want %d in all", reps[0].Claimed, reps[1].Claimed, len(keys))
			}
			t.Logf("claims: %d and %d", reps[0].Claimed, reps[1].Claimed)
		})
	}
}

// crashable is a store whose process "dies": once crashed, every call
// fails, so nothing the deliverer learns afterwards reaches the database.
type crashable struct {
	notify.Store
	crashed atomic.Bool
}

var errCrashed = errors.New("the process died")

func (c *crashable) ClaimOutbox(ctx context.Context, cl notify.Claim) ([]*models.OutboxRow, error) {
	if c.crashed.Load() {
		return nil, errCrashed
	}
	return c.Store.ClaimOutbox(ctx, cl)
}

func (c *crashable) ReleaseOutbox(ctx context.Context, token string, keys []notify.Key, now time.Time) error {
	if c.crashed.Load() {
		return errCrashed
	}
	return c.Store.ReleaseOutbox(ctx, token, keys, now)
}

func (c *crashable) InTx(ctx context.Context, fn func(notify.Store) error) error {
	if c.crashed.Load() {
		return errCrashed
	}
	return c.Store.InTx(ctx, fn)
}

// A deliverer that dies mid-batch leaves what it had not acknowledged
// leased; nobody posts it while the lease runs, and after it the next
// deliverer posts it again — the one the gateway accepted but the portal
// never recorded included: at least once.
func TestRestartAfterACrashRedeliversUnacknowledged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(t0)
		g := newGateway(t, clk)
		keys := seed(t, db, []string{"sub-1"}, 6)
		third := strconv.FormatInt(keys[2].ID, 10)

		dying := &crashable{Store: db.ForNotify()}
		runCtx, kill := context.WithCancel(ctx)
		defer kill()
		g.respond = func(w http.ResponseWriter, _ *http.Request, id string, n int) {
			if id == third && n == 1 {
				// Accepted by the gateway; the portal dies before it
				// hears so.
				dying.crashed.Store(true)
				kill()
			}
			w.WriteHeader(http.StatusOK)
		}
		const lease = 5 * time.Minute
		cfg := notify.Config{URL: g.srv.URL, Secret: []byte(testSecret), Clock: clk, BatchSize: 6, Concurrency: 1, Lease: lease, Jitter: func() float64 { return 0 }}
		// Not wiring: one deliverer over a store that crashes mid-batch.
		d1, err := notify.New(dying, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d1.DeliverOnce(runCtx); err == nil {
			t.Fatal("the dying deliverer reported no error")
		}
		g.respond = nil

		d2 := newDeliverer(t, db, g, clk, nil)
		rep, err := d2.DeliverOnce(ctx)
		if err != nil || rep.Claimed != 0 {
			t.Fatalf("during the lease a restarted deliverer claimed %d (%v), want 0", rep.Claimed, err)
		}
		clk.Advance(lease)
		if rep, err = d2.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(notify.Report{Batches: 1, Claimed: 4, Delivered: 4}, rep); diff != "" {
			t.Errorf("report after the lease (-want +got):\n%s", diff)
		}
		g.check()

		wantHits := []int{1, 1, 2, 1, 1, 1}
		var gotHits []int
		for _, k := range keys {
			gotHits = append(gotHits, g.hitsOf(k))
			if st := status(t, db, k); st.DeliveredAt == nil {
				t.Errorf("message %d not delivered: %+v", k.ID, st)
			}
		}
		if diff := cmp.Diff(wantHits, gotHits); diff != "" {
			t.Errorf("posts per message (-want +got):\n%s", diff)
		}
		// The third message's first attempt reached the gateway but was
		// never recorded; the record shows the second.
		want := []attemptView{{Attempt: 2, AttemptedAt: t0.Add(lease), Status: 200, Outcome: models.DeliveryDelivered}}
		if diff := cmp.Diff(want, viewAttempts(deliveries(t, db, keys[2])), cmpInstants); diff != "" {
			t.Errorf("third message's attempts (-want +got):\n%s", diff)
		}
	})
}

// Stopping a pass (shutdown) abandons the post in flight, records it as
// interrupted and due again at once, and gives back the claimed messages
// not yet posted with their attempt uncounted.
func TestStoppingAPassReleasesWhatItHasNotPosted(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(t0)
		g := newGateway(t, clk)
		keys := seed(t, db, []string{"sub-1"}, 5)
		second := strconv.FormatInt(keys[1].ID, 10)
		runCtx, stop := context.WithCancel(ctx)
		defer stop()
		g.respond = func(w http.ResponseWriter, r *http.Request, id string, _ int) {
			if id == second {
				stop()
				<-r.Context().Done()
				return
			}
			w.WriteHeader(http.StatusOK)
		}
		d := newDeliverer(t, db, g, clk, func(c *notify.Config) { c.BatchSize, c.Concurrency = 5, 1 })
		rep, err := d.DeliverOnce(runCtx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("DeliverOnce() error = %v, want context.Canceled", err)
		}
		if diff := cmp.Diff(notify.Report{Batches: 1, Claimed: 5, Delivered: 1, Retried: 1, Released: 3}, rep); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
		want := []attemptView{{Attempt: 1, AttemptedAt: t0, Error: "interrupted: the deliverer stopped", Outcome: models.DeliveryRetry}}
		if diff := cmp.Diff(want, viewAttempts(deliveries(t, db, keys[1])), cmpInstants); diff != "" {
			t.Errorf("interrupted attempt (-want +got):\n%s", diff)
		}
		for _, k := range keys[2:] {
			st := status(t, db, k)
			if st.Attempts != 0 || st.NextAttemptAt == nil || !st.NextAttemptAt.Equal(t0) {
				t.Errorf("released message %d: %+v, want due at once with no attempt counted", k.ID, st)
			}
		}

		g.respond = nil
		if rep, err = d.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if rep.Delivered != 4 {
			t.Errorf("the next pass delivered %d, want 4", rep.Delivered)
		}
		g.check()
	})
}

// A slow gateway holds no lock and no connection: the portal keeps writing
// while a post waits, on SQLite's single connection too; an unreachable
// one fails fast, and the error recorded never shows the URL's path.
func TestASlowOrUnreachableGatewayBlocksNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(t0)
		g := newGateway(t, clk)
		entered := make(chan struct{}, 1)
		g.respond = func(w http.ResponseWriter, r *http.Request, _ string, _ int) {
			entered <- struct{}{}
			<-r.Context().Done()
		}
		k := seed(t, db, []string{"sub-1"}, 1)[0]
		d := newDeliverer(t, db, g, clk, func(c *notify.Config) { c.Timeout = time.Second })
		done := make(chan notify.Report, 1)
		go func() {
			rep, err := d.DeliverOnce(ctx)
			if err != nil {
				t.Error(err)
			}
			done <- rep
		}()
		<-entered
		start := time.Now()
		enqueue(t, db, "sub-1", `{"n":1}`)
		if _, err := db.GetOutboxStatus(ctx, k); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("writing while a post waits took %s", took)
		}
		if rep := <-done; rep.Retried != 1 {
			t.Errorf("report %+v, want the slow post retried", rep)
		}

		unreachable := newDeliverer(t, db, g, clk, func(c *notify.Config) {
			c.URL = "http://127.0.0.1:1/secret-path-token?key=secret-query-token"
		})
		clk.Advance(time.Hour)
		start = time.Now()
		if _, err := unreachable.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("a pass against an unreachable gateway took %s", took)
		}
		for _, a := range deliveries(t, db, k) {
			if a.Error == nil || strings.Contains(*a.Error, "secret") || a.Outcome != models.DeliveryRetry {
				t.Errorf("attempt %d: error %v, outcome %s; want a retry whose error hides the URL", a.Attempt, a.Error, a.Outcome)
			}
		}
	})
}

// A payload that is not JSON cannot become deliverable: it is dead at once,
// without a post, with the reason recorded.
func TestABrokenPayloadIsDeadAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(t0)
		g := newGateway(t, clk)
		seed(t, db, []string{"sub-1"}, 0)
		k := enqueue(t, db, "sub-1", "not json")
		d := newDeliverer(t, db, g, clk, nil)
		rep, err := d.DeliverOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(notify.Report{Batches: 1, Claimed: 1, Dead: 1}, rep); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
		if n := g.hitsOf(k); n != 0 {
			t.Errorf("posted %d times", n)
		}
		want := []attemptView{{Attempt: 1, AttemptedAt: t0, Error: "the stored payload is not JSON", Outcome: models.DeliveryDead}}
		if diff := cmp.Diff(want, viewAttempts(deliveries(t, db, k)), cmpInstants); diff != "" {
			t.Errorf("attempts (-want +got):\n%s", diff)
		}
	})
}

// An admin requeues a dead message: it is due at once with a fresh count
// of attempts, its history kept, and the requeue audited. Only a dead
// message can be requeued.
func TestRequeueSendsADeadMessageAgain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(t0)
		g := newGateway(t, clk)
		g.respond = func(w http.ResponseWriter, _ *http.Request, _ string, n int) {
			if n == 1 {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusOK)
		}
		k := seed(t, db, []string{"sub-1"}, 1)[0]
		d := newDeliverer(t, db, g, clk, func(c *notify.Config) { c.MaxAttempts = 1 })
		if _, err := d.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
		o := notify.NewOutbox(db.ForNotify(), clk)
		admin := audit.Actor{ID: "admin-1", Roles: []string{"admin"}}
		other := notify.Key{SubscriberID: "sub-1", ID: k.ID + 1000}
		if err := o.Requeue(ctx, other, admin); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("requeue of an unknown message = %v, want NOT_FOUND", err)
		}
		clk.Advance(time.Hour)
		if err := o.Requeue(ctx, k, admin); err != nil {
			t.Fatal(err)
		}
		if err := o.Requeue(ctx, k, admin); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("requeue of a message no longer dead = %v, want NOT_FOUND", err)
		}
		if _, err := d.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
		want := []attemptView{
			{Attempt: 1, AttemptedAt: t0, Status: 500, Error: "gateway answered 500 Internal Server Error", Outcome: models.DeliveryDead},
			{Attempt: 1, AttemptedAt: t0.Add(time.Hour), Status: 200, Outcome: models.DeliveryDelivered},
		}
		got, err := o.Deliveries(ctx, k, 0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, viewAttempts(got), cmpInstants); diff != "" {
			t.Errorf("attempts (-want +got):\n%s", diff)
		}
		evs, err := db.ListAuditEvents(ctx, models.AuditQuery{ActorID: "admin-1", Action: notify.ActionRequeue, Limit: 10})
		if err != nil || len(evs) != 1 {
			t.Errorf("requeue audit events = %d (%v), want 1", len(evs), err)
		}
	})
}

func TestNewRefusesABadConfiguration(t *testing.T) {
	t.Parallel()
	var s notify.Store = struct{ notify.Store }{}
	ok := notify.Config{URL: "https://gw.example/hook", Secret: []byte(testSecret)}
	tests := []struct {
		name    string
		adjust  func(*notify.Config)
		wantErr string
	}{
		{name: "complete", adjust: func(*notify.Config) {}},
		{name: "plain http", adjust: func(c *notify.Config) { c.URL = "http://10.0.0.7:8080/hook" }},
		{name: "not http", adjust: func(c *notify.Config) { c.URL = "ftp://gw.example/hook" }, wantErr: "http or https"},
		{name: "no host", adjust: func(c *notify.Config) { c.URL = "https:///hook" }, wantErr: "no host"},
		{name: "relative", adjust: func(c *notify.Config) { c.URL = "/hook" }, wantErr: "http or https"},
		{name: "no secret", adjust: func(c *notify.Config) { c.Secret = nil }, wantErr: "secret is required"},
		{name: "negative timeout", adjust: func(c *notify.Config) { c.Timeout = -time.Second }, wantErr: "Timeout must be positive"},
		{name: "batch too large", adjust: func(c *notify.Config) { c.BatchSize = notify.MaxBatchSize + 1 }, wantErr: "BatchSize"},
		{name: "cap below base", adjust: func(c *notify.Config) { c.BaseDelay, c.MaxDelay = time.Hour, time.Minute }, wantErr: "shorter than BaseDelay"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := ok
			tc.adjust(&cfg)
			// Not wiring: what New accepts of a configuration is under test.
			_, err := notify.New(s, cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

// Delays double from BaseDelay up to MaxDelay; jitter takes at most a fifth
// off, so they still grow and never pass the cap.
func TestBackoffGrowsWithJitterUpToTheCap(t *testing.T) {
	t.Parallel()
	var s notify.Store = struct{ notify.Store }{}
	nominal := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour}
	tests := []struct {
		name   string
		jitter func() float64
		want   func(nominal time.Duration) (lo, hi time.Duration)
	}{
		{name: "none", jitter: func() float64 { return 0 }, want: func(n time.Duration) (time.Duration, time.Duration) { return n, n }},
		{name: "most", jitter: func() float64 { return 0.999999 }, want: func(n time.Duration) (time.Duration, time.Duration) { return n * 4 / 5, n*4/5 + time.Millisecond }},
		{name: "random", jitter: nil, want: func(n time.Duration) (time.Duration, time.Duration) { return n * 4 / 5, n }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Not wiring: the deliverer under test, with a chosen jitter.
			d, err := notify.New(s, notify.Config{URL: "https://gw.example/hook", Secret: []byte(testSecret), Jitter: tc.jitter})
			if err != nil {
				t.Fatal(err)
			}
			var got []time.Duration
			for attempt := 1; attempt <= len(nominal); attempt++ {
				got = append(got, d.Backoff(attempt))
			}
			for i, n := range nominal {
				lo, hi := tc.want(n)
				if got[i] < lo || got[i] > hi {
					t.Errorf("delay after attempt %d = %s, want within [%s, %s]", i+1, got[i], lo, hi)
				}
			}
			for i := 1; i < 7; i++ {
				if got[i] <= got[i-1] {
					t.Errorf("delays before the cap do not grow: %v", got[:7])
				}
			}
		})
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1767225600, 0)
	body := []byte(`{"id":"7","kind":"CONSENT_RESULT"}`)
	signed := func(ts time.Time, secret string, b []byte) http.Header {
		h := http.Header{}
		s := strconv.FormatInt(ts.Unix(), 10)
		h.Set(notify.HeaderTimestamp, s)
		h.Set(notify.HeaderSignature, notify.Sign([]byte(secret), s, b))
		return h
	}
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		want   error
	}{
		{name: "valid", header: signed(now, testSecret, body), body: body},
		{name: "four minutes old", header: signed(now.Add(-4*time.Minute), testSecret, body), body: body},
		{name: "tampered body", header: signed(now, testSecret, body), body: []byte(`{"id":"8","kind":"CONSENT_RESULT"}`), want: notify.ErrBadSignature},
		{name: "other secret", header: signed(now, "another-secret-of-32-bytes-or-more!!", body), body: body, want: notify.ErrBadSignature},
		{name: "replayed", header: signed(now.Add(-6*time.Minute), testSecret, body), body: body, want: notify.ErrStaleTimestamp},
		{name: "from the future", header: signed(now.Add(6*time.Minute), testSecret, body), body: body, want: notify.ErrStaleTimestamp},
		{name: "no signature", header: http.Header{notify.HeaderTimestamp: {strconv.FormatInt(now.Unix(), 10)}}, body: body, want: notify.ErrBadSignature},
		{name: "no timestamp", header: http.Header{}, body: body, want: notify.ErrStaleTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := notify.Verify([]byte(testSecret), tc.header, tc.body, now, 0); !errors.Is(err, tc.want) {
				t.Errorf("Verify() = %v, want %v", err, tc.want)
			}
		})
	}
}

// When every post of a batch fails the gateway looks down: the pass ends
// after that batch rather than trying the whole backlog, and the next pass
// probes with the next batch.
func TestAPassStopsWhenTheGatewayLooksDown(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewManual(t0)
		g := newGateway(t, clk)
		g.respond = func(w http.ResponseWriter, _ *http.Request, _ string, _ int) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		seed(t, db, []string{"sub-1", "sub-2"}, 12)
		d := newDeliverer(t, db, g, clk, func(c *notify.Config) { c.BatchSize = 10 })
		for _, want := range []notify.Report{
			{Batches: 1, Claimed: 10, Retried: 10},
			{Batches: 1, Claimed: 10, Retried: 10},
			{Batches: 1, Claimed: 4, Retried: 4},
			{},
		} {
			rep, err := d.DeliverOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, rep); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		}
		g.check()
	})
}
