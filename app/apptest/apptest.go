// Package apptest gives tests the portal as package app assembles it, over
// a fresh database of either store, with a generated encryption key, a
// manual clock and a test token issuer: one environment for the API tests
// (apitest) and the domain packages' tests, so no test wires services by
// hand and every test runs what production runs.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
	"github.com/xroshot/portal/transmit"
)

// Test token parameters: the environment's verifier accepts tokens minted
// with them, and only those.
const (
	Issuer   = "https://issuer.test"
	Audience = "portal-test"
	Secret   = "apitest-secret-apitest-secret-0123456789"
)

// Start is the instant an environment's clock starts at unless the test
// chooses another: 10:00 in Korea on a Thursday.
var Start = time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

// Dialects are the stores every store-backed test runs on.
var Dialects = storetest.Dialects

// Env is one assembled portal over one database. The services are the
// App's, named here for the tests' convenience; Clock is the manual clock
// they all read.
type Env struct {
	App       *app.App
	DB        *store.DB
	Clock     *clock.Manual
	Catalog   *policy.Catalog
	Keys      *protect.Keyring
	Inventory *inventory.Service
	Feed      *feed.Service
	Consent   *consent.Service
	Requests  *requests.Service
	Audit     *audit.Trail
	Purge     *purge.Service
	Transmit  *transmit.Service
	// Holds is the holds service over the same store and clock: the
	// server places holds through the feed and requests; tests place them
	// directly.
	Holds  *holds.Service
	Minter auth.Minter
}

// New assembles the portal on a fresh, migrated database of the dialect
// ("postgres" or "sqlite"), its clock at start (Start if zero).
func New(t testing.TB, dialect string, start time.Time) *Env {
	t.Helper()
	return On(t, storetest.Open(t, dialect), start)
}

// On assembles the portal over db, a database the test already has (from
// storetest.Each or storetest.Open), its clock at start (Start if zero).
func On(t testing.TB, db *store.DB, start time.Time) *Env {
	t.Helper()
	spec, err := protect.GenerateKeySpec()
	if err != nil {
		t.Fatal(err)
	}
	return on(t, db, start, app.Config{EncryptionKey: spec}, nil)
}

// NewWithCatalog is New running the catalog given instead of the shipped
// notice: for a test of what a catalog change changes.
func NewWithCatalog(t testing.TB, dialect string, start time.Time, cat *policy.Catalog) *Env {
	t.Helper()
	spec, err := protect.GenerateKeySpec()
	if err != nil {
		t.Fatal(err)
	}
	return on(t, storetest.Open(t, dialect), start, app.Config{EncryptionKey: spec}, cat)
}

// OnWithKey is On encrypting with the key spec given instead of a fresh
// one: for a test that compares the values two environments wrote.
func OnWithKey(t testing.TB, db *store.DB, start time.Time, spec string) *Env {
	t.Helper()
	return on(t, db, start, app.Config{EncryptionKey: spec}, nil)
}

// on assembles the portal over db with the test's configuration over base
// (the encryption key and, for replicas, the database URL), running cat
// (the shipped notice if nil).
func on(t testing.TB, db *store.DB, start time.Time, base app.Config, cat *policy.Catalog) *Env {
	t.Helper()
	if start.IsZero() {
		start = Start
	}
	if cat == nil {
		var err error
		if cat, err = policy.Default(); err != nil {
			t.Fatal(err)
		}
	}
	spec := base.EncryptionKey
	keys, err := protect.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(start)
	v, err := auth.NewVerifier(context.Background(), auth.Config{Issuer: Issuer, Audience: Audience, Secret: []byte(Secret), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	cfg := app.Config{
		Env: "development", JWTIssuer: Issuer, JWTAudience: Audience, JWTSecret: Secret, EncryptionKey: spec,
		DatabaseURL: base.DatabaseURL,
		// Tests fire requests faster than any person; the limit has its own test.
		RateLimit: 0,
	}
	a := app.Assemble(app.Parts{
		Config: cfg, Log: slog.New(slog.NewTextHandler(Writer(t), nil)),
		DB: db, Catalog: cat, Keys: keys, Verifier: v, Clock: clk,
	})
	return &Env{
		App: a, DB: db, Clock: clk, Catalog: cat, Keys: keys,
		Inventory: a.Inventory, Feed: a.Feed, Consent: a.Consent, Requests: a.Requests, Audit: a.Audit, Purge: a.Purge,
		Transmit: a.Transmit,
		Holds:    holds.New(db.ForHolds(), clk),
		Minter:   auth.Minter{Issuer: Issuer, Audience: Audience, Secret: []byte(Secret), Now: clk.Now},
	}
}

// Each runs fn as a parallel subtest once per store, each with its own
// environment, its clock at start (Start if zero).
func Each(t *testing.T, start time.Time, fn func(t *testing.T, e *Env)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, New(t, d, start))
		})
	}
}

// Token mints a token for subject with roles, acting as actor if set.
func (e *Env) Token(t testing.TB, subject, actor string, roles ...auth.Role) string {
	t.Helper()
	tok, err := e.Minter.Mint(subject, roles, actor, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Writer sends what is written to the test's log, so the server's log
// shows the cause of an INTERNAL error when a test fails.
func Writer(t testing.TB) io.Writer { return testWriter{t} }

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
