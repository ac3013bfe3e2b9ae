package apitest_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/live"
	"github.com/xroshot/portal/store/storetest"
)

// wsMsg is one graphql-transport-ws message.
type wsMsg struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// liveClient is one graphql-transport-ws connection with a requestUpdated
// subscription, its messages collected in order.
type liveClient struct {
	conn *websocket.Conn
	msgs chan wsMsg
	// err is why reading stopped; set before msgs is closed.
	err error
}

const liveQuery = `subscription($id: ID!) { requestUpdated(id: $id) { id status assigneeId events { kind note internal } } }`

// subscribeLive connects to the server at base (http://host:port) with
// token and subscribes to the request, returning once the server has had
// time to register the subscription.
func subscribeLive(t *testing.T, ctx context.Context, base, token, requestID string) *liveClient {
	t.Helper()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	if err := wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
		t.Fatal(err)
	}
	var ack wsMsg
	if err := wsjson.Read(ctx, c, &ack); err != nil || ack.Type != "connection_ack" {
		t.Fatalf("ack = %+v, %v", ack, err)
	}
	if err := wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": liveQuery, "variables": map[string]any{"id": requestID}}}); err != nil {
		t.Fatal(err)
	}
	lc := &liveClient{conn: c, msgs: make(chan wsMsg, 32)}
	go func() {
		defer close(lc.msgs)
		for {
			var m wsMsg
			if err := wsjson.Read(ctx, c, &m); err != nil {
				lc.err = err
				return
			}
			if m.Type == "ping" || m.Type == "pong" {
				continue
			}
			lc.msgs <- m
		}
	}()
	// The subscription is registered asynchronously after "subscribe".
	time.Sleep(300 * time.Millisecond)
	return lc
}

// next waits for the client's next message.
func (c *liveClient) next(t *testing.T, ctx context.Context) wsMsg {
	t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			t.Fatal("connection closed before the expected message")
		}
		return m
	case <-ctx.Done():
		t.Fatal("no message pushed in time")
	}
	return wsMsg{}
}

// quiet fails if the client receives anything within d.
func (c *liveClient) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m, ok := <-c.msgs:
		if ok {
			t.Errorf("unexpected message %s %s", m.Type, m.Payload)
		}
	case <-time.After(d):
	}
}

type pushedRequest struct {
	RequestUpdated struct {
		ID         string
		Status     string
		AssigneeID *string
		Events     []struct {
			Kind     string
			Note     *string
			Internal bool
		}
	}
}

func decodePush(t *testing.T, m wsMsg) pushedRequest {
	t.Helper()
	if m.Type != "next" {
		t.Fatalf("got %s %s, want a next message", m.Type, m.Payload)
	}
	var p struct {
		Data   pushedRequest
		Errors []any
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		t.Fatalf("push %s: %v", m.Payload, err)
	}
	return p.Data
}

// until reads pushes until one satisfies ok. Across replicas a push may
// arrive for a change made before the subscription (the filing's own
// announcement, heard late): it shows the state of its time, then the next
// push the later one.
func (c *liveClient) until(t *testing.T, ctx context.Context, ok func(pushedRequest) bool) pushedRequest {
	t.Helper()
	for {
		p := decodePush(t, c.next(t, ctx))
		if ok(p) {
			return p
		}
	}
}

func notes(p pushedRequest) []string {
	var out []string
	for _, e := range p.RequestUpdated.Events {
		if e.Note != nil {
			out = append(out, *e.Note)
		}
	}
	return out
}

func fileDispute(t *testing.T, env *apitest.Env, subscriberID, key string) string {
	t.Helper()
	subscriber(t, env, subscriberID, apitest.Start.AddDate(-2, 0, 0), 0, 0)
	var filed struct{ FileRequest struct{ ID string } }
	do(t, env, env.Token(t, subscriberID, "", auth.RoleSubscriber), `mutation($k: String!) { fileRequest(input: {type: DISPUTE, scope: {categories: ["applicant.name"]}, reason: "이름이 틀렸습니다", idempotencyKey: $k}) { id } }`, map[string]any{"k": key}, &filed)
	return filed.FileRequest.ID
}

const (
	assignMutation  = `mutation($id: ID!, $to: ID!) { assignRequest(id: $id, assigneeId: $to) { id } }`
	commentMutation = `mutation($id: ID!, $body: String!, $internal: Boolean) { commentOnRequest(id: $id, body: $body, internal: $internal) { id } }`
)

// Every push carries the request as it is now: its second push has the
// comment made after the first (the per-operation loaders used to repeat
// the first push's events in every later push).
func TestRequestUpdatedPushesFreshData(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, dialect)
			id := fileDispute(t, env, "sub-fresh", "live-fresh-1")
			srv := httptest.NewServer(env.Handler)
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			subTok := env.Token(t, "sub-fresh", "", auth.RoleSubscriber)
			c := subscribeLive(t, ctx, srv.URL, subTok, id)
			admin := env.Token(t, "admin-1", "", auth.RoleAdmin)

			do(t, env, admin, commentMutation, map[string]any{"id": id, "body": "첫 번째 안내입니다"}, nil)
			first := decodePush(t, c.next(t, ctx))
			if got := notes(first); !contains(got, "첫 번째 안내입니다") {
				t.Fatalf("first push notes = %q, want the first comment", got)
			}
			do(t, env, admin, commentMutation, map[string]any{"id": id, "body": "두 번째 안내입니다"}, nil)
			second := decodePush(t, c.next(t, ctx))
			if got := notes(second); !contains(got, "첫 번째 안내입니다") || !contains(got, "두 번째 안내입니다") {
				t.Fatalf("second push notes = %q, want both comments", got)
			}
			if len(second.RequestUpdated.Events) != len(first.RequestUpdated.Events)+1 {
				t.Errorf("second push has %d events, first %d: want one more", len(second.RequestUpdated.Events), len(first.RequestUpdated.Events))
			}
		})
	}
}

// An agent reassigned away loses the stream: the push after the
// reassignment is a NOT_FOUND error that ends the subscription, and the new
// assignee's internal comment never reaches the old one.
func TestRequestUpdatedEndsWhenTheViewerLosesAccess(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, dialect)
			id := fileDispute(t, env, "sub-lost", "live-lost-1")
			admin := env.Token(t, "admin-1", "", auth.RoleAdmin)
			do(t, env, admin, assignMutation, map[string]any{"id": id, "to": "agent-1"}, nil)
			srv := httptest.NewServer(env.Handler)
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			agent1 := env.Token(t, "agent-1", "", auth.RoleAgent)
			c := subscribeLive(t, ctx, srv.URL, agent1, id)

			// While assigned, agent-1 is pushed internal comments.
			do(t, env, agent1, commentMutation, map[string]any{"id": id, "body": "agent-1 internal", "internal": true}, nil)
			p := decodePush(t, c.next(t, ctx))
			if !contains(notes(p), "agent-1 internal") {
				t.Fatalf("assigned agent's push notes = %q", notes(p))
			}

			do(t, env, admin, assignMutation, map[string]any{"id": id, "to": "agent-2"}, nil)
			m := c.next(t, ctx)
			if m.Type != "error" || !strings.Contains(string(m.Payload), `"NOT_FOUND"`) {
				t.Fatalf("after reassignment got %s %s, want an error NOT_FOUND", m.Type, m.Payload)
			}
			agent2 := env.Token(t, "agent-2", "", auth.RoleAgent)
			do(t, env, agent2, commentMutation, map[string]any{"id": id, "body": "agent-2 internal secret", "internal": true}, nil)
			c.quiet(t, 700*time.Millisecond)

			// The socket itself stays usable: subscribing again is refused.
			if err := wsjson.Write(ctx, c.conn, map[string]any{"id": "2", "type": "subscribe", "payload": map[string]any{"query": liveQuery, "variables": map[string]any{"id": id}}}); err != nil {
				t.Fatal(err)
			}
			m = c.next(t, ctx)
			if strings.Contains(string(m.Payload), "agent-2 internal secret") || !strings.Contains(string(m.Payload), "NOT_FOUND") {
				t.Errorf("re-subscribing after reassignment: %s %s", m.Type, m.Payload)
			}
		})
	}
}

// A token that expires during a subscription ends it at the next push.
func TestRequestUpdatedEndsWithTheToken(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	id := fileDispute(t, env, "sub-exp", "live-exp-1")
	srv := httptest.NewServer(env.Handler)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := subscribeLive(t, ctx, srv.URL, env.Token(t, "sub-exp", "", auth.RoleSubscriber), id)
	env.Clock.Advance(2 * time.Hour) // tokens live one hour
	do(t, env, env.Token(t, "admin-1", "", auth.RoleAdmin), commentMutation, map[string]any{"id": id, "body": "안내"}, nil)
	m := c.next(t, ctx)
	if m.Type != "error" || !strings.Contains(string(m.Payload), "UNAUTHENTICATED") {
		t.Fatalf("after expiry got %s %s, want an error UNAUTHENTICATED", m.Type, m.Payload)
	}
}

// Two replicas on one PostgreSQL database, each with its own pool, broker
// and listener: a client subscribed through one hears of a change made
// through the other, with the data as the other replica committed it.
func TestRequestUpdatedAcrossReplicas(t *testing.T) {
	t.Parallel()
	reps := apitest.NewReplicas(t, 2)
	a, b := reps[0], reps[1]
	id := fileDispute(t, b, "sub-rep", "live-rep-1")
	srvA := httptest.NewServer(a.Handler)
	defer srvA.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := subscribeLive(t, ctx, srvA.URL, a.Token(t, "sub-rep", "", auth.RoleSubscriber), id)

	admin := b.Token(t, "admin-1", "", auth.RoleAdmin)
	do(t, b, admin, assignMutation, map[string]any{"id": id, "to": "admin-1"}, nil)
	p := c.until(t, ctx, func(p pushedRequest) bool { return p.RequestUpdated.Status == "IN_REVIEW" })
	if p.RequestUpdated.ID != id {
		t.Fatalf("push through replica A = %+v, want request %s", p.RequestUpdated, id)
	}
	do(t, b, admin, commentMutation, map[string]any{"id": id, "body": "다른 복제본에서 남긴 안내"}, nil)
	c.until(t, ctx, func(p pushedRequest) bool { return contains(notes(p), "다른 복제본에서 남긴 안내") })
	// Internal comments stay internal for the subscriber, even across replicas.
	do(t, b, admin, commentMutation, map[string]any{"id": id, "body": "staff only", "internal": true}, nil)
	p = decodePush(t, c.next(t, ctx))
	if contains(notes(p), "staff only") {
		t.Errorf("the subscriber was pushed an internal comment: %q", notes(p))
	}
}

// Two `portal serve` OS processes, built from this tree, on one PostgreSQL
// database, as two replicas behind a load balancer: the demo's terminated
// subscriber subscribes to their fee dispute through the first, staff
// change it through the second, and the first pushes each change with the
// data the second committed (LISTEN/NOTIFY; no state shared in memory).
func TestRequestUpdatedAcrossTwoProcesses(t *testing.T) {
	t.Parallel()
	bin := apitest.BuildPortal(t)
	env := map[string]string{
		"PORTAL_DATABASE_URL":      storetest.PostgresURL(t),
		"PORTAL_PURGE_INTERVAL":    "0",
		"PORTAL_TRANSMIT_INTERVAL": "0",
		"PORTAL_LOG_LEVEL":         "warn",
	}
	// The first seeds the demo into the empty database; the second finds it
	// seeded.
	a := apitest.StartProcess(t, bin, env)
	b := apitest.StartProcess(t, bin, env)
	subTok := a.Run(t, "token", "--demo", "terminated")
	admin := b.Run(t, "token", "--demo", "admin")

	var mine struct {
		Me struct {
			Requests struct {
				Edges []struct{ Node struct{ ID, Status string } }
			}
		}
	}
	a.Query(t, subTok, `{ me { requests { edges { node { id status } } } } }`, nil).Decode(t, &mine)
	if len(mine.Me.Requests.Edges) != 1 || mine.Me.Requests.Edges[0].Node.Status != "SUBMITTED" {
		t.Fatalf("the demo's terminated subscriber has requests %+v, want one open dispute", mine.Me.Requests.Edges)
	}
	id := mine.Me.Requests.Edges[0].Node.ID

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := subscribeLive(t, ctx, a.URL, subTok, id)

	b.Query(t, admin, assignMutation, map[string]any{"id": id, "to": "demo-admin"}).Decode(t, new(any))
	p := c.until(t, ctx, func(p pushedRequest) bool { return p.RequestUpdated.Status == "IN_REVIEW" })
	if p.RequestUpdated.ID != id {
		t.Fatalf("push through the first process = %+v, want request %s", p.RequestUpdated, id)
	}
	b.Query(t, admin, commentMutation, map[string]any{"id": id, "body": "두 번째 프로세스에서 남긴 안내"}).Decode(t, new(any))
	c.until(t, ctx, func(p pushedRequest) bool { return contains(notes(p), "두 번째 프로세스에서 남긴 안내") })
	b.Query(t, admin, commentMutation, map[string]any{"id": id, "body": "staff only", "internal": true}).Decode(t, new(any))
	if p := decodePush(t, c.next(t, ctx)); contains(notes(p), "staff only") {
		t.Errorf("the subscriber was pushed an internal comment: %q", notes(p))
	}
}

// Shutdown closes live connections with a close frame rather than dropping
// them.
func TestSessionsCloseWithACloseFrame(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	id := fileDispute(t, env, "sub-close", "live-close-1")
	sessions := live.NewSessions()
	srv := httptest.NewServer(sessions.Wrap(env.Handler))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := subscribeLive(t, ctx, srv.URL, env.Token(t, "sub-close", "", auth.RoleSubscriber), id)
	if sessions.Open() != 1 {
		t.Fatalf("open sessions = %d, want 1", sessions.Open())
	}
	sessions.Close(ctx)
	for range c.msgs {
	}
	if got := websocket.CloseStatus(c.err); got != websocket.StatusNormalClosure {
		t.Errorf("close status = %v (%v), want a normal closure frame", got, c.err)
	}
	if sessions.Open() != 0 {
		t.Errorf("open sessions after Close = %d", sessions.Open())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
