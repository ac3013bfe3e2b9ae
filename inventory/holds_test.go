package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/retention"
	"github.com/xroshot/portal/store"
)

// The hold rule is one rule (issue 11, item 7): on the same fixtures, on
// both stores, the purge's SQL gate (what store.EraseDue leaves of a batch
// over every due item), the inventory's assessment (HELD) and holds.Covers
// agree item by item. The fixtures: a hold linked to one holding, one
// linked to a record, a released linked hold, a hold on everything, a
// released hold on everything, and a subscriber with none. Every item is
// due, so the purge's gate sees them all.
func TestTheHoldRuleIsOneRule(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	apptest.Each(t, now, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		signed := time.Date(2016, 3, 2, 12, 0, 0, 0, clock.KST)
		terminated := time.Date(2019, 1, 10, 12, 0, 0, 0, clock.KST)
		for _, id := range []string{"linked", "everything", "released", "none"} {
			if _, err := e.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: id, Status: models.StatusActive, SignedUpAt: signed, Items: []feed.ItemInput{
				{Category: "applicant.email", Value: id + "@example.com"},
				{Category: "payer.phone", Value: "010-1111-2222"},
			}}); err != nil {
				t.Fatal(err)
			}
			var recs []feed.RecordInput
			for i := range 3 {
				recs = append(recs, feed.RecordInput{Kind: "USAGE", OccurredAt: signed.AddDate(1, i, 0), ExternalID: fmt.Sprintf("%s-use-%d", id, i)})
			}
			if _, err := e.Feed.AppendRecords(ctx, id, recs); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Feed.Terminate(ctx, id, terminated); err != nil {
				t.Fatal(err)
			}
		}
		hs, err := e.DB.ListHoldings(ctx, "linked")
		if err != nil {
			t.Fatal(err)
		}
		keys, err := e.DB.RecordKeys(ctx, "linked", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		place := func(p holds.Placement) *models.Hold {
			t.Helper()
			h, err := e.Holds.Place(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		var email string
		for _, h := range hs {
			if h.Category == "applicant.email" {
				email = h.ID
			}
		}
		place(holds.Placement{SubscriberID: "linked", Reason: models.HoldDispute, SourceRef: "r-1", PlacedBy: "agent-1", Holdings: []string{email}})
		place(holds.Placement{SubscriberID: "linked", Reason: models.HoldLegal, SourceRef: "r-2", PlacedBy: "agent-1", Records: []int64{keys[0].ID}})
		gone := place(holds.Placement{SubscriberID: "linked", Reason: models.HoldDispute, SourceRef: "r-3", PlacedBy: "agent-1", Records: []int64{keys[1].ID}})
		place(holds.Placement{SubscriberID: "everything", Reason: models.HoldLegal, SourceRef: "r-4", PlacedBy: "agent-1", AllItems: true})
		goneAll := place(holds.Placement{SubscriberID: "released", Reason: models.HoldDispute, SourceRef: "r-5", PlacedBy: "agent-1", AllItems: true})
		for _, h := range []*models.Hold{gone, goneAll} {
			if _, err := e.Holds.Release(ctx, h.ID, now); err != nil {
				t.Fatal(err)
			}
		}

		// The purge's gate, in SQL: a batch over every due item erases
		// what no hold covers, in a transaction rolled back after what it
		// left is read; what it left is what it held.
		subs := []string{"linked", "everything", "released", "none"}
		bySQL := map[string]bool{}
		for _, id := range subs {
			hs, err := e.DB.ListHoldings(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				bySQL[itemKey(id, h.ID, 0)] = false
			}
			rs, err := e.DB.RecordKeys(ctx, id, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				bySQL[itemKey(id, "", r.ID)] = false
			}
		}
		errRollBack := errors.New("roll the batch back")
		var passed, seen int64
		err = e.DB.InTx(ctx, func(tx *store.DB) error {
			run := &models.PurgeRun{StartedAt: now, Outcome: models.PurgeRunning, Actor: "test"}
			if err := tx.CreatePurgeRun(ctx, run); err != nil {
				return err
			}
			for _, typ := range []models.ItemType{models.ItemHolding, models.ItemRecord} {
				due, err := tx.GuardDue(ctx, purge.DueQuery{Type: typ, Now: now, Limit: 1000})
				if err != nil {
					return err
				}
				seen += int64(due.Rows)
				counts, err := tx.EraseDue(ctx, purge.Batch{Type: typ, RunID: run.ID, Now: now, At: now, Last: due.Last, Subscribers: due.Subscribers})
				if err != nil {
					return err
				}
				for _, c := range counts {
					passed += c.SkippedHeld
				}
			}
			for _, id := range subs {
				hs, err := tx.ListHoldings(ctx, id)
				if err != nil {
					return err
				}
				for _, h := range hs {
					bySQL[itemKey(id, h.ID, 0)] = true
				}
				rs, err := tx.RecordKeys(ctx, id, 0, 10)
				if err != nil {
					return err
				}
				for _, r := range rs {
					bySQL[itemKey(id, "", r.ID)] = true
				}
			}
			return errRollBack
		})
		if !errors.Is(err, errRollBack) {
			t.Fatal(err)
		}

		// The inventory's assessment, and holds.Covers over every hold
		// placed (released ones included).
		byInventory, byRule := map[string]bool{}, map[string]bool{}
		all := map[string][]*models.Hold{}
		for _, id := range []string{"linked", "everything", "released", "none"} {
			active, err := e.DB.ActiveHolds(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			all[id] = active
		}
		for _, h := range []*models.Hold{gone, goneAll} {
			released, err := e.Holds.Get(ctx, h.ID)
			if err != nil {
				t.Fatal(err)
			}
			all[h.SubscriberID] = append(all[h.SubscriberID], released)
		}
		covered := func(it holds.Item) bool {
			for _, h := range all[it.SubscriberID] {
				if holds.Covers(h, it) {
					return true
				}
			}
			return false
		}
		for _, id := range []string{"linked", "everything", "released", "none"} {
			subj, err := e.Inventory.Load(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			items, err := e.Inventory.Holdings(ctx, subj, inventory.HoldingFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range items {
				k := itemKey(id, h.Holding.ID, 0)
				byInventory[k] = h.Assessment.State == retention.StateHeld
				byRule[k] = covered(holds.Item{SubscriberID: id, HoldingID: h.Holding.ID})
			}
			page, err := e.Inventory.Records(ctx, subj, "", 100, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				k := itemKey(id, "", r.Record.ID)
				byInventory[k] = r.Assessment.State == retention.StateHeld
				byRule[k] = covered(holds.Item{SubscriberID: id, RecordID: r.Record.ID})
			}
		}
		if len(bySQL) != 4*5 || seen != 4*5 {
			t.Fatalf("the purge saw %d due items of %d, want all 20", seen, len(bySQL))
		}
		if diff := cmp.Diff(bySQL, byInventory); diff != "" {
			t.Errorf("held by the purge's SQL gate (-) and by the inventory (+):\n%s", diff)
		}
		if diff := cmp.Diff(bySQL, byRule); diff != "" {
			t.Errorf("held by the purge's SQL gate (-) and by holds.Covers (+):\n%s", diff)
		}
		// And what the fixtures mean: the linked e-mail and first record,
		// everything of "everything", nothing else.
		held := 0
		for _, v := range bySQL {
			if v {
				held++
			}
		}
		if held != 2+5 || passed != int64(held) {
			t.Errorf("%d items held, %d counted held by the batch; want 7", held, passed)
		}
	})
}

func itemKey(sub, holding string, record int64) string {
	if holding != "" {
		return sub + "/holding/" + holding
	}
	return fmt.Sprintf("%s/record/%d", sub, record)
}
