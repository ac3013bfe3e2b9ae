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

// Unpaid or overpaid fees stop the post-termination clock and nothing else
// (docs/POLICY.md "until resolved"): no billing state places a hold, so nothing
// of the subscriber is held on everything for fees (issue 12, finding 1).
func TestBillingStatePlacesNoHold(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return now.AddDate(0, 0, d-30) }
	for _, steps := range [][]models.BillingState{
		{models.BillingUnpaid},
		{models.BillingOverpaid},
		{models.BillingUnpaid, models.BillingOverpaid, models.BillingSettled},
	} {
		t.Run(fmt.Sprint(steps), func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				e := newEnv(t, db)
				e.subscriber(t, "sub-1", 0)
				for i, st := range steps {
					if _, err := e.feed.SetBillingState(ctx, "sub-1", st, day(1+i)); err != nil {
						t.Fatalf("%s: %v", st, err)
					}
				}
				active, err := e.holds.ActiveFor(ctx, "sub-1")
				if err != nil {
					t.Fatal(err)
				}
				if len(active) != 0 {
					t.Errorf("billing states %v left %d active holds, want none: %+v", steps, len(active), active[0])
				}
			})
		})
	}
}

var cmpHold = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".CreatedAt" }, cmp.Ignore()),
}
