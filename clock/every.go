package clock

import (
	"context"
	"time"
)

// Every runs pass at once and then every interval (on the wall clock: a
// job's rhythm, not a rule's date) until ctx ends. A pass that overruns
// the interval is followed by the next at once, never by two. The portal's
// background jobs (notification delivery, transmission) run on it.
func Every(ctx context.Context, interval time.Duration, pass func(ctx context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
