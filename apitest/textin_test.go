package apitest_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
)

// TestOneTextRule: a NUL byte, a control character, a bidirectional
// override or a broken encoding in any text input is BAD_USER_INPUT naming
// the field, identically on both stores, and nothing is stored; `portal
// import` reports the same field. Before the rule, PostgreSQL answered
// INTERNAL and SQLite stored the value.
func TestOneTextRule(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"postgres", "sqlite"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, dialect)
			sys := env.Token(t, "crm", "", auth.RoleSystem)
			reqID, subTok := fileWSDispute(t, env, "sub-text")
			appendQ := `mutation($id: ID!, $r: [RecordInput!]!) { appendRecords(subscriberId: $id, records: $r) { appended } }`
			rec := func(field, v string) map[string]any {
				r := map[string]any{"kind": "PAYMENT", "occurredAt": "2025-06-01T09:00:00+09:00", "externalId": "pay-x", "summary": "ok"}
				r[field] = v
				return map[string]any{"id": "sub-text", "r": []map[string]any{r}}
			}
			for _, tc := range []struct {
				name, token, query string
				vars               map[string]any
				field              string
			}{
				{"subscriber id", sys, upsert, subscriberInput("bad\x00id", nil), "in.id"},
				{"guardianId", sys, upsert, subscriberInput("sub-g", func(m map[string]any) { m["guardianId"] = "g\x00" }), "in.guardianId"},
				{"item value", sys, upsert, subscriberInput("sub-v", func(m map[string]any) {
					m["items"] = []map[string]any{{"category": "applicant.name", "value": "김\u202e민준"}}
				}), "in.items[0].value"},
				{"record summary, override", sys, appendQ, rec("summary", "call \u202e4444-5555-010"), "r[0].summary"},
				{"record summary, BEL", sys, appendQ, rec("summary", "ring\a"), "r[0].summary"},
				{"record externalId", sys, appendQ, rec("externalId", "x\x00"), "r[0].externalId"},
				{"request reason", subTok, `mutation($in: FileRequestInput!) { fileRequest(input: $in) { id } }`,
					map[string]any{"in": map[string]any{"type": "DISPUTE", "scope": map[string]any{"categories": []string{"applicant.name"}}, "reason": "wrong\x00", "idempotencyKey": "key-text-0001"}}, "in.reason"},
				{"idempotencyKey", subTok, `mutation($in: FileRequestInput!) { fileRequest(input: $in) { id } }`,
					map[string]any{"in": map[string]any{"type": "DISPUTE", "scope": map[string]any{"categories": []string{"applicant.name"}}, "reason": "wrong", "idempotencyKey": "key-text\x00-0002"}}, "in.idempotencyKey"},
				{"consent clientRequestId", subTok, `mutation($in: SetConsentInput!) { setConsent(input: $in) { replayed } }`,
					map[string]any{"in": map[string]any{"topic": "marketing.sms", "granted": true, "channel": "SMS", "clientRequestId": "c\x00"}}, "in.clientRequestId"},
				{"comment", subTok, `mutation($id: ID!, $b: String!) { commentOnRequest(id: $id, body: $b) { id } }`,
					map[string]any{"id": reqID, "b": "hello\x00"}, "b"},
				{"request(id:) literal", subTok, `{ request(id: "x\u0000") { id } }`, nil, "id"},
			} {
				r := env.Query(t, tc.token, tc.query, tc.vars)
				if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tc.field {
					t.Errorf("%s: got %+v, want BAD_USER_INPUT on %s", tc.name, r.Errors, tc.field)
				}
			}
			// Invalid UTF-8 in the body itself.
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader([]byte(`{"query":"mutation($in: SubscriberInput!) { upsertSubscriber(input: $in) { id } }","variables":{"in":{"id":"bad`+"\xff\xfe"+`"}}}`)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+sys)
			if r := env.Do(t, req); r.Status != http.StatusBadRequest || len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
				t.Errorf("invalid UTF-8 body: %d %+v", r.Status, r.Errors)
			}
			// A lone surrogate escape, which JSON decoding turns into U+FFFD.
			req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"mutation($in: SubscriberInput!) { upsertSubscriber(input: $in) { id } }","variables":{"in":{"id":"sub-\ud800","status":"ACTIVE","signedUpAt":"2021-03-02T09:00:00+09:00"}}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+sys)
			if r := env.Do(t, req); len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "in.id" {
				t.Errorf("lone surrogate: %d %+v", r.Status, r.Errors)
			}
			// Nothing was stored.
			if n, err := env.DB.CountSubscribers(context.Background()); err != nil || n != 1 {
				t.Errorf("subscribers stored: %d, %v (want only sub-text)", n, err)
			}

			// The import reports the same rule, per line, with the field.
			lines := strings.Join([]string{
				`{"id":"imp-1","status":"ACTIVE","signedUpAt":"2024-01-02T09:00:00+09:00","records":[{"kind":"PAYMENT","occurredAt":"2025-06-01T09:00:00+09:00","externalId":"p1","summary":"call 010-5555-4444\u0000"}]}`,
				`{"id":"imp-2\u0007","status":"ACTIVE","signedUpAt":"2024-01-02T09:00:00+09:00"}`,
				"{\"id\":\"imp-3\xff\",\"status\":\"ACTIVE\",\"signedUpAt\":\"2024-01-02T09:00:00+09:00\"}",
			}, "\n")
			var mu sync.Mutex
			var errs []feed.LineError
			rep, err := env.Feed.Import(context.Background(), strings.NewReader(lines), feed.ImportOptions{OnError: func(e feed.LineError) {
				mu.Lock()
				defer mu.Unlock()
				errs = append(errs, e)
			}})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Failed != 3 || rep.Imported != 0 {
				t.Errorf("import: %+v", rep)
			}
			for _, e := range errs {
				if strings.Contains(e.Reason, "INTERNAL") || strings.Contains(e.Reason, "ERROR") || strings.Contains(e.Reason, "010-5555") {
					t.Errorf("import line error: %s", e)
				}
				want := map[int]string{1: "records[0].summary", 2: "id", 3: ""}[e.Line]
				if e.Field != want {
					t.Errorf("line %d: field %q, want %q (%s)", e.Line, e.Field, want, e)
				}
			}
		})
	}
}
