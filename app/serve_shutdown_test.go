package app

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/xroshot/portal/protect"
)

// On shutdown the server closes open WebSockets with a normal-closure frame
// (http.Server.Shutdown leaves hijacked connections alone), then stops.
func TestServeClosesWebSocketsOnShutdown(t *testing.T) {
	t.Parallel()
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	_ = probe.Close()
	cfg, err := LoadConfig(envOf(map[string]string{"PORTAL_ADDR": addr, "PORTAL_PURGE_INTERVAL": "0"}), protect.DevelopmentKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg.SQLitePath = filepath.Join(t.TempDir(), "portal.db")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, slog.New(slog.DiscardHandler), "test") }()

	dctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var c *websocket.Conn
	for {
		c, _, err = websocket.Dial(dctx, "ws://"+addr+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err == nil {
			break
		}
		select {
		case <-dctx.Done():
			t.Fatalf("server never accepted a WebSocket: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	defer c.CloseNow()
	if err := wsjson.Write(dctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	var ack map[string]any
	if err := wsjson.Read(dctx, c, &ack); err != nil || ack["type"] != "connection_ack" {
		t.Fatalf("ack = %v, %v", ack, err)
	}

	stop()
	for {
		var m map[string]any
		err := wsjson.Read(dctx, c, &m)
		if err == nil {
			continue // a ping
		}
		if got := websocket.CloseStatus(err); got != websocket.StatusNormalClosure {
			t.Fatalf("connection ended with %v (%v), want a normal-closure frame", got, err)
		}
		break
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
	case <-dctx.Done():
		t.Fatal("Serve did not return after shutdown")
	}
}
