package apitest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/transmit"
)

// More tests of issue 18: what each transmission carries is what no earlier
// one did, whatever the records' dates; a period too large for one
// document continues; what is transmissible is catalog data; staff refuse
// with the catalog's reasons.

// docs decodes and validates every body the recipient received, in
// sequence order (the parts of a period are posted as claimed, not
// necessarily in order: recipients order them by period and part).
func docs(t *testing.T, env *apitest.Env, rc *recipient) []docView {
	t.Helper()
	var out []docView
	for _, g := range rc.requests() {
		if !g.Verified {
			t.Fatalf("unverified request %+v", g)
		}
		validate(t, env, g.Body)
		var d docView
		if err := json.Unmarshal(g.Body, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b docView) int { return a.Sequence - b.Sequence })
	return out
}

func externalIDs(d docView) []string {
	var ids []string
	for _, r := range d.Records {
		ids = append(ids, r.ExternalID)
	}
	slices.Sort(ids)
	return ids
}

// A record the feed delivers late, dated before the previous delivery, is
// carried by the next delivery; no record is carried twice, month after
// month, with the clock walked.
func TestLateFedRecordArrivesInTheNextTransmission(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		transmitSubscriber(t, env, "late-1")
		rc := newRecipient(t, env.Clock, always(http.StatusOK))
		rid := admitRecipient(t, env, rc, "마이데이터 주식회사", "USAGE", "PAYMENT")
		w := worker(t, env, rc)
		tok := env.Token(t, "late-1", "", auth.RoleSubscriber)
		until := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
		do(t, env, tok, fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "RECIPIENT", "recipientId": rid, "schedule": "MONTHLY",
			"until": until.Format(time.RFC3339), "scope": map[string]any{"recordKinds": []string{"USAGE", "PAYMENT"}}, "idempotencyKey": "late-fed-1"}}, nil)

		// Month 1, 2026-11-26: u-1 and p-1.
		pass(t, w)
		// Fed after month 1 but dated before it: billing systems catch up.
		env.Clock.Set(time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC))
		appendRecords(t, env, "late-1", []feed.RecordInput{
			{Kind: "USAGE", OccurredAt: kst(2026, 11, 2), ExternalID: "u-late", Summary: "데이터 0.3GB"},
			{Kind: "PAYMENT", OccurredAt: kst(2026, 12, 1), ExternalID: "p-2", Summary: "카드 결제 12,000원"},
		})
		// Month 2, 2026-12-26: the late record and the new one.
		env.Clock.Set(time.Date(2026, 12, 26, 1, 0, 0, 0, time.UTC))
		pass(t, w)
		// Month 3, 2027-01-26: one more late record, dated in month 1.
		appendRecords(t, env, "late-1", []feed.RecordInput{{Kind: "USAGE", OccurredAt: kst(2026, 11, 27), ExternalID: "u-later", Summary: "데이터 0.1GB"}})
		env.Clock.Set(time.Date(2027, 1, 26, 1, 0, 0, 0, time.UTC))
		pass(t, w)
		// Month 4, 2027-02-26: nothing new, nothing again.
		env.Clock.Set(time.Date(2027, 2, 26, 1, 0, 0, 0, time.UTC))
		pass(t, w)

		ds := docs(t, env, rc)
		want := [][]string{{"p-1", "u-1"}, {"p-2", "u-late"}, {"u-later"}, nil}
		if len(ds) != len(want) {
			t.Fatalf("recipient got %d documents, want %d", len(ds), len(want))
		}
		seen := map[string]int{}
		for i, d := range ds {
			if got := externalIDs(d); !slices.Equal(got, want[i]) {
				t.Errorf("month %d carried %v, want %v", i+1, got, want[i])
			}
			if d.Period != i+1 || d.Part != 1 || d.Sequence != i+1 || d.MoreRecords {
				t.Errorf("month %d document = %+v", i+1, d)
			}
			for _, id := range externalIDs(d) {
				seen[id]++
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("record %s sent %d times", id, n)
			}
		}
		if len(seen) != 5 {
			t.Errorf("records sent = %v, want all 5 in scope", seen)
		}
	})
}

// A period with more records than a document holds (a cap of 2 here,
// through the worker's options) continues in further documents made in
// the same pass: every record in scope is sent once, none dropped; the
// next month carries only what is new.
func TestPeriodOverTheRecordCapContinuesInFurtherDocuments(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		transmitSubscriber(t, env, "cap-1")
		var recs []feed.RecordInput
		for i := range 4 {
			recs = append(recs, feed.RecordInput{Kind: "USAGE", OccurredAt: kst(2026, 10, 1+i), ExternalID: fmt.Sprintf("u-old-%d", i), Summary: "데이터"})
		}
		appendRecords(t, env, "cap-1", recs)
		rc := newRecipient(t, env.Clock, always(http.StatusOK))
		rid := admitRecipient(t, env, rc, "수신자", "applicant.name", "USAGE")
		w, err := transmit.NewWorker(env.App.Transmit, transmit.WorkerConfig{Client: rc.srv.Client(), MaxRecords: 2, Jitter: func() float64 { return 0 }})
		if err != nil {
			t.Fatal(err)
		}
		tok := env.Token(t, "cap-1", "", auth.RoleSubscriber)
		until := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		do(t, env, tok, fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "RECIPIENT", "recipientId": rid, "schedule": "MONTHLY",
			"until": until.Format(time.RFC3339), "scope": map[string]any{"categories": []string{"applicant.name"}, "recordKinds": []string{"USAGE"}}, "idempotencyKey": "cap-monthly-1"}}, nil)

		// Five USAGE records (u-1 and four older), two a document: three
		// documents of period 1, in one pass.
		if rep := pass(t, w); rep.Scheduled != 3 || rep.Continued != 2 || rep.Delivered != 3 {
			t.Fatalf("first pass = %+v", rep)
		}
		ds := docs(t, env, rc)
		if len(ds) != 3 {
			t.Fatalf("recipient got %d documents, want 3", len(ds))
		}
		seen := map[string]int{}
		for i, d := range ds {
			wantN, more := 2, i < 2
			if i == 2 {
				wantN = 1
			}
			if d.Period != 1 || d.Part != i+1 || d.Sequence != i+1 || len(d.Records) != wantN || d.MoreRecords != more {
				t.Errorf("document %d = period %d part %d seq %d, %d records, more %t", i+1, d.Period, d.Part, d.Sequence, len(d.Records), d.MoreRecords)
			}
			// The profile goes with the period's first part.
			if (len(d.Profile) == 1) != (i == 0) {
				t.Errorf("document %d profile = %+v", i+1, d.Profile)
			}
			for _, id := range externalIDs(d) {
				seen[id]++
			}
		}
		if len(seen) != 5 {
			t.Fatalf("records sent = %v, want all 5", seen)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("record %s sent %d times", id, n)
			}
		}

		// What me shows: three deliveries of period 1, the next month due.
		var out struct {
			Me struct {
				TransmissionRequests []struct {
					Status         string
					NextDeliveryAt *time.Time
					Deliveries     []struct {
						Sequence, Period, Part, Records int
						ScheduledFor                    time.Time
						Status                          string
					}
				}
			}
		}
		do(t, env, tok, `{ me { transmissionRequests { status nextDeliveryAt deliveries { sequence period part records scheduledFor status } } } }`, nil, &out)
		tr := out.Me.TransmissionRequests[0]
		if tr.Status != "ACTIVE" || tr.NextDeliveryAt == nil || !tr.NextDeliveryAt.Equal(time.Date(2026, 12, 26, 1, 0, 0, 0, time.UTC)) || len(tr.Deliveries) != 3 {
			t.Fatalf("me = %+v", tr)
		}
		for i, d := range tr.Deliveries {
			if d.Sequence != i+1 || d.Period != 1 || d.Part != i+1 || !d.ScheduledFor.Equal(apitest.Start) || d.Status != "DELIVERED" {
				t.Errorf("delivery %d = %+v", i+1, d)
			}
		}

		// Month 2: only the record fed since, one document.
		env.Clock.Set(time.Date(2026, 12, 26, 1, 0, 0, 0, time.UTC))
		appendRecords(t, env, "cap-1", []feed.RecordInput{{Kind: "USAGE", OccurredAt: kst(2026, 12, 5), ExternalID: "u-2", Summary: "데이터"}})
		if rep := pass(t, w); rep.Scheduled != 1 || rep.Continued != 0 {
			t.Fatalf("month 2 pass = %+v", rep)
		}
		ds = docs(t, env, rc)
		if d := ds[len(ds)-1]; d.Period != 2 || d.Part != 1 || d.Sequence != 4 || !slices.Equal(externalIDs(d), []string{"u-2"}) || len(d.Profile) != 1 {
			t.Fatalf("month 2 document = %+v", d)
		}
	})
}

// A one-time transmission over the cap continues too, and completes only
// when its last part is made.
func TestOneTimeTransmissionOverTheCapCompletesWithItsLastPart(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		transmitSubscriber(t, env, "cap-2")
		appendRecords(t, env, "cap-2", []feed.RecordInput{
			{Kind: "PAYMENT", OccurredAt: kst(2026, 10, 1), ExternalID: "p-a", Summary: "결제"},
			{Kind: "PAYMENT", OccurredAt: kst(2026, 10, 2), ExternalID: "p-b", Summary: "결제"},
		})
		rc := newRecipient(t, env.Clock, always(http.StatusOK))
		w, err := transmit.NewWorker(env.App.Transmit, transmit.WorkerConfig{Client: rc.srv.Client(), MaxRecords: 1})
		if err != nil {
			t.Fatal(err)
		}
		tok := env.Token(t, "cap-2", "", auth.RoleSubscriber)
		do(t, env, tok, fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "SELF", "schedule": "ONCE",
			"scope": map[string]any{"recordKinds": []string{"USAGE", "PAYMENT"}}, "idempotencyKey": "cap-once-2"}}, nil)
		if rep := pass(t, w); rep.Scheduled != 4 || rep.Continued != 3 || rep.Completed != 1 {
			t.Fatalf("pass = %+v", rep)
		}
		mine := myTransmissions(t, env, tok)
		if mine[0].Status != "COMPLETED" || mine[0].NextDeliveryAt != nil || len(mine[0].Deliveries) != 4 {
			t.Fatalf("me = %+v", mine)
		}
		seen := map[string]bool{}
		for _, d := range mine[0].Deliveries {
			var out struct{ TransmissionDownload struct{ Payload string } }
			do(t, env, tok, `query($id: ID!) { transmissionDownload(deliveryId: $id) { payload } }`, map[string]any{"id": d.ID}, &out)
			validate(t, env, []byte(out.TransmissionDownload.Payload))
			var doc docView
			if err := json.Unmarshal([]byte(out.TransmissionDownload.Payload), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Records) != 1 || seen[doc.Records[0].ExternalID] {
				t.Fatalf("document %d = %+v", doc.Sequence, doc)
			}
			seen[doc.Records[0].ExternalID] = true
		}
		if len(seen) != 4 {
			t.Fatalf("records = %v, want u-1, p-1, p-a, p-b", seen)
		}
	})
}

// What a transmission may carry is catalog data: a catalog that marks
// access logs transmissible and payment records not changes what
// subscribers may ask for, what recipients are admitted for, what the
// policy shows and what is sent.
func TestTransmissibleRecordKindsFollowTheCatalog(t *testing.T) {
	src := string(policy.DefaultSource())
	src = strings.Replace(src, "    mask: account\n    transmissible: true\n", "    mask: account\n", 1)
	src = strings.Replace(src, "    data_category: user.device\n    mask: ip\n", "    data_category: user.device\n    mask: ip\n    transmissible: true\n", 1)
	cat, err := policy.Load([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := cat.TransmissibleRecordKinds(); !slices.Equal(got, []string{"USAGE", "ACCESS_LOG", "BILLING"}) {
		t.Fatalf("setup: transmissible = %v", got)
	}
	t.Parallel()
	for _, dialect := range []string{"postgres", "sqlite"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			env := apitest.NewWithCatalog(t, dialect, cat)
			transmitSubscriber(t, env, "cat-1")
			appendRecords(t, env, "cat-1", []feed.RecordInput{{Kind: "ACCESS_LOG", OccurredAt: kst(2026, 11, 23), ExternalID: "a-1", Summary: "203.0.113.7 로그인"}})
			rc := newRecipient(t, env.Clock, always(http.StatusOK))
			admin := env.Token(t, "admin-1", "", auth.RoleAdmin)

			var pol struct {
				Policy struct {
					RecordKinds []struct {
						Code          string
						Transmissible bool
					}
				}
			}
			do(t, env, "", `{ policy { recordKinds { code transmissible } } }`, nil, &pol)
			var shown []string
			for _, k := range pol.Policy.RecordKinds {
				if k.Transmissible {
					shown = append(shown, k.Code)
				}
			}
			if !slices.Equal(shown, []string{"USAGE", "ACCESS_LOG", "BILLING"}) {
				t.Errorf("policy shows transmissible %v", shown)
			}

			res := env.Query(t, admin, createRecipientMut, map[string]any{"in": map[string]any{"name": "결제 수신자", "endpoint": rc.srv.URL + "/inbox", "secret": rc.secret, "categories": []string{"PAYMENT"}}})
			wantCode(t, res, "BAD_USER_INPUT", "input.categories")
			rid := admitRecipient(t, env, rc, "접속기록 수신자", "ACCESS_LOG")

			tok := env.Token(t, "cat-1", "", auth.RoleSubscriber)
			res = env.Query(t, tok, fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "SELF", "schedule": "ONCE",
				"scope": map[string]any{"recordKinds": []string{"PAYMENT"}}, "idempotencyKey": "cat-payment-1"}})
			wantCode(t, res, "BAD_USER_INPUT", "input.scope.recordKinds")
			do(t, env, tok, fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "RECIPIENT", "recipientId": rid, "schedule": "ONCE",
				"scope": map[string]any{"recordKinds": []string{"ACCESS_LOG"}}, "idempotencyKey": "cat-access-1"}}, nil)
			pass(t, worker(t, env, rc))
			ds := docs(t, env, rc)
			if len(ds) != 1 || !slices.Equal(externalIDs(ds[0]), []string{"a-1"}) || ds[0].Records[0].Kind != "ACCESS_LOG" {
				t.Fatalf("documents = %+v", ds)
			}
		})
	}
}

const refuseMut = `mutation($id: ID!, $reason: String) { refuseTransmissionRequest(id: $id, reasonCode: $reason) { id status reasonCode refusedAt nextDeliveryAt dueAt } }`

// Staff refuse a transmission request with a reason of the catalog: an
// admin, or an agent with an open request of the subscriber assigned; a
// missing or unknown reason is BAD_USER_INPUT on reasonCode; the pending
// delivery is cancelled and nothing more is sent; the subscriber is told
// the reason in Korean and English through the outbox; the refusal is
// audited.
func TestStaffRefuseATransmissionRequestWithAReason(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		transmitSubscriber(t, env, "ref-1")
		rc := newRecipient(t, env.Clock, always(http.StatusServiceUnavailable))
		rid := admitRecipient(t, env, rc, "수신자", "applicant.name", "USAGE")
		w := worker(t, env, rc)
		subTok := env.Token(t, "ref-1", "", auth.RoleSubscriber)
		admin := env.Token(t, "admin-1", "", auth.RoleAdmin)
		agent := env.Token(t, "agent-1", "", auth.RoleAgent)
		var filed struct{ FileTransmissionRequest transmissionView }
		do(t, env, subTok, fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "RECIPIENT", "recipientId": rid, "schedule": "MONTHLY",
			"until": time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339),
			"scope": map[string]any{"categories": []string{"applicant.name"}, "recordKinds": []string{"USAGE"}}, "idempotencyKey": "refuse-me-1"}}, &filed)
		id := filed.FileTransmissionRequest.ID
		// The first delivery is made and waits for a retry.
		if rep := pass(t, w); rep.Scheduled != 1 || rep.Retried != 1 {
			t.Fatalf("first pass = %+v", rep)
		}

		// The reasons staff may give, from the catalog, in the asked language.
		var reasons struct {
			TransmissionRefusalReasons []struct{ Code, Label, Text string }
		}
		do(t, env, agent, `{ transmissionRefusalReasons(lang: EN) { code label text } }`, nil, &reasons)
		var codes []string
		for _, r := range reasons.TransmissionRefusalReasons {
			codes = append(codes, r.Code)
			if r.Text == "" || r.Label == "" {
				t.Errorf("reason %+v", r)
			}
		}
		if !slices.Equal(codes, []string{"IDENTITY_NOT_VERIFIED", "IMPERSONATION", "INFRINGES_OTHERS"}) {
			t.Fatalf("reasons = %v", codes)
		}

		// Bad input names the field; the reasons the portal gives itself
		// are not staff's to give.
		for _, reason := range []any{nil, "", "  ", "NO_SUCH_REASON", "RECIPIENT_NOT_ADMITTED"} {
			wantCode(t, env.Query(t, admin, refuseMut, map[string]any{"id": id, "reason": reason}), "BAD_USER_INPUT", "reasonCode")
		}
		wantCode(t, env.Query(t, admin, refuseMut, map[string]any{"id": "no-such", "reason": "IDENTITY_NOT_VERIFIED"}), "NOT_FOUND", "")
		// Not the subscriber, nor an agent who has no request of theirs.
		wantCode(t, env.Query(t, subTok, refuseMut, map[string]any{"id": id, "reason": "IDENTITY_NOT_VERIFIED"}), "FORBIDDEN", "")
		wantCode(t, env.Query(t, agent, refuseMut, map[string]any{"id": id, "reason": "IDENTITY_NOT_VERIFIED"}), "FORBIDDEN", "")
		wantCode(t, env.Query(t, agent, `query($s: ID!) { subscriberTransmissionRequests(subscriberId: $s) { id } }`, map[string]any{"s": "ref-1"}), "FORBIDDEN", "")

		// Assigned an open request of the subscriber, the agent may.
		r := fileReq(t, env, subTok, map[string]any{"type": "DISPUTE", "scope": map[string]any{"categories": []string{"applicant.name"}}, "reason": "이름이 다릅니다", "idempotencyKey": "ref-dispute-1"})
		assign(t, env, admin, r.ID, "agent-1")
		var listed struct{ SubscriberTransmissionRequests []struct{ ID, Status string } }
		do(t, env, agent, `query($s: ID!) { subscriberTransmissionRequests(subscriberId: $s) { id status } }`, map[string]any{"s": "ref-1"}, &listed)
		if len(listed.SubscriberTransmissionRequests) != 1 || listed.SubscriberTransmissionRequests[0].ID != id {
			t.Fatalf("listed = %+v", listed)
		}
		env.Clock.Advance(24 * time.Hour)
		agent, admin = env.Token(t, "agent-1", "", auth.RoleAgent), env.Token(t, "admin-1", "", auth.RoleAdmin)
		var out struct {
			RefuseTransmissionRequest struct {
				ID, Status                string
				ReasonCode                *string
				RefusedAt, NextDeliveryAt *time.Time
				DueAt                     time.Time
			}
		}
		do(t, env, agent, refuseMut, map[string]any{"id": id, "reason": "IMPERSONATION"}, &out)
		got := out.RefuseTransmissionRequest
		if got.Status != "REFUSED" || got.ReasonCode == nil || *got.ReasonCode != "IMPERSONATION" || got.RefusedAt == nil || !got.RefusedAt.Equal(env.Clock.Now()) ||
			got.RefusedAt.After(got.DueAt) {
			t.Fatalf("refused = %+v", got)
		}
		wantCode(t, env.Query(t, admin, refuseMut, map[string]any{"id": id, "reason": "IDENTITY_NOT_VERIFIED"}), "CONFLICT", "")

		// The pending delivery is cancelled; nothing more is sent.
		before := len(rc.requests())
		env.Clock.Set(time.Date(2027, 1, 26, 2, 0, 0, 0, time.UTC))
		if rep := pass(t, w); rep.Scheduled != 0 || rep.Retried != 0 || len(rc.requests()) != before {
			t.Fatalf("after the refusal a pass made %+v", rep)
		}
		subTok = env.Token(t, "ref-1", "", auth.RoleSubscriber)
		mine := myTransmissions(t, env, subTok)
		if mine[0].Status != "REFUSED" || mine[0].NextDeliveryAt != nil || len(mine[0].Deliveries) != 1 || mine[0].Deliveries[0].Status != "CANCELLED" {
			t.Fatalf("me = %+v", mine)
		}

		// The subscriber is told, in both languages, in the catalog's words.
		reason, _ := env.Catalog.TransmissionRefusal("IMPERSONATION")
		msgs, err := env.DB.ListOutbox(context.Background(), "ref-1", 50)
		if err != nil {
			t.Fatal(err)
		}
		told := 0
		for _, m := range msgs {
			if m.Kind != transmit.NoticeRefused {
				continue
			}
			told++
			var n struct {
				RequestID, ReasonCode string
				Text                  struct{ Ko, En string }
			}
			if err := json.Unmarshal([]byte(m.Payload), &n); err != nil {
				t.Fatal(err)
			}
			if n.RequestID != id || n.ReasonCode != "IMPERSONATION" || n.Text.Ko != reason.Text.Ko || n.Text.En != reason.Text.En {
				t.Errorf("notice = %s", m.Payload)
			}
		}
		if told != 1 {
			t.Fatalf("refusal notices = %d, want 1", told)
		}

		// Audited, with the staff member as the actor and the reason's code.
		var audits struct {
			AuditEvents struct {
				Edges []struct {
					Node struct {
						ActorID, TargetID, Details string
					}
				}
			}
		}
		do(t, env, env.Token(t, "admin-1", "", auth.RoleAdmin), `query($f: AuditFilter) { auditEvents(filter: $f, first: 10) { edges { node { actorId targetId details } } } }`,
			map[string]any{"f": map[string]any{"subjectId": "ref-1", "action": transmit.ActionRefuse}}, &audits)
		if e := audits.AuditEvents.Edges; len(e) != 1 || e[0].Node.ActorID != "agent-1" || e[0].Node.TargetID != id || !strings.Contains(e[0].Node.Details, "IMPERSONATION") {
			t.Fatalf("audit = %+v", audits)
		}
		// The agent's reading of the subscriber's requests is audited too.
		do(t, env, env.Token(t, "admin-1", "", auth.RoleAdmin), `query($f: AuditFilter) { auditEvents(filter: $f, first: 10) { edges { node { actorId targetId details } } } }`,
			map[string]any{"f": map[string]any{"subjectId": "ref-1", "action": "subscriber.read"}}, &audits)
		if e := audits.AuditEvents.Edges; len(e) != 1 || e[0].Node.ActorID != "agent-1" {
			t.Fatalf("staff reads audited = %+v", audits)
		}
	})
}

// A transmission's stored payload is sealed with the subscriber's data
// key, not a master key: while the subscriber exists the download opens
// it; once the subscriber and their key are erased, a copy of the payload
// (a backup, a lingering page) opens with nothing — every master key of
// the keyring fails on it.
func TestTransmissionPayloadGoesWithTheSubscribersKey(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		transmitSubscriber(t, env, "seal-1")
		rc := newRecipient(t, env.Clock, always(http.StatusOK))
		tok := env.Token(t, "seal-1", "", auth.RoleSubscriber)
		do(t, env, tok, fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "SELF", "schedule": "ONCE",
			"scope": map[string]any{"categories": []string{"applicant.passport_number"}}, "idempotencyKey": "seal-self-1"}}, nil)
		pass(t, worker(t, env, rc))
		id := myTransmissions(t, env, tok)[0].Deliveries[0].ID
		d, err := env.DB.GetDelivery(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		stored := append([]byte(nil), d.PayloadCipher...)
		if d.KeyID == nil || *d.KeyID != transmit.SubscriberKey || len(stored) == 0 || strings.Contains(string(stored), "M12345678") {
			t.Fatalf("stored payload: key %v, %d bytes", d.KeyID, len(stored))
		}
		aad := []byte("transmit-delivery:seal-1:" + id)
		for _, kid := range []string{env.Keys.PrimaryID(), protect.DataKeyID} {
			if _, err := env.Keys.Decrypt(kid, stored, aad); err == nil {
				t.Fatalf("master key %q opens the payload", kid)
			}
		}
		var out struct{ TransmissionDownload struct{ Payload string } }
		do(t, env, tok, `query($id: ID!) { transmissionDownload(deliveryId: $id) { payload } }`, map[string]any{"id": id}, &out)
		if !strings.Contains(out.TransmissionDownload.Payload, "M12345678") {
			t.Fatal("the download does not open with the subscriber's key")
		}
		if _, err := env.Inventory.OpenDocument(ctx, env.DB, "seal-1", "transmission", id, stored); err != nil {
			t.Fatalf("the data key does not open the copy: %v", err)
		}

		// Erased: the subscriber row goes, and with it the data key.
		q := "DELETE FROM subscribers WHERE id = ?"
		if env.DB.Dialect() == "postgres" {
			q = "DELETE FROM subscribers WHERE id = $1"
		}
		if _, err := env.DB.SQL().ExecContext(ctx, q, "seal-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.GetSubscriberKey(ctx, "seal-1"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("the data key outlived the subscriber: %v", err)
		}
		if _, err := env.Inventory.OpenDocument(ctx, env.DB, "seal-1", "transmission", id, stored); !errors.Is(err, protect.ErrDecrypt) {
			t.Fatalf("the copy opened after the erasure: %v", err)
		}
	})
}

// Migration 00016 records, for a request still running, what its documents
// carried by the old rule (the records fed before its last document), so
// upgrading sends none of them again; what was fed after goes next.
func TestUpgradeRecordsWhatRunningRequestsAlreadySent(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		transmitSubscriber(t, env, "mig-1")
		// Records are stamped by the database's (real) clock when fed, a
		// delivery by the portal's: they agree in production; here the
		// portal's is set to now.
		now := time.Now().UTC()
		env.Clock.Set(now)
		rc := newRecipient(t, env.Clock, always(http.StatusOK))
		rid := admitRecipient(t, env, rc, "수신자", "USAGE", "PAYMENT")
		w := worker(t, env, rc)
		tok := env.Token(t, "mig-1", "", auth.RoleSubscriber)
		do(t, env, tok, fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "RECIPIENT", "recipientId": rid, "schedule": "MONTHLY",
			"until": now.AddDate(0, 3, 0).Format(time.RFC3339), "scope": map[string]any{"recordKinds": []string{"USAGE"}}, "idempotencyKey": "mig-monthly-1"}}, nil)
		pass(t, w)
		// Fed after the first document, with an old date.
		time.Sleep(2 * time.Millisecond)
		appendRecords(t, env, "mig-1", []feed.RecordInput{{Kind: "USAGE", OccurredAt: kst(2026, 11, 3), ExternalID: "u-after", Summary: "데이터"}})

		// Down past 00016 and up again: the table of what was sent is
		// rebuilt from the old rule.
		for {
			st, err := env.DB.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(st, func(m store.MigrationStatus) bool { return m.Version == 16 && m.Applied }) {
				break
			}
			if _, err := env.DB.MigrateDown(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := env.DB.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		mine := myTransmissions(t, env, tok)
		if ds := mine[0].Deliveries; len(ds) != 1 || ds[0].Sequence != 1 {
			t.Fatalf("me after the upgrade = %+v", mine)
		}
		sent, err := env.DB.SentRecordIDs(ctx, "mig-1", mine[0].ID)
		if err != nil || len(sent) != 1 {
			t.Fatalf("recorded as sent after the upgrade: %v, %v", sent, err)
		}

		env.Clock.Set(now.AddDate(0, 1, 0))
		pass(t, w)
		ds := docs(t, env, rc)
		if len(ds) != 2 || !slices.Equal(externalIDs(ds[0]), []string{"u-1"}) || !slices.Equal(externalIDs(ds[1]), []string{"u-after"}) || ds[1].Period != 2 || ds[1].Part != 1 {
			t.Fatalf("documents = %+v", ds)
		}
	})
}
