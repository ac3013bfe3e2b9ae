package clock

import (
	"context"
	"testing"
	"time"
)

// Every passes at once, again on each tick, and returns when the context
// ends, with the pass given that context.
func TestEveryPassesAtOnceThenOnEachTickUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	passes := make(chan time.Time, 10)
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		Every(ctx, 20*time.Millisecond, func(pctx context.Context) {
			if pctx != ctx {
				t.Error("the pass was not given the job's context")
			}
			passes <- time.Now()
			if len(passes) == 3 {
				cancel()
			}
		})
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Every did not return after its context ended")
	}
	if len(passes) != 3 {
		t.Fatalf("%d passes, want 3 (the last one cancels)", len(passes))
	}
	first := <-passes
	if d := first.Sub(start); d >= 20*time.Millisecond {
		t.Errorf("the first pass came after %s, want at once", d)
	}
	<-passes
	third := <-passes
	if d := third.Sub(start); d < 40*time.Millisecond {
		t.Errorf("the third pass came after %s, want two intervals (40ms) at least", d)
	}
}
