// Package loadtest runs the portal's load benchmarks against a server on
// loopback and a seeded database: the subscriber's home screen (`me`), a
// consent change (`setConsent`), the agent queue, and the baseline, the
// statements `me` issues run directly on PostgreSQL. It reports
// throughput, latency percentiles and the server's peak resident memory,
// and says which of the targets of issue 7 each run meets, and by how much
// it misses the others. It also says where the CPU went, per request: the
// server, the database's backends, the load generator; on two shared cores
// that is what explains a throughput.
//
// The `portal loadtest` command (loadtest.go) wires it to the
// configuration; LoadRequests fills the queue the agent benchmark reads.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/xroshot/portal/auth"
)

// The scenarios.
const (
	ScenarioMe       = "me"
	ScenarioConsent  = "consent"
	ScenarioQueue    = "queue"
	ScenarioBaseline = "baseline"
	// ScenarioBaselineBatch is the baseline's statements pipelined in one
	// round trip, as the server sends them (store.ReadAhead).
	ScenarioBaselineBatch = "baseline-batch"
	// ScenarioPostGraphile reads the home screen's nearest equivalent
	// through PostGraphile 4 on the same database (scripts/postgraphile): a
	// reference, not the portal.
	ScenarioPostGraphile = "postgraphile"
)

// The targets of issue 7, on the 2-core machines with the server and the
// database sharing them.
const (
	// TargetMeP99 bounds `me`'s 99th percentile at 32 clients.
	TargetMeP99 = 50 * time.Millisecond
	// TargetQueue bounds the agent queue query (its 99th percentile).
	TargetQueue = 20 * time.Millisecond
	// TargetRSS bounds the server's resident memory.
	TargetRSS = 200 << 20
	// TargetBaselineShare is the least share of the baseline's throughput
	// `me` reaches.
	TargetBaselineShare = 0.5
)

// Config is one benchmark.
type Config struct {
	Scenario string
	// URL is the GraphQL endpoint; the server must answer /readyz beside it.
	URL string
	// DatabaseURL is the PostgreSQL database: the baseline runs on it, and
	// the CPU of its backends is counted for every scenario.
	DatabaseURL string
	// Minter signs the subscribers' and the agent's tokens with the
	// server's development key.
	Minter auth.Minter
	Loop   Loop
	// Subscribers and Seed say how the database was seeded (portal seed
	// --subscribers N --seed S): subscribers are drawn from s<S>-0000000 to
	// the N-th.
	Subscribers int
	Seed        uint64
	// ServerPID is the server's process, for its memory; 0 looks for the
	// process listening on the URL's port.
	ServerPID int
	// BaselineThroughput, if set, is the baseline's throughput that `me`
	// is compared with.
	BaselineThroughput float64
	// NoHeap leaves the server's allocation counters (its /metrics) unread.
	NoHeap bool
}

// Result is what a benchmark measured.
type Result struct {
	Config  Config
	Outcome Outcome
	// Changed counts the consent changes that wrote something.
	Changed int64
	// Server is the server's process, 0 when it was not found; Before and
	// After its memory around the run; PeakReset says VmHWM was reset at
	// the start, so After.HWM is the run's peak rather than the process's.
	Server        int
	ServerNote    string
	Before, After Memory
	PeakReset     bool
	// CPU is the CPU time the run cost, by process.
	CPU CPU
	// Allocated is what the server allocated during the run (its /metrics
	// before and after; the two reads themselves are counted, a few
	// hundred objects), when HeapRead.
	Allocated Heap
	HeapRead  bool
	HeapNote  string
}

// CPU is where a run's CPU time went: the server, the PostgreSQL backends
// of the benchmark's database (every postgres process when it is not
// known), and this load generator. On a machine they share, it
// says which of them limits the throughput.
type CPU struct {
	Server, Postgres, Client time.Duration
}

// Bench runs one benchmark. It fails within a few seconds when the server
// or the database cannot be reached, and before the run when the database
// is not seeded as the configuration says.
func Bench(ctx context.Context, c Config) (*Result, error) {
	if c.Subscribers <= 0 && c.Scenario != ScenarioQueue {
		return nil, errors.New("--subscribers N is required: how many subscribers the database was seeded with")
	}
	ttl := c.Loop.Duration + 10*time.Minute
	if c.Loop.Timeout > 0 {
		ttl += c.Loop.Timeout
	}
	subs := NewSubjects(c.Seed, max(c.Subscribers, 1), c.Minter, ttl)
	res := &Result{Config: c}
	var op Op
	switch c.Scenario {
	case ScenarioBaseline, ScenarioBaselineBatch:
		b, err := OpenBaseline(ctx, c.DatabaseURL, c.Loop.Clients, subs, c.Scenario == ScenarioBaselineBatch)
		if err != nil {
			return nil, err
		}
		defer b.Close()
		if err := b.Check(ctx); err != nil {
			return nil, err
		}
		op = b.Op()
	case ScenarioPostGraphile:
		cl := NewClient(c.URL, c.Loop.Clients)
		defer cl.Close()
		if err := checkPostGraphile(ctx, cl, subs); err != nil {
			return nil, err
		}
		op = PostGraphileOp(cl, subs)
		res.watchServer()
	case ScenarioMe, ScenarioConsent, ScenarioQueue:
		if err := CheckReady(ctx, c.URL); err != nil {
			return nil, err
		}
		cl := NewClient(c.URL, c.Loop.Clients)
		defer cl.Close()
		switch c.Scenario {
		case ScenarioMe:
			if err := checkSeeded(ctx, cl, subs); err != nil {
				return nil, err
			}
			op = MeOp(cl, subs)
		case ScenarioConsent:
			if err := checkSeeded(ctx, cl, subs); err != nil {
				return nil, err
			}
			var changed atomic.Int64
			op = ConsentOp(cl, subs, &changed)
			defer func() { res.Changed = changed.Load() }()
		case ScenarioQueue:
			tok, err := c.Minter.Mint(agentID(1), []auth.Role{auth.RoleAgent}, "", ttl)
			if err != nil {
				return nil, err
			}
			if err := checkQueue(ctx, cl, tok); err != nil {
				return nil, err
			}
			op = QueueOp(cl, c.Minter, ttl)
		}
		res.watchServer()
	default:
		return nil, fmt.Errorf("unknown benchmark %q: me, consent, queue, baseline, baseline-batch or postgraphile", c.Scenario)
	}
	var heap0 Heap
	metrics := ""
	if !c.NoHeap && c.Scenario != ScenarioBaseline && c.Scenario != ScenarioBaselineBatch && c.Scenario != ScenarioPostGraphile {
		m, err := metricsURL(c.URL)
		if err == nil {
			heap0, err = ReadHeap(ctx, m)
		}
		if err != nil {
			res.HeapNote = err.Error()
		} else {
			metrics = m
		}
	}
	cpu0 := res.cpuNow()
	out, err := Run(ctx, c.Loop, op)
	if err != nil {
		return nil, err
	}
	res.Outcome = out
	cpu1 := res.cpuNow()
	if metrics != "" {
		if heap1, err := ReadHeap(ctx, metrics); err != nil {
			res.HeapNote = err.Error()
		} else {
			res.Allocated = Heap{Objects: heap1.Objects - heap0.Objects, Bytes: heap1.Bytes - heap0.Bytes}
			res.HeapRead = true
		}
	}
	res.CPU = CPU{Server: cpu1.Server - cpu0.Server, Postgres: PostgresCPUSince(cpu0.postgres, cpu1.postgres), Client: cpu1.Client - cpu0.Client}
	if res.Server != 0 {
		if m, err := ReadMemory(res.Server); err == nil {
			res.After = m
		} else {
			res.ServerNote = err.Error()
		}
	}
	return res, nil
}

// cpuNow reads the CPU time used so far by the server (if found), the
// PostgreSQL processes and this process; what cannot be read stays zero.
func (r *Result) cpuNow() cpuSnapshot {
	var c cpuSnapshot
	if r.Server != 0 {
		c.Server, _ = CPUTime(r.Server)
	}
	c.postgres = PostgresCPU(databaseName(r.Config.DatabaseURL))
	c.Client, _ = CPUTime(os.Getpid())
	return c
}

// cpuSnapshot is CPU time used so far, PostgreSQL's by backend.
type cpuSnapshot struct {
	CPU
	postgres map[int]time.Duration
}

// databaseName is the database a postgres:// URL names, or "".
func databaseName(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// watchServer finds the server's process and reads its memory before the
// run, resetting its peak where it may.
func (r *Result) watchServer() {
	pid := r.Config.ServerPID
	if pid == 0 {
		p, err := FindServer(r.Config.URL)
		if err != nil {
			r.ServerNote = err.Error()
			return
		}
		pid = p
	}
	r.PeakReset = ResetPeak(pid) == nil
	m, err := ReadMemory(pid)
	if err != nil {
		r.ServerNote = err.Error()
		return
	}
	r.Server, r.Before = pid, m
}

// Verdict is one target and how the run did against it.
type Verdict struct {
	Target string
	Met    bool
	// By says by how much the target is met or missed.
	By string
}

// Verdicts are the targets the scenario has.
func (r *Result) Verdicts() []Verdict {
	var v []Verdict
	st := r.Outcome.Stats
	latency := func(name string, bound time.Duration) {
		v = append(v, Verdict{
			Target: fmt.Sprintf("%s p99 < %s", name, ms(bound)),
			Met:    st.P99 < bound,
			By:     margin(float64(st.P99-bound)/float64(time.Millisecond), "ms", float64(st.P99)/float64(bound)),
		})
	}
	switch r.Config.Scenario {
	case ScenarioMe:
		latency("me", TargetMeP99)
		if b := r.Config.BaselineThroughput; b > 0 {
			share := st.Throughput() / b
			v = append(v, Verdict{
				Target: fmt.Sprintf("me throughput ≥ %.0f %% of the baseline's %.1f/s", TargetBaselineShare*100, b),
				Met:    share >= TargetBaselineShare,
				By:     fmt.Sprintf("%.1f %% of the baseline (%.1f/s of the %.1f/s needed)", share*100, st.Throughput(), TargetBaselineShare*b),
			})
		}
	case ScenarioQueue:
		latency("queue", TargetQueue)
	}
	if r.Server != 0 && r.After.HWM > 0 {
		peak := r.After.HWM
		v = append(v, Verdict{
			Target: "server peak RSS < " + MB(TargetRSS),
			Met:    peak < TargetRSS,
			By:     margin(float64(peak-TargetRSS)/(1<<20), "MB", float64(peak)/TargetRSS),
		})
	}
	return v
}

// margin says how far a figure is over (missed) or under (met) its bound.
func margin(over float64, unit string, ratio float64) string {
	if over >= 0 {
		return fmt.Sprintf("missed by %.2f %s (%.2f× the target)", over, unit, ratio)
	}
	return fmt.Sprintf("met with %.2f %s to spare (%.2f× the target)", -over, unit, ratio)
}

// Print writes the report: what ran, the figures, the server's memory and
// the verdicts.
func (r *Result) Print(w io.Writer) {
	c, st := r.Config, r.Outcome.Stats
	what := "GraphQL " + c.URL
	switch c.Scenario {
	case ScenarioBaseline:
		what = "PostgreSQL directly (the statements of one `me` per operation)"
	case ScenarioPostGraphile:
		what = "PostGraphile " + c.URL
	}
	whom := fmt.Sprintf("%d subscribers of seed %d", c.Subscribers, c.Seed)
	if c.Scenario == ScenarioQueue {
		whom = fmt.Sprintf("agents %s to %s", agentID(1), agentID(agents))
	}
	fmt.Fprintf(w, "loadtest %s: %d clients for %s against %s; %s\n", c.Scenario, c.Loop.Clients, c.Loop.Duration, what, whom)
	fmt.Fprintf(w, "  throughput  %.1f/s (%d ok, %d errors in %s)\n", st.Throughput(), st.OK, st.Errors, st.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "  latency     p50 %s  p90 %s  p99 %s  max %s  (min %s, mean %s)\n", ms(st.P50), ms(st.P90), ms(st.P99), ms(st.Max), ms(st.Min), ms(st.Mean))
	if c.Scenario == ScenarioConsent {
		fmt.Fprintf(w, "  consents    %d of %d calls changed a topic (the others found it already as asked)\n", r.Changed, st.OK)
	}
	for _, e := range r.Outcome.Errors() {
		fmt.Fprintf(w, "  error       %s\n", e)
		if strings.Contains(e, "RATE_LIMITED") {
			fmt.Fprintln(w, "              (the server limits each token's rate: start it with PORTAL_RATE_LIMIT=0 to measure beyond it)")
		}
	}
	if n := st.OK + st.Errors; n > 0 && st.Elapsed > 0 {
		per := func(d time.Duration) string { return ms(d / time.Duration(n)) }
		share := func(d time.Duration) float64 { return 100 * d.Seconds() / st.Elapsed.Seconds() }
		pg := "postgres"
		if db := databaseName(c.DatabaseURL); db != "" {
			pg = "postgres (" + db + ")"
		}
		fmt.Fprintf(w, "  cpu         per operation: server %s, %s %s, this client %s; of the run: %.0f %%, %.0f %%, %.0f %% of a core (%d cores)\n",
			per(r.CPU.Server), pg, per(r.CPU.Postgres), per(r.CPU.Client), share(r.CPU.Server), share(r.CPU.Postgres), share(r.CPU.Client), runtime.NumCPU())
	}
	if n := st.OK + st.Errors; r.HeapRead && n > 0 {
		fmt.Fprintf(w, "  allocated   per operation: %.0f objects, %.1f kB (the server's go_memstats counters)\n",
			r.Allocated.Objects/float64(n), r.Allocated.Bytes/float64(n)/1000)
	} else if r.HeapNote != "" {
		fmt.Fprintf(w, "  allocated   not read: %s\n", r.HeapNote)
	}
	switch {
	case r.Server != 0:
		peak := "peak since the server started"
		if r.PeakReset {
			peak = "peak during the run"
		}
		fmt.Fprintf(w, "  server      pid %d: RSS %s before, %s after; %s %s (VmHWM)\n", r.Server, MB(r.Before.RSS), MB(r.After.RSS), peak, MB(r.After.HWM))
	case c.Scenario != ScenarioBaseline:
		fmt.Fprintf(w, "  server      memory not read: %s\n", r.ServerNote)
	}
	for _, v := range r.Verdicts() {
		state := "met"
		if !v.Met {
			state = "MISSED"
		}
		fmt.Fprintf(w, "  %-11s %s: %s\n", state, v.Target, v.By)
	}
}
