package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The one command on a fresh machine: migrate an empty embedded store, seed
// the demo, answer the public policy and a demo subscriber's me, and stop
// cleanly on a signal.
func TestServeOnAFreshEmbeddedStore(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	t.Setenv("PORTAL_ADDR", addr)
	t.Setenv("PORTAL_SQLITE_PATH", filepath.Join(t.TempDir(), "portal.db"))
	t.Setenv("PORTAL_PURGE_INTERVAL", "0")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- realMain(ctx, []string{"serve"}, os.Getenv, io.Discard, &syncWriter{w: &logs}) }()

	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	post := func(token, q string) string {
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(q))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	body := post("", `{"query":"{ policy(lang: EN) { purposes { code } clauses { code } } }"}`)
	for _, code := range []string{"SERVICE", "OPERATIONS", "MARKETING", "OUTSOURCING", "SERVICE_PERIOD", "POST_TERMINATION", "MESSAGE_CONTENT", "TAX_RECORDS", "ADVERTISING_RECORDS", "CONTRACT_RECORDS", "PAYMENT_RECORDS", "COMPLAINT_RECORDS", "CREDIT_RECORDS"} {
		if !strings.Contains(body, `"`+code+`"`) {
			t.Errorf("policy lacks %s: %s", code, body)
		}
	}
	var tok bytes.Buffer
	if err := realMain(ctx, []string{"token", "--demo", "active"}, os.Getenv, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	me := post(strings.TrimSpace(tok.String()), `{"query":"{ me { id holdings { category { code } value } } }"}`)
	if !strings.Contains(me, "demo-sub-active") || !strings.Contains(me, "applicant.passport_number") || strings.Contains(me, "M12345678") {
		t.Errorf("demo me = %s", me)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("serve did not stop after the signal")
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
