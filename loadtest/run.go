package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Op is one operation of a closed-loop client: one request, timed from the
// call to its return. r is the client's own random stream.
type Op func(ctx context.Context, r *rand.Rand) error

// Loop says how a run goes.
type Loop struct {
	// Clients run at once, each starting its next operation when the last
	// one returns (closed loop).
	Clients int
	// Duration is how long clients start new operations.
	Duration time.Duration
	// MaxOps, if positive, ends the run after that many operations in all.
	MaxOps int
	// Timeout bounds every operation, so a run ends at most Timeout after
	// Duration even when the server stops answering.
	Timeout time.Duration
	// Seed makes the clients' random streams repeatable.
	Seed uint64
}

// abortAfter is how many failures in a row, with no success at all, end a
// run early: a server that refuses everything is reported at once, not
// after the whole duration.
const abortAfter = 20

// ErrAllFailed ends a run whose first operations all failed.
var ErrAllFailed = errors.New("every operation failed")

// Outcome is what a run did: its figures, and a sample of its errors.
type Outcome struct {
	Stats Stats
	// ErrorSample counts the distinct error messages seen, at most a few.
	ErrorSample map[string]int
}

// Errors renders the error sample, most frequent first.
func (o Outcome) Errors() []string {
	type kv struct {
		msg string
		n   int
	}
	var all []kv
	for m, n := range o.ErrorSample {
		all = append(all, kv{m, n})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || all[i].n == all[j].n && all[i].msg < all[j].msg })
	out := make([]string, len(all))
	for i, e := range all {
		out[i] = fmt.Sprintf("%d× %s", e.n, e.msg)
	}
	return out
}

// maxErrorKinds bounds the error sample.
const maxErrorKinds = 5

// Run runs op in l.Clients closed-loop clients for l.Duration (or l.MaxOps
// operations) and returns the figures. It ends early, with ErrAllFailed
// wrapping the first error, when the first operations all fail.
func Run(ctx context.Context, l Loop, op Op) (Outcome, error) {
	if l.Clients <= 0 {
		return Outcome{}, errors.New("loadtest: at least one client")
	}
	if l.Duration <= 0 && l.MaxOps <= 0 {
		return Outcome{}, errors.New("loadtest: a duration or an operation count is needed")
	}
	if l.Timeout <= 0 {
		l.Timeout = 10 * time.Second
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		started  atomic.Int64
		ok       atomic.Int64
		failed   atomic.Int64
		mu       sync.Mutex
		sample   = map[string]int{}
		firstErr error
		lat      = make([]Latencies, l.Clients)
		wg       sync.WaitGroup
	)
	begin := time.Now()
	deadline := time.Time{}
	if l.Duration > 0 {
		deadline = begin.Add(l.Duration)
	}
	for c := range l.Clients {
		r := rand.New(rand.NewPCG(l.Seed, uint64(c)))
		wg.Go(func() {
			for ctx.Err() == nil {
				if !deadline.IsZero() && !time.Now().Before(deadline) {
					return
				}
				if l.MaxOps > 0 && started.Add(1) > int64(l.MaxOps) {
					return
				}
				octx, ocancel := context.WithTimeout(ctx, l.Timeout)
				t0 := time.Now()
				err := op(octx, r)
				d := time.Since(t0)
				ocancel()
				if err == nil {
					ok.Add(1)
					lat[c].Add(d)
					continue
				}
				if ctx.Err() != nil {
					// Cut short by the end of the run, not a failure of the server.
					return
				}
				n := failed.Add(1)
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				if _, seen := sample[err.Error()]; seen || len(sample) < maxErrorKinds {
					sample[err.Error()]++
				}
				mu.Unlock()
				if n >= abortAfter && ok.Load() == 0 {
					cancel(fmt.Errorf("%w (%d in a row); the first: %w", ErrAllFailed, n, firstErr))
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	if err := context.Cause(ctx); err != nil {
		return Outcome{}, err
	}
	var all Latencies
	for i := range lat {
		all.Merge(&lat[i])
	}
	st := Stats{OK: int(ok.Load()), Errors: int(failed.Load()), Elapsed: elapsed}
	all.Summarize(&st)
	return Outcome{Stats: st, ErrorSample: sample}, nil
}
