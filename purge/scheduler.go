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
	// Lock, when set, is tried before each run; a tick that does not get it
	// is skipped. Replicas pass a database lock (store.TryLock), so that
	// however many run the scheduler, one purges at a time and the others
	// neither queue behind its row locks nor record empty runs beside it.
	Lock func(ctx context.Context) (release func(), ok bool, err error)
	// Observer is told of each run, failure and skipped tick; nil for none.
	Observer SchedulerObserver
}

// SchedulerObserver watches the scheduler's runs: the purge metrics.
type SchedulerObserver interface {
	// ObservePurge reports a run's report, or the error that ended it.
	ObservePurge(rep *Report, err error)
	// ObservePurgeSkipped reports a tick on which another runner held
	// the lock.
	ObservePurgeSkipped()
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
		s.tick(ctx, log)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// tick runs the purge once, if the lock (when there is one) is free.
func (s *Scheduler) tick(ctx context.Context, log *slog.Logger) {
	if s.Lock != nil {
		release, ok, err := s.Lock(ctx)
		switch {
		case ctx.Err() != nil:
			// Stopping: a lock taken as ctx ended is given back at once.
			if ok && release != nil {
				release()
			}
			return
		case err != nil:
			log.ErrorContext(ctx, "purge lock unavailable; run skipped", slog.Any("error", err))
			if s.Observer != nil {
				s.Observer.ObservePurge(nil, err)
			}
			return
		case !ok:
			log.InfoContext(ctx, "purge run skipped: another replica is purging")
			if s.Observer != nil {
				s.Observer.ObservePurgeSkipped()
			}
			return
		}
		defer release()
	}
	rep, err := s.Purge.Run(ctx, Options{Actor: SchedulerActor, BatchSize: s.BatchSize})
	if ctx.Err() != nil {
		return
	}
	if s.Observer != nil {
		s.Observer.ObservePurge(rep, err)
	}
	if err != nil {
		log.ErrorContext(ctx, "purge run failed", slog.Any("error", err))
		return
	}
	log.InfoContext(ctx, "purge run finished", slog.Int64("run", rep.RunID),
		slog.Int64("erased", rep.Erased), slog.Int64("skipped_held", rep.SkippedHeld),
		slog.Duration("took", rep.FinishedAt.Sub(rep.StartedAt)))
}
