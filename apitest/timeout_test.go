package apitest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/httpapi"
	"github.com/xroshot/portal/store"
)

// holdSubscribers takes an exclusive lock on the subscribers table in
// another session, as a stuck migration or a forgotten psql session would,
// until the test ends.
func holdSubscribers(t *testing.T, env *apitest.Env) {
	t.Helper()
	ctx := context.Background()
	conn, err := env.DB.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		_ = conn.Close()
	})
	for _, q := range []string{"BEGIN", "LOCK TABLE subscribers IN ACCESS EXCLUSIVE MODE"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHungDatabaseAnswersInternalInTime: with the subscribers table locked
// by another session, `me` answers INTERNAL once PostgreSQL's lock_timeout
// (store.DefaultLockTimeout) passes, and sooner when the edge's request
// deadline is shorter; before the timeouts it waited until the client gave
// up.
func TestHungDatabaseAnswersInternalInTime(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "postgres")
	subscriber(t, env, "sub-hung", apitest.Start.AddDate(-1, 0, 0), 0, 0)
	tok := env.Token(t, "sub-hung", "", auth.RoleSubscriber)
	holdSubscribers(t, env)

	check := func(name string, ask func() apitest.Response, bound time.Duration) {
		t.Helper()
		start := time.Now()
		done := make(chan apitest.Response, 1)
		go func() { done <- ask() }()
		select {
		case r := <-done:
			took := time.Since(start)
			t.Logf("%s: %v, %+v", name, took, r.Errors)
			if len(r.Errors) == 0 || r.Errors[0].Code() != "INTERNAL" || strings.Contains(r.Errors[0].Message, "lock") {
				t.Errorf("%s: got %+v, want INTERNAL without the database's words", name, r.Errors)
			}
			if took > bound {
				t.Errorf("%s: answered after %v, want within %v", name, took, bound)
			}
		case <-time.After(bound + 10*time.Second):
			t.Fatalf("%s: no answer", name)
		}
	}
	check("lock_timeout", func() apitest.Response {
		return env.Query(t, tok, `{ me { id status } }`, nil)
	}, store.DefaultLockTimeout+3*time.Second)

	srv := edge(t, env, func(c *httpapi.Config) { c.RequestTimeout = time.Second })
	check("request deadline", func() apitest.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"{ me { id status } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		return doHTTP(t, req)
	}, 4*time.Second)
}

// doHTTP sends req to a real server and decodes the GraphQL response.
func doHTTP(t *testing.T, req *http.Request) apitest.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return apitest.Response{}
	}
	defer resp.Body.Close()
	out := apitest.Response{Status: resp.StatusCode, Header: resp.Header}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Errorf("decode: %v", err)
	}
	return out
}
