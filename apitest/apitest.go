// Package apitest runs the whole API — HTTP edge, resolvers, domain services
// and a real store — for tests that speak GraphQL over HTTP the way clients
// do, on each store.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/graph"
	"github.com/xroshot/portal/httpapi"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/resolvers"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// Test token parameters.
const (
	Issuer   = "https://issuer.test"
	Audience = "portal-test"
	Secret   = "apitest-secret-apitest-secret-0123456789"
)

// Env is one assembled portal over a fresh database.
type Env struct {
	DB        *store.DB
	Clock     *clock.Manual
	Catalog   *policy.Catalog
	Keys      *protect.Keyring
	Inventory *inventory.Service
	Feed      *feed.Service
	Consent   *consent.Service
	Requests  *requests.Service
	Purge     *purge.Service
	Handler   http.Handler
	// Schema is the executable schema, for tests that build their own edge.
	Schema graphql.ExecutableSchema
	Minter auth.Minter
}

// Start is the instant every Env's clock starts at.
var Start = time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

// New assembles the portal on a fresh database of the dialect, wired as
// package app wires it.
func New(t testing.TB, dialect string) *Env {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, dialect)
	cat, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := protect.GenerateKeySpec()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := protect.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(Start)
	v, err := auth.NewVerifier(ctx, auth.Config{Issuer: Issuer, Audience: Audience, Secret: []byte(Secret), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	inv := inventory.New(db, cat, keys, clk)
	fd := feed.New(db.ForFeed(), inv, keys, clk)
	cs := consent.New(db.ForConsent(), inv, clk)
	reqs := requests.New(requests.Deps{Store: db.ForRequests(), Inventory: inv, Clock: clk, Consents: requests.ConsentsFunc(func(ctx context.Context, sub, req, staff string, topics []string) error {
		_, err := cs.WithdrawForRequest(ctx, sub, req, staff, topics)
		return err
	})})
	cs.SetDelegation(reqs.AgentMaySee)
	pg := purge.New(db.ForPurge(), cat, clk)
	res := resolvers.New(resolvers.Deps{Catalog: cat, Clock: clk, Inventory: inv, Feed: fd, Consent: cs, RequestSvc: reqs, Audit: audit.New(db.ForAudit(), clk), Purge: pg})
	schema := graph.NewExecutableSchema(resolvers.Config(res))
	h := httpapi.New(httpapi.Config{
		Schema:      schema,
		Development: true,
		Logger:      slog.New(slog.NewTextHandler(testWriter{t}, nil)),
		Verifier:    v,
		Ready:       db.Ping,
		Registry:    prometheus.NewRegistry(),
		Around:      []graphql.OperationMiddleware{res.WithLoaders},
		// Tests fire requests faster than any person; the limit has its own test.
		RateLimit: httpapi.RateLimit{PerSecond: -1},
	})
	return &Env{
		DB: db, Clock: clk, Catalog: cat, Keys: keys, Inventory: inv, Feed: fd, Consent: cs, Requests: reqs, Purge: pg, Handler: h, Schema: schema,
		Minter: auth.Minter{Issuer: Issuer, Audience: Audience, Secret: []byte(Secret), Now: clk.Now},
	}
}

// Token mints a token for subject with roles, acting as actor if set.
func (e *Env) Token(t testing.TB, subject, actor string, roles ...auth.Role) string {
	t.Helper()
	tok, err := e.Minter.Mint(subject, roles, actor, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Response is a GraphQL response with its HTTP status.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
	Header http.Header     `json:"-"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the error's extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Codes lists the codes of the response's errors.
func (r Response) Codes() []string {
	out := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		out[i] = e.Code()
	}
	return out
}

// Query posts a GraphQL operation with an optional bearer token.
func (e *Env) Query(t testing.TB, token, query string, vars map[string]any) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.Do(t, req)
}

// Do serves a raw request and decodes the GraphQL response.
func (e *Env) Do(t testing.TB, req *http.Request) Response {
	t.Helper()
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	out := Response{Status: rec.Code, Header: rec.Header()}
	b, _ := io.ReadAll(rec.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("response is not JSON (status %d): %s", rec.Code, b)
		}
	}
	return out
}

// Decode unmarshals the response data into v, failing on errors.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data: %v", err)
	}
}

// testWriter sends the server's log to the test's log, so an INTERNAL
// error shows its cause when a test fails.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
