package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/telemetry"
)

// Config is everything the portal reads from its environment. It is loaded
// once, here; no other package reads environment variables.
type Config struct {
	Env                  string        // PORTAL_ENV: development (default) or production
	Addr                 string        // PORTAL_ADDR
	DatabaseURL          string        // PORTAL_DATABASE_URL; empty selects the embedded SQLite file
	SQLitePath           string        // PORTAL_SQLITE_PATH
	JWTIssuer            string        // PORTAL_JWT_ISSUER
	JWTAudience          string        // PORTAL_JWT_AUDIENCE
	JWTSecret            string        // PORTAL_JWT_SECRET (HS256)
	JWTPublicKeyFile     string        // PORTAL_JWT_PUBLIC_KEY_FILE (RS256, ES256, EdDSA)
	JWTJWKSURL           string        // PORTAL_JWT_JWKS_URL
	EncryptionKey        string        // PORTAL_ENCRYPTION_KEY
	PurgeInterval        time.Duration // PORTAL_PURGE_INTERVAL; 0 disables the in-process purge
	LogLevel             slog.Level    // PORTAL_LOG_LEVEL
	ShutdownGrace        time.Duration // PORTAL_SHUTDOWN_GRACE
	RateLimit            float64       // PORTAL_RATE_LIMIT: requests per second per client; 0 turns it off
	WebhookURL           string        // PORTAL_WEBHOOK_URL: the messaging gateway's webhook; empty leaves notices in the outbox
	WebhookSecret        string        // PORTAL_WEBHOOK_SECRET: key signing webhook requests, "whsec_" + base64 (Standard Webhooks) or raw text
	WebhookLegacyHeaders bool          // PORTAL_WEBHOOK_LEGACY_HEADERS: also send the old X-Portal-Signature headers
	NotifyInterval       time.Duration // PORTAL_NOTIFY_INTERVAL: how often the deliverer looks for due notices
	Tracing              bool          // OpenTelemetry export on: an OTLP endpoint in OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT (see telemetry.TracingEnabled)
	AllowedOrigins       []string      // PORTAL_ALLOWED_ORIGINS: comma-separated browser origins besides the server's own (CORS and WebSocket upgrades)
	MetricsAddr          string        // PORTAL_METRICS_ADDR: serve /metrics on this address instead of the API's
	TransmitInterval     time.Duration // PORTAL_TRANSMIT_INTERVAL: how often serve's transmission worker runs; 0 disables it
	NoticeProofWindow    time.Duration // PORTAL_NOTICE_PROOF_WINDOW: how long a delivered notice is kept as proof before the purge deletes it
	DeadNoticeWindow     time.Duration // PORTAL_DEAD_NOTICE_WINDOW: how long a notice the deliverer gave up on is kept for requeueing
	devSecretFallback    bool
	devEncryptionDefault bool
}

// Development reports whether the server runs in development mode: GraphiQL,
// introspection, demo data and fallback keys are allowed only there.
func (c Config) Development() bool { return c.Env == "development" }

// Development fallbacks: well known, logged loudly, refused in production.
const (
	devJWTSecret   = "development-only-secret-do-not-use-in-production"
	devJWTIssuer   = "https://portal.local"
	devJWTAudience = "privacy-portal"
)

// LoadConfig reads the environment. getenv is os.Getenv outside tests.
func LoadConfig(getenv func(string) string, devKey string) (Config, error) {
	c := Config{
		Env:              strings.ToLower(strings.TrimSpace(getenv("PORTAL_ENV"))),
		Addr:             getenv("PORTAL_ADDR"),
		DatabaseURL:      getenv("PORTAL_DATABASE_URL"),
		SQLitePath:       getenv("PORTAL_SQLITE_PATH"),
		JWTIssuer:        getenv("PORTAL_JWT_ISSUER"),
		JWTAudience:      getenv("PORTAL_JWT_AUDIENCE"),
		JWTSecret:        getenv("PORTAL_JWT_SECRET"),
		JWTPublicKeyFile: getenv("PORTAL_JWT_PUBLIC_KEY_FILE"),
		JWTJWKSURL:       getenv("PORTAL_JWT_JWKS_URL"),
		EncryptionKey:    getenv("PORTAL_ENCRYPTION_KEY"),
		WebhookURL:       strings.TrimSpace(getenv("PORTAL_WEBHOOK_URL")),
		WebhookSecret:    getenv("PORTAL_WEBHOOK_SECRET"),
	}
	var errs []error
	if c.Env == "" {
		c.Env = "development"
	}
	if c.Env != "development" && c.Env != "production" {
		errs = append(errs, fmt.Errorf("PORTAL_ENV must be development or production, not %q", c.Env))
	}
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if c.SQLitePath == "" {
		c.SQLitePath = "data/portal.db"
	}
	errs = append(errs, durationSetting{name: "PORTAL_PURGE_INTERVAL", def: time.Hour, min: time.Minute, canBeOff: true, example: "1h or 15m"}.load(getenv, &c.PurgeInterval)...)
	c.LogLevel = slog.LevelInfo
	if v := getenv("PORTAL_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("PORTAL_LOG_LEVEL: %q is not debug, info, warn or error", v))
		}
	}
	c.RateLimit = 50
	if v := getenv("PORTAL_RATE_LIMIT"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			errs = append(errs, fmt.Errorf("PORTAL_RATE_LIMIT: %q is not a non-negative number of requests per second", v))
		} else {
			c.RateLimit = f
		}
	}
	for _, o := range strings.Split(getenv("PORTAL_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("PORTAL_ALLOWED_ORIGINS: %q is not an origin like https://app.example.com", o))
			continue
		}
		c.AllowedOrigins = append(c.AllowedOrigins, strings.TrimRight(o, "/"))
	}
	c.MetricsAddr = getenv("PORTAL_METRICS_ADDR")
	errs = append(errs, durationSetting{name: "PORTAL_SHUTDOWN_GRACE", def: 20 * time.Second, min: time.Millisecond, example: "20s"}.load(getenv, &c.ShutdownGrace)...)
	errs = append(errs, c.loadNotify(getenv)...)
	c.Tracing = telemetry.TracingEnabled(getenv)
	errs = append(errs, c.loadTransmit(getenv)...)
	errs = append(errs, c.loadNoticeWindows(getenv)...)

	sources := 0
	for _, s := range []string{c.JWTSecret, c.JWTPublicKeyFile, c.JWTJWKSURL} {
		if s != "" {
			sources++
		}
	}
	if sources > 1 {
		errs = append(errs, errors.New("set only one of PORTAL_JWT_SECRET, PORTAL_JWT_PUBLIC_KEY_FILE, PORTAL_JWT_JWKS_URL"))
	}
	if c.Development() {
		if sources == 0 {
			c.JWTSecret, c.devSecretFallback = devJWTSecret, true
		}
		if c.JWTIssuer == "" {
			c.JWTIssuer = devJWTIssuer
		}
		if c.JWTAudience == "" {
			c.JWTAudience = devJWTAudience
		}
		if c.EncryptionKey == "" {
			c.EncryptionKey, c.devEncryptionDefault = devKey, true
		}
	} else {
		if sources == 0 {
			errs = append(errs, errors.New("production needs a token key: PORTAL_JWT_SECRET, PORTAL_JWT_PUBLIC_KEY_FILE or PORTAL_JWT_JWKS_URL"))
		}
		if c.JWTSecret == devJWTSecret {
			errs = append(errs, errors.New("production refuses the development JWT secret"))
		}
		if c.JWTSecret != "" {
			if err := auth.CheckSecret([]byte(c.JWTSecret)); err != nil {
				errs = append(errs, fmt.Errorf("PORTAL_JWT_SECRET %w", err))
			}
		}
		if c.JWTIssuer == "" || c.JWTAudience == "" {
			errs = append(errs, errors.New("production needs PORTAL_JWT_ISSUER and PORTAL_JWT_AUDIENCE"))
		}
		if c.EncryptionKey == "" {
			errs = append(errs, errors.New("production needs PORTAL_ENCRYPTION_KEY"))
		}
		// In any spelling or position: with a key id, unpadded, URL-safe,
		// or kept as a decrypt-only key behind a new primary.
		if c.EncryptionKey != "" && (c.EncryptionKey == devKey || protect.IsDevelopmentKey(c.EncryptionKey)) {
			errs = append(errs, errors.New("production refuses the development encryption key"))
		}
		if c.DatabaseURL == "" {
			// The embedded store is one file on one machine: no replicas,
			// no backups by the database's own tools. Production says so
			// at start-up rather than quietly writing personal data there.
			errs = append(errs, errors.New("production needs PORTAL_DATABASE_URL (PostgreSQL); the embedded SQLite store is for development"))
		}
	}
	return c, errors.Join(errs...)
}

// LogValue keeps secrets out of the logs when the configuration is logged.
func (c Config) LogValue() slog.Value {
	set := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "set"
	}
	db := "embedded sqlite " + c.SQLitePath
	if c.DatabaseURL != "" {
		db = "postgres"
	}
	return slog.GroupValue(
		slog.String("env", c.Env),
		slog.String("addr", c.Addr),
		slog.String("database", db),
		slog.String("jwt_issuer", c.JWTIssuer),
		slog.String("jwt_audience", c.JWTAudience),
		slog.String("jwt_secret", set(c.JWTSecret)),
		slog.String("jwt_public_key_file", c.JWTPublicKeyFile),
		slog.String("jwt_jwks_url", c.JWTJWKSURL),
		slog.String("encryption_key", set(c.EncryptionKey)),
		slog.Duration("purge_interval", c.PurgeInterval),
		slog.String("webhook", webhookOrigin(c.WebhookURL)),
		slog.String("webhook_secret", set(c.WebhookSecret)),
		slog.Bool("webhook_legacy_headers", c.WebhookLegacyHeaders),
		slog.Duration("notify_interval", c.NotifyInterval),
		slog.Bool("tracing", c.Tracing),
		slog.Duration("transmit_interval", c.TransmitInterval),
		slog.Duration("notice_proof_window", c.NoticeProofWindow),
		slog.Duration("dead_notice_window", c.DeadNoticeWindow),
	)
}

// loadNoticeWindows reads how long the purge keeps delivered and dead
// outbox notices (copies of what they report, so kept briefly: long enough
// to show a notice was sent, or to requeue one that was not).
func (c *Config) loadNoticeWindows(getenv func(string) string) []error {
	var errs []error
	const year = 366 * 24 * time.Hour
	errs = append(errs, durationSetting{name: "PORTAL_NOTICE_PROOF_WINDOW", def: purge.DefaultNoticeProofWindow, min: time.Hour, max: year, example: "720h"}.load(getenv, &c.NoticeProofWindow)...)
	errs = append(errs, durationSetting{name: "PORTAL_DEAD_NOTICE_WINDOW", def: purge.DefaultDeadNoticeWindow, min: time.Hour, max: year, example: "2160h"}.load(getenv, &c.DeadNoticeWindow)...)
	return errs
}

// loadNotify reads the webhook the notification deliverer posts to. The URL
// is optional (without it notices wait in the outbox); with it, a secret is
// required, and in production a strong one.
func (c *Config) loadNotify(getenv func(string) string) []error {
	var errs []error
	errs = append(errs, durationSetting{name: "PORTAL_NOTIFY_INTERVAL", def: 30 * time.Second, min: time.Second, example: "30s or 1m"}.load(getenv, &c.NotifyInterval)...)
	switch {
	case c.WebhookURL == "" && c.WebhookSecret != "":
		errs = append(errs, errors.New("PORTAL_WEBHOOK_SECRET is set but PORTAL_WEBHOOK_URL is not: set both, or neither"))
	case c.WebhookURL == "":
	default:
		if err := notify.CheckURL(c.WebhookURL); err != nil {
			errs = append(errs, fmt.Errorf("PORTAL_WEBHOOK_URL: %w", err))
		}
		if c.WebhookSecret == "" {
			errs = append(errs, errors.New("PORTAL_WEBHOOK_SECRET is required when PORTAL_WEBHOOK_URL is set"))
		} else if _, err := notify.ParseSecret(c.WebhookSecret); err != nil {
			errs = append(errs, fmt.Errorf("PORTAL_WEBHOOK_SECRET: %w", err))
		} else if _, err := notify.CheckSecret(c.WebhookSecret); err != nil && !c.Development() {
			// The JWT secret's rule (auth.CheckSecret), on the secret as written.
			errs = append(errs, fmt.Errorf("PORTAL_WEBHOOK_SECRET %w", err))
		}
	}
	switch v := strings.ToLower(strings.TrimSpace(getenv("PORTAL_WEBHOOK_LEGACY_HEADERS"))); v {
	case "", "false", "0":
	case "true", "1":
		c.WebhookLegacyHeaders = true
	default:
		errs = append(errs, fmt.Errorf("PORTAL_WEBHOOK_LEGACY_HEADERS must be true or false, not %q", v))
	}
	return errs
}

// webhookOrigin is what the logs show of the webhook: scheme and host only,
// since an operator may put a token in the path or query.
func webhookOrigin(u string) string {
	if u == "" {
		return "unset"
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "set"
	}
	return p.Scheme + "://" + p.Host
}

func FromEnv(devKey string) (Config, error) { return LoadConfig(os.Getenv, devKey) }

// durationSetting is one duration variable and its rule. Every duration the
// portal reads goes through load, so each accepts the same spellings: Go
// durations ("90s", "1h30m"), and, where the setting can be turned off, zero
// in any of them ("0", "0s", "0m").
type durationSetting struct {
	name     string
	def      time.Duration // when unset
	min, max time.Duration // bounds of a value that is not "off"; max 0: none
	canBeOff bool          // zero turns the feature off
	example  string        // shown in the error
}

// load reads the setting into *into (its default when unset) or says why
// the value is refused, naming the variable.
func (s durationSetting) load(getenv func(string) string, into *time.Duration) []error {
	*into = s.def
	v := strings.TrimSpace(getenv(s.name))
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return []error{fmt.Errorf("%s: %q is not a duration such as %s", s.name, v, s.example)}
	}
	off := ""
	if s.canBeOff {
		off = ", or 0 to turn it off"
	}
	switch {
	case d == 0 && s.canBeOff:
		*into = 0
		return nil
	case d < 0:
		return []error{fmt.Errorf("%s must not be negative, not %s: at least %s%s", s.name, v, fmtDuration(s.min), off)}
	case d < s.min, s.max > 0 && d > s.max:
		if s.max > 0 {
			return []error{fmt.Errorf("%s must be between %s and %s, not %s", s.name, fmtDuration(s.min), fmtDuration(s.max), v)}
		}
		return []error{fmt.Errorf("%s must be at least %s%s, not %s", s.name, fmtDuration(s.min), off, v)}
	}
	*into = d
	return nil
}

// fmtDuration prints a bound the way an operator writes it: "1m", not "1m0s".
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// loadTransmit reads how often serve runs the transmission worker
// (package transmit): a minute by default, 0 to leave it to a separate
// `portal transmit run` process.
func (c *Config) loadTransmit(getenv func(string) string) []error {
	return durationSetting{name: "PORTAL_TRANSMIT_INTERVAL", def: time.Minute, min: time.Second, canBeOff: true, example: "1m"}.load(getenv, &c.TransmitInterval)
}
