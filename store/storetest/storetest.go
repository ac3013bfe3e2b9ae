// Package storetest gives each test its own migrated database, on PostgreSQL
// (a clone of a migrated template, via pgtestdb) and on SQLite (a temporary
// file), so one test suite runs on both stores and no state is shared.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the driver pgtestdb uses to make template databases
	"github.com/peterldowns/pgtestdb"

	"github.com/xroshot/portal/store"
)

// Dialects are the stores every store-backed test runs on.
var Dialects = []string{"postgres", "sqlite"}

// EnvURL names the variable that points the tests at another PostgreSQL
// server than the default one on 127.0.0.1:5432.
const EnvURL = "PORTAL_TEST_DATABASE_URL"

const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Each runs fn as a subtest once per dialect, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh, migrated store of the given dialect, closed and
// dropped when the test ends.
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	ctx := context.Background()
	var opts store.Options
	switch dialect {
	case "postgres":
		opts.URL = PostgresURL(t)
		opts.MaxOpenConns = 8
	case "sqlite":
		opts.SQLitePath = filepath.Join(t.TempDir(), "portal.db")
	default:
		t.Fatalf("unknown dialect %q", dialect)
	}
	db, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatalf("open %s store: %v", dialect, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if dialect == "sqlite" {
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate sqlite store: %v", err)
		}
	}
	return db
}

// PostgresURL creates a fresh database cloned from a migrated template and
// returns its URL. Without a reachable server the test fails with a message
// saying how to get one: tests never skip PostgreSQL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	cfg := serverConfig(t)
	c := pgtestdb.Custom(t, cfg, migrator{})
	return c.URL()
}

var (
	reachOnce sync.Once
	reachErr  error
)

func serverConfig(t testing.TB) pgtestdb.Config {
	t.Helper()
	raw := os.Getenv(EnvURL)
	if raw == "" {
		raw = defaultURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", EnvURL, err)
	}
	pw, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	db := u.Path
	if len(db) > 0 && db[0] == '/' {
		db = db[1:]
	}
	if db == "" {
		db = "postgres"
	}
	opts := u.Query()
	if opts.Get("sslmode") == "" {
		opts.Set("sslmode", "disable")
	}
	cfg := pgtestdb.Config{
		DriverName:                "pgx",
		Host:                      u.Hostname(),
		Port:                      port,
		User:                      u.User.Username(),
		Password:                  pw,
		Database:                  db,
		Options:                   opts.Encode(),
		ForceTerminateConnections: true,
	}
	reachOnce.Do(func() { reachErr = ping(cfg) })
	if reachErr != nil {
		t.Fatalf("PostgreSQL is required for these tests and is not reachable at %s:%s (%v).\n"+
			"Start one (on Debian: apt-get install postgresql && pg_ctlcluster 15 main start, with trust auth for user postgres on 127.0.0.1), "+
			"or point %s at a server, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", cfg.Host, cfg.Port, reachErr, EnvURL)
	}
	return cfg
}

func ping(cfg pgtestdb.Config) error {
	db, err := sql.Open("pgx", cfg.URL())
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// migrator builds pgtestdb's template database with the real migrations,
// the same path start-up takes.
type migrator struct{}

func (migrator) Hash() (string, error) { return store.MigrationsHash("postgres") }

func (migrator) Migrate(ctx context.Context, _ *sql.DB, cfg pgtestdb.Config) error {
	db, err := store.Open(ctx, store.Options{URL: cfg.URL(), MaxOpenConns: 2})
	if err != nil {
		return fmt.Errorf("open template: %w", err)
	}
	defer db.Close()
	_, err = db.Migrate(ctx)
	return err
}
