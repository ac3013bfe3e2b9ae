package apitest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/telemetry"
)

// The tests of issue 14 (rights as docs/LAW.md writes them), through the API on
// both stores.

const fileMut = `mutation($in: FileRequestInput!) { fileRequest(input: $in) { id status type overdue late extended assigned assigneeId approvalRequired approved verification { method reference } } }`

type filedReq struct {
	ID, Status, Type           string
	Overdue, Late, Extended    bool
	Assigned                   bool
	AssigneeID                 *string
	ApprovalRequired, Approved bool
	Verification               *struct{ Method, Reference string }
}

func fileReq(t *testing.T, env *apitest.Env, token string, in map[string]any) filedReq {
	t.Helper()
	var out struct{ FileRequest filedReq }
	do(t, env, token, fileMut, map[string]any{"in": in}, &out)
	return out.FileRequest
}

func assign(t *testing.T, env *apitest.Env, admin, id, agent string) {
	t.Helper()
	do(t, env, admin, `mutation($id: ID!, $a: ID!) { assignRequest(id: $id, assigneeId: $a) { id } }`, map[string]any{"id": id, "a": agent}, nil)
}

func wantCode(t *testing.T, res apitest.Response, code, field string) {
	t.Helper()
	if diff := cmp.Diff([]string{code}, res.Codes()); diff != "" {
		t.Fatalf("codes (-want +got):\n%s\n%+v", diff, res.Errors)
	}
	if field != "" {
		if got, _ := res.Errors[0].Extensions["field"].(string); got != field {
			t.Errorf("field = %q, want %q (%s)", got, field, res.Errors[0].Message)
		}
	}
}

func bothStores(t *testing.T, f func(t *testing.T, env *apitest.Env)) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, apitest.New(t, d))
		})
	}
}

const extendMut = `mutation($id: ID!) { extendRequest(id: $id, reason: "자료 확인에 시간이 필요합니다") { id dueAt } }`

// 10 days for every right; only access may be postponed; deletion,
// correction and suspension cannot be extended; an overdue request cannot
// be extended and stays overdue on the desk.
func TestOnlyAccessMayBePostponedAndOverdueStaysOverdue(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		subscriber(t, env, "sub-1", kst(2021, 3, 2), 0, 5)
		subTok := env.Token(t, "sub-1", "", auth.RoleSubscriber)
		agentTok := env.Token(t, "agent-1", "", auth.RoleAgent)
		adminTok := env.Token(t, "admin-1", "", auth.RoleAdmin)
		filedAt := env.Clock.Now()
		var ids []string
		for _, typ := range []string{"DELETION", "CORRECTION", "SUSPENSION", "DISPUTE"} {
			in := map[string]any{"type": typ, "scope": map[string]any{"categories": []string{"optional.discount_certificate"}}, "reason": "요청합니다", "idempotencyKey": "deadline-" + typ}
			switch typ {
			case "SUSPENSION":
				in["purposes"] = []string{"OPERATIONS"}
			case "CORRECTION":
				in["correction"] = map[string]any{"category": "applicant.phone", "value": "010-9876-5432"}
			}
			r := fileReq(t, env, subTok, in)
			assign(t, env, adminTok, r.ID, "agent-1")
			res := env.Query(t, agentTok, extendMut, map[string]any{"id": r.ID})
			wantCode(t, res, "CONFLICT", "")
			ids = append(ids, r.ID)
		}
		// 10 days from receipt, and then some: overdue, and still not
		// extendable; it stays in the desk's overdue queue.
		env.Clock.Set(filedAt.Add(10*24*time.Hour + time.Minute))
		agentTok = env.Token(t, "agent-1", "", auth.RoleAgent)
		adminTok = env.Token(t, "admin-1", "", auth.RoleAdmin)
		for _, id := range ids {
			wantCode(t, env.Query(t, adminTok, extendMut, map[string]any{"id": id}), "CONFLICT", "")
		}
		var q struct {
			Requests struct {
				Edges []struct {
					Node struct {
						ID            string
						Overdue, Late bool
						DueAt         time.Time
					}
				}
			}
		}
		do(t, env, agentTok, `{ requests(filter: {overdue: true}) { edges { node { id overdue late dueAt } } } }`, nil, &q)
		if len(q.Requests.Edges) != len(ids) {
			t.Fatalf("overdue queue = %+v, want the %d requests", q, len(ids))
		}
		for _, e := range q.Requests.Edges {
			if !e.Node.Overdue || !e.Node.Late || !e.Node.DueAt.Equal(filedAt.Add(10*24*time.Hour)) {
				t.Errorf("overdue request = %+v, want overdue, late, due 10 days after %s", e.Node, filedAt)
			}
		}
		// And in the metrics the operator alerts on, one per type.
		reg := prometheus.NewRegistry()
		telemetry.RegisterRequests(reg, env.Requests, nil)
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		overdue := map[string]float64{}
		for _, mf := range mfs {
			if mf.GetName() != "portal_requests_overdue" {
				continue
			}
			for _, m := range mf.GetMetric() {
				overdue[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
			}
		}
		if diff := cmp.Diff(map[string]float64{"DELETION": 1, "CORRECTION": 1, "SUSPENSION": 1, "DISPUTE": 1, "ACCESS": 0}, overdue); diff != "" {
			t.Errorf("portal_requests_overdue (-want +got):\n%s", diff)
		}
	})
}

// A refusal names the law that keeps each item; a refusal with no legal
// ground is BAD_USER_INPUT; the subscriber reads the structured outcome
// before the staff's text.
func TestRefusalsCiteTheLaw(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		subscriber(t, env, "sub-1", kst(2021, 3, 2), 0, 0)
		if _, err := env.Feed.AppendRecords(ctx, "sub-1", []feed.RecordInput{
			{Kind: "BILLING", OccurredAt: kst(2026, 8, 31), ExternalID: "bill-08", Summary: "청구 33000원"},
			{Kind: "USAGE", OccurredAt: kst(2026, 9, 3), ExternalID: "use-09", Summary: "문자 120건"},
		}); err != nil {
			t.Fatal(err)
		}
		// Terminated: the tax law keeps the fee records and the listed fields.
		if _, err := env.Feed.Terminate(ctx, "sub-1", kst(2026, 10, 1)); err != nil {
			t.Fatal(err)
		}
		subTok := env.Token(t, "sub-1", "", auth.RoleSubscriber)
		agentTok := env.Token(t, "agent-1", "", auth.RoleAgent)
		adminTok := env.Token(t, "admin-1", "", auth.RoleAdmin)
		resolve := `mutation($in: ResolveRequestInput!) { resolveRequest(input: $in) { id status resolution resolutionText howToObject decision(lang: EN) legalGround { code }
			outcomes { itemType code outcome until clause { code law } explanation(lang: EN) } } }`
		type resolved struct {
			ResolveRequest struct {
				ID, Status, ResolutionText, HowToObject, Decision string
				Resolution                                        string
				LegalGround                                       *struct{ Code string }
				Outcomes                                          []struct {
					ItemType, Code, Outcome string
					Until                   *string
					Clause                  *struct{ Code, Law string }
				}
			}
		}

		// A refusal of what the tax law keeps is allowed, and says so per item.
		bills := fileReq(t, env, subTok, map[string]any{"type": "DELETION", "scope": map[string]any{"recordKinds": []string{"BILLING"}}, "reason": "청구 기록을 지워 주세요", "idempotencyKey": "delete-bills-1"})
		assign(t, env, adminTok, bills.ID, "agent-1")
		var rej resolved
		do(t, env, agentTok, resolve, map[string]any{"in": map[string]any{"id": bills.ID, "resolution": "REJECTED", "reasonCode": "TAX_LAW", "text": "세법상 보관 의무가 있습니다"}}, &rej)
		r := rej.ResolveRequest
		if r.Resolution != "REJECTED" || len(r.Outcomes) != 1 || r.Outcomes[0].Outcome != "RETAINED" || r.Outcomes[0].Clause == nil || r.Outcomes[0].Clause.Code != "TAX_RECORDS" || r.Outcomes[0].Until == nil {
			t.Fatalf("refused deletion of bills = %+v", r)
		}
		if !strings.HasPrefix(r.Decision, "Decision: refused.") || !strings.Contains(r.Decision, "National Tax Basic Act Art. 85-3") || !strings.Contains(r.Decision, *r.Outcomes[0].Until) {
			t.Errorf("decision = %q, want the refusal citing the tax law until %s", r.Decision, *r.Outcomes[0].Until)
		}
		if !strings.HasPrefix(r.ResolutionText, "결정: 거절.") || !strings.Contains(r.ResolutionText, "국세기본법 제85조의3") || !strings.HasSuffix(r.ResolutionText, "세법상 보관 의무가 있습니다") || r.HowToObject == "" {
			t.Errorf("resolution text = %q, how to object = %q", r.ResolutionText, r.HowToObject)
		}

		// "We keep it." for everything, though optional items and usage
		// records have no law keeping them: refused.
		all := fileReq(t, env, subTok, map[string]any{"type": "DELETION", "scope": map[string]any{"all": true}, "reason": "모두 지워 주세요", "idempotencyKey": "delete-all-1"})
		assign(t, env, adminTok, all.ID, "agent-1")
		res := env.Query(t, agentTok, resolve, map[string]any{"in": map[string]any{"id": all.ID, "resolution": "REJECTED", "reasonCode": "KEEP", "text": "We keep it."}})
		wantCode(t, res, "BAD_USER_INPUT", "resolution")

		// "Your data was deleted" on a deletion the law keeps part of: the
		// subscriber reads the structured outcome first.
		var app resolved
		do(t, env, agentTok, resolve, map[string]any{"in": map[string]any{"id": all.ID, "resolution": "APPROVED", "reasonCode": "DONE", "text": "Your data was deleted"}}, &app)
		a := app.ResolveRequest
		if a.Resolution != "PARTIALLY_APPROVED" || !strings.HasPrefix(a.Decision, "Decision: partially approved.") || !strings.Contains(a.Decision, "kept under National Tax Basic Act") {
			t.Errorf("approved deletion = %s, decision %q", a.Resolution, a.Decision)
		}
		if !strings.HasPrefix(a.ResolutionText, "결정: 일부 승인.") || strings.HasPrefix(a.ResolutionText, "Your data") {
			t.Errorf("resolution text = %q, want the structured outcome first", a.ResolutionText)
		}
		for _, o := range a.Outcomes {
			if o.Outcome == "RETAINED" && (o.Clause == nil || (o.Clause.Law == "" && o.Clause.Code != "SERVICE_PERIOD")) {
				t.Errorf("kept item without its law: %+v", o)
			}
		}

		// A suspension refused needs a legal ground from the catalog.
		susp := map[string]any{"type": "SUSPENSION", "purposes": []string{"OPERATIONS"}, "reason": "분석에 쓰지 마세요", "idempotencyKey": "suspend-ops-1"}
		s := fileReq(t, env, subTok, susp)
		assign(t, env, adminTok, s.ID, "agent-1")
		refuse := func(ground any) apitest.Response {
			in := map[string]any{"id": s.ID, "resolution": "REJECTED", "reasonCode": "NEEDED", "text": "필요합니다"}
			if ground != nil {
				in["legalGround"] = ground
			}
			return env.Query(t, agentTok, resolve, map[string]any{"in": in})
		}
		wantCode(t, refuse(nil), "BAD_USER_INPUT", "legalGround")
		wantCode(t, refuse("NO_SUCH_CLAUSE"), "BAD_USER_INPUT", "legalGround")
		var sr resolved
		refuse("TAX_RECORDS").Decode(t, &sr)
		if sr.ResolveRequest.LegalGround == nil || sr.ResolveRequest.LegalGround.Code != "TAX_RECORDS" || !strings.Contains(sr.ResolveRequest.Decision, "Legal ground: National Tax Basic Act") {
			t.Errorf("refused suspension = %+v", sr.ResolveRequest)
		}
	})
}

// Staff file for a subscriber only with a recorded verification; the
// subscriber is told; a staff-filed deletion needs a second staff member;
// staff never grant consent; an agent reads a subscriber only while a
// request assigned to them is open, and sees only their own requests.
func TestStaffActOnlyWithVerifiedAgency(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		subscriber(t, env, "sub-1", kst(2021, 3, 2), 0, 3)
		subscriber(t, env, "sub-2", kst(2022, 5, 9), 0, 3)
		sub1 := env.Token(t, "sub-1", "", auth.RoleSubscriber)
		agent1 := env.Token(t, "agent-1", "", auth.RoleAgent)
		agent2 := env.Token(t, "agent-2", "", auth.RoleAgent)
		admin := env.Token(t, "admin-1", "", auth.RoleAdmin)
		verified := map[string]any{"method": "CALLBACK", "reference": "callback log 2026-11-26 #0042"}
		del := func(v any) map[string]any {
			in := map[string]any{"subscriberId": "sub-2", "type": "DELETION", "scope": map[string]any{"categories": []string{"optional.discount_certificate"}}, "reason": "전화로 삭제 요청", "idempotencyKey": "agent-del-0001", "via": "AGENT_DESK"}
			if v != nil {
				in["verification"] = v
			}
			return map[string]any{"in": in}
		}

		// Without a recorded verification, staff file nothing.
		wantCode(t, env.Query(t, agent1, fileMut, del(nil)), "BAD_USER_INPUT", "verification")
		wantCode(t, env.Query(t, agent1, fileMut, del(map[string]any{"method": "CALLBACK", "reference": " "})), "BAD_USER_INPUT", "verification.reference")
		// sub-2 is an adult with no guardian: no legal representative to verify.
		wantCode(t, env.Query(t, agent1, fileMut, del(map[string]any{"method": "GUARDIAN", "reference": "family register checked"})), "BAD_USER_INPUT", "verification.method")
		wantCode(t, env.Query(t, sub1, fileMut, map[string]any{"in": map[string]any{"type": "DISPUTE", "scope": map[string]any{"all": true}, "reason": "x", "idempotencyKey": "sub-verif-01", "verification": verified}}), "BAD_USER_INPUT", "verification")
		if rs, _, _ := env.DB.ListSubscriberRequests(ctx, "sub-2", nil, 10); len(rs) != 0 {
			t.Fatalf("refused filings left %d requests", len(rs))
		}
		var filed struct{ FileRequest filedReq }
		do(t, env, agent1, fileMut, del(verified), &filed)
		d := filed.FileRequest
		if d.Verification == nil || d.Verification.Method != "CALLBACK" || !d.ApprovalRequired || d.Approved {
			t.Fatalf("staff-filed deletion = %+v", d)
		}
		// The subscriber is told of the request filed in their name.
		out, err := env.DB.ListOutbox(ctx, "sub-2", 10)
		if err != nil {
			t.Fatal(err)
		}
		var told bool
		for _, m := range out {
			var n struct{ Kind, Event, RequestID, FiledBy string }
			_ = json.Unmarshal([]byte(m.Payload), &n)
			told = told || (n.Kind == requests.NoticeStatus && n.Event == "FILED" && n.RequestID == d.ID && n.FiledBy == "AGENT")
		}
		if !told {
			t.Errorf("no FILED notice to sub-2 in the outbox: %+v", out)
		}
		// The subscriber sees the request, not the verification's reference.
		sub2 := env.Token(t, "sub-2", "", auth.RoleSubscriber)
		var mine struct{ Request filedReq }
		do(t, env, sub2, `query($id: ID!) { request(id: $id) { id verification { method reference } } }`, map[string]any{"id": d.ID}, &mine)
		if mine.Request.Verification != nil {
			t.Errorf("the subscriber sees the staff's verification: %+v", mine.Request.Verification)
		}

		// It takes effect only with a second staff member's approval.
		resolve := `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: APPROVED, reasonCode: "DONE", text: "처리했습니다"}) { id resolution } }`
		approve := `mutation($id: ID!) { approveRequest(id: $id) { id approved } }`
		wantCode(t, env.Query(t, agent1, resolve, map[string]any{"id": d.ID}), "CONFLICT", "")
		wantCode(t, env.Query(t, agent1, approve, map[string]any{"id": d.ID}), "FORBIDDEN", "")
		wantCode(t, env.Query(t, agent2, approve, map[string]any{"id": d.ID}), "FORBIDDEN", "")
		if hs, _ := env.DB.ListHoldings(ctx, "sub-2"); len(hs) != 4 {
			t.Fatalf("sub-2 holds %d items before approval, want 4", len(hs))
		}
		do(t, env, admin, approve, map[string]any{"id": d.ID}, nil)
		do(t, env, agent1, resolve, map[string]any{"id": d.ID}, nil)
		if hs, _ := env.DB.ListHoldings(ctx, "sub-2"); len(hs) != 3 {
			t.Errorf("sub-2 holds %d items after the approved deletion, want 3", len(hs))
		}

		// Staff withdraw marketing consents for a subscriber, never grant.
		do(t, env, sub1, `mutation { setConsent(input: {topic: "marketing.email", granted: true}) { replayed } }`, nil, nil)
		var disp struct{ FileRequest filedReq }
		do(t, env, agent1, fileMut, map[string]any{"in": map[string]any{"subscriberId": "sub-1", "type": "DISPUTE", "scope": map[string]any{"recordKinds": []string{"USAGE"}}, "reason": "사용량 이의", "idempotencyKey": "agent-dsp-0001", "via": "AGENT_DESK", "verification": map[string]any{"method": "ID_AT_COUNTER", "reference": "counter 17, ID checked"}}}, &disp)
		grant := `mutation { setConsent(input: {subscriberId: "sub-1", topic: "marketing.sms", granted: true, reason: "고객 요청"}) { replayed } }`
		wantCode(t, env.Query(t, agent1, grant, nil), "FORBIDDEN", "")
		do(t, env, agent1, `mutation { setConsent(input: {subscriberId: "sub-1", topic: "marketing.email", granted: false, reason: "고객 전화 요청"}) { replayed } }`, nil, nil)

		// The agent reads sub-1 while the dispute is open and theirs, not after.
		subQ := `query { subscriber(id: "sub-1") { id } }`
		do(t, env, agent1, subQ, nil, nil)
		wantCode(t, env.Query(t, agent2, subQ, nil), "FORBIDDEN", "")
		do(t, env, agent1, `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: REJECTED, reasonCode: "VERIFIED", text: "사용 기록이 정확합니다"}) { id } }`, map[string]any{"id": disp.FileRequest.ID}, nil)
		wantCode(t, env.Query(t, agent1, subQ, nil), "FORBIDDEN", "")

		// Agents see their own requests, resolved ones included; never
		// someone else's, nor an access request no agent worked.
		acc := fileReq(t, env, sub1, map[string]any{"type": "ACCESS", "idempotencyKey": "access-sub1-01"})
		other := fileReq(t, env, sub1, map[string]any{"type": "DISPUTE", "scope": map[string]any{"recordKinds": []string{"PAYMENT"}}, "reason": "결제 이의", "idempotencyKey": "dispute-sub1-02"})
		assign(t, env, admin, other.ID, "agent-2")
		do(t, env, agent2, `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: APPROVED, reasonCode: "FIXED", text: "정정했습니다"}) { id } }`, map[string]any{"id": other.ID}, nil)
		queue := func(token string) []string {
			var q struct {
				Requests struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
			do(t, env, token, `{ requests(filter: {status: RESOLVED}, first: 50) { edges { node { id } } } }`, nil, &q)
			var ids []string
			for _, e := range q.Requests.Edges {
				ids = append(ids, e.Node.ID)
			}
			return ids
		}
		if diff := cmp.Diff([]string{d.ID, disp.FileRequest.ID}, queue(agent1), sortStrings); diff != "" {
			t.Errorf("agent-1's resolved requests (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{other.ID}, queue(agent2), sortStrings); diff != "" {
			t.Errorf("agent-2's resolved requests (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{d.ID, disp.FileRequest.ID, acc.ID, other.ID}, queue(admin), sortStrings); diff != "" {
			t.Errorf("the admin's resolved requests (-want +got):\n%s", diff)
		}
		wantCode(t, env.Query(t, agent1, `query($id: ID!) { request(id: $id) { id } }`, map[string]any{"id": acc.ID}), "NOT_FOUND", "")
	})
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// The feeds refuse a child under 14 without a guardian, whichever way the
// birth date comes; the two ways must agree. Ages count by the Civil Act
// in Korea Standard Time: 14 from 00:00 KST of the 14th birthday, and for a
// child born on 29 February from 1 March in a common year.
func TestFeedsRefuseAChildWithoutAGuardian(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		kstZone := time.FixedZone("KST", 9*3600)
		withBirth := func(id string, field, item any, guardian any) map[string]any {
			return subscriberInput(id, func(m map[string]any) {
				delete(m, "birthDate")
				if field != nil {
					m["birthDate"] = field
				}
				if item != nil {
					m["items"] = append(m["items"].([]map[string]any), map[string]any{"category": "applicant.birth_date", "value": item})
				}
				if guardian != nil {
					m["guardianId"] = guardian
				}
			})
		}
		tests := []struct {
			name      string
			now       time.Time
			vars      map[string]any
			wantCode  string
			wantField string
		}{
			{"a child of 9 by birthDate", apitest.Start, withBirth("kid-1", "2017-05-01", nil, nil), "BAD_USER_INPUT", "guardianId"},
			{"a child of 8 by the applicant.birth_date item", apitest.Start, withBirth("kid-2", nil, "2018-03-03", nil), "BAD_USER_INPUT", "guardianId"},
			{"the two birth dates disagree", apitest.Start, withBirth("kid-3", "1988-04-17", "1990-01-01", nil), "BAD_USER_INPUT", "items[3].value"},
			{"a child with a guardian", apitest.Start, withBirth("kid-4", nil, "2018-03-03", "guardian-4"), "", ""},
			// Born 26 November 2012: 14 from 26 November 2026 00:00 KST.
			{"a second before the 14th birthday", time.Date(2026, 11, 26, 0, 0, 0, 0, kstZone).Add(-time.Second), withBirth("teen-1", "2012-11-26", nil, nil), "BAD_USER_INPUT", "guardianId"},
			{"at 00:00 KST of the 14th birthday", time.Date(2026, 11, 26, 0, 0, 0, 0, kstZone), withBirth("teen-2", "2012-11-26", nil, nil), "", ""},
			// Born 29 February 2012: 14 from 1 March 2026 00:00 KST.
			{"leap-day child on 28 February", time.Date(2026, 3, 1, 0, 0, 0, 0, kstZone).Add(-time.Second), withBirth("leap-1", nil, "2012-02-29", nil), "BAD_USER_INPUT", "guardianId"},
			{"leap-day child on 1 March", time.Date(2026, 3, 1, 0, 0, 0, 0, kstZone), withBirth("leap-2", nil, "2012-02-29", nil), "", ""},
		}
		for _, tc := range tests {
			env.Clock.Set(tc.now)
			res := env.Query(t, env.Token(t, "crm", "", auth.RoleSystem), upsert, tc.vars)
			if tc.wantCode == "" {
				if len(res.Errors) > 0 {
					t.Errorf("%s: %+v", tc.name, res.Errors)
				}
				continue
			}
			t.Run(tc.name, func(t *testing.T) { wantCode(t, res, tc.wantCode, tc.wantField) })
		}
		// The item's birth date is the subscriber's: the guardian acts.
		var me struct{ Me struct{ Minor bool } }
		env.Clock.Set(apitest.Start)
		do(t, env, env.Token(t, "kid-4", "guardian-4", auth.RoleSubscriber), `{ me { minor } }`, nil, &me)
		if !me.Me.Minor {
			t.Errorf("kid-4, 8 by the applicant.birth_date item, is not a minor")
		}
		// The import feed refuses the same child.
		var errs []feed.LineError
		line := `{"id":"kid-9","status":"ACTIVE","signedUpAt":"2024-03-02T09:00:00+09:00","items":[{"category":"applicant.birth_date","value":"2017-05-01"}]}`
		rep, err := env.Feed.Import(context.Background(), strings.NewReader(line), feed.ImportOptions{OnError: func(e feed.LineError) { errs = append(errs, e) }})
		if err != nil || rep.Imported != 0 || len(errs) != 1 || errs[0].Field != "guardianId" {
			t.Errorf("import of a child without a guardian: %+v, %v, %+v", rep, err, errs)
		}
	})
}

// Staff may record that they verified a legal representative for a child
// under 14 whose guardian is on record.
func TestStaffVerifyAGuardianOfAChild(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		agent1 := env.Token(t, "agent-1", "", auth.RoleAgent)
		// A child of 10 with a recorded guardian: the guardian is verified.
		if _, err := env.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: "kid-g", Status: models.StatusActive, SignedUpAt: kst(2024, 1, 2), BirthDate: new("2016-06-01"), GuardianID: new("parent-g"),
			Items: []feed.ItemInput{{Category: "applicant.name", Value: "김하늘"}, {Category: "guardian.name", Value: "김보호"}}}); err != nil {
			t.Fatal(err)
		}
		kid := map[string]any{"in": map[string]any{"subscriberId": "kid-g", "type": "ACCESS", "reason": "보호자 방문", "idempotencyKey": "agent-kid-0001", "via": "AGENT_DESK",
			"verification": map[string]any{"method": "GUARDIAN", "reference": "family register checked at counter"}}}
		if res := env.Query(t, agent1, fileMut, kid); len(res.Codes()) != 0 {
			t.Fatalf("a GUARDIAN verification for a child with a recorded guardian was refused: %v", res.Codes())
		}
	})
}
