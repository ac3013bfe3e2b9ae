package loadtest

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Stats are the figures of one run: how many operations succeeded and
// failed, in how long, and the latencies of the successful ones.
type Stats struct {
	// OK and Errors count finished operations.
	OK, Errors int
	// Elapsed is the measured wall time, from the first operation started
	// to the last one finished.
	Elapsed time.Duration
	// Min, P50, P90, P99 and Max are latencies of successful operations.
	Min, P50, P90, P99, Max time.Duration
	// Mean is the average latency of successful operations.
	Mean time.Duration
}

// Throughput is successful operations per second.
func (s Stats) Throughput() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.OK) / s.Elapsed.Seconds()
}

// String is one line: throughput, latencies and errors.
func (s Stats) String() string {
	return fmt.Sprintf("%d ok, %d errors in %s: %.1f/s; latency p50 %s, p90 %s, p99 %s, max %s (min %s, mean %s)",
		s.OK, s.Errors, s.Elapsed.Round(time.Millisecond), s.Throughput(),
		ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), ms(s.Min), ms(s.Mean))
}

// ms renders a latency in milliseconds with two decimals, the unit the
// targets are stated in.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// Latencies collects the latency of every operation of a run. A run of
// thirty seconds at a few thousand operations a second is a few hundred
// thousand samples: kept exactly, in a slice, and sorted once at the end.
// It is not safe for concurrent use: each client keeps its own and they
// are merged when the run ends.
type Latencies struct {
	samples []time.Duration
}

// Add records one latency.
func (l *Latencies) Add(d time.Duration) { l.samples = append(l.samples, d) }

// Merge adds every sample of o.
func (l *Latencies) Merge(o *Latencies) { l.samples = append(l.samples, o.samples...) }

// Len is the number of samples.
func (l *Latencies) Len() int { return len(l.samples) }

// Summarize sorts the samples and fills the latency fields of s.
func (l *Latencies) Summarize(s *Stats) {
	if len(l.samples) == 0 {
		return
	}
	slices.Sort(l.samples)
	var sum time.Duration
	for _, d := range l.samples {
		sum += d
	}
	s.Min, s.Max = l.samples[0], l.samples[len(l.samples)-1]
	s.Mean = sum / time.Duration(len(l.samples))
	s.P50, s.P90, s.P99 = Percentile(l.samples, 50), Percentile(l.samples, 90), Percentile(l.samples, 99)
}

// Percentile is the nearest-rank p-th percentile of sorted samples: the
// smallest sample that at least p percent of the samples do not exceed.
// It is zero for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}
