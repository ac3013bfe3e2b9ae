package apitest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BuildPortal builds the portal's binary with `go build` into a directory
// of the test's, for tests that run it as operators do: as OS processes.
func BuildPortal(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "portal")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/xroshot/portal").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Process is one `portal serve` running as an OS process on a free
// loopback port.
type Process struct {
	// URL is where it serves, as http://127.0.0.1:PORT.
	URL  string
	bin  string
	env  []string
	cmd  *exec.Cmd
	logs *SyncBuffer
	done chan error
}

// StartProcess runs `bin serve` with the settings in env (PORTAL_ADDR is
// chosen here; the rest of the test's environment but PORTAL_* is kept)
// and returns once it answers /readyz. The test's end stops it with
// SIGTERM, as an orchestrator does, and its log is printed if the test
// failed.
func StartProcess(t testing.TB, bin string, env map[string]string) *Process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	p := &Process{URL: "http://" + addr, bin: bin, logs: &SyncBuffer{}, done: make(chan error, 1)}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTAL_") {
			p.env = append(p.env, kv)
		}
	}
	for k, v := range env {
		p.env = append(p.env, k+"="+v)
	}
	p.env = append(p.env, "PORTAL_ADDR="+addr)
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			t.Errorf("%s did not stop within 30s of SIGTERM", p.URL)
		}
		if t.Failed() {
			t.Logf("log of the portal at %s:\n%s", p.URL, p.logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-p.done:
			t.Fatalf("portal serve exited before it was ready (%v):\n%s", err, p.logs.String())
		default:
		}
		if res, err := http.Get(p.URL + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("portal serve not ready within 60s:\n%s", p.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Run runs another command of the same binary with the process's
// settings (`token --demo admin`, say) and returns its standard output.
func (p *Process) Run(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(p.bin, args...)
	cmd.Env = p.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("portal %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// Query posts a GraphQL operation to the process with an optional bearer
// token.
func (p *Process) Query(t testing.TB, token, query string, vars map[string]any) Response {
	t.Helper()
	res, err := http.DefaultClient.Do(graphqlRequest(t, p.URL+"/graphql", token, query, vars))
	if err != nil {
		t.Fatal(err)
	}
	return decodeResponse(t, res)
}

// SyncBuffer collects a server's log lines across goroutines (a process's
// two pipes, a handler's requests).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *SyncBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *SyncBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
