package apitest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/requests"
)

// A correction (법 36) proposes the corrected value; `me` shows the item as
// "correction requested"; the operator's systems get a task (a webhook
// event without the value, and the value through correctionTasks); the
// request is approved when the feed delivers the corrected value, and
// only refused — with the reason — by the desk.
func TestCorrectionTakesEffectThroughTheFeed(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		subscriber(t, env, "sub-1", kst(2021, 3, 2), 0, 0)
		subTok := env.Token(t, "sub-1", "", auth.RoleSubscriber)
		sysTok := env.Token(t, "crm", "", auth.RoleSystem)
		adminTok := env.Token(t, "admin-1", "", auth.RoleAdmin)
		const newPhone = "010-9876-5432"

		bad := func(in map[string]any, field string) {
			t.Helper()
			wantCode(t, env.Query(t, subTok, fileMut, map[string]any{"in": in}), "BAD_USER_INPUT", field)
		}
		bad(map[string]any{"type": "CORRECTION", "reason": "번호가 바뀌었습니다", "idempotencyKey": "corr-bad-001"}, "correction")
		bad(map[string]any{"type": "CORRECTION", "correction": map[string]any{"category": "applicant.phone", "value": "12"}, "reason": "x", "idempotencyKey": "corr-bad-002"}, "correction.value")
		bad(map[string]any{"type": "CORRECTION", "correction": map[string]any{"category": "USAGE", "value": "x"}, "reason": "x", "idempotencyKey": "corr-bad-003"}, "correction.category")
		bad(map[string]any{"type": "DISPUTE", "scope": map[string]any{"all": true}, "correction": map[string]any{"category": "applicant.phone", "value": newPhone}, "reason": "x", "idempotencyKey": "corr-bad-004"}, "correction")

		c := fileReq(t, env, subTok, map[string]any{"type": "CORRECTION", "correction": map[string]any{"category": "applicant.phone", "value": newPhone}, "reason": "번호가 바뀌었습니다", "idempotencyKey": "corr-phone-01"})
		requested := func() map[string]bool {
			var me struct {
				Me struct {
					Holdings []struct {
						Category            struct{ Code string }
						CorrectionRequested bool
					}
				}
			}
			do(t, env, env.Token(t, "sub-1", "", auth.RoleSubscriber), `{ me { holdings { category { code } correctionRequested } } }`, nil, &me)
			out := map[string]bool{}
			for _, h := range me.Me.Holdings {
				if h.CorrectionRequested {
					out[h.Category.Code] = true
				}
			}
			return out
		}
		if diff := cmp.Diff(map[string]bool{"applicant.phone": true}, requested()); diff != "" {
			t.Errorf("correction requested on (-want +got):\n%s", diff)
		}
		var view struct {
			Request struct {
				Correction struct{ Category, ProposedValue string }
			}
		}
		do(t, env, subTok, `query($id: ID!) { request(id: $id) { correction { category proposedValue } } }`, map[string]any{"id": c.ID}, &view)
		if view.Request.Correction.Category != "applicant.phone" || view.Request.Correction.ProposedValue == newPhone || view.Request.Correction.ProposedValue == "" {
			t.Errorf("request.correction = %+v, want the category and the value masked", view.Request.Correction)
		}

		// The operator's systems are told, and read the value.
		out, err := env.DB.ListOutbox(ctx, "sub-1", 100)
		if err != nil {
			t.Fatal(err)
		}
		var tasks int
		for _, m := range out {
			if m.Kind == requests.NoticeCorrectionTask {
				tasks++
				if !strings.Contains(m.Payload, c.ID) || !strings.Contains(m.Payload, "applicant.phone") || strings.Contains(m.Payload, newPhone) {
					t.Errorf("correction task event = %s", m.Payload)
				}
			}
		}
		if tasks != 1 {
			t.Errorf("%d correction task events, want 1", tasks)
		}
		type task struct{ RequestID, SubscriberID, Category, Value string }
		openTasks := func() []task {
			var q struct {
				CorrectionTasks struct{ Edges []struct{ Node task } }
			}
			do(t, env, sysTok, `{ correctionTasks { edges { node { requestId subscriberId category value } } } }`, nil, &q)
			got := []task{}
			for _, e := range q.CorrectionTasks.Edges {
				got = append(got, e.Node)
			}
			return got
		}
		if diff := cmp.Diff([]task{{RequestID: c.ID, SubscriberID: "sub-1", Category: "applicant.phone", Value: newPhone}}, openTasks()); diff != "" {
			t.Errorf("correctionTasks (-want +got):\n%s", diff)
		}
		wantCode(t, env.Query(t, subTok, `{ correctionTasks { edges { cursor } } }`, nil), "FORBIDDEN", "")

		// Nobody approves a correction that did not happen.
		assign(t, env, adminTok, c.ID, "admin-1")
		wantCode(t, env.Query(t, adminTok, `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: APPROVED, reasonCode: "DONE", text: "정정했습니다"}) { id } }`, map[string]any{"id": c.ID}), "CONFLICT", "")

		// The feed delivers the corrected value: the request is approved.
		do(t, env, sysTok, upsert, map[string]any{"in": map[string]any{
			"id": "sub-1", "status": "ACTIVE", "signedUpAt": kst(2021, 3, 2), "birthDate": "1988-04-17",
			"items": []map[string]any{
				{"category": "applicant.name", "value": "김민준"},
				{"category": "applicant.phone", "value": newPhone},
				{"category": "applicant.passport_number", "value": "M12345678"},
				{"category": "optional.discount_certificate", "value": "복지할인증명 제2024-117호"},
			},
		}}, nil)
		var done struct {
			Request struct {
				Status, Resolution, ReasonCode string
				Events                         []struct{ Kind, Actor string }
			}
		}
		do(t, env, subTok, `query($id: ID!) { request(id: $id) { status resolution reasonCode events { kind actor } } }`, map[string]any{"id": c.ID}, &done)
		if done.Request.Status != "RESOLVED" || done.Request.Resolution != "APPROVED" || done.Request.ReasonCode != requests.ReasonCorrected {
			t.Errorf("after the feed = %+v", done.Request)
		}
		if got := requested(); len(got) != 0 {
			t.Errorf("correction still requested on %v", got)
		}
		if got := openTasks(); len(got) != 0 {
			t.Errorf("tasks after the correction = %+v", got)
		}

		// Refused by the desk, with the reason it was not corrected.
		n := fileReq(t, env, env.Token(t, "sub-1", "", auth.RoleSubscriber), map[string]any{"type": "CORRECTION", "correction": map[string]any{"category": "applicant.name", "value": "김민수"}, "reason": "이름 정정", "idempotencyKey": "corr-name-01"})
		assign(t, env, adminTok, n.ID, "admin-1")
		var refused struct {
			ResolveRequest struct{ Status, Resolution string }
		}
		do(t, env, adminTok, `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: REJECTED, reasonCode: "ID_MISMATCH", text: "신분증의 성명과 다릅니다"}) { status resolution } }`, map[string]any{"id": n.ID}, &refused)
		if refused.ResolveRequest.Resolution != "REJECTED" || len(openTasks()) != 0 || len(requested()) != 0 {
			t.Errorf("refused correction = %+v, tasks %v", refused.ResolveRequest, openTasks())
		}

		// The import feed carries a correction out too (the import command
		// settles what it delivered).
		e := fileReq(t, env, env.Token(t, "sub-1", "", auth.RoleSubscriber), map[string]any{"type": "CORRECTION", "correction": map[string]any{"category": "applicant.name", "value": "김민준호"}, "reason": "개명했습니다", "idempotencyKey": "corr-name-02"})
		line := `{"id":"sub-1","status":"ACTIVE","signedUpAt":"2021-03-02T12:00:00+09:00","birthDate":"1988-04-17","items":[` +
			`{"category":"applicant.name","value":"김민준호"},{"category":"applicant.phone","value":"` + newPhone + `"},` +
			`{"category":"applicant.passport_number","value":"M12345678"},{"category":"optional.discount_certificate","value":"복지할인증명 제2024-117호"}]}`
		if rep, err := env.Feed.Import(ctx, strings.NewReader(line), feed.ImportOptions{}); err != nil || rep.Imported != 1 {
			t.Fatalf("import: %+v, %v", rep, err)
		}
		if n, err := env.Requests.SettleAllCorrections(ctx); err != nil || n != 1 {
			t.Errorf("settled %d corrections after the import (%v), want 1", n, err)
		}
		var imp struct {
			Request struct{ Status, Resolution string }
		}
		do(t, env, env.Token(t, "sub-1", "", auth.RoleSubscriber), `query($id: ID!) { request(id: $id) { status resolution } }`, map[string]any{"id": e.ID}, &imp)
		if imp.Request.Resolution != "APPROVED" {
			t.Errorf("correction after the import = %+v", imp.Request)
		}
	})
}
