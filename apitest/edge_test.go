package apitest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/httpapi"
)

// The GraphQL-over-HTTP spec's status codes for requests refused before
// execution, each with a GraphQL error body and never a stack trace.
func TestGraphQLOverHTTPRefusals(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	post := func(ct, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		r.Header.Set("Accept", "application/graphql-response+json")
		return r
	}
	get := func(q url.Values) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/graphql?"+q.Encode(), nil)
		r.Header.Set("Accept", "application/graphql-response+json")
		return r
	}
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string
	}{
		{name: "malformed JSON", req: post("application/json", `{"query": "{ policy { version } }"`), wantStatus: 400, wantCode: "BAD_USER_INPUT"},
		{name: "JSON that is not an object", req: post("application/json", `["{ policy { version } }"]`), wantStatus: 400, wantCode: "BAD_USER_INPUT"},
		{name: "query is not a string", req: post("application/json", `{"query": 42}`), wantStatus: 400, wantCode: "BAD_USER_INPUT"},
		{name: "variables is not an object", req: post("application/json", `{"query": "{ policy { version } }", "variables": "x"}`), wantStatus: 400, wantCode: "BAD_USER_INPUT"},
		{name: "no query", req: post("application/json", `{}`), wantStatus: 400, wantCode: "BAD_USER_INPUT"},
		{name: "wrong content type", req: post("text/plain", `{"query": "{ policy { version } }"}`), wantStatus: 415, wantCode: "BAD_USER_INPUT"},
		{name: "no content type", req: post("", `{"query": "{ policy { version } }"}`), wantStatus: 415, wantCode: "BAD_USER_INPUT"},
		{name: "oversized body", req: post("application/json", `{"query": "{ policy { version } }", "variables": {"x": "`+strings.Repeat("a", 2<<20)+`"}}`), wantStatus: 413, wantCode: "BAD_USER_INPUT"},
		{name: "syntax error", req: post("application/json", `{"query": "{ policy { "}`), wantStatus: 400, wantCode: "BAD_USER_INPUT"},
		{name: "unknown field", req: post("application/json", `{"query": "{ nothing }"}`), wantStatus: 400, wantCode: "BAD_USER_INPUT"},
		{name: "unknown operation name", req: post("application/json", `{"query": "query A { policy { version } }", "operationName": "B"}`), wantStatus: 400, wantCode: "BAD_USER_INPUT"},
		{name: "PUT", req: httptest.NewRequest(http.MethodPut, "/graphql", strings.NewReader(`{}`)), wantStatus: 405, wantCode: "BAD_USER_INPUT"},
		{name: "GET query too deep", req: get(url.Values{"query": {"{ policy { categories { consentTopic { category { consentTopic { category { consentTopic { category { consentTopic { category { consentTopic { category { code } } } } } } } } } } } } }"}}), wantStatus: 400, wantCode: "BAD_USER_INPUT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Do(t, tc.req)
			if res.Status != tc.wantStatus {
				t.Errorf("status = %d, want %d (errors %+v)", res.Status, tc.wantStatus, res.Errors)
			}
			if diff := cmp.Diff([]string{tc.wantCode}, res.Codes()); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
			for _, e := range res.Errors {
				if strings.Contains(e.Message, "goroutine") || strings.Contains(e.Message, "aaaa") {
					t.Errorf("error message leaks internals or the body: %.200s", e.Message)
				}
			}
		})
	}
}

func TestGraphQLOverHTTPAccepts(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	t.Run("GET query", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape("{ policy { version } }"), nil)
		res := env.Do(t, r)
		if res.Status != 200 || len(res.Errors) > 0 {
			t.Fatalf("status %d, errors %+v", res.Status, res.Errors)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q, want application/json when the client states no preference", ct)
		}
	})
	t.Run("POST with Accept application/json", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ policy { version } }"}`))
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
		r.Header.Set("Accept", "application/json")
		res := env.Do(t, r)
		if res.Status != 200 || len(res.Errors) > 0 {
			t.Fatalf("status %d, errors %+v", res.Status, res.Errors)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
	})
	t.Run("validation failure under application/json is 200 with errors and no data", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ nothing }"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/json")
		res := env.Do(t, r)
		if res.Status != 200 || len(res.Errors) != 1 || res.Data != nil {
			t.Fatalf("status %d, data %s, errors %+v", res.Status, res.Data, res.Errors)
		}
	})
	t.Run("request id echoed", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		r.Header.Set("X-Request-Id", "abc-123")
		rec := httptest.NewRecorder()
		env.Handler.ServeHTTP(rec, r)
		if got := rec.Header().Get("X-Request-Id"); got != "abc-123" {
			t.Errorf("X-Request-Id = %q", got)
		}
	})
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			env := apitest.New(t, d)
			status := func(path string) int {
				rec := httptest.NewRecorder()
				env.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				return rec.Code
			}
			if got := status("/readyz"); got != 200 {
				t.Fatalf("/readyz = %d while the database is up", got)
			}
			if got := status("/metrics"); got != 200 {
				t.Errorf("/metrics = %d", got)
			}
			// An outage: the pool is gone.
			_ = env.DB.Close()
			if got := status("/readyz"); got != 503 {
				t.Errorf("/readyz = %d during an outage, want 503", got)
			}
			if got := status("/healthz"); got != 200 {
				t.Errorf("/healthz = %d: the process is alive", got)
			}
			tok := env.Token(t, "someone", "", "subscriber")
			res := env.Query(t, tok, `{ me { id } }`, nil)
			if diff := cmp.Diff([]string{"INTERNAL"}, res.Codes()); diff != "" {
				t.Fatalf("codes during an outage (-want +got):\n%s", diff)
			}
			if msg := res.Errors[0].Message; msg != "internal error" {
				t.Errorf("message = %q, want a plain internal error without SQL", msg)
			}
		})
	}
}

func TestComplexityLimitCountsPageSizes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	// Aliases multiply a maximal page past the limit without any data.
	var b strings.Builder
	b.WriteString("{ me { ")
	for i := 0; i < 12; i++ {
		fmt.Fprintf(&b, "r%d: records(first: 100) { edges { cursor node { id summary occurredAt } } } ", i)
	}
	b.WriteString("} }")
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(fmt.Sprintf(`{"query": %q}`, b.String())))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/graphql-response+json")
	res := env.Do(t, r)
	if res.Status != 400 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "complexity") {
		t.Fatalf("status %d, errors %+v; want 400 for a query over the complexity limit", res.Status, res.Errors)
	}
	if got := res.Errors[0].Code(); got != "BAD_USER_INPUT" {
		t.Errorf("code = %q", got)
	}
}

func TestRateLimitPerClient(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	h := httpapi.New(httpapi.Config{Schema: env.Schema, RateLimit: httpapi.RateLimit{PerSecond: 1, Burst: 3}})
	post := func(addr string) int {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ policy { version } }"}`))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = addr
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code == http.StatusTooManyRequests && !strings.Contains(rec.Body.String(), "RATE_LIMITED") {
			t.Errorf("429 without RATE_LIMITED: %s", rec.Body)
		}
		return rec.Code
	}
	var codes []int
	for i := 0; i < 5; i++ {
		codes = append(codes, post("192.0.2.1:1234"))
	}
	if diff := cmp.Diff([]int{200, 200, 200, 429, 429}, codes); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := post("192.0.2.2:1234"); got != 200 {
		t.Errorf("another client was limited too: %d", got)
	}
}

// A database outage: connections cut under the server. Queries fail with a
// plain INTERNAL (no SQL) at worst, and the server recovers by itself.
func TestRecoversWhenTheDatabaseComesBack(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "postgres")
	subscriber(t, env, "sub-1", apitest.Start.AddDate(-1, 0, 0), 0, 3)
	tok := env.Token(t, "sub-1", "", "subscriber")
	if res := env.Query(t, tok, `{ me { id } }`, nil); len(res.Errors) > 0 {
		t.Fatalf("before: %+v", res.Errors)
	}
	// Cut every connection the server holds, as a restart of the database does.
	if _, err := env.DB.SQL().Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	ok := false
	for i := 0; i < 5 && !ok; i++ {
		res := env.Query(t, tok, `{ me { id holdings { value } } }`, nil)
		if len(res.Errors) == 0 {
			ok = true
			break
		}
		for _, e := range res.Errors {
			if e.Code() != "INTERNAL" || e.Message != "internal error" {
				t.Errorf("during the outage: %+v", e)
			}
		}
	}
	if !ok {
		t.Fatal("the server did not recover after the connections were cut")
	}
	rec := httptest.NewRecorder()
	env.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != 200 {
		t.Errorf("/readyz = %d after recovery", rec.Code)
	}
}
