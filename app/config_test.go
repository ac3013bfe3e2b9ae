package app

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/protect"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigDevelopmentFallsBackLoudlyProductionRefuses(t *testing.T) {
	t.Parallel()
	strong := "a-production-secret-of-at-least-32-bytes!"
	const pgURL = "postgres://portal@db.internal:5432/portal"
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
		{name: "production without a database URL", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": strong, "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": key}, wantErr: "production needs PORTAL_DATABASE_URL"},
		{name: "production, complete", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": strong, "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": key, "PORTAL_DATABASE_URL": pgURL}},
		{name: "two key sources", env: map[string]string{"PORTAL_JWT_SECRET": strong, "PORTAL_JWT_JWKS_URL": "https://x"}, wantErr: "only one of"},
		{name: "unknown environment", env: map[string]string{"PORTAL_ENV": "staging"}, wantErr: "development or production"},
		{name: "negative purge interval", env: map[string]string{"PORTAL_PURGE_INTERVAL": "-1h"}, wantErr: "must not be negative"},
		{name: "purge interval not a duration", env: map[string]string{"PORTAL_PURGE_INTERVAL": "daily"}, wantErr: "not a duration"},
		{name: "purge interval too short", env: map[string]string{"PORTAL_PURGE_INTERVAL": "5s"}, wantErr: "at least 1m"},
		{name: "webhook with a short secret in development", env: map[string]string{"PORTAL_WEBHOOK_URL": "http://localhost:9000/hook", "PORTAL_WEBHOOK_SECRET": "short"}},
		{name: "webhook without a secret", env: map[string]string{"PORTAL_WEBHOOK_URL": "https://gw.example/hook"}, wantErr: "PORTAL_WEBHOOK_SECRET is required"},
		{name: "webhook secret without a URL", env: map[string]string{"PORTAL_WEBHOOK_SECRET": strong}, wantErr: "PORTAL_WEBHOOK_URL is not"},
		{name: "webhook not http", env: map[string]string{"PORTAL_WEBHOOK_URL": "ftp://gw.example/hook", "PORTAL_WEBHOOK_SECRET": strong}, wantErr: "http or https"},
		{name: "webhook without a host", env: map[string]string{"PORTAL_WEBHOOK_URL": "https:///hook", "PORTAL_WEBHOOK_SECRET": strong}, wantErr: "no host"},
		{name: "webhook without a scheme", env: map[string]string{"PORTAL_WEBHOOK_URL": "gw.example/hook", "PORTAL_WEBHOOK_SECRET": strong}, wantErr: "http or https"},
		{name: "production webhook with a short secret", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": strong, "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": key, "PORTAL_WEBHOOK_URL": "https://gw.example/hook", "PORTAL_WEBHOOK_SECRET": "only-31-bytes-long-secret-xxxxx"}, wantErr: "at least 32 bytes"},
		{name: "production webhook, complete", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": strong, "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": key, "PORTAL_WEBHOOK_URL": "https://gw.example/hook", "PORTAL_WEBHOOK_SECRET": strong, "PORTAL_DATABASE_URL": pgURL}},
		{name: "production webhook secret of one repeated character", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": strong, "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": key, "PORTAL_DATABASE_URL": pgURL, "PORTAL_WEBHOOK_URL": "https://gw.example/hook", "PORTAL_WEBHOOK_SECRET": strings.Repeat("a", 48)}, wantErr: "PORTAL_WEBHOOK_SECRET uses only 1 distinct"},
		{name: "production whsec_ secret of zero bytes", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": strong, "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": key, "PORTAL_DATABASE_URL": pgURL, "PORTAL_WEBHOOK_URL": "https://gw.example/hook", "PORTAL_WEBHOOK_SECRET": "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 32))}, wantErr: "PORTAL_WEBHOOK_SECRET uses only"},
		{name: "production whsec_ secret of a repeated word", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": strong, "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": key, "PORTAL_DATABASE_URL": pgURL, "PORTAL_WEBHOOK_URL": "https://gw.example/hook", "PORTAL_WEBHOOK_SECRET": "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("abc", 12)))}, wantErr: "PORTAL_WEBHOOK_SECRET"},
		{name: "production whsec_ secret of 24 random bytes", env: map[string]string{"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": strong, "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a", "PORTAL_ENCRYPTION_KEY": key, "PORTAL_DATABASE_URL": pgURL, "PORTAL_WEBHOOK_URL": "https://gw.example/hook", "PORTAL_WEBHOOK_SECRET": "whsec_" + base64.StdEncoding.EncodeToString([]byte("\x8f\x1e\xa4\x07\xd2\x5c\x93\x61\xbe\x2a\xf0\x48\x7d\xc6\x15\xe9\x33\x8b\x0a\x76\xcd\x52\x9f\x24"))}},
		{name: "notify interval not a duration", env: map[string]string{"PORTAL_NOTIFY_INTERVAL": "often"}, wantErr: "PORTAL_NOTIFY_INTERVAL"},
		{name: "notify interval too short", env: map[string]string{"PORTAL_NOTIFY_INTERVAL": "100ms"}, wantErr: "at least 1s"},
		{name: "notify interval negative", env: map[string]string{"PORTAL_NOTIFY_INTERVAL": "-30s"}, wantErr: "at least 1s"},
		{name: "notice proof window", env: map[string]string{"PORTAL_NOTICE_PROOF_WINDOW": "168h", "PORTAL_DEAD_NOTICE_WINDOW": "720h"}},
		{name: "notice proof window not a duration", env: map[string]string{"PORTAL_NOTICE_PROOF_WINDOW": "a week"}, wantErr: "PORTAL_NOTICE_PROOF_WINDOW"},
		{name: "notice proof window too short", env: map[string]string{"PORTAL_NOTICE_PROOF_WINDOW": "10m"}, wantErr: "between 1h"},
		{name: "dead notice window beyond a year", env: map[string]string{"PORTAL_DEAD_NOTICE_WINDOW": "9000h"}, wantErr: "PORTAL_DEAD_NOTICE_WINDOW must be between"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadConfig(envOf(tc.env), protect.DevelopmentKey)
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
	c, err := LoadConfig(envOf(nil), protect.DevelopmentKey)
	if err != nil {
		t.Fatal(err)
	}
	if c.NoticeProofWindow != 30*24*time.Hour || c.DeadNoticeWindow != 90*24*time.Hour {
		t.Errorf("notice windows = %s, %s; want 720h and 2160h", c.NoticeProofWindow, c.DeadNoticeWindow)
	}
	if c.Addr != ":8080" || c.PurgeInterval != time.Hour || !c.Development() || c.DatabaseURL != "" || !c.devSecretFallback || !c.devEncryptionDefault {
		t.Errorf("defaults = %+v", c)
	}
	var buf bytes.Buffer
	NewLogger(c, &buf).Info("config", "config", c)
	if strings.Contains(buf.String(), devJWTSecret) || strings.Contains(buf.String(), protect.DevelopmentKey) {
		t.Errorf("logged configuration shows a secret: %s", buf.String())
	}
}

func TestConfigWebhook(t *testing.T) {
	t.Parallel()
	secret := "a-webhook-secret-of-at-least-32-bytes!!"
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{name: "unset", env: nil, want: Config{NotifyInterval: 30 * time.Second}},
		{
			name: "set",
			env:  map[string]string{"PORTAL_WEBHOOK_URL": " https://gw.example/hooks/portal?token=t0ps3cret ", "PORTAL_WEBHOOK_SECRET": secret, "PORTAL_NOTIFY_INTERVAL": "1m"},
			want: Config{WebhookURL: "https://gw.example/hooks/portal?token=t0ps3cret", WebhookSecret: secret, NotifyInterval: time.Minute},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := LoadConfig(envOf(tc.env), protect.DevelopmentKey)
			if err != nil {
				t.Fatal(err)
			}
			got := Config{WebhookURL: c.WebhookURL, WebhookSecret: c.WebhookSecret, NotifyInterval: c.NotifyInterval}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(Config{})); diff != "" {
				t.Errorf("webhook configuration (-want +got):\n%s", diff)
			}
			var buf bytes.Buffer
			NewLogger(c, &buf).Info("config", "config", c)
			for _, s := range []string{secret, "t0ps3cret", "/hooks/portal"} {
				if strings.Contains(buf.String(), s) {
					t.Errorf("logged configuration shows %q: %s", s, buf.String())
				}
			}
		})
	}
}
