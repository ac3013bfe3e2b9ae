package apitest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
)

// Issue 12's check through me, on both stores: terminated on 2026-05-02
// with settled fees and fee records only from 2026. Corporate tax of fiscal
// 2026 is due 2027-03-31 (a Wednesday), later than VAT of the first half
// (2026-07-25, a Saturday, moved to Monday 07-27): the tax-kept fields are
// kept through 2032-03-31. Everything else is kept six months, counted
// from 05-03: through 2026-11-02, due from midnight KST (15:00 UTC) on.
// The purge erases nothing during 2026-11-02, and me(lang: EN).erased
// then answers in English.
func TestTerminatedOn2May2026ThroughTheAPI(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := apitest.New(t, d)
			const id = "tax-1"
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			env.Clock.Set(kst(2026, 1, 2))
			_, err := env.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: id, Status: models.StatusActive, SignedUpAt: kst(2023, 3, 1), Items: []feed.ItemInput{
				{Category: "applicant.name", Value: "김서연"},
				{Category: "applicant.phone", Value: "010-3456-7890"},
				{Category: "applicant.email", Value: "seoyeon@example.com"},
			}})
			must(err)
			env.Clock.Set(kst(2026, 5, 2))
			_, err = env.Feed.AppendRecords(ctx, id, []feed.RecordInput{
				{Kind: "BILLING", OccurredAt: kst(2026, 1, 31), ExternalID: "bill-1"},
				{Kind: "BILLING", OccurredAt: kst(2026, 4, 30), ExternalID: "bill-2"},
				{Kind: "USAGE", OccurredAt: kst(2026, 4, 1), ExternalID: "use-1"},
			})
			must(err)
			_, err = env.Feed.SetBillingState(ctx, id, models.BillingUnpaid, kst(2026, 3, 1))
			must(err)
			_, err = env.Feed.SetBillingState(ctx, id, models.BillingSettled, kst(2026, 4, 1))
			must(err)
			_, err = env.Feed.Terminate(ctx, id, kst(2026, 5, 2))
			must(err)
			// The final bill, issued after termination, falls in the same
			// fiscal year.
			env.Clock.Set(kst(2026, 5, 11))
			_, err = env.Feed.AppendRecords(ctx, id, []feed.RecordInput{{Kind: "BILLING", OccurredAt: kst(2026, 5, 10), ExternalID: "bill-3"}})
			must(err)

			want := map[string]itemView{
				"applicant.name":     {"RETAINED_BY_STATUTE", "2032-03-31", ""},
				"applicant.phone":    {"RETAINED_BY_STATUTE", "2032-03-31", ""},
				"applicant.email":    {"DUE", "2026-11-02", ""},
				"BILLING@2026-01-31": {"RETAINED_BY_STATUTE", "2032-03-31", ""},
				"BILLING@2026-04-30": {"RETAINED_BY_STATUTE", "2032-03-31", ""},
				"BILLING@2026-05-10": {"RETAINED_BY_STATUTE", "2032-03-31", ""},
				"USAGE@2026-04-01":   {"DUE", "2026-11-02", ""},
			}
			// The last second of 2026-11-02 in Korea: everything is still in
			// use under the post-termination clause, and a purge erases
			// nothing of the subscriber.
			env.Clock.Set(time.Date(2026, 11, 2, 14, 59, 59, 0, time.UTC))
			got := inventoryAt(t, env, id)
			for k, v := range want {
				v.State = "IN_USE"
				if got[k] != v {
					t.Errorf("at 23:59:59 KST on 2026-11-02: %s = %+v, want %+v", k, got[k], v)
				}
			}
			if _, err := env.Purge.Run(ctx, purge.Options{Actor: "test"}); err != nil {
				t.Fatal(err)
			}
			if got := inventoryAt(t, env, id); len(got) != len(want) {
				t.Errorf("the purge erased during the last day: %d items left, want %d", len(got), len(want))
			}
			// Midnight KST on 2026-11-03.
			env.Clock.Set(time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC))
			got = inventoryAt(t, env, id)
			for k, v := range want {
				if got[k] != v {
					t.Errorf("at 00:00 KST on 2026-11-03: %s = %+v, want %+v", k, got[k], v)
				}
			}
			if _, err := env.Purge.Run(ctx, purge.Options{Actor: "test"}); err != nil {
				t.Fatal(err)
			}
			got = inventoryAt(t, env, id)
			if _, ok := got["applicant.email"]; ok || len(got) != 5 {
				t.Errorf("after the purge: %v, want the tax-kept fields and bills only", got)
			}
			var me struct {
				Me struct {
					Erased []struct{ Code, Explanation string }
				}
			}
			env.Query(t, env.Token(t, id, "", auth.RoleSubscriber), `{ me(lang: EN) { erased { code explanation } } }`, nil).Decode(t, &me)
			if len(me.Me.Erased) == 0 {
				t.Fatal("me.erased is empty after the purge")
			}
			for _, e := range me.Me.Erased {
				if !strings.Contains(e.Explanation, "erased on 2026-11-03 under retention after termination") {
					t.Errorf("me(lang: EN).erased %s: %q, want English", e.Code, e.Explanation)
				}
			}
		})
	}
}
