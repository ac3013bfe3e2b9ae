package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/protect"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigDevelopmentFallsBackLoudlyProductionRefuses(t *testing.T) {
	t.Parallel()
	strong := "a-production-secret-of-at-least-32-bytes!"
	key, err := protect.GenerateKeySpec()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{name: "development defaults", env: map[string]string{}},
		{name: "production without keys", env: map[string]string{"PORTAL_ENV": "production"}, wantErr: "production needs a token key"},
		{name: "production with the development secret", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": devJWTSecret, "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": key}, wantErr: "refuses the development JWT secret"},
		{name: "production with the development key", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": strong, "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": protect.DevelopmentKey}, wantErr: "refuses the development encryption key"},
		{name: "production without issuer", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": strong, "PORTAL_ENCRYPTION_KEY": key}, wantErr: "PORTAL_JWT_ISSUER"},
		{name: "production, complete", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": strong, "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": key}},
		{name: "two key sources", env: map[string]string{"PORTAL_JWT_SECRET": strong, "PORTAL_JWT_JWKS_URL": "https://x"}, wantErr: "only one of"},
		{name: "unknown environment", env: map[string]string{"PORTAL_ENV": "staging"}, wantErr: "development or production"},
		{name: "negative purge interval", env: map[string]string{"PORTAL_PURGE_INTERVAL": "-1h"}, wantErr: "must not be negative"},
		{name: "purge interval not a duration", env: map[string]string{"PORTAL_PURGE_INTERVAL": "daily"}, wantErr: "not a duration"},
		{name: "purge interval too short", env: map[string]string{"PORTAL_PURGE_INTERVAL": "5s"}, wantErr: "at least 1m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(envOf(tc.env), protect.DevelopmentKey)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(envOf(nil), protect.DevelopmentKey)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.PurgeInterval != time.Hour || !c.Development() || c.DatabaseURL != "" || !c.devSecretFallback || !c.devEncryptionDefault {
		t.Errorf("defaults = %+v", c)
	}
	var buf bytes.Buffer
	newLogger(c, &buf).Info("config", "config", c)
	if strings.Contains(buf.String(), devJWTSecret) || strings.Contains(buf.String(), protect.DevelopmentKey) {
		t.Errorf("logged configuration shows a secret: %s", buf.String())
	}
}

func TestTokenCommand(t *testing.T) {
	t.Parallel()
	dev, err := loadConfig(envOf(nil), protect.DevelopmentKey)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := loadConfig(envOf(map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": "a-production-secret-of-at-least-32-bytes!", "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": "k1:" + strings.Repeat("A", 43)}), protect.DevelopmentKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     Config
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
