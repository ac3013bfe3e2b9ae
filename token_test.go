package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/protect"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestTokenCommand(t *testing.T) {
	t.Parallel()
	dev, err := app.LoadConfig(envOf(nil), protect.DevelopmentKey)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := app.LoadConfig(envOf(map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": "a-production-secret-of-at-least-32-bytes!", "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": "k1:" + strings.Repeat("A", 43)}), protect.DevelopmentKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     app.Config
		args    []string
		wantErr string
	}{
		{name: "demo persona", cfg: dev, args: []string{"--demo", "guardian"}},
		{name: "explicit subject", cfg: dev, args: []string{"--subject", "s1", "--roles", "subscriber,agent"}},
		{name: "unknown persona", cfg: dev, args: []string{"--demo", "nobody"}, wantErr: "unknown demo persona"},
		{name: "unknown role", cfg: dev, args: []string{"--subject", "s1", "--roles", "root"}, wantErr: "unknown role"},
		{name: "no subject", cfg: dev, args: []string{"--roles", "subscriber"}, wantErr: "--subject and --roles"},
		{name: "production", cfg: prod, args: []string{"--demo", "admin"}, wantErr: "refused in production"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := tokenCmd(tc.cfg, tc.args, &out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(strings.TrimSpace(out.String()), "."); n != 2 {
				t.Errorf("output is not a JWT: %q", out.String())
			}
		})
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if err := realMain(context.Background(), []string{"version"}, &out, &errOut); err != nil || !strings.Contains(out.String(), "portal") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	if err := realMain(context.Background(), []string{"frobnicate"}, &out, &errOut); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}
