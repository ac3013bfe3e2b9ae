package purge_test

import (
	"context"
	"errors"
	"testing"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// A terminated subscriber with settled fees and no fee records,
// terminated 2019-01-10 (KST): the e-mail goes after the post-termination
// clause (6 months), the name and phone are kept by the tax clause for 5
// years from the later filing deadline of the termination's tax periods
// (the corporate tax's, 31 March 2020: kept until 31 March 2025). The tests
// stay well clear of that boundary (the retention tests own it): February
// 2025 is before, June after.
func goneSubscriber(t *testing.T, e *env, id string) {
	t.Helper()
	e.clock.Set(kst(2019, 1, 9))
	e.subscriber(t, id, kst(2015, 4, 1), []feed.ItemInput{
		{Category: "applicant.name", Value: "김영희"},
		{Category: "applicant.phone", Value: "010-2345-6789"},
		{Category: "applicant.email", Value: "younghee.kim@example.com"},
	}, records(id, "USAGE", 3, kst(2019, 1, 5)))
	e.clock.Set(kst(2019, 1, 10))
	e.terminate(t, id, kst(2019, 1, 10))
	ctx := context.Background()
	if _, err := e.feed.SetBillingState(ctx, id, models.BillingUnpaid, kst(2019, 1, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.feed.SetBillingState(ctx, id, models.BillingSettled, kst(2019, 1, 10)); err != nil {
		t.Fatal(err)
	}
}

// subscriberRows counts what of a subscriber is in the tables the
// subscriber row takes with it; holdings and records count those in use
// and those kept apart.
func subscriberRows(t *testing.T, db *store.DB, id string) map[string]int64 {
	t.Helper()
	keys, apart := "portal_keys.subscriber_keys", "portal_statute."
	if db.Dialect() == "sqlite" {
		keys, apart = "subscriber_keys", "statute_"
	}
	out := map[string]int64{}
	for table, col := range map[string]string{"subscribers": "id", keys: "subscriber_id", "fee_issues": "subscriber_id", "holds": "subscriber_id", "holdings": "subscriber_id", "records": "subscriber_id"} {
		tables := []string{table}
		if table == "holdings" || table == "records" {
			tables = append(tables, apart+table)
		}
		for _, tb := range tables {
			var n int64
			if err := db.SQL().QueryRow("SELECT COUNT(*) FROM " + tb + " WHERE " + col + " = '" + id + "'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			out[table] += n
		}
	}
	return out
}

// When the last item of a terminated subscriber goes, the purge erases the
// subscriber too: the row with its status, dates and birth date, the fee
// history, the released holds and the data key; not a day before.
func TestTheSubscriberGoesWithTheLastItem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, kst(2019, 1, 1))
		ctx := context.Background()
		goneSubscriber(t, e, "gone-1")
		// Another terminated subscriber whose messages are all that is
		// left, and an active one: neither goes.
		e.subscriber(t, "active-1", kst(2016, 1, 1), []feed.ItemInput{{Category: "applicant.name", Value: "이철수"}}, nil)

		e.clock.Set(kst(2025, 2, 1))
		rep, err := e.purge.Run(ctx, purge.Options{Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.SubscribersErased != 0 {
			t.Fatalf("erased %d subscribers while their items are kept", rep.SubscribersErased)
		}
		if got := subscriberRows(t, db, "gone-1"); got["subscribers"] != 1 || got["holdings"] != 2 {
			t.Fatalf("before the end: %v", got)
		}

		e.clock.Set(kst(2025, 6, 1))
		rep, err = e.purge.Run(ctx, purge.Options{Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.SubscribersErased != 1 || rep.Erased != 2 {
			t.Errorf("run: %d items and %d subscribers erased, want 2 and 1", rep.Erased, rep.SubscribersErased)
		}
		for table, n := range subscriberRows(t, db, "gone-1") {
			if n != 0 {
				t.Errorf("%s still holds %d rows of the erased subscriber", table, n)
			}
		}
		if got := subscriberRows(t, db, "active-1"); got["subscribers"] != 1 || got["holdings"] != 1 {
			t.Errorf("the active subscriber lost data: %v", got)
		}
		if n := countRows(t, db, "erasures"); n != 0 {
			t.Errorf("%d erasure records of an erased subscriber remain", n)
		}
		if _, err := e.inv.Load(ctx, "gone-1"); !apperr.IsNotFound(err) {
			t.Errorf("the erased subscriber still loads: %v", err)
		}
		// The next run finds nothing more.
		rep, err = e.purge.Run(ctx, purge.Options{Actor: "test"})
		if err != nil || rep.SubscribersErased != 0 {
			t.Errorf("second run: %+v, %v", rep, err)
		}
	})
}

// An active hold keeps the subscriber even when no item is left to hold,
// and a dry run counts without erasing.
func TestAHoldOrADryRunKeepsTheSubscriber(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, kst(2019, 1, 1))
		ctx := context.Background()
		goneSubscriber(t, e, "gone-2")
		e.clock.Set(kst(2025, 6, 1))
		rep, err := e.purge.Run(ctx, purge.Options{Actor: "test", DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := subscriberRows(t, db, "gone-2"); got["subscribers"] != 1 || got["holdings"] != 3 {
			t.Fatalf("a dry run erased: %v", got)
		}
		// Items are still there, so the subscriber is not yet bare: the
		// dry run cannot count them as going in this run.
		if rep.SubscribersErased != 0 {
			t.Errorf("dry run counted %d subscribers whose items are not yet erased", rep.SubscribersErased)
		}
		if _, err := e.purge.Run(ctx, purge.Options{Actor: "test", Clauses: []string{"POST_TERMINATION", "TAX_RECORDS"}}); err != nil {
			t.Fatal(err)
		}
		if got := subscriberRows(t, db, "gone-2"); got["subscribers"] != 1 {
			t.Fatalf("a run limited to some clauses erased the subscriber: %v", got)
		}
		if _, err := e.holds.Place(ctx, holds.Placement{SubscriberID: "gone-2", Reason: models.HoldLegal, AllItems: true, SourceRef: "case-7", PlacedBy: "admin-1"}); err != nil {
			t.Fatal(err)
		}
		rep, err = e.purge.Run(ctx, purge.Options{Actor: "test"})
		if err != nil || rep.SubscribersErased != 0 {
			t.Fatalf("run under a hold: %+v, %v", rep, err)
		}
		if got := subscriberRows(t, db, "gone-2"); got["subscribers"] != 1 || got["subscriber_keys"]+got["portal_keys.subscriber_keys"] != 1 {
			t.Errorf("a held subscriber was erased: %v", got)
		}
	})
}

// failingStore interrupts the erasure of a subscriber after the step named
// fail, inside the transaction: by an error (a crash of the process) or by
// cancelling the context (a client gone, a shutdown).
type failingStore struct {
	purge.Store
	fail   string
	cancel context.CancelFunc
}

var errInjected = errors.New("injected failure")

func (f failingStore) InTx(ctx context.Context, fn func(tx purge.Store) error) error {
	return f.Store.InTx(ctx, func(tx purge.Store) error { return fn(failingStore{Store: tx, fail: f.fail, cancel: f.cancel}) })
}

func (f failingStore) after(step string) error {
	if step != f.fail {
		return nil
	}
	if f.cancel != nil {
		f.cancel()
		return nil
	}
	return errInjected
}

func (f failingStore) DeleteBareSubscribers(ctx context.Context, ids []string) ([]string, error) {
	gone, err := f.Store.DeleteBareSubscribers(ctx, ids)
	if err == nil {
		err = f.after("subscriber")
	}
	return gone, err
}

func (f failingStore) DeleteConsentHistory(ctx context.Context, ids []string) (int64, error) {
	n, err := f.Store.DeleteConsentHistory(ctx, ids)
	if err == nil {
		err = f.after("consents")
	}
	return n, err
}

func (f failingStore) DeleteErasures(ctx context.Context, ids []string) (int64, error) {
	n, err := f.Store.DeleteErasures(ctx, ids)
	if err == nil {
		err = f.after("erasures")
	}
	return n, err
}

// An erasure interrupted between any two of its statements leaves the
// subscriber whole — row, key and readable values — and the next run erases
// them fully (the "Bad input": never a subscriber whose key is gone
// while rows remain).
func TestAnInterruptedErasureLeavesTheSubscriberWhole(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"error", "cancel"} {
		for _, step := range []string{"subscriber", "consents", "erasures"} {
			t.Run(how+" after "+step, func(t *testing.T) {
				t.Parallel()
				storetest.Each(t, func(t *testing.T, db *store.DB) {
					e := newEnv(t, db, kst(2019, 1, 1))
					goneSubscriber(t, e, "gone-3")
					e.clock.Set(kst(2025, 6, 1))
					// Items first, so that only the subscriber is left.
					if _, err := e.purge.Run(context.Background(), purge.Options{Actor: "test", Clauses: []string{"POST_TERMINATION", "TAX_RECORDS"}}); err != nil {
						t.Fatal(err)
					}
					before := subscriberRows(t, db, "gone-3")
					if before["subscribers"] != 1 || before["holdings"] != 0 {
						t.Fatalf("setup: %v", before)
					}
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					fs := failingStore{Store: db.ForPurge(), fail: step}
					if how == "cancel" {
						fs.cancel = cancel
					}
					// Not wiring: one purge over a store made to fail at a chosen step.
					interrupted := purge.New(fs, e.cat, e.clock)
					erased, err := interrupted.EraseSubscriber(ctx, "gone-3", e.clock.Now())
					if err == nil || erased {
						t.Fatalf("interrupted erasure: erased %v, err %v", erased, err)
					}
					after := subscriberRows(t, db, "gone-3")
					for table, n := range before {
						if after[table] != n {
							t.Errorf("%s: %d rows before the interrupted erasure, %d after", table, n, after[table])
						}
					}
					// The key still opens the birth date.
					subj, err := e.inv.Load(context.Background(), "gone-3")
					if err != nil {
						t.Fatalf("after the interruption the subscriber does not load: %v", err)
					}
					if subj.Subscriber.BirthDate == nil || *subj.Subscriber.BirthDate != "1985-03-02" {
						t.Errorf("birth date after the interruption: %v", subj.Subscriber.BirthDate)
					}

					rep, err := e.purge.Run(context.Background(), purge.Options{Actor: "test"})
					if err != nil || rep.SubscribersErased != 1 {
						t.Fatalf("the next run: %+v, %v", rep, err)
					}
					for table, n := range subscriberRows(t, db, "gone-3") {
						if n != 0 {
							t.Errorf("%s still holds %d rows", table, n)
						}
					}
				})
			})
		}
	}
}
