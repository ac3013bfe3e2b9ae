package loadtest

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/auth"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"no samples", nil, 50, 0},
		{"one sample is every percentile", []time.Duration{7}, 99, 7},
		{"median of 1..100 ms", hundred, 50, 50 * time.Millisecond},
		{"p90 of 1..100 ms", hundred, 90, 90 * time.Millisecond},
		{"p99 of 1..100 ms", hundred, 99, 99 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"p0 is the min", hundred, 0, 1 * time.Millisecond},
		{"nearest rank rounds up", []time.Duration{1, 2, 3}, 50, 2},
		{"p99 of ten is the max", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Percentile(tc.samples, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tc.samples, tc.p, got, tc.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	// Added out of order, over two clients, as a run collects them.
	var a, b Latencies
	r := rand.New(rand.NewPCG(1, 2))
	for _, i := range r.Perm(1000) {
		d := time.Duration(i+1) * time.Microsecond
		if i%2 == 0 {
			a.Add(d)
		} else {
			b.Add(d)
		}
	}
	a.Merge(&b)
	st := Stats{OK: 1000, Elapsed: 2 * time.Second}
	a.Summarize(&st)
	want := Stats{
		OK: 1000, Elapsed: 2 * time.Second,
		Min: time.Microsecond, P50: 500 * time.Microsecond, P90: 900 * time.Microsecond, P99: 990 * time.Microsecond,
		Max: 1000 * time.Microsecond, Mean: 500500 * time.Nanosecond,
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if got := st.Throughput(); got != 500 {
		t.Errorf("throughput = %v, want 500/s", got)
	}
}

func TestRunStopsByItself(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	op := func(ctx context.Context, _ *rand.Rand) error {
		calls.Add(1)
		time.Sleep(time.Millisecond)
		return nil
	}
	t.Run("after its operations", func(t *testing.T) {
		out, err := Run(context.Background(), Loop{Clients: 4, Duration: time.Minute, MaxOps: 50}, op)
		if err != nil {
			t.Fatal(err)
		}
		if out.Stats.OK != 50 || out.Stats.Errors != 0 {
			t.Errorf("ok %d, errors %d; want 50 and 0", out.Stats.OK, out.Stats.Errors)
		}
	})
	t.Run("after its duration", func(t *testing.T) {
		start := time.Now()
		out, err := Run(context.Background(), Loop{Clients: 4, Duration: 200 * time.Millisecond}, op)
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("ran %s for a 200 ms duration", el)
		}
		if out.Stats.OK == 0 || out.Stats.P99 < time.Millisecond {
			t.Errorf("stats = %+v", out.Stats)
		}
	})
}

func TestRunAbortsWhenEverythingFails(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection refused")
	start := time.Now()
	_, err := Run(context.Background(), Loop{Clients: 8, Duration: time.Minute}, func(context.Context, *rand.Rand) error { return boom })
	if !errors.Is(err, ErrAllFailed) || !errors.Is(err, boom) {
		t.Fatalf("err = %v, want ErrAllFailed wrapping the first error", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("gave up after %s", el)
	}
}

// TestUnreachableServer: a benchmark whose server is gone fails within a
// few seconds with a message naming what it could not reach.
func TestUnreachableServer(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL + "/graphql"
	closed.Close()

	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(hung.Close)

	unready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"status":"database unavailable"}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(unready.Close)

	m := auth.Minter{Issuer: "https://portal.local", Audience: "privacy-portal", Secret: []byte(strings.Repeat("k", 32))}
	tests := []struct {
		name, url, scenario, want string
	}{
		{"closed", url, ScenarioMe, "cannot reach the server"},
		{"closed, consent", url, ScenarioConsent, "cannot reach the server"},
		{"closed, queue", url, ScenarioQueue, "cannot reach the server"},
		{"hangs", hung.URL + "/graphql", ScenarioMe, "did not answer"},
		{"database down", unready.URL + "/graphql", ScenarioMe, "503"},
		{"not a URL", "127.0.0.1:8080", ScenarioMe, "not an http(s) URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := Bench(context.Background(), Config{
				Scenario: tc.scenario, URL: tc.url, Minter: m, Subscribers: 10,
				Loop: Loop{Clients: 32, Duration: time.Minute},
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
			if el := time.Since(start); el > ReadyTimeout+2*time.Second {
				t.Errorf("failed after %s, want within %s", el, ReadyTimeout+2*time.Second)
			}
		})
	}
}

func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: the listener is closed before the dial.
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(closed.URL, "http://")
	closed.Close()
	start := time.Now()
	_, err := Bench(context.Background(), Config{
		Scenario: ScenarioBaseline, DatabaseURL: "postgres://postgres@" + addr + "/portal?sslmode=disable",
		Subscribers: 10, Loop: Loop{Clients: 4, Duration: time.Minute},
	})
	if err == nil || !strings.Contains(err.Error(), "cannot reach the database") {
		t.Fatalf("err = %v, want one saying the database cannot be reached", err)
	}
	if el := time.Since(start); el > DialTimeout+2*time.Second {
		t.Errorf("failed after %s", el)
	}
}

func TestReadyURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://127.0.0.1:8080/graphql":  "http://127.0.0.1:8080/readyz",
		"http://127.0.0.1:8080/graphql/": "http://127.0.0.1:8080/readyz",
		"http://localhost:8080":          "http://localhost:8080/readyz",
		"https://h/api/graphql?x=1":      "https://h/api/readyz",
	} {
		got, err := readyURL(in)
		if err != nil || got != want {
			t.Errorf("readyURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestFindServer finds this test process behind a server it listens with,
// and reads its memory, as the benchmarks do for the portal's.
func TestFindServer(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	pid, err := FindServer(srv.URL + "/graphql")
	if err != nil || pid != os.Getpid() {
		t.Fatalf("FindServer = %d, %v; want this process, %d", pid, err, os.Getpid())
	}
	m, err := ReadMemory(pid)
	if err != nil || m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("ReadMemory = %+v, %v", m, err)
	}
	if _, err := FindServer("http://192.0.2.1:8080/graphql"); err == nil || !strings.Contains(err.Error(), "--server-pid") {
		t.Errorf("a server off loopback: err = %v, want one asking for --server-pid", err)
	}
}

// A backend that ends between the two readings takes none of the run's
// PostgreSQL time away; one that starts in between counts whole. (With a
// difference of sums, PostGraphile's pool closing its idle connections
// during the next arm made that arm's PostgreSQL time a fifth of the truth.)
func TestPostgresCPUSince(t *testing.T) {
	t.Parallel()
	s := time.Second
	then := map[int]time.Duration{10: 5 * s, 11: 90 * s, 12: 7 * s}
	now := map[int]time.Duration{10: 8 * s, 12: 7 * s, 13: 2 * s}
	if got, want := PostgresCPUSince(then, now), 3*s+0+2*s; got != want {
		t.Errorf("PostgresCPUSince = %s, want %s", got, want)
	}
	// A process id reused by a new backend, which has used less so far.
	if got, want := PostgresCPUSince(map[int]time.Duration{20: 9 * s}, map[int]time.Duration{20: s}), s; got != want {
		t.Errorf("reused pid: %s, want %s", got, want)
	}
}
