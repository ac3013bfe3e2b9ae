package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/protect"
)

// The load benchmarks mint tokens with the development key: never in
// production.
func TestLoadtestRefusesProduction(t *testing.T) {
	spec, err := protect.GenerateKeySpec()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORTAL_ENV", "production")
	t.Setenv("PORTAL_JWT_SECRET", randomSecret(t))
	t.Setenv("PORTAL_JWT_ISSUER", "https://id.example")
	t.Setenv("PORTAL_JWT_AUDIENCE", "portal")
	t.Setenv("PORTAL_ENCRYPTION_KEY", spec)
	t.Setenv("PORTAL_DATABASE_URL", "postgres://portal@db.internal/portal")
	for _, args := range [][]string{
		{"loadtest", "me", "--subscribers", "10"},
		{"loadtest", "requests", "--count", "10"},
	} {
		if _, _, err := seedRun(t, args...); err == nil || !strings.Contains(err.Error(), "refused in production") {
			t.Errorf("%v in production: %v, want a refusal", args, err)
		}
	}
}

// A benchmark whose server is gone says so within seconds.
func TestLoadtestUnreachableServer(t *testing.T) {
	t.Setenv("PORTAL_SQLITE_PATH", filepath.Join(t.TempDir(), "portal.db"))
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/graphql"
	srv.Close()
	start := time.Now()
	_, _, err := seedRun(t, "loadtest", "me", "--url", url, "--subscribers", "10", "--duration", "1m")
	if err == nil || !strings.Contains(err.Error(), "cannot reach the server") {
		t.Fatalf("err = %v, want one saying the server cannot be reached", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("gave up after %s", el)
	}
	for _, args := range [][]string{
		{"loadtest"},
		{"loadtest", "nonsense", "--subscribers", "10", "--url", url},
		{"loadtest", "me", "--url", url},
	} {
		if _, _, err := seedRun(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
