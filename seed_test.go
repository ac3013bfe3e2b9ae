package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// seedRun runs the portal with args and returns its standard output and
// error output.
func seedRun(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := realMain(context.Background(), args, os.Getenv, &out, &errOut)
	return out.String(), errOut.String(), err
}

func countSubscribers(t *testing.T, opts store.Options) int64 {
	t.Helper()
	db, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.CountSubscribers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Production never gets generated subscribers, not even as a file.
func TestSeedRefusesProduction(t *testing.T) {
	dir := t.TempDir()
	spec, err := protect.GenerateKeySpec()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORTAL_ENV", "production")
	t.Setenv("PORTAL_JWT_SECRET", randomSecret(t))
	t.Setenv("PORTAL_JWT_ISSUER", "https://id.example")
	t.Setenv("PORTAL_JWT_AUDIENCE", "portal")
	t.Setenv("PORTAL_ENCRYPTION_KEY", spec)
	t.Setenv("PORTAL_SQLITE_PATH", filepath.Join(dir, "portal.db"))
	// Refused before it is opened: the database would be this server.
	t.Setenv("PORTAL_DATABASE_URL", "postgres://portal@db.internal/portal")
	for _, args := range [][]string{
		{"seed", "--subscribers", "10"},
		{"seed", "--subscribers", "10", "--force"},
		{"seed", "--subscribers", "10", "--jsonl", filepath.Join(dir, "seed.jsonl")},
	} {
		_, _, err := seedRun(t, args...)
		if err == nil || !strings.Contains(err.Error(), "seed: refused in production") {
			t.Errorf("%v in production: %v, want a refusal", args, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("a refused seed left %v behind", entries)
	}
}

func TestSeedRefusesBadArguments(t *testing.T) {
	t.Setenv("PORTAL_SQLITE_PATH", filepath.Join(t.TempDir(), "portal.db"))
	for _, args := range [][]string{
		{"seed"},
		{"seed", "--subscribers", "0"},
		{"seed", "--subscribers", "-3"},
		{"seed", "--subscribers", "5", "extra"},
	} {
		if _, stderr, err := seedRun(t, args...); exitCode(err) != exitUsage || !strings.Contains(stderr, "USAGE:") {
			t.Errorf("%v: %v, want the usage", args, err)
		}
	}
}

// Seeding fills an empty database, refuses a used one without --force,
// and with --force refuses only the seed already there.
func TestSeedFillsAnEmptyDatabaseOnly(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			var opts store.Options
			if dialect == "postgres" {
				opts.URL = storetest.PostgresURL(t)
				t.Setenv("PORTAL_DATABASE_URL", opts.URL)
			} else {
				opts.SQLitePath = filepath.Join(t.TempDir(), "portal.db")
				t.Setenv("PORTAL_SQLITE_PATH", opts.SQLitePath)
			}
			out, _, err := seedRun(t, "seed", "--subscribers", "30", "--seed", "5")
			if err != nil {
				t.Fatalf("seed into an empty database: %v", err)
			}
			if !strings.Contains(out, "seeded 30 subscribers") {
				t.Errorf("report: %q", out)
			}
			if n := countSubscribers(t, opts); n != 30 {
				t.Fatalf("%d subscribers after seeding 30", n)
			}

			_, _, err = seedRun(t, "seed", "--subscribers", "10", "--seed", "6")
			if err == nil || !strings.Contains(err.Error(), "already holds 30 subscribers") || !strings.Contains(err.Error(), "--force") {
				t.Errorf("seed into a used database without --force: %v, want a refusal naming --force", err)
			}
			_, _, err = seedRun(t, "seed", "--subscribers", "10", "--seed", "5", "--force")
			if err == nil || !strings.Contains(err.Error(), "another --seed") {
				t.Errorf("seed of the same seed with --force: %v, want a refusal", err)
			}
			if n := countSubscribers(t, opts); n != 30 {
				t.Fatalf("refused seeds changed the database: %d subscribers", n)
			}
			if _, _, err := seedRun(t, "seed", "--subscribers", "10", "--seed", "6", "--force"); err != nil {
				t.Fatalf("seed of another seed with --force: %v", err)
			}
			if n := countSubscribers(t, opts); n != 40 {
				t.Fatalf("%d subscribers after adding 10 to 30", n)
			}
		})
	}
}

// The JSON Lines a seed writes are what `portal import` reads.
func TestSeedJSONLImports(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "seed.jsonl")
	t.Setenv("PORTAL_SQLITE_PATH", filepath.Join(dir, "portal.db"))
	if _, _, err := seedRun(t, "seed", "--subscribers", "25", "--seed", "9", "--jsonl", file); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n != 25 {
		t.Fatalf("%d lines written, want 25", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "portal.db")); err == nil {
		t.Error("seed --jsonl opened the database")
	}
	out, _, err := seedRun(t, "import", file)
	if err != nil {
		t.Fatalf("import of the seeded file: %v\n%s", err, out)
	}
	if !strings.Contains(out, "imported 25 of 25 subscribers") {
		t.Errorf("import report: %q", out)
	}

	// To standard output, byte for byte the same.
	var stdout bytes.Buffer
	if err := realMain(context.Background(), []string{"seed", "--subscribers", "25", "--seed", "9", "--jsonl", "-"}, os.Getenv, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stdout.Bytes(), b) {
		t.Error("seed --jsonl - differs from seed --jsonl FILE")
	}
}
