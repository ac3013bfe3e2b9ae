package apitest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
)

const upsert = `mutation($in: SubscriberInput!) { upsertSubscriber(input: $in) { id status billingState } }`

func subscriberInput(id string, mut func(map[string]any)) map[string]any {
	in := map[string]any{
		"id": id, "status": "ACTIVE", "signedUpAt": "2021-03-02T09:00:00+09:00", "birthDate": "1988-04-17",
		"items": []map[string]any{
			{"category": "applicant.name", "value": "김민준"},
			{"category": "applicant.email", "value": "minjun@example.com"},
			{"category": "applicant.passport_number", "value": "M12345678", "source": "WEBSITE"},
		},
	}
	if mut != nil {
		mut(in)
	}
	return map[string]any{"in": in}
}

func TestFeedsThroughTheAPI(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, d)
			sys := env.Token(t, "crm", "", auth.RoleSystem)
			var ack struct {
				UpsertSubscriber struct{ ID, Status, BillingState string }
			}
			do(t, env, sys, upsert, subscriberInput("feed-1", nil), &ack)
			if ack.UpsertSubscriber.ID != "feed-1" || ack.UpsertSubscriber.BillingState != "SETTLED" {
				t.Errorf("ack = %+v", ack)
			}
			var rec struct {
				AppendRecords struct{ Appended, Skipped int }
			}
			q := `mutation($id: ID!, $r: [RecordInput!]!) { appendRecords(subscriberId: $id, records: $r) { appended skipped } }`
			recs := []map[string]any{
				{"kind": "PAYMENT", "occurredAt": "2025-06-01T09:00:00+09:00", "externalId": "pay-1", "summary": "자동이체"},
				{"kind": "USAGE", "occurredAt": "2025-06-03T09:00:00+09:00", "externalId": "use-1"},
			}
			do(t, env, sys, q, map[string]any{"id": "feed-1", "r": recs}, &rec)
			if rec.AppendRecords.Appended != 2 {
				t.Errorf("appended = %+v", rec)
			}
			do(t, env, sys, q, map[string]any{"id": "feed-1", "r": recs}, &rec)
			if rec.AppendRecords.Appended != 0 || rec.AppendRecords.Skipped != 2 {
				t.Errorf("re-appended = %+v, want all skipped", rec)
			}
			// Back-filled: terminated seven months ago with fees settled.
			do(t, env, sys, `mutation { terminateSubscriber(id: "feed-1", at: "2026-04-20T09:00:00+09:00") { status } }`, nil, nil)
			do(t, env, sys, `mutation { setBillingState(subscriberId: "feed-1", state: SETTLED, since: "2026-04-20T09:00:00+09:00") { billingState } }`, nil, nil)

			var me struct {
				Me struct {
					Holdings []struct {
						Category  struct{ Code string }
						Value     string
						Retention struct{ State, Explanation string }
					}
				}
			}
			do(t, env, env.Token(t, "feed-1", "", auth.RoleSubscriber), `{ me(lang: EN) { holdings { category { code } value retention { state explanation } } } }`, nil, &me)
			states := map[string]string{}
			for _, h := range me.Me.Holdings {
				states[h.Category.Code] = h.Retention.State
				if strings.Contains(h.Value, "12345") {
					t.Errorf("%s shown unmasked", h.Category.Code)
				}
			}
			want := map[string]string{"applicant.name": "RETAINED_BY_STATUTE", "applicant.passport_number": "RETAINED_BY_STATUTE", "applicant.email": "DUE"}
			if diff := cmp.Diff(want, states); diff != "" {
				t.Errorf("states after back-filled termination (-want +got):\n%s", diff)
			}

			// The audit trail names the feeding system as the actor.
			admin := env.Token(t, "admin-1", "", auth.RoleAdmin)
			var events struct {
				AuditEvents struct {
					Edges []struct {
						Node struct{ ActorID, Action string }
					}
				}
			}
			do(t, env, admin, `{ auditEvents(filter: {subjectId: "feed-1"}, first: 10) { edges { node { actorId action } } } }`, nil, &events)
			var got []string
			for _, e := range events.AuditEvents.Edges {
				got = append(got, e.Node.ActorID+" "+e.Node.Action)
			}
			wantEv := []string{"crm feed.set_billing_state", "crm feed.terminate_subscriber", "crm feed.append_records", "crm feed.append_records", "crm feed.upsert_subscriber"}
			if diff := cmp.Diff(wantEv, got); diff != "" {
				t.Errorf("audit events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFeedRefusesBadInputAndOtherRoles(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	sys := env.Token(t, "crm", "", auth.RoleSystem)
	do(t, env, sys, upsert, subscriberInput("feed-1", nil), nil)
	do(t, env, sys, `mutation { setBillingState(subscriberId: "feed-1", state: UNPAID, since: "2025-06-01T00:00:00Z") { id } }`, nil, nil)
	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = map[string]any{"kind": "USAGE", "occurredAt": "2025-06-03T09:00:00+09:00", "externalId": fmt.Sprintf("u-%d", i)}
	}
	tests := []struct {
		name      string
		token     string
		query     string
		vars      map[string]any
		wantCode  string
		wantField string
	}{
		{name: "unknown category", token: sys, query: upsert, vars: subscriberInput("x", func(m map[string]any) {
			m["items"] = []map[string]any{{"category": "applicant.shoe_size", "value": "270"}}
		}), wantCode: "BAD_USER_INPUT", wantField: "items[0].category"},
		{name: "malformed e-mail", token: sys, query: upsert, vars: subscriberInput("x", func(m map[string]any) {
			m["items"] = []map[string]any{{"category": "applicant.email", "value": "not-an-email"}}
		}), wantCode: "BAD_USER_INPUT", wantField: "items[0].value"},
		{name: "malformed phone", token: sys, query: upsert, vars: subscriberInput("x", func(m map[string]any) {
			m["items"] = []map[string]any{{"category": "applicant.phone", "value": "12"}}
		}), wantCode: "BAD_USER_INPUT", wantField: "items[0].value"},
		{name: "birth date in the future", token: sys, query: upsert, vars: subscriberInput("x", func(m map[string]any) { m["birthDate"] = "2099-01-01" }), wantCode: "BAD_USER_INPUT", wantField: "birthDate"},
		{name: "termination before sign-up", token: sys, query: upsert, vars: subscriberInput("x", func(m map[string]any) {
			m["status"], m["terminatedAt"] = "TERMINATED", "2020-01-01T00:00:00Z"
		}), wantCode: "BAD_USER_INPUT", wantField: "terminatedAt"},
		{name: "sign-up in the future", token: sys, query: upsert, vars: subscriberInput("x", func(m map[string]any) { m["signedUpAt"] = "2099-01-01T00:00:00Z" }), wantCode: "BAD_USER_INPUT", wantField: "signedUpAt"},
		{name: "unknown record kind", token: sys, query: `mutation { appendRecords(subscriberId: "feed-1", records: [{kind: "DIARY", occurredAt: "2025-06-03T09:00:00Z", externalId: "d"}]) { appended } }`, wantCode: "BAD_USER_INPUT", wantField: "records[0].kind"},
		{name: "record in the future", token: sys, query: `mutation { appendRecords(subscriberId: "feed-1", records: [{kind: "USAGE", occurredAt: "2099-06-03T09:00:00Z", externalId: "d"}]) { appended } }`, wantCode: "BAD_USER_INPUT", wantField: "records[0].occurredAt"},
		{name: "a record for an unknown subscriber", token: sys, query: `mutation { appendRecords(subscriberId: "nobody", records: [{kind: "USAGE", occurredAt: "2025-06-03T09:00:00Z", externalId: "d"}]) { appended } }`, wantCode: "NOT_FOUND"},
		{name: "too many records", token: sys, query: `mutation($r: [RecordInput!]!) { appendRecords(subscriberId: "feed-1", records: $r) { appended } }`, vars: map[string]any{"r": many}, wantCode: "BAD_USER_INPUT", wantField: "records"},
		// Issue 12, bad input: fees dated before the subscriber signed up,
		// or in the future.
		{name: "a billing state before sign-up", token: sys, query: `mutation { setBillingState(subscriberId: "feed-1", state: UNPAID, since: "2001-01-01T00:00:00Z") { id } }`, wantCode: "BAD_USER_INPUT", wantField: "since"},
		{name: "a billing state in the future", token: sys, query: `mutation { setBillingState(subscriberId: "feed-1", state: UNPAID, since: "2099-01-01T00:00:00Z") { id } }`, wantCode: "BAD_USER_INPUT", wantField: "since"},
		{name: "settled before the unpaid fees began", token: sys, query: `mutation { setBillingState(subscriberId: "feed-1", state: SETTLED, since: "2025-01-01T00:00:00Z") { id } }`, wantCode: "BAD_USER_INPUT", wantField: "since"},
		{name: "a subscriber feeding", token: env.Token(t, "feed-1", "", auth.RoleSubscriber), query: upsert, vars: subscriberInput("feed-1", nil), wantCode: "FORBIDDEN"},
		{name: "an agent feeding", token: env.Token(t, "agent-1", "", auth.RoleAgent), query: `mutation { terminateSubscriber(id: "feed-1", at: "2025-01-01T00:00:00Z") { id } }`, wantCode: "FORBIDDEN"},
		{name: "the system reading me", token: sys, query: `{ me { id } }`, wantCode: "FORBIDDEN"},
		{name: "the system reading the audit trail", token: sys, query: `{ auditEvents { edges { cursor } } }`, wantCode: "FORBIDDEN"},
		{name: "the system opening a subscriber", token: sys, query: `{ subscriber(id: "feed-1") { id } }`, wantCode: "FORBIDDEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Query(t, tc.token, tc.query, tc.vars)
			if diff := cmp.Diff([]string{tc.wantCode}, res.Codes()); diff != "" {
				t.Fatalf("codes (-want +got):\n%s\n%+v", diff, res.Errors)
			}
			if tc.wantField != "" {
				if got, _ := res.Errors[0].Extensions["field"].(string); got != tc.wantField {
					t.Errorf("field = %q, want %q", got, tc.wantField)
				}
			}
		})
	}
	// Nothing of the refused subscriber was written.
	if _, err := env.DB.GetSubscriber(t.Context(), "x"); err == nil {
		t.Errorf("a refused upsert left subscriber x behind")
	}
}

// Consent changes, and staff acting on a subscriber's behalf through an
// assigned request, are audited and recorded as such.
func TestConsentChangesAreAuditedAndAgentsActThroughRequests(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "postgres")
	sys := env.Token(t, "crm", "", auth.RoleSystem)
	do(t, env, sys, upsert, subscriberInput("feed-1", nil), nil)
	subTok := env.Token(t, "feed-1", "", auth.RoleSubscriber)
	agentTok := env.Token(t, "agent-1", "", auth.RoleAgent)
	do(t, env, subTok, `mutation { setConsent(input: {topic: "marketing.sms", granted: true}) { replayed } }`, nil, nil)

	setByAgent := `mutation { setConsent(input: {subscriberId: "feed-1", topic: "marketing.sms", granted: false, reason: "고객 전화 요청"}) { replayed } }`
	if res := env.Query(t, agentTok, setByAgent, nil); !cmp.Equal(res.Codes(), []string{"FORBIDDEN"}) {
		t.Fatalf("agent without an assigned request: %v", res.Codes())
	}
	var filed struct{ FileRequest struct{ ID string } }
	do(t, env, subTok, `mutation { fileRequest(input: {type: SUSPENSION, purposes: ["MARKETING"], reason: "광고 문자를 그만 받고 싶습니다", idempotencyKey: "suspend-0001"}) { id } }`, nil, &filed)
	do(t, env, agentTok, `mutation($id: ID!) { assignRequest(id: $id, assigneeId: "agent-1") { id } }`, map[string]any{"id": filed.FileRequest.ID}, nil)
	do(t, env, agentTok, setByAgent, nil, nil)

	var hist struct {
		Me struct {
			ConsentHistory struct {
				Edges []struct {
					Node struct {
						Actor, ActorID, Via string
						Reason              *string
					}
				}
			}
		}
	}
	do(t, env, subTok, `{ me { consentHistory(first: 5) { edges { node { actor actorId via reason } } } } }`, nil, &hist)
	if e := hist.Me.ConsentHistory.Edges; len(e) != 2 || e[0].Node.Actor != "AGENT" || e[0].Node.ActorID != "agent-1" || e[0].Node.Via != "AGENT_DESK" || e[0].Node.Reason == nil {
		t.Errorf("history = %+v", hist)
	}

	admin := env.Token(t, "admin-1", "", auth.RoleAdmin)
	var events struct {
		AuditEvents struct {
			Edges []struct{ Node struct{ ActorID string } }
		}
	}
	do(t, env, admin, `{ auditEvents(filter: {subjectId: "feed-1", action: "consent.set"}) { edges { node { actorId } } } }`, nil, &events)
	var actors []string
	for _, e := range events.AuditEvents.Edges {
		actors = append(actors, e.Node.ActorID)
	}
	if diff := cmp.Diff([]string{"agent-1", "feed-1"}, actors); diff != "" {
		t.Errorf("consent.set events by (-want +got):\n%s", diff)
	}
}
