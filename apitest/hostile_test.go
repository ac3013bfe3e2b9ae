package apitest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/httpapi"
	"github.com/xroshot/portal/loadtest"
)

// productionEdge serves env's schema as production does: no
// introspection, no suggestions, no rate limit (which has its own test).
func productionEdge(t *testing.T, env *apitest.Env, limits httpapi.Limits) (http.Handler, *apitest.SyncBuffer) {
	t.Helper()
	logs := &apitest.SyncBuffer{}
	h := httpapi.New(httpapi.Config{
		Schema:    env.Schema,
		Logger:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry:  prometheus.NewRegistry(),
		Limits:    limits,
		RateLimit: httpapi.RateLimit{PerSecond: -1},
	})
	return h, logs
}

func post(t testing.TB, h http.Handler, body map[string]any) apitest.Response {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := apitest.Response{Status: rec.Code, Header: rec.Header()}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("response is not JSON (status %d): %.300s", rec.Code, rec.Body.Bytes())
	}
	return out
}

// hostileQueries are the documents of issue 15, each written the way the
// report describes it.
func hostileQueries() map[string]string {
	conflicting := func(n int) string {
		return "{ policy { " + strings.Repeat("version version: hash ", n/2) + "} }"
	}
	fanout := func(levels int) string {
		var b strings.Builder
		b.WriteString("query { policy { ...F" + fmt.Sprint(levels) + " } }\n")
		b.WriteString("fragment F0 on Policy { version }\n")
		for i := 1; i <= levels; i++ {
			fmt.Fprintf(&b, "fragment F%d on Policy { ...F%d ...F%d }\n", i, i-1, i-1)
		}
		return b.String()
	}
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{ ")
		for i := range n {
			fmt.Fprintf(&b, "a%d: policy { version } ", i)
		}
		b.WriteString("}")
		return b.String()
	}
	return map[string]string{
		"500 conflicting fields":    conflicting(500),
		"40 conflicting arguments":  "{ " + strings.Repeat("policy(lang: EN) { version } policy(lang: KO) { hash } ", 20) + "}",
		"1,000 conflicting fields":  conflicting(1000),
		"2,000 conflicting fields":  conflicting(2000),
		"5,000 repeated fields":     "# unique comment 1\n{ policy { " + strings.Repeat("version ", 5000) + "} }",
		"9,000 repeated fields":     "# unique comment 2\n{ policy { " + strings.Repeat("version ", 9000) + "} }",
		"fragment fan-out 2^24":     fanout(24),
		"fragment fan-out 2^60":     fanout(60),
		"200 aliases of policy":     aliases(200),
		"introspection, production": "{ __schema { types { name } } }",
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestHostileQueriesRefusedCheaply posts each hostile document of issue 15
// to a production edge and measures the server's CPU time (getrusage, not
// the wall clock, so a loaded machine does not make it flake) and the bytes
// allocated. Before the cost gate these cost 0.5 s to 4 min of CPU and up
// to 951 MB; the bounds are the issue's: 100 ms and 10 MB each.
func TestHostileQueriesRefusedCheaply(t *testing.T) {
	env := apitest.New(t, "sqlite")
	h, logs := productionEdge(t, env, httpapi.Limits{})
	for name, q := range hostileQueries() {
		t.Run(name, func(t *testing.T) {
			body := map[string]any{"query": q}
			post(t, h, body) // warm up code paths once; the second call is measured
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cpu0 := cpuTime(t)
			resp := post(t, h, body)
			cpu := cpuTime(t) - cpu0
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("cpu %v, allocated %d kB, %d errors: %v", cpu, alloc>>10, len(resp.Errors), resp.Errors)
			if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" || resp.Data != nil {
				t.Errorf("want one BAD_USER_INPUT validation error and no data, got %+v", resp)
			}
			if cpu > 100*time.Millisecond {
				t.Errorf("refusing took %v of CPU, want < 100ms", cpu)
			}
			if alloc > 10<<20 {
				t.Errorf("refusing allocated %d bytes, want < 10 MB", alloc)
			}
		})
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("a refused query logged an error:\n%s", logs.String())
	}
}

// TestHomeScreenUnaffected runs the app's home screen (the load
// benchmark's query) through a production edge with the default limits: it
// passes the gate, the depth and complexity limits, and answers data.
func TestHomeScreenUnaffected(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			env := apitest.New(t, dialect)
			r := env.Query(t, env.Token(t, "sub-home", "", "subscriber"), loadtest.MeQuery, nil)
			for _, e := range r.Errors {
				if e.Code() == "BAD_USER_INPUT" {
					t.Fatalf("the home screen was refused: %+v", r.Errors)
				}
			}
			if r.Status != http.StatusOK {
				t.Fatalf("status %d", r.Status)
			}
		})
	}
}

// TestErrorsCapped: a document with hundreds of faults gets at most
// MaxErrors errors plus one that says how many were left out.
func TestErrorsCapped(t *testing.T) {
	env := apitest.New(t, "sqlite")
	h, _ := productionEdge(t, env, httpapi.Limits{})
	var b strings.Builder
	b.WriteString("{ policy { ")
	for i := range 300 {
		fmt.Fprintf(&b, "nope%d ", i)
	}
	b.WriteString("} }")
	resp := post(t, h, map[string]any{"query": b.String()})
	if got := len(resp.Errors); got != httpapi.DefaultLimits.MaxErrors+1 {
		t.Fatalf("got %d errors, want %d", got, httpapi.DefaultLimits.MaxErrors+1)
	}
	if last := resp.Errors[len(resp.Errors)-1].Message; last != "200 more errors not shown" {
		t.Errorf("last error = %q", last)
	}
}

// TestIntrospectionRefusedAsValidation: production refuses introspection
// before execution, as a validation error (not INTERNAL), and logs no
// ERROR line for it; __typename stays allowed.
func TestIntrospectionRefusedAsValidation(t *testing.T) {
	env := apitest.New(t, "sqlite")
	h, logs := productionEdge(t, env, httpapi.Limits{})
	for _, q := range []string{
		`{ __schema { queryType { name } } }`,
		`{ __type(name: "Policy") { name } }`,
		`query { policy { version } ...I } fragment I on Query { __schema { types { name } } }`,
	} {
		resp := post(t, h, map[string]any{"query": q})
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" || resp.Errors[0].Extensions["reason"] != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("%s: got %+v", q, resp)
		}
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("refused introspection logged an error:\n%s", logs.String())
	}
	resp := post(t, h, map[string]any{"query": `{ __typename policy { __typename version } }`})
	if len(resp.Errors) != 0 {
		t.Errorf("__typename refused: %+v", resp.Errors)
	}
}

// TestNoSuggestionsInProduction: no error of a production server names a
// field, argument, type or enum value the client did not send.
func TestNoSuggestionsInProduction(t *testing.T) {
	env := apitest.New(t, "sqlite")
	h, _ := productionEdge(t, env, httpapi.Limits{})
	for _, q := range []string{
		`{ policy(lang: EM) { version } }`,                                         // enum value
		`{ policy(lang: "EN") { version } }`,                                       // enum given as string
		`{ policy(lagn: EN) { version } }`,                                         // argument
		`{ policy { versoin } }`,                                                   // field
		`query($l: Languag) { policy(lang: $l) { version } }`,                      // type
		`mutation { setConsent(input: {topik: "x", granted: true}) { replayed } }`, // input field
		`{ policy }`, // scalar leafs
	} {
		resp := post(t, h, map[string]any{"query": q})
		if len(resp.Errors) == 0 {
			t.Errorf("%s: no error", q)
		}
		for _, e := range resp.Errors {
			if strings.Contains(e.Message, "Did you mean") || strings.Contains(e.Message, "did you mean") {
				t.Errorf("%s: suggestion in %q", q, e.Message)
			}
		}
	}
}

func sha(q string) string {
	s := sha256.Sum256([]byte(q))
	return hex.EncodeToString(s[:])
}

// TestPersistedQueriesRegisteredOnlyWhenValid: a hash is registered only
// once its text parsed, validated and passed the limits; garbage never
// reaches the cache.
func TestPersistedQueriesRegisteredOnlyWhenValid(t *testing.T) {
	env := apitest.New(t, "sqlite")
	h, _ := productionEdge(t, env, httpapi.Limits{})
	apq := func(hash, q string) apitest.Response {
		body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}
		if q != "" {
			body["query"] = q
		}
		return post(t, h, body)
	}
	for _, bad := range []string{
		"garbage " + strings.Repeat("x", 1000),                   // does not parse
		`{ policy { nope } }`,                                    // does not validate
		"{ policy { " + strings.Repeat("version ", 2000) + "} }", // over the limits
	} {
		if r := apq(sha(bad), bad); len(r.Errors) == 0 {
			t.Fatalf("bad query answered without error")
		}
		r := apq(sha(bad), "")
		if len(r.Errors) != 1 || r.Errors[0].Message != "PersistedQueryNotFound" {
			t.Errorf("a refused query was registered: %+v", r)
		}
	}
	good := "# a comment\n{ policy { version } }"
	if r := apq(sha(good), good); len(r.Errors) != 0 {
		t.Fatalf("good query: %+v", r.Errors)
	}
	if r := apq(sha(good), ""); len(r.Errors) != 0 || !strings.Contains(string(r.Data), "version") {
		t.Errorf("registered query not served: %+v", r)
	}
}

// TestIntrospectionQueryOfGraphQLJS posts graphql-js's
// getIntrospectionQuery() text (testdata/introspection.graphql, from
// graphql 16.15.0, made by scripts/introspection-fixture.sh) to a
// development server: it must pass the depth limit and every other limit,
// and the result must build a client schema: every type referenced by a
// field, argument, input field, interface or union is present, and every
// directive location is one the specification (and so graphql-js 16, which
// GraphQL Code Generator reads it with) knows.
func TestIntrospectionQueryOfGraphQLJS(t *testing.T) {
	q, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	env := apitest.New(t, "sqlite")
	r := env.Query(t, "", string(q), nil)
	if len(r.Errors) > 0 {
		t.Fatalf("introspection refused: %+v", r.Errors)
	}
	type typeRef struct {
		Kind   string   `json:"kind"`
		Name   *string  `json:"name"`
		OfType *typeRef `json:"ofType"`
	}
	type inputValue struct {
		Name string  `json:"name"`
		Type typeRef `json:"type"`
	}
	var data struct {
		Schema struct {
			QueryType        *struct{ Name string } `json:"queryType"`
			MutationType     *struct{ Name string } `json:"mutationType"`
			SubscriptionType *struct{ Name string } `json:"subscriptionType"`
			Types            []struct {
				Kind   string `json:"kind"`
				Name   string `json:"name"`
				Fields []struct {
					Name string       `json:"name"`
					Args []inputValue `json:"args"`
					Type typeRef      `json:"type"`
				} `json:"fields"`
				InputFields   []inputValue `json:"inputFields"`
				Interfaces    []typeRef    `json:"interfaces"`
				PossibleTypes []typeRef    `json:"possibleTypes"`
			} `json:"types"`
			Directives []struct {
				Name      string       `json:"name"`
				Args      []inputValue `json:"args"`
				Locations []string     `json:"locations"`
			} `json:"directives"`
		} `json:"__schema"`
	}
	r.Decode(t, &data)
	s := data.Schema
	known := map[string]string{}
	for _, ty := range s.Types {
		known[ty.Name] = ty.Kind
	}
	if s.QueryType == nil || known[s.QueryType.Name] != "OBJECT" {
		t.Fatalf("no query type")
	}
	for _, root := range []*struct{ Name string }{s.MutationType, s.SubscriptionType} {
		if root != nil && known[root.Name] != "OBJECT" {
			t.Errorf("root type %s missing", root.Name)
		}
	}
	var check func(where string, r typeRef)
	check = func(where string, r typeRef) {
		for r.OfType != nil {
			if r.Kind != "LIST" && r.Kind != "NON_NULL" {
				t.Errorf("%s: wrapper kind %s has ofType", where, r.Kind)
			}
			r = *r.OfType
		}
		if r.Name == nil {
			t.Errorf("%s: type reference cut short (the query's depth was not enough)", where)
			return
		}
		if kind, ok := known[*r.Name]; !ok || kind != r.Kind {
			t.Errorf("%s: references %s %s, which the result does not define (%q)", where, r.Kind, *r.Name, kind)
		}
	}
	for _, ty := range s.Types {
		for _, f := range ty.Fields {
			check(ty.Name+"."+f.Name, f.Type)
			for _, a := range f.Args {
				check(ty.Name+"."+f.Name+"("+a.Name+")", a.Type)
			}
		}
		for _, f := range ty.InputFields {
			check(ty.Name+"."+f.Name, f.Type)
		}
		for _, i := range ty.Interfaces {
			check(ty.Name+" implements", i)
		}
		for _, p := range ty.PossibleTypes {
			check(ty.Name+" possible", p)
		}
	}
	// The specification's DirectiveLocation (September 2025 edition).
	specLocations := map[string]bool{}
	for _, l := range strings.Fields(`QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD
		INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION
		INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION`) {
		specLocations[l] = true
	}
	for _, d := range s.Directives {
		for _, a := range d.Args {
			check("@"+d.Name+"("+a.Name+")", a.Type)
		}
		for _, l := range d.Locations {
			if !specLocations[l] {
				t.Errorf("@%s on %s: not a location of the specification; graphql-js cannot parse it back", d.Name, l)
			}
		}
	}
	if len(s.Types) < 20 {
		t.Errorf("only %d types", len(s.Types))
	}
}

// TestMetricsLabelsBounded: operation names chosen by clients do not make
// unbounded series; past the bound they count as "other". With
// MetricsApart the API's handler does not serve /metrics, for a server
// that serves MetricsHandler on an internal address.
func TestMetricsLabelsBounded(t *testing.T) {
	env := apitest.New(t, "sqlite")
	reg := prometheus.NewRegistry()
	h := httpapi.New(httpapi.Config{Schema: env.Schema, Registry: reg, RateLimit: httpapi.RateLimit{PerSecond: -1}, MetricsApart: true})
	for i := range 260 {
		post(t, h, map[string]any{"query": fmt.Sprintf("query Op%d { policy { version } }", i), "operationName": fmt.Sprintf("Op%d", i)})
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		if mf.GetName() != "portal_graphql_operations_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "operation" {
					names[l.GetValue()] = true
				}
			}
		}
	}
	if len(names) == 0 || len(names) > 205 || !names["other"] {
		t.Errorf("%d operation label values (want at most 205, with other)", len(names))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code == http.StatusOK {
		t.Errorf("/metrics served on the API with MetricsApart")
	}
	rec = httptest.NewRecorder()
	httpapi.MetricsHandler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "portal_graphql_operations_total") {
		t.Errorf("MetricsHandler: %d", rec.Code)
	}
}
