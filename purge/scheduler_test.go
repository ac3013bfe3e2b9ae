package purge_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

type countingObserver struct {
	mu            sync.Mutex
	runs, skipped int
}

func (o *countingObserver) ObservePurge(*purge.Report, error) {
	o.mu.Lock()
	o.runs++
	o.mu.Unlock()
}

func (o *countingObserver) ObservePurgeSkipped() {
	o.mu.Lock()
	o.skipped++
	o.mu.Unlock()
}

// A scheduler that does not get the lock skips its ticks (another replica
// is purging); one that gets it runs, and releases the lock after each run.
func TestSchedulerRunsOnlyUnderTheLock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, time.Time{})
		for _, tc := range []struct {
			name        string
			granted     bool
			wantRuns    bool
			wantSkipped bool
		}{
			{name: "lock held elsewhere", granted: false, wantSkipped: true},
			{name: "lock granted", granted: true, wantRuns: true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				obs := &countingObserver{}
				var mu sync.Mutex
				taken, released := 0, 0
				s := &purge.Scheduler{Purge: e.purge, Interval: 20 * time.Millisecond, Observer: obs,
					Lock: func(context.Context) (func(), bool, error) {
						mu.Lock()
						defer mu.Unlock()
						if !tc.granted {
							return nil, false, nil
						}
						taken++
						return func() { mu.Lock(); released++; mu.Unlock() }, true, nil
					}}
				// Stop once two ticks have been decided, however slow the
				// machine; the deadline only bounds a scheduler that never ticks.
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				go func() {
					for ctx.Err() == nil {
						obs.mu.Lock()
						n := obs.runs + obs.skipped
						obs.mu.Unlock()
						if n >= 2 {
							cancel()
							return
						}
						time.Sleep(5 * time.Millisecond)
					}
				}()
				if err := s.Run(ctx); err != nil {
					t.Fatal(err)
				}
				obs.mu.Lock()
				defer obs.mu.Unlock()
				if (obs.runs > 0) != tc.wantRuns || (obs.skipped > 0) != tc.wantSkipped {
					t.Errorf("runs=%d skipped=%d, want runs %v skipped %v", obs.runs, obs.skipped, tc.wantRuns, tc.wantSkipped)
				}
				mu.Lock()
				defer mu.Unlock()
				if taken != released {
					t.Errorf("lock taken %d times, released %d", taken, released)
				}
			})
		}
	})
}
