package app

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/protect"
)

// A server that cannot take its port returns the error at once: the
// background workers it started (the notifier, the live-update relay) stop
// with it instead of keeping Serve waiting for a signal.
func TestServeReturnsWhenThePortIsTaken(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	gw := "http://127.0.0.1:9/hook" // a webhook, so the notifier runs
	cfg, err := LoadConfig(envOf(map[string]string{
		"PORTAL_ADDR": taken.Addr().String(), "PORTAL_WEBHOOK_URL": gw, "PORTAL_WEBHOOK_SECRET": "a-webhook-secret-of-at-least-32-bytes!!",
		"PORTAL_PURGE_INTERVAL": "0",
	}), protect.DevelopmentKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg.SQLitePath = filepath.Join(t.TempDir(), "portal.db")
	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), cfg, slog.New(slog.DiscardHandler), "test") }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "listen on") {
			t.Errorf("Serve = %v, want the listen error", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Serve did not return after failing to listen")
	}
}
