package purge

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/models"
)

// LeaseTTL is how long a running purge may go without a heartbeat before
// the next run takes its process for dead and marks the run ABORTED. A run
// renews its heartbeat every LeaseTTL/5 from a goroutine of its own, so
// only a process that died (or froze for minutes) lets it lapse; replicas'
// wall clocks agree to well within it.
const LeaseTTL = 5 * time.Minute

// The audit actions of purge runs: each run is recorded when it starts and
// when it ends, with its tally (counts per clause, type and code — never
// values); a tally longer than one event continues in purge.run_counts
// events; a run whose process died is recorded as aborted by the run that
// finds it.
const (
	ActionRunStarted  = "purge.run_started"
	ActionRunFinished = "purge.run_finished"
	ActionRunCounts   = "purge.run_counts"
	ActionRunAborted  = "purge.run_aborted"
)

// auditJob names the purge as an actor in the audit trail when no
// principal started it.
const auditJob = "purge"

// Aborted is a run found dead and marked ABORTED, with the tally its
// recorded erasures prove.
type Aborted struct {
	Run    models.PurgeRun
	Counts []models.PurgeRunCount
}

// abortStale marks ABORTED the runs whose process died, each audited in
// the same transaction.
func (s *Service) abortStale(ctx context.Context) error {
	staleBefore := s.wall.Now().Add(-LeaseTTL)
	if any, err := s.store.HasStalePurgeRuns(ctx, staleBefore); err != nil || !any {
		return err
	}
	return s.store.InTx(ctx, func(tx Store) error {
		gone, err := tx.AbortStalePurgeRuns(ctx, staleBefore)
		if err != nil {
			return err
		}
		for _, a := range gone {
			counts := make([]Count, len(a.Counts))
			for i, c := range a.Counts {
				counts[i] = Count{Clause: c.Clause, Type: c.ItemType, Code: c.Code, Erased: c.Erased, SkippedHeld: c.SkippedHeld}
			}
			details := map[string]any{"run": a.Run.ID, "outcome": string(models.PurgeAborted), "dryRun": a.Run.DryRun, "erased": a.Run.Erased}
			if err := s.recordTally(ctx, tx, a.Run.ID, ActionRunAborted, details, counts); err != nil {
				return err
			}
		}
		return nil
	})
}

// start records the run and its start, audited, in one transaction.
func (s *Service) start(ctx context.Context, run *models.PurgeRun, clauses []string) error {
	beat := s.wall.Now()
	run.HeartbeatAt = &beat
	return s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreatePurgeRun(ctx, run); err != nil {
			return err
		}
		details := map[string]any{"run": run.ID, "dryRun": run.DryRun}
		if len(clauses) > 0 {
			details["clauses"] = clauses
		}
		return s.rec.Record(ctx, tx, audit.Event{Actor: audit.System(ctx, auditJob), Action: ActionRunStarted,
			TargetType: "purge_run", TargetID: strconv.FormatInt(run.ID, 10), Details: details})
	})
}

// heartbeat renews run id's lease until stop is closed.
func (s *Service) heartbeat(ctx context.Context, id int64, stop <-chan struct{}) {
	t := time.NewTicker(LeaseTTL / 5)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			// A failed renewal is retried at the next tick; the lease
			// outlasts four of them.
			_ = s.store.RenewPurgeLease(ctx, id, s.wall.Now())
		}
	}
}

// recordFinish audits how a run ended, with its tally, in tx.
func (s *Service) recordFinish(ctx context.Context, tx Store, rep *Report) error {
	details := map[string]any{
		"run": rep.RunID, "outcome": string(rep.Outcome), "dryRun": rep.DryRun,
		"erased": rep.Erased, "skippedHeld": rep.SkippedHeld, "deferred": rep.Deferred, "auditPruned": rep.AuditPruned,
		"exports": rep.ExportsDeleted, "movedApart": rep.MovedApart,
	}
	return s.recordTally(ctx, tx, rep.RunID, ActionRunFinished, details, rep.Counts)
}

// maxTallyBytes bounds the counts one audit event carries, well inside the
// trail's limit on details.
const maxTallyBytes = 1400

// recordTally records action with details and as much of counts as fits,
// and the rest in purge.run_counts events numbered part of parts.
func (s *Service) recordTally(ctx context.Context, tx Store, runID int64, action string, details map[string]any, counts []Count) error {
	var parts [][]string
	var cur []string
	size := 0
	for _, c := range counts {
		clause := c.Clause
		if clause == "" {
			clause = "UNRECORDED"
		}
		line := fmt.Sprintf("%s:%s:%s:%d:%d", clause, c.Type, c.Code, c.Erased, c.SkippedHeld)
		if size+len(line)+3 > maxTallyBytes && len(cur) > 0 {
			parts, cur, size = append(parts, cur), nil, 0
		}
		cur = append(cur, line)
		size += len(line) + 3
	}
	if len(cur) > 0 || len(parts) == 0 {
		parts = append(parts, cur)
	}
	actor, target := audit.System(ctx, auditJob), strconv.FormatInt(runID, 10)
	for i, p := range parts {
		d := details
		if i > 0 {
			action, d = ActionRunCounts, map[string]any{"run": runID}
		}
		d["counts"] = p
		if len(parts) > 1 {
			d["part"], d["parts"] = i+1, len(parts)
		}
		if err := s.rec.Record(ctx, tx, audit.Event{Actor: actor, Action: action, TargetType: "purge_run", TargetID: target, Details: d}); err != nil {
			return err
		}
	}
	return nil
}

// pruneAudit removes the audit events past the trail's retention, as of
// the earlier of the run's clock and the database's (the database refuses
// a cutoff inside the retention by its own clock).
func (s *Service) pruneAudit(ctx context.Context, now, dbNow time.Time) (int64, error) {
	at := now
	if dbNow.Before(at) {
		at = dbNow
	}
	return s.trail.Prune(ctx, at.AddDate(-audit.RetentionYears, 0, 0))
}
