package apitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/httpapi"
)

// edge builds an HTTP edge over env as package app does, with cfg's
// changes: for limits the shared test edge turns off.
func edge(t *testing.T, env *apitest.Env, change func(*httpapi.Config)) *httptest.Server {
	t.Helper()
	schema, loaders := env.App.Schema()
	cfg := httpapi.Config{
		Schema:    schema,
		Logger:    slog.New(slog.DiscardHandler),
		Verifier:  env.App.Verifier,
		Registry:  prometheus.NewRegistry(),
		Around:    []graphql.OperationMiddleware{loaders},
		RateLimit: httpapi.RateLimit{PerSecond: -1},
		Now:       env.Clock.Now,
	}
	if change != nil {
		change(&cfg)
	}
	srv := httptest.NewServer(httpapi.New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

type wsFrame struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

func wsURL(srv *httptest.Server) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/graphql"
}

// wsDial opens a graphql-transport-ws connection and, when token is not
// "-", sends connection_init with it and waits for the acknowledgement.
func wsDial(ctx context.Context, t *testing.T, srv *httptest.Server, token string) (*websocket.Conn, wsFrame) {
	t.Helper()
	c, _, err := websocket.Dial(ctx, wsURL(srv), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	if token == "-" {
		return c, wsFrame{}
	}
	if err := wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
		t.Fatal(err)
	}
	var ack wsFrame
	if err := wsjson.Read(ctx, c, &ack); err != nil {
		t.Fatalf("no ack: %v", err)
	}
	return c, ack
}

func wsSubscribe(ctx context.Context, t *testing.T, c *websocket.Conn, id, query string, vars map[string]any) {
	t.Helper()
	if err := wsjson.Write(ctx, c, map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}}); err != nil {
		t.Fatal(err)
	}
}

// readUntilClose reads messages until the server closes the connection and
// returns the close status.
func readUntilClose(ctx context.Context, c *websocket.Conn) (websocket.StatusCode, []wsFrame) {
	var got []wsFrame
	for {
		var m wsFrame
		err := wsjson.Read(ctx, c, &m)
		if err != nil {
			return websocket.CloseStatus(err), got
		}
		got = append(got, m)
	}
}

// fileWSDispute files a request for a fresh subscriber and returns its id
// and the subscriber's token.
func fileWSDispute(t *testing.T, env *apitest.Env, sub string) (string, string) {
	t.Helper()
	subscriber(t, env, sub, apitest.Start.AddDate(-2, 0, 0), 0, 0)
	tok := env.Token(t, sub, "", auth.RoleSubscriber)
	var filed struct{ FileRequest struct{ ID string } }
	do(t, env, tok, `mutation { fileRequest(input: {type: DISPUTE, scope: {categories: ["applicant.name"]}, reason: "이름이 틀렸습니다", idempotencyKey: "ws-`+sub+`"}) { id } }`, nil, &filed)
	return filed.FileRequest.ID, tok
}

const requestUpdated = `subscription($id: ID!) { requestUpdated(id: $id) { id status } }`

// TestWebSocketEndsWithTheToken: a connection whose token expires is
// closed with 4403, its subscription ended, as an HTTP request with that
// token would be refused; the acknowledgement does not echo the
// connection_init payload (which holds the bearer token).
func TestWebSocketEndsWithTheToken(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	id, _ := fileWSDispute(t, env, "sub-exp")
	short, err := env.Minter.Mint("sub-exp", []auth.Role{auth.RoleSubscriber}, "", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	srv := edge(t, env, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, ack := wsDial(ctx, t, srv, short)
	if ack.Type != "connection_ack" || len(ack.Payload) > 0 && string(ack.Payload) != "null" {
		t.Errorf("ack = %s %s, want connection_ack without payload", ack.Type, ack.Payload)
	}
	wsSubscribe(ctx, t, c, "1", requestUpdated, map[string]any{"id": id})
	start := time.Now()
	status, _ := readUntilClose(ctx, c)
	if status != 4403 {
		t.Fatalf("closed with %d, want 4403", status)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("closed %v after the subscription, the token lived 2s", d)
	}
}

// TestWebSocketCaps: one connection may run at most MaxSubscriptions
// subscriptions, one subject hold at most MaxConnsPerSubject connections,
// and a connection that never sends connection_init is closed with 4408.
func TestWebSocketCaps(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	id, tok := fileWSDispute(t, env, "sub-caps")
	srv := edge(t, env, func(c *httpapi.Config) {
		c.WebSocket = httpapi.WebSocketLimits{MaxSubscriptions: 3, MaxConnsPerSubject: 2, InitTimeout: 300 * time.Millisecond}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	c, _ := wsDial(ctx, t, srv, tok)
	for i := range 4 {
		wsSubscribe(ctx, t, c, fmt.Sprint(i), requestUpdated, map[string]any{"id": id})
	}
	// Subscriptions start concurrently: whichever came fourth is refused,
	// then completed.
	var m wsFrame
	if err := wsjson.Read(ctx, c, &m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m.Payload), "too many subscriptions") {
		t.Errorf("the fourth subscription: %s %s %s", m.ID, m.Type, m.Payload)
	}
	refused := m.ID
	if err := wsjson.Read(ctx, c, &m); err != nil || m.Type != "complete" || m.ID != refused {
		t.Errorf("after the refusal: %s %s, %v", m.ID, m.Type, err)
	}
	// Completing one frees its slot.
	running := "0"
	if refused == "0" {
		running = "1"
	}
	if err := wsjson.Write(ctx, c, map[string]any{"id": running, "type": "complete"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	wsSubscribe(ctx, t, c, "4", requestUpdated, map[string]any{"id": id})
	// A ping after a pause: the pong comes after any refusal of "4".
	time.Sleep(300 * time.Millisecond)
	if err := wsjson.Write(ctx, c, map[string]any{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	for {
		var f wsFrame
		if err := wsjson.Read(ctx, c, &f); err != nil {
			t.Fatal(err)
		}
		if f.ID == "4" {
			t.Errorf("after a complete, a new subscription was answered %s %s", f.Type, f.Payload)
		}
		if f.Type == "pong" {
			break
		}
	}

	// A second connection is allowed, a third is closed.
	wsDial(ctx, t, srv, tok)
	c3, _ := wsDial(ctx, t, srv, "-")
	if err := wsjson.Write(ctx, c3, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + tok}}); err != nil {
		t.Fatal(err)
	}
	status, msgs := readUntilClose(ctx, c3)
	for _, m := range msgs {
		if m.Type == "connection_ack" {
			t.Errorf("a third connection for one subject was acknowledged")
		}
	}
	if status != 4429 {
		t.Errorf("third connection closed with %d, want 4429", status)
	}

	// Without a token, connections are counted per address.
	anon := func() (websocket.StatusCode, []wsFrame, *websocket.Conn) {
		c, _ := wsDial(ctx, t, srv, "-")
		if err := wsjson.Write(ctx, c, map[string]any{"type": "connection_init"}); err != nil {
			t.Fatal(err)
		}
		var f wsFrame
		err := wsjson.Read(ctx, c, &f)
		if err == nil && f.Type == "connection_ack" {
			return 0, []wsFrame{f}, c
		}
		if err != nil {
			return websocket.CloseStatus(err), nil, c
		}
		st, fs := readUntilClose(ctx, c)
		return st, append([]wsFrame{f}, fs...), c
	}
	for range 2 {
		if st, fs, _ := anon(); st != 0 {
			t.Fatalf("anonymous connection refused: %d %v", st, fs)
		}
	}
	if st, _, _ := anon(); st != 4429 {
		t.Errorf("third anonymous connection from one address closed with %d, want 4429", st)
	}

	// No connection_init: closed with 4408.
	c4, _ := wsDial(ctx, t, srv, "-")
	if status, _ := readUntilClose(ctx, c4); status != 4408 {
		t.Errorf("silent connection closed with %d, want 4408", status)
	}
}

// TestWebSocketOperationsRateLimited: operations on one connection take
// tokens from the same bucket as HTTP requests.
func TestWebSocketOperationsRateLimited(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	srv := edge(t, env, func(c *httpapi.Config) { c.RateLimit = httpapi.RateLimit{PerSecond: 1, Burst: 5} })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, _ := wsDial(ctx, t, srv, env.Token(t, "sub-rl", "", auth.RoleSubscriber))
	for i := range 20 {
		wsSubscribe(ctx, t, c, fmt.Sprint(i), `{ policy { version } }`, nil)
	}
	limited, answered := 0, 0
	for answered < 20 {
		var m wsFrame
		if err := wsjson.Read(ctx, c, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == "complete" {
			continue
		}
		answered++
		if strings.Contains(string(m.Payload), "RATE_LIMITED") {
			limited++
		}
	}
	if limited < 14 {
		t.Errorf("%d of 20 operations rate-limited, want at least 14 (burst 5)", limited)
	}
}

// TestSubscriptionOverPOSTRefused: a subscription sent as a plain POST is
// refused at once as a request error, not held open until an event.
func TestSubscriptionOverPOSTRefused(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	id, tok := fileWSDispute(t, env, "sub-post")
	done := make(chan apitest.Response, 1)
	go func() { done <- env.Query(t, tok, requestUpdated, map[string]any{"id": id}) }()
	select {
	case r := <-done:
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "WebSocket") || r.Data != nil {
			t.Errorf("got %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a subscription over POST hangs")
	}
	// Under the GraphQL-over-HTTP media type, a request error is 400.
	body, _ := json.Marshal(map[string]any{"query": requestUpdated, "variables": map[string]any{"id": id}})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json")
	req.Header.Set("Authorization", "Bearer "+tok)
	if r := env.Do(t, req); r.Status != http.StatusBadRequest || len(r.Errors) != 1 {
		t.Errorf("graphql-response+json: %d %+v", r.Status, r.Errors)
	}
}

// TestCrossOriginBrowsers: by default only the server's own origin may
// call it from a browser or open a WebSocket; configured origins may, and
// get CORS headers.
func TestCrossOriginBrowsers(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	const app = "https://app.example.com"
	for _, tc := range []struct {
		name    string
		allowed []string
		origin  string
		want    bool
	}{
		{"default, foreign origin", nil, app, false},
		{"configured origin", []string{app}, app, true},
		{"another origin", []string{app}, "https://evil.example", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := edge(t, env, func(c *httpapi.Config) { c.AllowedOrigins = tc.allowed })
			// Preflight.
			req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/graphql", nil)
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Allow-Origin") == tc.origin; got != tc.want {
				t.Errorf("preflight Allow-Origin %q, want allowed=%v", resp.Header.Get("Access-Control-Allow-Origin"), tc.want)
			}
			// A POST from the page.
			req, _ = http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"{ policy { version } }"}`))
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Content-Type", "application/json")
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Allow-Origin") == tc.origin; got != tc.want {
				t.Errorf("POST Allow-Origin %q, want allowed=%v", resp.Header.Get("Access-Control-Allow-Origin"), tc.want)
			}
			// The WebSocket upgrade.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, hr, err := websocket.Dial(ctx, wsURL(srv), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: http.Header{"Origin": {tc.origin}}})
			if c != nil {
				_ = c.CloseNow()
			}
			if (err == nil) != tc.want {
				status := 0
				if hr != nil {
					status = hr.StatusCode
				}
				t.Errorf("upgrade from %s: err %v (status %d), want allowed=%v", tc.origin, err, status, tc.want)
			}
		})
	}
	// The same origin is always allowed.
	srv := edge(t, env, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, wsURL(srv), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: http.Header{"Origin": {srv.URL}}})
	if err != nil {
		t.Fatalf("same-origin upgrade refused: %v", err)
	}
	_ = c.CloseNow()
}
