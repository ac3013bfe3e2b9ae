package app

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/xroshot/portal/protect"
)

// TestProductionRefusesDevelopmentKeyAnySpelling: production refuses the
// published development encryption key however it is written and wherever
// it stands in the key list, and refuses guessable JWT secrets.
func TestProductionRefusesDevelopmentKeyAnySpelling(t *testing.T) {
	t.Parallel()
	good, err := protect.GenerateKeySpec()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(protect.DevelopmentKey)
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"PORTAL_ENV": "production", "PORTAL_DATABASE_URL": "postgres://db.example/portal", "PORTAL_JWT_SECRET": "Zq8v1mK3pR7tW2xY5bN9cD4fG6hJ0lA+", "PORTAL_JWT_ISSUER": "i", "PORTAL_JWT_AUDIENCE": "a"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for k, v := range base {
			if _, ok := m[k]; !ok {
				m[k] = v
			}
		}
		return m
	}
	if _, err := LoadConfig(envOf(with("PORTAL_ENCRYPTION_KEY", good)), protect.DevelopmentKey); err != nil {
		t.Fatalf("a good production configuration is refused: %v", err)
	}
	for _, spec := range []string{
		"k1:" + protect.DevelopmentKey,
		strings.TrimRight(protect.DevelopmentKey, "="),
		base64.RawURLEncoding.EncodeToString(raw),
		"new:" + good + ",old:" + protect.DevelopmentKey,
		"new:" + good + ",old:" + strings.TrimRight(protect.DevelopmentKey, "="),
	} {
		_, err := LoadConfig(envOf(with("PORTAL_ENCRYPTION_KEY", spec)), protect.DevelopmentKey)
		if err == nil || !strings.Contains(err.Error(), "refuses the development encryption key") {
			t.Errorf("key spec %q: err = %v", spec, err)
		}
	}
	for _, secret := range []string{strings.Repeat("a", 32), strings.Repeat("ab", 20), strings.Repeat("password", 5)} {
		env := with("PORTAL_JWT_SECRET", secret)
		env["PORTAL_ENCRYPTION_KEY"] = good
		if _, err := LoadConfig(envOf(env), protect.DevelopmentKey); err == nil || !strings.Contains(err.Error(), "PORTAL_JWT_SECRET") {
			t.Errorf("secret %q: err = %v", secret, err)
		}
	}
}

// TestAllowedOriginsAndMetricsAddr: PORTAL_ALLOWED_ORIGINS takes origins
// only (scheme and host), PORTAL_METRICS_ADDR is kept as given.
func TestAllowedOriginsAndMetricsAddr(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(envOf(map[string]string{"PORTAL_ALLOWED_ORIGINS": " https://app.example.com/, http://localhost:5173 ", "PORTAL_METRICS_ADDR": "127.0.0.1:9090"}), protect.DevelopmentKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.AllowedOrigins) != 2 || c.AllowedOrigins[0] != "https://app.example.com" || c.AllowedOrigins[1] != "http://localhost:5173" || c.MetricsAddr != "127.0.0.1:9090" {
		t.Errorf("config = %v %q", c.AllowedOrigins, c.MetricsAddr)
	}
	for _, bad := range []string{"app.example.com", "https://app.example.com/path", "ftp://x.example", "https://", "https://a.example?x=1"} {
		if _, err := LoadConfig(envOf(map[string]string{"PORTAL_ALLOWED_ORIGINS": bad}), protect.DevelopmentKey); err == nil || !strings.Contains(err.Error(), "PORTAL_ALLOWED_ORIGINS") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}
