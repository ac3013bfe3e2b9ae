// Package apitest runs the whole API — HTTP edge, resolvers, domain services
// and a real store — for tests that speak GraphQL over HTTP the way clients
// do, on each store.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/policy"
)

// Test token parameters.
const (
	Issuer   = apptest.Issuer
	Audience = apptest.Audience
	Secret   = apptest.Secret
)

// Env is one assembled portal over a fresh database, with its HTTP edge.
type Env struct {
	*apptest.Env
	Handler http.Handler
	// Schema is the executable schema, for tests that build their own edge.
	Schema graphql.ExecutableSchema
}

// Start is the instant every Env's clock starts at.
var Start = apptest.Start

// New assembles the portal on a fresh database of the dialect, as package
// app assembles it, behind the HTTP edge the server runs.
func New(t testing.TB, dialect string) *Env {
	t.Helper()
	e := apptest.New(t, dialect, Start)
	schema, loaders := e.App.Schema()
	return &Env{Env: e, Schema: schema, Handler: e.App.Edge(schema, loaders, prometheus.NewRegistry())}
}

// NewWithCatalog is New running the catalog given instead of the shipped
// notice.
func NewWithCatalog(t testing.TB, dialect string, cat *policy.Catalog) *Env {
	t.Helper()
	e := apptest.NewWithCatalog(t, dialect, Start, cat)
	schema, loaders := e.App.Schema()
	return &Env{Env: e, Schema: schema, Handler: e.App.Edge(schema, loaders, prometheus.NewRegistry())}
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
	return e.Do(t, graphqlRequest(t, "/graphql", token, query, vars))
}

// Do serves a raw request and decodes the GraphQL response.
func (e *Env) Do(t testing.TB, req *http.Request) Response {
	t.Helper()
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	return decodeResponse(t, rec.Result())
}

// decodeResponse reads a GraphQL response over HTTP.
func decodeResponse(t testing.TB, res *http.Response) Response {
	t.Helper()
	defer res.Body.Close()
	out := Response{Status: res.StatusCode, Header: res.Header}
	b, _ := io.ReadAll(res.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("response is not JSON (status %d): %s", res.StatusCode, b)
		}
	}
	return out
}

// graphqlRequest is a GraphQL POST with an optional bearer token: served
// in-process when url is a path, sent by a client when it is absolute.
func graphqlRequest(t testing.TB, url, token, query string, vars map[string]any) *http.Request {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	var req *http.Request
	if strings.HasPrefix(url, "/") {
		req = httptest.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	} else if req, err = http.NewRequest(http.MethodPost, url, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
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
