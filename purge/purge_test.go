package purge_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// fixtureNow is when the fixture's purge runs.
var fixtureNow = kst(2024, 1, 10)

// fixture feeds two subscribers:
//   - "gone" terminated on 2023-03-01: six months later (2023-09-01) its
//     e-mail, payer phone and usage records are due under POST_TERMINATION;
//     its name (TAX_RECORDS until 2028), payment record (PAYMENT_RECORDS) and
//     billing record (TAX_RECORDS) are kept by statute; its message content
//     is long due under MESSAGE_CONTENT.
//   - "active", still a subscriber: only its message content older than a
//     month is due.
func fixture(t testing.TB, e *env) {
	t.Helper()
	e.subscriber(t, "gone", kst(2020, 1, 1), []feed.ItemInput{
		{Category: "applicant.name", Value: "김민준"},
		{Category: "applicant.email", Value: "minjun@example.com"},
		{Category: "payer.phone", Value: "010-2345-6789"},
	}, concat(
		records("gone", "USAGE", 3, kst(2023, 2, 20)),
		records("gone", "MESSAGE_CONTENT", 2, kst(2023, 2, 20)),
		records("gone", "PAYMENT", 1, kst(2023, 2, 1)),
		records("gone", "BILLING", 1, kst(2023, 2, 1)),
	))
	e.terminate(t, "gone", kst(2023, 3, 1))
	e.subscriber(t, "active", kst(2022, 1, 1), []feed.ItemInput{
		{Category: "applicant.name", Value: "이서연"},
	}, concat(
		records("active", "MESSAGE_CONTENT", 2, kst(2023, 12, 1)),
		records("active", "USAGE", 2, kst(2024, 1, 9)),
	))
}

func concat[T any](xs ...[]T) []T {
	var out []T
	for _, x := range xs {
		out = append(out, x...)
	}
	return out
}

var (
	allLeftBefore = map[string][]string{
		"gone":   {"BILLING×1", "MESSAGE_CONTENT×2", "PAYMENT×1", "USAGE×3", "applicant.email", "applicant.name", "payer.phone"},
		"active": {"MESSAGE_CONTENT×2", "USAGE×2", "applicant.name"},
	}
	allDueErased = map[string][]string{
		"gone":   {"BILLING×1", "PAYMENT×1", "applicant.name"},
		"active": {"USAGE×2", "applicant.name"},
	}
	allDueCounts = []purge.Count{
		{Clause: "MESSAGE_CONTENT", Type: models.ItemRecord, Code: "MESSAGE_CONTENT", Erased: 4},
		{Clause: "POST_TERMINATION", Type: models.ItemHolding, Code: "applicant.email", Erased: 1},
		{Clause: "POST_TERMINATION", Type: models.ItemHolding, Code: "payer.phone", Erased: 1},
		{Clause: "POST_TERMINATION", Type: models.ItemRecord, Code: "USAGE", Erased: 3},
	}
)

func holdAll(t testing.TB, e *env, sub string) *models.Hold {
	t.Helper()
	h, err := e.holds.Place(context.Background(), holds.Placement{SubscriberID: sub, Reason: models.HoldDispute, SourceRef: "req-" + sub, PlacedBy: "agent-1", AllItems: true})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRunErasesWhatIsDueAndNothingHeld(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		hold     func(t testing.TB, e *env)
		opts     purge.Options
		want     []purge.Count
		wantLeft map[string][]string
	}{
		{
			name:     "due items are erased under their clause, statute-kept ones stay",
			want:     allDueCounts,
			wantLeft: allDueErased,
		},
		{
			name: "a hold on one record skips it and counts it",
			hold: func(t testing.TB, e *env) {
				ids := e.recordIDs(t, "gone", "USAGE")
				if _, err := e.holds.Place(context.Background(), holds.Placement{SubscriberID: "gone", Reason: models.HoldDeletionRequest, SourceRef: "req-9", PlacedBy: "gone", Records: ids[:1]}); err != nil {
					t.Fatal(err)
				}
			},
			want: []purge.Count{
				{Clause: "MESSAGE_CONTENT", Type: models.ItemRecord, Code: "MESSAGE_CONTENT", Erased: 4},
				{Clause: "POST_TERMINATION", Type: models.ItemHolding, Code: "applicant.email", Erased: 1},
				{Clause: "POST_TERMINATION", Type: models.ItemHolding, Code: "payer.phone", Erased: 1},
				{Clause: "POST_TERMINATION", Type: models.ItemRecord, Code: "USAGE", Erased: 2, SkippedHeld: 1},
			},
			wantLeft: map[string][]string{
				"gone":   {"BILLING×1", "PAYMENT×1", "USAGE×1", "applicant.name"},
				"active": {"USAGE×2", "applicant.name"},
			},
		},
		{
			name: "a hold on everything of a subscriber skips all of it",
			hold: func(t testing.TB, e *env) { holdAll(t, e, "gone") },
			want: []purge.Count{
				{Clause: "MESSAGE_CONTENT", Type: models.ItemRecord, Code: "MESSAGE_CONTENT", Erased: 2, SkippedHeld: 2},
				{Clause: "POST_TERMINATION", Type: models.ItemHolding, Code: "applicant.email", SkippedHeld: 1},
				{Clause: "POST_TERMINATION", Type: models.ItemHolding, Code: "payer.phone", SkippedHeld: 1},
				{Clause: "POST_TERMINATION", Type: models.ItemRecord, Code: "USAGE", SkippedHeld: 3},
			},
			wantLeft: map[string][]string{
				"gone":   allLeftBefore["gone"],
				"active": {"USAGE×2", "applicant.name"},
			},
		},
		{
			name: "a released hold protects nothing",
			hold: func(t testing.TB, e *env) {
				h := holdAll(t, e, "gone")
				if _, err := e.holds.Release(context.Background(), h.ID, e.clock.Now()); err != nil {
					t.Fatal(err)
				}
			},
			want:     allDueCounts,
			wantLeft: allDueErased,
		},
		{
			// Unpaid fees stop the post-termination clock and hold nothing
			// else: an active subscriber's old message content still goes
			// (issue 12, finding 1).
			name: "unpaid fees hold nothing of an active subscriber",
			hold: func(t testing.TB, e *env) {
				if _, err := e.feed.SetBillingState(context.Background(), "active", models.BillingUnpaid, kst(2024, 1, 2)); err != nil {
					t.Fatal(err)
				}
			},
			want:     allDueCounts,
			wantLeft: allDueErased,
		},
		{
			name: "a clause filter erases under that clause only",
			opts: purge.Options{Clauses: []string{"MESSAGE_CONTENT"}},
			want: []purge.Count{
				{Clause: "MESSAGE_CONTENT", Type: models.ItemRecord, Code: "MESSAGE_CONTENT", Erased: 4},
			},
			wantLeft: map[string][]string{
				"gone":   {"BILLING×1", "PAYMENT×1", "USAGE×3", "applicant.email", "applicant.name", "payer.phone"},
				"active": {"USAGE×2", "applicant.name"},
			},
		},
		{
			name:     "a dry run counts and erases nothing",
			opts:     purge.Options{DryRun: true},
			want:     allDueCounts,
			wantLeft: allLeftBefore,
		},
		{
			name: "a dry run counts what is held",
			opts: purge.Options{DryRun: true, Clauses: []string{"POST_TERMINATION"}},
			hold: func(t testing.TB, e *env) { holdAll(t, e, "gone") },
			want: []purge.Count{
				{Clause: "POST_TERMINATION", Type: models.ItemHolding, Code: "applicant.email", SkippedHeld: 1},
				{Clause: "POST_TERMINATION", Type: models.ItemHolding, Code: "payer.phone", SkippedHeld: 1},
				{Clause: "POST_TERMINATION", Type: models.ItemRecord, Code: "USAGE", SkippedHeld: 3},
			},
			wantLeft: allLeftBefore,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				e := newEnv(t, db, fixtureNow)
				fixture(t, e)
				if tc.hold != nil {
					tc.hold(t, e)
				}
				opts := tc.opts
				opts.Actor, opts.BatchSize = "admin-1", 2
				rep, err := e.purge.Run(ctx, opts)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, rep.Counts); diff != "" {
					t.Errorf("counts (-want +got):\n%s", diff)
				}
				for sub, want := range tc.wantLeft {
					if diff := cmp.Diff(want, e.left(t, sub)); diff != "" {
						t.Errorf("left of %s (-want +got):\n%s", sub, diff)
					}
				}
				// The proof: the run and its tally as recorded, and the
				// erasures adding up to what went.
				run, counts, err := db.GetPurgeRun(ctx, rep.RunID)
				if err != nil {
					t.Fatal(err)
				}
				if run.Outcome != models.PurgeFinished || run.Actor != "admin-1" || run.DryRun != opts.DryRun || run.Erased != rep.Erased || run.SkippedHeld != rep.SkippedHeld {
					t.Errorf("recorded run = %+v, report %+v", run, rep)
				}
				if len(counts) != len(rep.Counts) {
					t.Errorf("recorded %d count lines, report has %d", len(counts), len(rep.Counts))
				}
				wantErasures := rep.Erased
				if opts.DryRun {
					wantErasures = 0
				}
				if got := sumErasures(t, db); got != wantErasures {
					t.Errorf("erasure records add up to %d, want %d", got, wantErasures)
				}
			})
		})
	}
}

func TestSubscribersSeeWhatWasErasedUnderWhichClause(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, fixtureNow)
		fixture(t, e)
		rep, err := e.purge.Run(ctx, purge.Options{Actor: "admin-1"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.purge.ErasedFor(ctx, "gone")
		if err != nil {
			t.Fatal(err)
		}
		want := []purge.Erased{
			{RunID: rep.RunID, Type: models.ItemHolding, Code: "applicant.email", Clause: "POST_TERMINATION", Count: 1, ErasedAt: fixtureNow},
			{RunID: rep.RunID, Type: models.ItemHolding, Code: "payer.phone", Clause: "POST_TERMINATION", Count: 1, ErasedAt: fixtureNow},
			{RunID: rep.RunID, Type: models.ItemRecord, Code: "MESSAGE_CONTENT", Clause: "MESSAGE_CONTENT", Count: 2, ErasedAt: fixtureNow},
			{RunID: rep.RunID, Type: models.ItemRecord, Code: "USAGE", Clause: "POST_TERMINATION", Count: 3, ErasedAt: fixtureNow},
		}
		sortErased(got)
		if diff := cmp.Diff(want, got, cmpInstants); diff != "" {
			t.Errorf("erased (-want +got):\n%s", diff)
		}
	})
}

func TestHeldItemsShowAsHeldInTheInventory(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, fixtureNow)
		fixture(t, e)
		usage := e.recordIDs(t, "active", "USAGE")
		hs, err := e.db.ListHoldings(ctx, "active")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.holds.Place(ctx, holds.Placement{SubscriberID: "active", Reason: models.HoldDispute, SourceRef: "req-1", PlacedBy: "agent-1", Holdings: []string{hs[0].ID}, Records: usage[:1]}); err != nil {
			t.Fatal(err)
		}
		subj, err := e.inv.Load(ctx, "active")
		if err != nil {
			t.Fatal(err)
		}
		items, err := e.inv.Holdings(ctx, subj, inventoryAll)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(items[0].Assessment.State); got != "HELD" {
			t.Errorf("held holding's state = %s, want HELD", got)
		}
		page, err := e.inv.Records(ctx, subj, "USAGE", 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		states := map[int64]string{}
		for _, r := range page.Records {
			states[r.Record.ID] = string(r.Assessment.State)
		}
		want := map[int64]string{usage[0]: "HELD", usage[1]: "IN_USE"}
		if diff := cmp.Diff(want, states); diff != "" {
			t.Errorf("record states (-want +got):\n%s", diff)
		}
	})
}

func TestBadInputIsRefusedAndErasesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		clock func(e *env)
		opts  purge.Options
		want  error
	}{
		{name: "an unknown clause filter", opts: purge.Options{Actor: "admin-1", DryRun: true, Clauses: []string{"MESSAGE_CONTENT", "FOREVER"}}, want: apperr.ErrBadInput},
		{name: "an unknown clause filter, for real", opts: purge.Options{Actor: "admin-1", Clauses: []string{"FOREVER"}}, want: apperr.ErrBadInput},
		{name: "a negative batch size", opts: purge.Options{Actor: "admin-1", BatchSize: -1}, want: apperr.ErrBadInput},
		{name: "an oversized batch", opts: purge.Options{Actor: "admin-1", BatchSize: purge.MaxBatchSize + 1}, want: apperr.ErrBadInput},
		{name: "no actor", opts: purge.Options{Actor: "  "}, want: apperr.ErrBadInput},
		{
			name:  "a clock skewed into the future",
			clock: func(e *env) { e.clock.Set(time.Now().Add(purge.MaxClockAhead + time.Hour)) },
			opts:  purge.Options{Actor: "admin-1"},
			want:  purge.ErrClockSkew,
		},
		{
			name:  "a clock skewed into the past of the last run",
			clock: func(e *env) { e.clock.Set(fixtureNow.Add(-time.Hour)) },
			opts:  purge.Options{Actor: "admin-1"},
			want:  purge.ErrClockSkew,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				e := newEnv(t, db, fixtureNow)
				fixture(t, e)
				// A finished dry run, for the clock to go back from.
				if _, err := e.purge.Run(ctx, purge.Options{Actor: "admin-1", DryRun: true}); err != nil {
					t.Fatal(err)
				}
				if tc.clock != nil {
					tc.clock(e)
				}
				rep, err := e.purge.Run(ctx, tc.opts)
				if !errors.Is(err, tc.want) {
					t.Fatalf("Run() = %v, want %v", err, tc.want)
				}
				if rep != nil {
					t.Errorf("a refused run returned a report: %+v", rep)
				}
				if code, public := apperr.CodeOf(err); !public || code == apperr.CodeInternal {
					t.Errorf("error %q maps to %s (public %v); want a clear client error", err, code, public)
				}
				for sub, want := range allLeftBefore {
					if diff := cmp.Diff(want, e.left(t, sub)); diff != "" {
						t.Errorf("left of %s (-want +got):\n%s", sub, diff)
					}
				}
				if n := countRows(t, db, "purge_runs"); n != 1 {
					t.Errorf("%d purge runs recorded, want only the dry run", n)
				}
			})
		})
	}
}
