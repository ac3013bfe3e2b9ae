package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestReadHeapReadsTheGoCollectorsCounters(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("# HELP go_memstats_mallocs_total Total number of heap objects allocated.\n" +
			"# TYPE go_memstats_mallocs_total counter\ngo_memstats_mallocs_total 1.2345e+06\n" +
			"go_memstats_alloc_bytes 1000\ngo_memstats_alloc_bytes_total 7.5e+08\n"))
	}))
	defer srv.Close()
	h, err := ReadHeap(context.Background(), srv.URL+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if h.Objects != 1234500 || h.Bytes != 750000000 {
		t.Errorf("ReadHeap = %+v, want 1234500 objects and 750000000 bytes", h)
	}
	if got, _ := metricsURL("http://127.0.0.1:18090/graphql"); got != "http://127.0.0.1:18090/metrics" {
		t.Errorf("metricsURL = %q", got)
	}
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("up 1\n")) }))
	defer empty.Close()
	if _, err := ReadHeap(context.Background(), empty.URL); err == nil {
		t.Error("a /metrics without the counters was read as zero allocations")
	}
}

func TestSummarizeTakesMediansAndPairsRounds(t *testing.T) {
	t.Parallel()
	run := func(ok int, p99 time.Duration, server time.Duration, objects float64) *Result {
		return &Result{
			Outcome:   Outcome{Stats: Stats{OK: ok, Elapsed: time.Second, P50: p99 / 2, P99: p99}},
			CPU:       CPU{Server: server},
			Allocated: Heap{Objects: objects}, HeapRead: true,
		}
	}
	a := ArmRuns{Arm: Arm{Name: "me"}, Runs: []*Result{run(100, 30*time.Millisecond, time.Second, 1000), run(300, 10*time.Millisecond, time.Second, 3000), run(200, 20*time.Millisecond, time.Second, 2000)}}
	b := ArmRuns{Arm: Arm{Name: "baseline"}, Runs: []*Result{run(400, 0, 0, 0), run(600, 0, 0, 0), run(400, 0, 0, 0)}}
	s := a.Summarize()
	if s.Throughput != 200 || s.ThroughputMin != 100 || s.ThroughputMax != 300 {
		t.Errorf("throughput %v (%v–%v), want 200 (100–300)", s.Throughput, s.ThroughputMin, s.ThroughputMax)
	}
	if s.P99 != 20*time.Millisecond || s.Ops != 600 || s.Allocated.Objects/float64(s.AllocOps) != 10 {
		t.Errorf("p99 %v, ops %d, objects an op %v; want 20ms, 600, 10", s.P99, s.Ops, s.Allocated.Objects/float64(s.AllocOps))
	}
	r := Ratios(a, b)
	if len(r) != 3 || r[0] != 0.25 || r[1] != 0.5 || r[2] != 0.5 {
		t.Errorf("Ratios = %v, want [0.25 0.5 0.5]", r)
	}
}
