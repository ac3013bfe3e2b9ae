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
)

// requestUpdated over graphql-transport-ws: the token comes in
// connection_init, and the subscriber is pushed the agent's changes.
func TestRequestUpdatedIsPushedOverWebSocket(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	subscriber(t, env, "sub-1", apitest.Start.AddDate(-2, 0, 0), 0, 0)
	subTok := env.Token(t, "sub-1", "", auth.RoleSubscriber)
	var filed struct{ FileRequest struct{ ID string } }
	do(t, env, subTok, `mutation { fileRequest(input: {type: DISPUTE, scope: {categories: ["applicant.name"]}, reason: "이름이 틀렸습니다", idempotencyKey: "ws-dispute-1"}) { id } }`, nil, &filed)

	srv := httptest.NewServer(env.Handler)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func(token string) *websocket.Conn {
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
			t.Fatal(err)
		}
		var ack map[string]any
		if err := wsjson.Read(ctx, c, &ack); err != nil || ack["type"] != "connection_ack" {
			t.Fatalf("ack = %v, %v", ack, err)
		}
		return c
	}
	subscribe := func(c *websocket.Conn) {
		if err := wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
			"query": `subscription($id: ID!) { requestUpdated(id: $id) { id status } }`, "variables": map[string]any{"id": filed.FileRequest.ID},
		}}); err != nil {
			t.Fatal(err)
		}
	}

	// A stranger's subscription is refused.
	stranger := dial(env.Token(t, "sub-2", "", auth.RoleSubscriber))
	subscribe(stranger)
	var msg struct {
		Type    string
		Payload json.RawMessage
	}
	if err := wsjson.Read(ctx, stranger, &msg); err != nil || msg.Type != "error" && !strings.Contains(string(msg.Payload), "NOT_FOUND") {
		t.Errorf("stranger's subscription: %s %s %v", msg.Type, msg.Payload, err)
	}
	stranger.Close(websocket.StatusNormalClosure, "")

	c := dial(subTok)
	defer c.Close(websocket.StatusNormalClosure, "")
	subscribe(c)
	// The subscription is registered asynchronously; assign until pushed.
	got := make(chan string, 1)
	go func() {
		for {
			if err := wsjson.Read(ctx, c, &msg); err != nil {
				return
			}
			if msg.Type == "next" {
				got <- string(msg.Payload)
				return
			}
		}
	}()
	admin := env.Token(t, "admin-1", "", auth.RoleAdmin)
	time.Sleep(200 * time.Millisecond)
	do(t, env, admin, `mutation($id: ID!) { assignRequest(id: $id, assigneeId: "admin-1") { id } }`, map[string]any{"id": filed.FileRequest.ID}, nil)
	select {
	case p := <-got:
		if !strings.Contains(p, "IN_REVIEW") {
			t.Errorf("pushed %s, want the request in review", p)
		}
	case <-ctx.Done():
		t.Fatal("no update pushed")
	}
}
