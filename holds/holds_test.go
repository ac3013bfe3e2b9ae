package holds_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

var now = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

type env struct {
	db    *store.DB
	clock *clock.Manual
	feed  *feed.Service
	holds *holds.Service
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	a := apptest.On(t, db, now)
	return &env{db: db, clock: a.Clock, feed: a.Feed, holds: a.Holds}
}

// subscriber feeds a subscriber with a name and an e-mail, and n usage
// records; it returns the holding ids and the record ids.
func (e *env) subscriber(t *testing.T, id string, n int) ([]string, []int64) {
	t.Helper()
	ctx := context.Background()
	_, err := e.feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: id, Status: models.StatusActive, SignedUpAt: now.AddDate(-2, 0, 0), Items: []feed.ItemInput{
		{Category: "applicant.name", Value: "김민준"},
		{Category: "applicant.email", Value: "minjun@example.com"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]*models.Record, n)
	for i := range recs {
		recs[i] = &models.Record{SubscriberID: id, Kind: "USAGE", OccurredAt: now.Add(-time.Duration(i+1) * time.Minute), ExternalID: fmt.Sprintf("%s-%d", id, i)}
	}
	if _, err := e.db.AppendRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	hs, err := e.db.ListHoldings(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	hids := make([]string, len(hs))
	for i, h := range hs {
		hids[i] = h.ID
	}
	rids := make([]int64, len(recs))
	for i, r := range recs {
		rids[i] = r.ID
	}
	return hids, rids
}

func TestPlaceRefusesBadPlacements(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		hs, rs := e.subscriber(t, "sub-1", 2)
		_, other := e.subscriber(t, "sub-2", 1)
		ok := holds.Placement{SubscriberID: "sub-1", Reason: models.HoldDispute, SourceRef: "req-1", PlacedBy: "agent-1", Holdings: hs[:1], Records: rs}
		tests := []struct {
			name string
			edit func(p *holds.Placement)
			want error
		}{
			{name: "no subscriber", edit: func(p *holds.Placement) { p.SubscriberID = "" }, want: apperr.ErrBadInput},
			{name: "an unknown reason", edit: func(p *holds.Placement) { p.Reason = "BECAUSE" }, want: apperr.ErrBadInput},
			{name: "no source", edit: func(p *holds.Placement) { p.SourceRef = " " }, want: apperr.ErrBadInput},
			{name: "no one placing it", edit: func(p *holds.Placement) { p.PlacedBy = "" }, want: apperr.ErrBadInput},
			{name: "everything and items", edit: func(p *holds.Placement) { p.AllItems = true }, want: apperr.ErrBadInput},
			{name: "nothing", edit: func(p *holds.Placement) { p.Holdings, p.Records = nil, nil }, want: apperr.ErrBadInput},
			{name: "an unknown subscriber", edit: func(p *holds.Placement) { p.SubscriberID = "nobody" }, want: apperr.ErrNotFound},
			{name: "an unknown holding", edit: func(p *holds.Placement) { p.Holdings = []string{"nope"} }, want: apperr.ErrNotFound},
			{name: "another subscriber's record", edit: func(p *holds.Placement) { p.Records = other }, want: apperr.ErrNotFound},
		}
		for _, tc := range tests {
			p := ok
			tc.edit(&p)
			if _, err := e.holds.Place(ctx, p); !errors.Is(err, tc.want) {
				t.Errorf("%s: Place() = %v, want %v", tc.name, err, tc.want)
			}
		}
		if active, err := e.holds.ActiveFor(ctx, "sub-1"); err != nil || len(active) != 0 {
			t.Errorf("after refused placements: %d active holds, %v", len(active), err)
		}
	})
}

func TestPlaceListReleaseRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		hs, rs := e.subscriber(t, "sub-1", 3)
		linked, err := e.holds.Place(ctx, holds.Placement{SubscriberID: "sub-1", Reason: models.HoldDeletionRequest, SourceRef: "req-1", PlacedBy: "sub-1", Holdings: hs[:1], Records: []int64{rs[2], rs[0], rs[0]}})
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.holds.Place(ctx, holds.Placement{SubscriberID: "sub-1", Reason: models.HoldDeletionRequest, SourceRef: "req-1", PlacedBy: "sub-1", Records: rs[:1]})
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != linked.ID {
			t.Errorf("placing again with the same source made hold %s, want %s back", again.ID, linked.ID)
		}
		e.clock.Advance(time.Hour)
		all, err := e.holds.Place(ctx, holds.Placement{SubscriberID: "sub-1", Reason: models.HoldLegal, SourceRef: "case 2026-17", PlacedBy: "admin-1", AllItems: true})
		if err != nil {
			t.Fatal(err)
		}
		active, err := e.holds.ActiveFor(ctx, "sub-1")
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := min(rs[0], rs[2]), max(rs[0], rs[2])
		want := []*models.Hold{
			{ID: linked.ID, SubscriberID: "sub-1", Reason: models.HoldDeletionRequest, SourceRef: "req-1", PlacedBy: "sub-1", PlacedAt: now, Items: []models.HoldItem{
				{HoldID: linked.ID, SubscriberID: "sub-1", HoldingID: &hs[0]},
				{HoldID: linked.ID, SubscriberID: "sub-1", RecordID: &lo},
				{HoldID: linked.ID, SubscriberID: "sub-1", RecordID: &hi},
			}},
			{ID: all.ID, SubscriberID: "sub-1", Reason: models.HoldLegal, AllItems: true, SourceRef: "case 2026-17", PlacedBy: "admin-1", PlacedAt: now.Add(time.Hour)},
		}
		if diff := cmp.Diff(want, active, cmpHold); diff != "" {
			t.Errorf("active holds (-want +got):\n%s", diff)
		}

		for _, bad := range []struct {
			name string
			id   string
			at   time.Time
			want error
		}{
			{"in the future", linked.ID, e.clock.Now().Add(time.Minute), apperr.ErrBadInput},
			{"before it was placed", all.ID, now, apperr.ErrBadInput},
			{"an unknown hold", "nope", now, apperr.ErrNotFound},
		} {
			if _, err := e.holds.Release(ctx, bad.id, bad.at); !errors.Is(err, bad.want) {
				t.Errorf("release %s: %v, want %v", bad.name, err, bad.want)
			}
		}
		released, err := e.holds.Release(ctx, linked.ID, now.Add(30*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if released.ReleasedAt == nil || !released.ReleasedAt.Equal(now.Add(30*time.Minute)) {
			t.Errorf("released at %v", released.ReleasedAt)
		}
		twice, err := e.holds.Release(ctx, linked.ID, now.Add(50*time.Minute))
		if err != nil || !twice.ReleasedAt.Equal(*released.ReleasedAt) {
			t.Errorf("releasing twice: %v, %v; want the first release kept", twice, err)
		}
		active, err = e.holds.ActiveFor(ctx, "sub-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(active) != 1 || active[0].ID != all.ID {
			t.Errorf("after release, active = %v", active)
		}
		// The released hold keeps the record of what it covered.
		got, err := e.holds.Get(ctx, linked.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Items) != 3 || got.Active() {
			t.Errorf("released hold = %+v", got)
		}
	})
}

func TestAHoldOnTooManyItemsHoldsEverything(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.subscriber(t, "sub-1", 0)
		// Many records in one statement, portable to both stores.
		if _, err := db.SQL().ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
			INSERT INTO records (subscriber_id, kind, occurred_at, external_id, summary) SELECT 'sub-1', 'USAGE', $2, 'x' || i, '' FROM n`,
			holds.MaxLinkedItems+1, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		var rs []int64
		rows, err := db.SQL().QueryContext(ctx, "SELECT id FROM records WHERE subscriber_id = 'sub-1'")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			rs = append(rs, id)
		}
		if err := rows.Close(); err != nil || len(rs) != holds.MaxLinkedItems+1 {
			t.Fatalf("%d records, %v", len(rs), err)
		}
		h, err := e.holds.Place(ctx, holds.Placement{SubscriberID: "sub-1", Reason: models.HoldDispute, SourceRef: "req-1", PlacedBy: "sub-1", Records: rs})
		if err != nil {
			t.Fatal(err)
		}
		if !h.AllItems || len(h.Items) != 0 {
			t.Errorf("hold on %d records: all items %v, %d links; want everything, no links", len(rs), h.AllItems, len(h.Items))
		}
	})
}

func TestBillingStatePlacesAndReleasesAHoldOnEverything(t *testing.T) {
	t.Parallel()
	type step struct {
		state models.BillingState
		since time.Time
	}
	day := func(d int) time.Time { return now.AddDate(0, 0, d-30) }
	tests := []struct {
		name  string
		steps []step
		// want is the active billing holds after the steps: reason and
		// effective date.
		want []string
	}{
		{name: "unpaid holds", steps: []step{{models.BillingUnpaid, day(1)}}, want: []string{"UNPAID_FEES since 1"}},
		{name: "unpaid twice holds once", steps: []step{{models.BillingUnpaid, day(1)}, {models.BillingUnpaid, day(3)}}, want: []string{"UNPAID_FEES since 1"}},
		{name: "settled releases", steps: []step{{models.BillingUnpaid, day(1)}, {models.BillingSettled, day(5)}}},
		{name: "overpaid replaces unpaid", steps: []step{{models.BillingUnpaid, day(1)}, {models.BillingOverpaid, day(5)}}, want: []string{"OVERPAID_FEES since 5"}},
		{name: "settled without a hold is a no-op", steps: []step{{models.BillingSettled, day(5)}}},
		{name: "unpaid again after settling holds anew", steps: []step{{models.BillingUnpaid, day(1)}, {models.BillingSettled, day(5)}, {models.BillingUnpaid, day(9)}}, want: []string{"UNPAID_FEES since 9"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				e := newEnv(t, db)
				e.subscriber(t, "sub-1", 0)
				for _, s := range tc.steps {
					if _, err := e.feed.SetBillingState(ctx, "sub-1", s.state, s.since); err != nil {
						t.Fatalf("%s since %s: %v", s.state, s.since, err)
					}
				}
				active, err := e.holds.ActiveFor(ctx, "sub-1")
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range active {
					if !h.AllItems || h.PlacedBy != holds.BillingPlacer {
						t.Errorf("billing hold %+v does not cover everything", h)
					}
					got = append(got, fmt.Sprintf("%s since %d", h.Reason, int(h.PlacedAt.Sub(day(0)).Hours()/24)))
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("active billing holds (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// The billing feed refuses a settlement dated before the fees became
// unpaid (the fee issue's own check); SyncBilling, called with one, still
// releases, at the placement.
func TestABackDatedSettlementReleasesAtThePlacement(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.subscriber(t, "sub-1", 0)
		placed := now.AddDate(0, 0, -5)
		if _, err := e.feed.SetBillingState(ctx, "sub-1", models.BillingOverpaid, placed); err != nil {
			t.Fatal(err)
		}
		active, err := e.holds.ActiveFor(ctx, "sub-1")
		if err != nil || len(active) != 1 {
			t.Fatalf("active = %v, %v", active, err)
		}
		if err := db.InTx(ctx, func(tx *store.DB) error {
			return holds.SyncBilling(ctx, tx, "sub-1", models.BillingSettled, placed.AddDate(0, 0, -3))
		}); err != nil {
			t.Fatal(err)
		}
		h, err := e.holds.Get(ctx, active[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if h.ReleasedAt == nil || !h.ReleasedAt.Equal(placed) {
			t.Errorf("released at %v, want %v", h.ReleasedAt, placed)
		}
	})
}

var cmpHold = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".CreatedAt" }, cmp.Ignore()),
}
