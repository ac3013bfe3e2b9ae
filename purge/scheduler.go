package purge

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// SchedulerActor is the actor purge runs started by the Scheduler record.
const SchedulerActor = "scheduler"

// Scheduler runs the purge inside the server every Interval. Every replica
// may run one: their runs never erase the same row twice.
type Scheduler struct {
	Purge    *Service
	Interval time.Duration
	// BatchSize is passed to each run; 0 for the default.
	BatchSize int
	// Logger receives each run's totals and errors; nil discards them.
	Logger *slog.Logger
}

// Run purges at once and then every Interval until ctx is done, when it
// returns nil. A failed run is logged and the next one tries again. A zero
// or negative Interval is refused at once.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.Interval <= 0 {
		return fmt.Errorf("purge: the interval must be positive, got %s", s.Interval)
	}
	if s.Purge == nil {
		return fmt.Errorf("purge: the scheduler has no purge service")
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		rep, err := s.Purge.Run(ctx, Options{Actor: SchedulerActor, BatchSize: s.BatchSize})
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.ErrorContext(ctx, "purge run failed", slog.Any("error", err))
		default:
			log.InfoContext(ctx, "purge run finished", slog.Int64("run", rep.RunID),
				slog.Int64("erased", rep.Erased), slog.Int64("skipped_held", rep.SkippedHeld),
				slog.Duration("took", rep.FinishedAt.Sub(rep.StartedAt)))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
