package loadtest

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// Arm is one side of an interleaved comparison: a benchmark (Config.Scenario
// on Config.URL), under a name for the table.
type Arm struct {
	Name   string
	Config Config
}

// ArmRuns are an arm's runs, one a round.
type ArmRuns struct {
	Arm  Arm
	Runs []*Result
}

// Compare runs the arms interleaved, round after round (A, B, A, B …), each
// run for its Config.Loop: on a shared machine whatever else runs falls on
// every arm alike, which one long run of each would not give. progress, if
// not nil, gets a line a run.
func Compare(ctx context.Context, arms []Arm, rounds int, progress io.Writer) ([]ArmRuns, error) {
	if len(arms) == 0 || rounds <= 0 {
		return nil, fmt.Errorf("loadtest compare: %d arms, %d rounds", len(arms), rounds)
	}
	out := make([]ArmRuns, len(arms))
	for i, a := range arms {
		out[i].Arm = a
	}
	for r := range rounds {
		for i, a := range arms {
			res, err := Bench(ctx, a.Config)
			if err != nil {
				return out, fmt.Errorf("round %d, %s: %w", r+1, a.Name, err)
			}
			out[i].Runs = append(out[i].Runs, res)
			if progress != nil {
				st := res.Outcome.Stats
				fmt.Fprintf(progress, "round %d/%d %-12s %8.1f/s  p50 %s  p99 %s  errors %d\n",
					r+1, rounds, a.Name, st.Throughput(), ms(st.P50), ms(st.P99), st.Errors)
			}
		}
	}
	return out, nil
}

// Summary is an arm's figures over its rounds.
type Summary struct {
	Name string
	// Throughput, P50 and P99 are the rounds' medians, with their ranges.
	Throughput, ThroughputMin, ThroughputMax float64
	P50, P99, P99Min, P99Max                 time.Duration
	// Ops is every operation of every round; CPU is their CPU time, so
	// CPU/Ops is the CPU an operation cost, steadier than throughput.
	Ops int
	CPU CPU
	// Allocated is the server's allocations over the rounds that read them,
	// AllocOps those rounds' operations.
	Allocated Heap
	AllocOps  int
	// PeakRSS is the server's highest VmHWM of a round, 0 when not read.
	PeakRSS int64
	Errors  int
}

// Summarize is an arm's summary.
func (a ArmRuns) Summarize() Summary {
	s := Summary{Name: a.Arm.Name}
	var tp []float64
	var p50, p99 []time.Duration
	for _, r := range a.Runs {
		st := r.Outcome.Stats
		tp = append(tp, st.Throughput())
		p50 = append(p50, st.P50)
		p99 = append(p99, st.P99)
		n := st.OK + st.Errors
		s.Ops += n
		s.Errors += st.Errors
		s.CPU.Server += r.CPU.Server
		s.CPU.Postgres += r.CPU.Postgres
		s.CPU.Client += r.CPU.Client
		if r.HeapRead {
			s.Allocated.Objects += r.Allocated.Objects
			s.Allocated.Bytes += r.Allocated.Bytes
			s.AllocOps += n
		}
		if r.Server != 0 {
			s.PeakRSS = max(s.PeakRSS, r.After.HWM)
		}
	}
	if len(tp) == 0 {
		return s
	}
	s.Throughput, s.ThroughputMin, s.ThroughputMax = median(tp), slices.Min(tp), slices.Max(tp)
	s.P50 = median(p50)
	s.P99, s.P99Min, s.P99Max = median(p99), slices.Min(p99), slices.Max(p99)
	return s
}

// median of a non-empty slice (the lower middle for an even count, so it
// is a measured figure).
func median[T float64 | time.Duration](v []T) T {
	c := slices.Clone(v)
	slices.Sort(c)
	return c[(len(c)-1)/2]
}

// Ratios of one arm's throughput to another's, round by round: each pair
// ran next to each other, so the ratio is steadier than the throughputs.
func Ratios(a, b ArmRuns) []float64 {
	var out []float64
	for i := range min(len(a.Runs), len(b.Runs)) {
		if tb := b.Runs[i].Outcome.Stats.Throughput(); tb > 0 {
			out = append(out, a.Runs[i].Outcome.Stats.Throughput()/tb)
		}
	}
	return out
}

// PrintComparison writes the comparison as Markdown: a table of the arms,
// then the first arm's throughput as a share of each other's, round by
// round.
func PrintComparison(w io.Writer, arms []ArmRuns) {
	if len(arms) == 0 {
		return
	}
	first := arms[0].Runs
	if len(first) > 0 {
		c := first[0].Config
		fmt.Fprintf(w, "%d rounds of %s per arm, interleaved; %d clients; %d subscribers of seed %d\n\n",
			len(first), c.Loop.Duration, c.Loop.Clients, c.Subscribers, c.Seed)
	}
	fmt.Fprintln(w, "| arm | throughput (median, range) | p50 | p99 (median, range) | CPU an operation: server / PostgreSQL / load generator | allocated an operation | server peak RSS | errors |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, a := range arms {
		s := a.Summarize()
		per := func(d time.Duration) string {
			if s.Ops == 0 {
				return "–"
			}
			return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)/float64(s.Ops))
		}
		alloc := "–"
		if s.AllocOps > 0 {
			alloc = fmt.Sprintf("%.0f objects, %.1f kB", s.Allocated.Objects/float64(s.AllocOps), s.Allocated.Bytes/float64(s.AllocOps)/1000)
		}
		rss := "–"
		if s.PeakRSS > 0 {
			rss = MB(s.PeakRSS)
		}
		fmt.Fprintf(w, "| %s | %.1f/s (%.1f–%.1f) | %s | %s (%s–%s) | %s / %s / %s ms | %s | %s | %d |\n",
			s.Name, s.Throughput, s.ThroughputMin, s.ThroughputMax, ms(s.P50), ms(s.P99), ms(s.P99Min), ms(s.P99Max),
			per(s.CPU.Server), per(s.CPU.Postgres), per(s.CPU.Client), alloc, rss, s.Errors)
	}
	for _, b := range arms[1:] {
		r := Ratios(arms[0], b)
		if len(r) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s / %s throughput, round by round: median %.2f (%.2f–%.2f)", arms[0].Arm.Name, b.Arm.Name, median(r), slices.Min(r), slices.Max(r))
	}
	fmt.Fprintln(w)
}
