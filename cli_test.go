package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v3"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/store/storetest"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// result is one run of the portal.
type result struct {
	code           int
	stdout, stderr string
}

// runPortal runs the portal's command line in-process with the given
// environment, failing the test if it has not returned within limit (a
// server started by mistake never returns).
func runPortal(t *testing.T, env map[string]string, limit time.Duration, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { done <- run(ctx, args, envOf(env), &out, &errOut) }()
	select {
	case code := <-done:
		return result{code, out.String(), errOut.String()}
	case <-time.After(limit):
		cancel()
		<-done
		t.Fatalf("portal %v did not return within %s: it started something\nstderr: %s", args, limit, errOut.String())
		return result{}
	}
}

// commandLines lists every command and subcommand of the tree, as the
// words that name it.
func commandLines() [][]string {
	var lines [][]string
	var walk func(prefix []string, cmds []*cli.Command)
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			line := append(append([]string{}, prefix...), c.Name)
			lines = append(lines, line)
			walk(line, c.Commands)
		}
	}
	walk(nil, newCLI(nil, nil, nil).Commands)
	return lines
}

// emptyDir fails the test if dir holds anything: no database file, no
// data directory.
func emptyDir(t *testing.T, dir string, args []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("portal %v left %s behind", args, e.Name())
	}
}

// Asking for help, at any level, prints usage on stdout and exits 0, and
// does nothing else: no server, no migration, no database file (the
// embedded store would be data/portal.db under the working directory).
func TestHelpAtEveryLevelHasNoSideEffect(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	lines := [][]string{{"--help"}, {"-h"}, {"help"}, {"help", "migrate"}, {"-h", "serve"}}
	for _, l := range commandLines() {
		lines = append(lines, append(append([]string{}, l...), "--help"), append(append([]string{}, l...), "-h"))
	}
	if len(lines) < 40 {
		t.Fatalf("only %d help lines: the command tree is missing commands", len(lines))
	}
	for _, args := range lines {
		r := runPortal(t, nil, 10*time.Second, args...)
		if r.code != 0 {
			t.Errorf("portal %v exited %d, want 0; stderr: %s", args, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "USAGE:") {
			t.Errorf("portal %v printed no usage: %q", args, r.stdout)
		}
		emptyDir(t, dir, args)
	}
	// Every command's help names its flags.
	r := runPortal(t, nil, 10*time.Second, "purge", "--help")
	for _, flag := range []string{"--dry-run", "--clause", "--batch"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("purge --help does not document %s:\n%s", flag, r.stdout)
		}
	}
	r = runPortal(t, nil, 10*time.Second, "verify", "--help")
	for _, flag := range []string{"--from", "--since", "--batch"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("verify --help does not document %s:\n%s", flag, r.stdout)
		}
	}
}

// A command line the portal cannot run exits 2 with what was wrong and the
// usage on stderr, before reading the configuration or opening anything.
func TestAWrongCommandLineExits2(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, args := range [][]string{
		{"--frobnicate"},
		{"frobnicate"},
		{"help", "frobnicate"},
		{"serve", "--port", "1"},
		{"serve", "extra"},
		{"migrate"},
		{"migrate", "sideways"},
		{"migrate", "down", "extra"},
		{"migrate", "down", "--force"},
		{"migrate", "up", "--yes"},
		{"token"},
		{"token", "--demo", "nobody"},
		{"token", "--subject", "s1", "--roles", "root"},
		{"token", "--demo", "admin", "--ttl", "0s"},
		{"token", "--demo", "admin", "--ttl", "soon"},
		{"import"},
		{"import", "a.jsonl", "b.jsonl"},
		{"seed"},
		{"seed", "--subscribers", "0"},
		{"purge", "now"},
		{"purge", "--batch", "-1"},
		{"purge", "--dry"},
		{"reconfirm", "--batch", "0"},
		{"notify"},
		{"notify", "deliver"},
		{"notify", "dead", "--limit", "0"},
		{"notify", "attempts", "sub-1"},
		{"notify", "requeue", "sub-1", "seven"},
		{"verify", "--since", "12"},
		{"verify", "--from", "3", "--since", "1:" + strings.Repeat("a", 64)},
		{"loadtest"},
		{"loadtest", "everything"},
		{"loadtest", "me", "--clients", "0"},
		{"loadtest", "requests", "--overdue", "2"},
		{"schema", "extra"},
		{"version", "extra"},
	} {
		r := runPortal(t, nil, 10*time.Second, args...)
		if r.code != 2 {
			t.Errorf("portal %v exited %d, want 2; stdout %q stderr %q", args, r.code, r.stdout, r.stderr)
		}
		if args[0] != "help" && !strings.Contains(r.stderr, "USAGE:") {
			t.Errorf("portal %v printed no usage on stderr: %q", args, r.stderr)
		}
		emptyDir(t, dir, args)
	}
}

// import names a missing file without opening a database.
func TestImportOfAMissingFileOpensNoDatabase(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	r := runPortal(t, nil, 10*time.Second, "import", "missing.jsonl")
	if r.code != 1 || !strings.Contains(r.stderr, "missing.jsonl") {
		t.Errorf("import missing.jsonl = %+v", r)
	}
	emptyDir(t, dir, []string{"import", "missing.jsonl"})
}

// randomSecret is a JWT secret production accepts: 32 random bytes.
func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// production is a complete production configuration over db.
func production(t *testing.T, db string) map[string]string {
	t.Helper()
	key, err := protect.GenerateKeySpec()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"PORTAL_ENV": "production", "PORTAL_JWT_SECRET": randomSecret(t), "PORTAL_JWT_ISSUER": "https://id.example",
		"PORTAL_JWT_AUDIENCE": "portal", "PORTAL_ENCRYPTION_KEY": key, "PORTAL_DATABASE_URL": db,
	}
}

// In production migrate down needs --yes, and without it touches nothing.
func TestMigrateDownNeedsYesInProduction(t *testing.T) {
	t.Parallel()
	env := production(t, storetest.PostgresURL(t))
	status := func() string {
		r := runPortal(t, env, time.Minute, "migrate", "status")
		if r.code != 0 || !strings.Contains(r.stdout, "applied") {
			t.Fatalf("migrate status = %+v", r)
		}
		return r.stdout
	}
	before := status()
	r := runPortal(t, env, time.Minute, "migrate", "down")
	if r.code != 1 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("migrate down without --yes = %+v, want a refusal naming --yes", r)
	}
	if after := status(); after != before {
		t.Errorf("a refused rollback changed the migrations:\nbefore %s\nafter %s", before, after)
	}
	r = runPortal(t, env, time.Minute, "migrate", "down", "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "rolled back") {
		t.Errorf("migrate down --yes = %+v", r)
	}
	if after := status(); strings.Count(after, "pending") != strings.Count(before, "pending")+1 {
		t.Errorf("migrate down --yes rolled back other than one migration:\nbefore %s\nafter %s", before, after)
	}
}

// A configuration the portal refuses is reported as its logs would be:
// JSON in production, plain text in development; production without a
// database URL is refused.
func TestConfigurationErrorsSpeakTheLogsFormat(t *testing.T) {
	t.Parallel()
	env := production(t, "")
	r := runPortal(t, env, 10*time.Second, "serve")
	if r.code != 1 {
		t.Fatalf("serve in production without a database = %+v, want exit 1", r)
	}
	var line struct {
		Level    string   `json:"level"`
		Msg      string   `json:"msg"`
		Problems []string `json:"problems"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.stderr)), &line); err != nil {
		t.Fatalf("production configuration error is not one JSON line: %v\n%s", err, r.stderr)
	}
	if line.Level != "ERROR" || len(line.Problems) != 1 || !strings.Contains(line.Problems[0], "PORTAL_DATABASE_URL") {
		t.Errorf("production configuration error = %+v", line)
	}

	r = runPortal(t, map[string]string{"PORTAL_LOG_LEVEL": "loud"}, 10*time.Second, "serve")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "portal: configuration: PORTAL_LOG_LEVEL") {
		t.Errorf("development configuration error = %+v, want plain text", r)
	}
}

func TestTokenCommand(t *testing.T) {
	t.Parallel()
	prod := production(t, "postgres://portal@db.internal/portal")
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		code    int
		wantErr string
	}{
		{name: "demo persona", args: []string{"--demo", "guardian"}},
		{name: "explicit subject", args: []string{"--subject", "s1", "--roles", "subscriber,agent"}},
		{name: "unknown persona", args: []string{"--demo", "nobody"}, code: 2, wantErr: "unknown demo persona"},
		{name: "unknown role", args: []string{"--subject", "s1", "--roles", "root"}, code: 2, wantErr: "unknown role"},
		{name: "no subject", args: []string{"--roles", "subscriber"}, code: 2, wantErr: "--subject and --roles"},
		{name: "production", env: prod, args: []string{"--demo", "admin"}, code: 1, wantErr: "refused in production"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runPortal(t, tc.env, 10*time.Second, append([]string{"token"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.wantErr) {
				t.Fatalf("token %v = %+v, want exit %d and %q", tc.args, r, tc.code, tc.wantErr)
			}
			if tc.code == 0 && strings.Count(strings.TrimSpace(r.stdout), ".") != 2 {
				t.Errorf("output is not a JWT: %q", r.stdout)
			}
		})
	}
}

func TestVersionAndSchema(t *testing.T) {
	t.Parallel()
	r := runPortal(t, nil, 10*time.Second, "version")
	if r.code != 0 || r.stdout != "portal "+version+"\n" {
		t.Errorf("version = %+v", r)
	}
	r = runPortal(t, nil, 10*time.Second, "schema")
	if r.code != 0 {
		t.Fatalf("schema = %+v", r)
	}
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "portal schema", Input: r.stdout})
	if err != nil {
		t.Fatalf("portal schema is not a valid schema: %v", err)
	}
	for _, name := range []string{"Query", "Mutation", "Subscription", "Me", "Request"} {
		if s.Types[name] == nil {
			t.Errorf("portal schema has no type %s", name)
		}
	}
}

// --dry-run says so above the counts.
func TestPurgeDryRunSaysSo(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PORTAL_SQLITE_PATH": filepath.Join(t.TempDir(), "portal.db")}
	r := runPortal(t, env, time.Minute, "purge", "--dry-run")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "DRY RUN") {
		t.Errorf("purge --dry-run = %+v", r)
	}
}

// The README's command table names every command and every flag the
// command line accepts.
func TestREADMEDocumentsEveryCommandAndFlag(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "## Commands")
	j := strings.Index(readme, "## Configuration")
	if i < 0 || j < i {
		t.Fatal("README.md has no Commands section before Configuration")
	}
	section := readme[i:j]
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := strings.TrimSpace(prefix + " " + c.Name)
			if !strings.Contains(section, c.Name) {
				t.Errorf("README's Commands section does not name %q", name)
			}
			for _, f := range c.Flags {
				for _, n := range f.Names() {
					if len(n) > 1 && !strings.Contains(section, "--"+n) {
						t.Errorf("README's Commands section does not document %s --%s", name, n)
					}
				}
			}
			walk(name, c.Commands)
		}
	}
	walk("", newCLI(nil, nil, nil).Commands)
}
