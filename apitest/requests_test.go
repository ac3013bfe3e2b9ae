package apitest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
)

type reqNode struct {
	ID         string
	Status     string
	Resolution *string
	Overdue    bool
	AssigneeID *string
	Assigned   bool
	Events     []struct {
		Kind     string
		Internal bool
		Note     *string
	}
	Outcomes []struct {
		ItemType    string
		Code        string
		Outcome     string
		Until       *string
		Clause      *struct{ Code string }
		Explanation string
	}
	Export *struct{ Document string }
}

const reqFields = `id status resolution overdue assigneeId assigned events { kind internal note } outcomes { itemType code outcome until clause { code } explanation(lang: EN) } export { document }`

func do(t *testing.T, env *apitest.Env, token, q string, vars map[string]any, out any) apitest.Response {
	t.Helper()
	res := env.Query(t, token, q, vars)
	if out != nil {
		res.Decode(t, out)
	}
	return res
}

// The journey of issue 5 through the API: a subscriber disputes a bill, its
// records are held; an agent is assigned, comments, resolves; the hold is
// released. A deletion request answers item by item with the laws that keep
// what is kept.
func TestRequestJourneyThroughTheAPI(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := apitest.New(t, d)
			env.Clock.Set(kst(2026, 1, 10))
			subscriber(t, env, "sub-1", kst(2021, 3, 2), 0, 0)
			if _, err := env.Feed.AppendRecords(ctx, "sub-1", []feed.RecordInput{
				{Kind: "BILLING", OccurredAt: kst(2025, 12, 31), ExternalID: "bill-12", Summary: "청구 33000원"},
				{Kind: "PAYMENT", OccurredAt: kst(2026, 1, 5), ExternalID: "pay-12", Summary: "자동이체 33000원"},
				{Kind: "USAGE", OccurredAt: kst(2025, 12, 3), ExternalID: "use-12", Summary: "문자 120건"},
			}); err != nil {
				t.Fatal(err)
			}
			subTok := env.Token(t, "sub-1", "", auth.RoleSubscriber)
			agentTok := env.Token(t, "agent-1", "", auth.RoleAgent)
			agent2Tok := env.Token(t, "agent-2", "", auth.RoleAgent)
			adminTok := env.Token(t, "admin-1", "", auth.RoleAdmin)

			// The subscriber disputes the December bill.
			var filed struct{ FileRequest reqNode }
			do(t, env, subTok, `mutation($in: FileRequestInput!) { fileRequest(input: $in) { `+reqFields+` } }`, map[string]any{"in": map[string]any{
				"type": "DISPUTE", "feeRelated": true, "scope": map[string]any{"recordKinds": []string{"BILLING", "PAYMENT"}},
				"reason": "12월 요금이 두 번 청구되었습니다", "idempotencyKey": "dispute-2026-01-10",
			}}, &filed)
			id := filed.FileRequest.ID
			if filed.FileRequest.Status != "SUBMITTED" || filed.FileRequest.Assigned {
				t.Fatalf("filed = %+v", filed.FileRequest)
			}
			var me struct {
				Me struct {
					Records struct {
						Edges []struct {
							Node struct {
								Kind      struct{ Code string }
								Retention struct{ State string }
							}
						}
					}
				}
			}
			do(t, env, subTok, `{ me { records { edges { node { kind { code } retention { state } } } } } }`, nil, &me)
			for _, e := range me.Me.Records.Edges {
				held := e.Node.Retention.State == "HELD"
				if want := e.Node.Kind.Code != "USAGE"; held != want {
					t.Errorf("%s held = %v, want %v", e.Node.Kind.Code, held, want)
				}
			}

			// An agent cannot see the subscriber before the request is theirs.
			res := env.Query(t, agentTok, `query($id: ID!) { subscriber(id: $id) { id } }`, map[string]any{"id": "sub-1"})
			if diff := cmp.Diff([]string{"FORBIDDEN"}, res.Codes()); diff != "" {
				t.Errorf("unassigned agent opening the subscriber (-want +got):\n%s", diff)
			}
			// The queue shows it, oldest due first.
			var queue struct {
				Requests struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
			do(t, env, agentTok, `{ requests(filter: {type: DISPUTE}) { edges { node { id } } } }`, nil, &queue)
			if len(queue.Requests.Edges) != 1 || queue.Requests.Edges[0].Node.ID != id {
				t.Errorf("queue = %+v", queue)
			}
			// The agent takes it, comments, and now may open the subscriber.
			do(t, env, agentTok, `mutation($id: ID!) { assignRequest(id: $id, assigneeId: "agent-1") { id } }`, map[string]any{"id": id}, nil)
			do(t, env, agentTok, `mutation($id: ID!) { commentOnRequest(id: $id, body: "청구 내역 확인 중", internal: true) { id } }`, map[string]any{"id": id}, nil)
			do(t, env, agentTok, `mutation($id: ID!) { commentOnRequest(id: $id, body: "중복 청구를 확인했습니다") { id } }`, map[string]any{"id": id}, nil)
			var opened struct{ Subscriber struct{ ID string } }
			do(t, env, agentTok, `query($id: ID!) { subscriber(id: $id) { id holdings { value } } }`, map[string]any{"id": "sub-1"}, &opened)
			if opened.Subscriber.ID != "sub-1" {
				t.Errorf("assigned agent opening the subscriber = %+v", opened)
			}
			// Another agent still cannot, and cannot act on it.
			if res := env.Query(t, agent2Tok, `query($id: ID!) { request(id: $id) { id } }`, map[string]any{"id": id}); !cmp.Equal(res.Codes(), []string{"NOT_FOUND"}) {
				t.Errorf("another agent reading the request: %v", res.Codes())
			}
			if res := env.Query(t, agent2Tok, `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: APPROVED, reasonCode: "X", text: "x"}) { id } }`, map[string]any{"id": id}); !cmp.Equal(res.Codes(), []string{"FORBIDDEN"}) {
				t.Errorf("another agent resolving: %v", res.Codes())
			}
			// Resolving without a reason is refused.
			if res := env.Query(t, agentTok, `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: APPROVED, reasonCode: "", text: "x"}) { id } }`, map[string]any{"id": id}); !cmp.Equal(res.Codes(), []string{"BAD_USER_INPUT"}) {
				t.Errorf("resolving without a reason code: %v", res.Codes())
			}
			var resolved struct{ ResolveRequest reqNode }
			do(t, env, agentTok, `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: APPROVED, reasonCode: "DUPLICATE_BILL_REFUNDED", text: "중복 청구분을 환불했습니다"}) { `+reqFields+` } }`, map[string]any{"id": id}, &resolved)
			if resolved.ResolveRequest.Status != "RESOLVED" || *resolved.ResolveRequest.Resolution != "APPROVED" {
				t.Errorf("resolved = %+v", resolved.ResolveRequest)
			}
			// The subscriber sees the visible history, not the internal note.
			var mine struct{ Request reqNode }
			do(t, env, subTok, `query($id: ID!) { request(id: $id) { `+reqFields+` } }`, map[string]any{"id": id}, &mine)
			var kinds []string
			for _, e := range mine.Request.Events {
				kinds = append(kinds, e.Kind)
				if e.Note != nil && strings.Contains(*e.Note, "확인 중") {
					t.Errorf("the subscriber sees an internal comment")
				}
			}
			if diff := cmp.Diff([]string{"FILED", "ASSIGNED", "COMMENTED", "RESOLVED"}, kinds); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if mine.Request.AssigneeID != nil || !mine.Request.Assigned {
				t.Errorf("the subscriber sees assignee %v, assigned %v", mine.Request.AssigneeID, mine.Request.Assigned)
			}
			// The hold is released: nothing is HELD any more.
			do(t, env, subTok, `{ me { records { edges { node { kind { code } retention { state } } } } } }`, nil, &me)
			for _, e := range me.Me.Records.Edges {
				if e.Node.Retention.State == "HELD" {
					t.Errorf("%s still held after the dispute was resolved", e.Node.Kind.Code)
				}
			}
			// Once closed, the agent no longer sees the subscriber.
			if res := env.Query(t, agentTok, `query($id: ID!) { subscriber(id: $id) { id } }`, map[string]any{"id": "sub-1"}); !cmp.Equal(res.Codes(), []string{"FORBIDDEN"}) {
				t.Errorf("agent after closing: %v", res.Codes())
			}

			// Every staff read of the subscriber is in the audit trail.
			trail := env.Audit
			rep, err := trail.Verify(ctx, 0, 0)
			if err != nil || !rep.OK() {
				t.Fatalf("audit chain: %+v %v", rep, err)
			}
			page, err := trail.List(ctx, actor.Staff("admin-1", actor.RoleAdmin), audit.Filter{Subject: "sub-1", Action: audit.ActionSubscriberRead}, 100, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Events) != 1 || page.Events[0].ActorID != "agent-1" {
				t.Errorf("subscriber reads audited = %+v, want one by agent-1", page.Events)
			}
			_ = adminTok
		})
	}
}

func TestDeletionAndAccessThroughTheAPI(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := apitest.New(t, d)
			env.Clock.Set(kst(2026, 1, 10))
			subscriber(t, env, "sub-1", kst(2021, 3, 2), 0, 0)
			if _, err := env.Feed.AppendRecords(ctx, "sub-1", []feed.RecordInput{
				{Kind: "PAYMENT", OccurredAt: kst(2025, 6, 1), ExternalID: "pay-1"},
				{Kind: "USAGE", OccurredAt: kst(2025, 6, 3), ExternalID: "use-1"},
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := env.Feed.Terminate(ctx, "sub-1", kst(2026, 1, 10)); err != nil {
				t.Fatal(err)
			}
			env.Clock.Set(kst(2026, 11, 26))
			subTok := env.Token(t, "sub-1", "", auth.RoleSubscriber)
			adminTok := env.Token(t, "admin-1", "", auth.RoleAdmin)

			var filed struct{ FileRequest reqNode }
			in := map[string]any{"type": "DELETION", "scope": map[string]any{"all": true}, "reason": "모두 지워 주세요", "idempotencyKey": "delete-all-1"}
			do(t, env, subTok, `mutation($in: FileRequestInput!) { fileRequest(input: $in) { id } }`, map[string]any{"in": in}, &filed)
			var again struct{ FileRequest reqNode }
			do(t, env, subTok, `mutation($in: FileRequestInput!) { fileRequest(input: $in) { id } }`, map[string]any{"in": in}, &again)
			if again.FileRequest.ID != filed.FileRequest.ID {
				t.Errorf("a retry with the same key filed another request")
			}
			in["reason"] = "다른 내용"
			if res := env.Query(t, subTok, `mutation($in: FileRequestInput!) { fileRequest(input: $in) { id } }`, map[string]any{"in": in}); !cmp.Equal(res.Codes(), []string{"CONFLICT"}) {
				t.Errorf("same key, other body: %v", res.Codes())
			}
			if res := env.Query(t, subTok, `mutation { fileRequest(input: {subscriberId: "sub-2", type: DELETION, scope: {all: true}, reason: "x", idempotencyKey: "delete-other"}) { id } }`, nil); !cmp.Equal(res.Codes(), []string{"FORBIDDEN"}) {
				t.Errorf("filing for someone else: %v", res.Codes())
			}
			id := filed.FileRequest.ID
			do(t, env, adminTok, `mutation($id: ID!) { assignRequest(id: $id, assigneeId: "admin-1") { id } }`, map[string]any{"id": id}, nil)
			var resolved struct{ ResolveRequest reqNode }
			do(t, env, adminTok, `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: APPROVED, reasonCode: "ERASED", text: "삭제했습니다"}) { `+reqFields+` } }`, map[string]any{"id": id}, &resolved)
			r := resolved.ResolveRequest
			if *r.Resolution != "PARTIALLY_APPROVED" {
				t.Errorf("resolution = %s, want PARTIALLY_APPROVED", *r.Resolution)
			}
			found := map[string]string{}
			for _, o := range r.Outcomes {
				found[o.ItemType+":"+o.Code] = o.Outcome
				if o.Code == "applicant.name" {
					if o.Outcome != "RETAINED" || o.Clause.Code != "TAX_RECORDS" || !strings.Contains(o.Explanation, "National Tax Basic Act Art. 85-3") {
						t.Errorf("name outcome = %+v", o)
					}
				}
			}
			if found["HOLDING:applicant.phone"] != "RETAINED" || found["HOLDING:optional.discount_certificate"] != "ERASED" || found["CONSENT:marketing.sms"] != "WITHDRAWN" {
				t.Errorf("outcomes = %v", found)
			}
			// The consents were withdrawn through the consent history.
			var cons struct {
				Me struct {
					Consents []struct {
						Topic struct{ Code string }
						State string
					}
				}
			}
			do(t, env, subTok, `{ me { consents { topic { code } state } } }`, nil, &cons)
			for _, c := range cons.Me.Consents {
				if c.State != "WITHDRAWN" {
					t.Errorf("consent %s = %s after the deletion, want WITHDRAWN", c.Topic.Code, c.State)
				}
			}

			// Access: completes at once with an export the subscriber downloads.
			env.Clock.Advance(time.Minute)
			var acc struct{ FileRequest reqNode }
			do(t, env, subTok, `mutation { fileRequest(input: {type: ACCESS, idempotencyKey: "access-0001"}) { `+reqFields+` } }`, nil, &acc)
			if acc.FileRequest.Status != "RESOLVED" || acc.FileRequest.Export == nil {
				t.Fatalf("access = %+v", acc.FileRequest)
			}
			var doc struct {
				Format   string
				Holdings []struct{ Category, Value string }
				Requests []struct{ Type string }
			}
			if err := json.Unmarshal([]byte(acc.FileRequest.Export.Document), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Holdings) == 0 || len(doc.Requests) != 2 {
				t.Errorf("export = %+v", doc)
			}
			var adminView struct{ Request reqNode }
			do(t, env, adminTok, `query($id: ID!) { request(id: $id) { `+reqFields+` } }`, map[string]any{"id": acc.FileRequest.ID}, &adminView)
			if adminView.Request.Export != nil {
				t.Errorf("staff can download the subscriber's export")
			}
			// My requests, newest first.
			var list struct {
				Me struct {
					Requests struct {
						Edges []struct{ Node struct{ Type string } }
					}
				}
			}
			do(t, env, subTok, `{ me { requests(first: 10) { edges { node { type } } } } }`, nil, &list)
			if len(list.Me.Requests.Edges) != 2 || list.Me.Requests.Edges[0].Node.Type != "ACCESS" {
				t.Errorf("my requests = %+v", list)
			}
		})
	}
}
