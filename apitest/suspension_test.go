package apitest_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/requests"
)

// A suspension of processing (법 37) takes effect when filed: `me` shows
// it, the operator's systems read it and are told by a webhook event, and
// the portal sends no marketing reconfirmation while MARKETING is
// suspended; lifting it, or a refusal with a legal ground, ends it.
func TestSuspensionTakesEffect(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		subscriber(t, env, "sub-1", kst(2021, 3, 2), 0, 0)
		subscriber(t, env, "sub-2", kst(2021, 3, 2), 0, 0)
		for _, id := range []string{"sub-1", "sub-2"} {
			do(t, env, env.Token(t, id, "", auth.RoleSubscriber), `mutation { setConsent(input: {topic: "marketing.sms", granted: true}) { replayed } }`, nil, nil)
		}
		// Two years on, both consents are due for reconfirmation
		// (정보통신망법 시행령 제62조의3).
		env.Clock.Set(apitest.Start.AddDate(2, 0, -10))
		subTok := env.Token(t, "sub-1", "", auth.RoleSubscriber)
		sysTok := env.Token(t, "crm", "", auth.RoleSystem)
		adminTok := env.Token(t, "admin-1", "", auth.RoleAdmin)
		dueSubscribers := func() []string {
			due, err := env.Consent.DueForReconfirmation(ctx, env.Clock.Now(), 100)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, d := range due {
				ids = append(ids, d.SubscriberID)
			}
			return ids
		}
		if diff := cmp.Diff([]string{"sub-1", "sub-2"}, dueSubscribers(), sortStrings); diff != "" {
			t.Fatalf("due before the suspension (-want +got):\n%s", diff)
		}

		bad := func(in map[string]any, field string) {
			t.Helper()
			wantCode(t, env.Query(t, subTok, fileMut, map[string]any{"in": in}), "BAD_USER_INPUT", field)
		}
		bad(map[string]any{"type": "SUSPENSION", "reason": "x", "idempotencyKey": "susp-bad-01"}, "purposes")
		bad(map[string]any{"type": "SUSPENSION", "purposes": []string{"PROFILING"}, "reason": "x", "idempotencyKey": "susp-bad-02"}, "purposes[0]")
		bad(map[string]any{"type": "DELETION", "scope": map[string]any{"all": true}, "purposes": []string{"MARKETING"}, "reason": "x", "idempotencyKey": "susp-bad-03"}, "purposes")

		s := fileReq(t, env, subTok, map[string]any{"type": "SUSPENSION", "purposes": []string{"MARKETING", "OPERATIONS"}, "reason": "분석과 광고에 쓰지 마세요", "idempotencyKey": "suspend-mkt-01"})
		type susp struct {
			RequestID, SubscriberID string
			Purposes                []string
			Status                  string
		}
		var me struct{ Me struct{ Suspensions []susp } }
		do(t, env, subTok, `{ me { suspensions { requestId subscriberId purposes status } } }`, nil, &me)
		want := []susp{{RequestID: s.ID, SubscriberID: "sub-1", Purposes: []string{"MARKETING", "OPERATIONS"}, Status: "SUBMITTED"}}
		if diff := cmp.Diff(want, me.Me.Suspensions); diff != "" {
			t.Errorf("me.suspensions (-want +got):\n%s", diff)
		}
		active := func() []susp {
			var q struct {
				ActiveSuspensions struct{ Edges []struct{ Node susp } }
			}
			do(t, env, sysTok, `{ activeSuspensions(first: 10) { edges { node { requestId subscriberId purposes status } } } }`, nil, &q)
			out := []susp{}
			for _, e := range q.ActiveSuspensions.Edges {
				out = append(out, e.Node)
			}
			return out
		}
		if diff := cmp.Diff(want, active()); diff != "" {
			t.Errorf("activeSuspensions (-want +got):\n%s", diff)
		}
		wantCode(t, env.Query(t, subTok, `{ activeSuspensions { edges { cursor } } }`, nil), "FORBIDDEN", "")
		events := func() []string {
			out, err := env.DB.ListOutbox(ctx, "sub-1", 100)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, m := range out {
				if m.Kind == requests.NoticeSuspended || m.Kind == requests.NoticeResumed {
					var n struct {
						RequestID string
						Purposes  []string
					}
					if err := json.Unmarshal([]byte(m.Payload), &n); err != nil || n.RequestID != s.ID || len(n.Purposes) != 2 {
						t.Errorf("%s event = %s", m.Kind, m.Payload)
					}
					kinds = append(kinds, m.Kind)
				}
			}
			return kinds
		}
		if diff := cmp.Diff([]string{requests.NoticeSuspended}, events()); diff != "" {
			t.Errorf("webhook events (-want +got):\n%s", diff)
		}

		// Nothing is sent under the suspended purpose: no reconfirmation.
		if diff := cmp.Diff([]string{"sub-2"}, dueSubscribers()); diff != "" {
			t.Errorf("due while sub-1 suspended marketing (-want +got):\n%s", diff)
		}
		if n, err := env.Consent.RecordReconfirmationNotice(ctx, "sub-1", env.Clock.Now()); err != nil || n != 0 {
			t.Errorf("reconfirmation notice for sub-1 covered %d consents (%v), want none", n, err)
		}

		// Approved, it stays; lifted, processing resumes and notices follow.
		assign(t, env, adminTok, s.ID, "admin-1")
		do(t, env, adminTok, `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: APPROVED, reasonCode: "SUSPENDED", text: "처리를 중지했습니다"}) { id } }`, map[string]any{"id": s.ID}, nil)
		want[0].Status = "RESOLVED"
		if diff := cmp.Diff(want, active()); diff != "" {
			t.Errorf("activeSuspensions after approval (-want +got):\n%s", diff)
		}
		var lifted struct {
			LiftSuspension struct{ SuspensionActive bool }
		}
		do(t, env, subTok, `mutation($id: ID!) { liftSuspension(id: $id) { suspensionActive } }`, map[string]any{"id": s.ID}, &lifted)
		if lifted.LiftSuspension.SuspensionActive || len(active()) != 0 {
			t.Errorf("after lifting: active %v, %+v", lifted.LiftSuspension.SuspensionActive, active())
		}
		if diff := cmp.Diff([]string{requests.NoticeSuspended, requests.NoticeResumed}, events()); diff != "" {
			t.Errorf("webhook events (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"sub-1", "sub-2"}, dueSubscribers(), sortStrings); diff != "" {
			t.Errorf("due after lifting (-want +got):\n%s", diff)
		}
		wantCode(t, env.Query(t, subTok, `mutation($id: ID!) { liftSuspension(id: $id) { id } }`, map[string]any{"id": s.ID}), "CONFLICT", "")

		// A refusal with its legal ground ends a suspension too.
		s2 := fileReq(t, env, env.Token(t, "sub-2", "", auth.RoleSubscriber), map[string]any{"type": "SUSPENSION", "purposes": []string{"SERVICE"}, "reason": "처리를 멈춰 주세요", "idempotencyKey": "suspend-svc-01"})
		assign(t, env, adminTok, s2.ID, "admin-1")
		do(t, env, adminTok, `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: REJECTED, reasonCode: "CONTRACT", text: "계약 이행에 필요합니다", legalGround: "SERVICE_PERIOD"}) { id } }`, map[string]any{"id": s2.ID}, nil)
		if got := active(); len(got) != 0 {
			t.Errorf("a refused suspension is still active: %+v", got)
		}
	})
}
