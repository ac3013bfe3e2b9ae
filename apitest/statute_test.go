package apitest_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/usenotice"
)

// Statute-kept data stored apart (법 21③, issue 13 item 3), through the API
// on both stores: once a purge has moved what only the tax clause keeps,
// the subscriber's own view and access export still show it, kept under
// its law until its date, while staff, transmissions and the yearly notice
// see nothing of it.
func TestStatuteKeptDataIsApartFromEveryOtherUse(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		term := kst(2025, 9, 30)
		if _, err := env.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: "st-1", Status: models.StatusTerminated, SignedUpAt: kst(2020, 1, 2), TerminatedAt: &term, BirthDate: new("1970-01-01"),
			Items: []feed.ItemInput{{Category: "applicant.name", Value: "이서연"}, {Category: "applicant.phone", Value: "010-9876-5432"}, {Category: "applicant.email", Value: "seoyeon@example.com"}}}); err != nil {
			t.Fatal(err)
		}
		appendRecords(t, env, "st-1", []feed.RecordInput{
			{Kind: "BILLING", OccurredAt: kst(2025, 9, 30), ExternalID: "b-1", Summary: "청구 33,000원"},
			{Kind: "USAGE", OccurredAt: kst(2025, 9, 1), ExternalID: "u-1", Summary: "데이터 2GB"},
		})
		rep, err := env.Purge.Run(ctx, purge.Options{Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		// The name, the phone and the fee record move apart; the e-mail and
		// the usage, which no statute keeps, are erased.
		if rep.MovedApart != 3 || rep.Erased != 2 {
			t.Fatalf("the purge moved %d apart and erased %d; want 3 and 2", rep.MovedApart, rep.Erased)
		}
		apart, inUse := "portal_statute.", 0
		if env.DB.Dialect() == "sqlite" {
			apart = "statute_"
		}
		for _, table := range []string{"holdings", "records", apart + "holdings", apart + "records"} {
			var n int
			if err := env.DB.SQL().QueryRow("SELECT COUNT(*) FROM " + table + " WHERE subscriber_id = 'st-1'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if table == "holdings" || table == "records" {
				inUse += n
			}
		}
		if inUse != 0 {
			t.Errorf("%d rows of st-1 left in the tables in use", inUse)
		}

		// me: each item kept apart, as kept under its law until its date.
		inv := inventoryAt(t, env, "st-1")
		var codes []string
		for code, it := range inv {
			codes = append(codes, code)
			if it.State != "RETAINED_BY_STATUTE" || it.PurgeAfter == "" {
				t.Errorf("me: %s is %+v, want RETAINED_BY_STATUTE with a purge date", code, it)
			}
		}
		slices.Sort(codes)
		if diff := cmp.Diff([]string{"BILLING@2025-09-30", "applicant.name", "applicant.phone"}, codes); diff != "" {
			t.Errorf("me (-want +got):\n%s", diff)
		}

		// The access export: the subscriber's own copy holds them too.
		tok := env.Token(t, "st-1", "", auth.RoleSubscriber)
		acc := fileReq(t, env, tok, map[string]any{"type": "ACCESS", "idempotencyKey": "access-statute-1"})
		var got struct {
			Request struct{ Export *struct{ Document string } }
		}
		do(t, env, tok, `query($id: ID!) { request(id: $id) { export { document } } }`, map[string]any{"id": acc.ID}, &got)
		if got.Request.Export == nil {
			t.Fatalf("no export for the access request: %+v", acc)
		}
		var doc struct {
			Holdings, Records []struct{ Code, State string }
		}
		if err := json.Unmarshal([]byte(got.Request.Export.Document), &doc); err != nil {
			t.Fatal(err)
		}
		var exported []string
		for _, it := range append(doc.Holdings, doc.Records...) {
			exported = append(exported, it.Code+":"+it.State)
		}
		slices.Sort(exported)
		if diff := cmp.Diff([]string{"BILLING:RETAINED_BY_STATUTE", "applicant.name:RETAINED_BY_STATUTE", "applicant.phone:RETAINED_BY_STATUTE"}, exported); diff != "" {
			t.Errorf("the access export (-want +got):\n%s", diff)
		}

		// Staff opening the subscriber see nothing of it.
		var staff struct {
			Subscriber struct {
				Holdings []struct{ Category struct{ Code string } }
				Records  struct {
					Edges []struct {
						Node struct{ Kind struct{ Code string } }
					}
				}
			}
		}
		do(t, env, env.Token(t, "admin-1", "", auth.RoleAdmin), `query($id: ID!) { subscriber(id: $id) { holdings { category { code } } records(first: 100) { edges { node { kind { code } } } } } }`,
			map[string]any{"id": "st-1"}, &staff)
		if len(staff.Subscriber.Holdings) != 0 || len(staff.Subscriber.Records.Edges) != 0 {
			t.Errorf("the staff view shows %+v", staff.Subscriber)
		}

		// No transmission of it, even to the subscriber themselves.
		for field, scope := range map[string]map[string]any{
			"input.scope.categories":  {"categories": []string{"applicant.name"}},
			"input.scope.recordKinds": {"recordKinds": []string{"BILLING"}},
		} {
			wantCode(t, env.Query(t, tok, fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "SELF", "schedule": "ONCE", "scope": scope, "idempotencyKey": "statute-tx-" + field}}),
				"BAD_USER_INPUT", field)
		}

		// No yearly notice: the contact items kept apart are not the
		// notice's to send by, and it says why — kept only by statute, not
		// no contact at all.
		nrep, err := env.App.UsageNotice.Run(ctx, 2026, usenotice.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if n := lastNotice(t, env, "st-1"); nrep.Queued != 0 || nrep.SkippedStatuteOnly != 1 || nrep.SkippedNoContact != 0 || n == nil || n.Status != "SKIPPED_STATUTE_ONLY" {
			t.Errorf("the yearly notice queued %d, the subscriber's last notice %+v", nrep.Queued, n)
		}
	})
}

// A subscriber may ask to correct an item kept apart (법 36: what a statute
// keeps is still theirs): the correction is filed, and approved when the
// feed delivers the corrected value, which is updated where it is kept —
// apart, never back in use.
func TestCorrectionOfAnItemKeptApartTakesEffect(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		term := kst(2025, 9, 30)
		in := feed.SubscriberInput{ID: "st-2", Status: models.StatusTerminated, SignedUpAt: kst(2020, 1, 2), TerminatedAt: &term, BirthDate: new("1970-01-01"),
			Items: []feed.ItemInput{{Category: "applicant.name", Value: "이서연"}}}
		if _, err := env.Feed.UpsertSubscriber(ctx, in); err != nil {
			t.Fatal(err)
		}
		appendRecords(t, env, "st-2", []feed.RecordInput{{Kind: "BILLING", OccurredAt: kst(2025, 9, 30), ExternalID: "b-1", Summary: "청구 33,000원"}})
		if rep, err := env.Purge.Run(ctx, purge.Options{Actor: "test"}); err != nil || rep.MovedApart != 2 {
			t.Fatalf("the purge moved %+v apart: %v", rep, err)
		}
		tok := env.Token(t, "st-2", "", auth.RoleSubscriber)
		c := fileReq(t, env, tok, map[string]any{"type": "CORRECTION", "correction": map[string]any{"category": "applicant.name", "value": "이서윤"}, "reason": "개명했습니다", "idempotencyKey": "corr-apart-01"})

		do(t, env, env.Token(t, "crm", "", auth.RoleSystem), upsert, map[string]any{"in": map[string]any{
			"id": "st-2", "status": "TERMINATED", "signedUpAt": kst(2020, 1, 2), "terminatedAt": term, "birthDate": "1970-01-01",
			"items": []map[string]any{{"category": "applicant.name", "value": "이서윤"}},
		}}, nil)
		var done struct {
			Request struct{ Status, Resolution, ReasonCode string }
		}
		do(t, env, tok, `query($id: ID!) { request(id: $id) { status resolution reasonCode } }`, map[string]any{"id": c.ID}, &done)
		if done.Request.Status != "RESOLVED" || done.Request.Resolution != "APPROVED" || done.Request.ReasonCode != requests.ReasonCorrected {
			t.Errorf("after the feed delivered the corrected name = %+v, want approved", done.Request)
		}
		hs, err := env.DB.ListHoldings(ctx, "st-2")
		if err != nil {
			t.Fatal(err)
		}
		all, err := env.DB.ListAllHoldings(ctx, "st-2")
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 0 || len(all) != 1 {
			t.Errorf("after the correction %d holdings in use, %d in all; want 0 and 1 (kept apart)", len(hs), len(all))
		}
	})
}
