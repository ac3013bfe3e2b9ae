package store

import (
	"context"
	"time"

	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
)

// RenewPurgeLease records that run id's process is alive at at.
func (db *DB) RenewPurgeLease(ctx context.Context, id int64, at time.Time) error {
	err := db.q(ctx).Model(&models.PurgeRun{}).Where("id = ? AND outcome = ?", id, models.PurgeRunning).
		Update("heartbeat_at", utc(at)).Error
	return translate(err)
}

// HasStalePurgeRuns reports whether any RUNNING run's heartbeat is older
// than staleBefore (or missing): one probe, so that most runs need no
// transaction to find none.
func (db *DB) HasStalePurgeRuns(ctx context.Context, staleBefore time.Time) (bool, error) {
	var n int64
	err := db.q(ctx).Raw("SELECT COUNT(*) FROM purge_runs WHERE outcome = ? AND (heartbeat_at IS NULL OR heartbeat_at < ?)",
		models.PurgeRunning, utc(staleBefore)).Scan(&n).Error
	return n > 0, translate(err)
}

// AbortStalePurgeRuns marks ABORTED every RUNNING run whose heartbeat is
// older than staleBefore (or that has none: a run started before
// heartbeats existed), with the tally its recorded erasures prove — what
// it erased is known batch by batch, what it skipped is not — and returns
// them. Call it in a transaction; on PostgreSQL a run another replica is
// aborting at the same moment is skipped.
func (db *DB) AbortStalePurgeRuns(ctx context.Context, staleBefore time.Time) ([]purge.Aborted, error) {
	var runs []models.PurgeRun
	err := db.q(ctx).Raw("SELECT * FROM purge_runs t WHERE t.outcome = ? AND (t.heartbeat_at IS NULL OR t.heartbeat_at < ?) ORDER BY t.id"+db.dialect.lockDue(),
		models.PurgeRunning, utc(staleBefore)).Scan(&runs).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]purge.Aborted, 0, len(runs))
	for _, r := range runs {
		var counts []models.PurgeRunCount
		err := db.q(ctx).Raw("SELECT run_id, clause, item_type, code, SUM(count) AS erased, 0 AS skipped_held FROM erasures WHERE run_id = ? GROUP BY run_id, clause, item_type, code ORDER BY clause, item_type, code", r.ID).
			Scan(&counts).Error
		if err != nil {
			return nil, translate(err)
		}
		// The run ended, as far as anyone can tell, at its last heartbeat.
		end := r.StartedAt
		if r.HeartbeatAt != nil && r.HeartbeatAt.After(end) {
			end = *r.HeartbeatAt
		}
		end = utc(end)
		r.Erased, r.SkippedHeld = 0, 0
		for _, c := range counts {
			r.Erased += c.Erased
		}
		res := db.q(ctx).Model(&models.PurgeRun{}).Where("id = ? AND outcome = ?", r.ID, models.PurgeRunning).
			Updates(map[string]any{"outcome": models.PurgeAborted, "finished_at": end, "erased": r.Erased, "skipped_held": 0})
		if res.Error != nil {
			return nil, translate(res.Error)
		}
		if res.RowsAffected == 0 {
			continue
		}
		if len(counts) > 0 {
			if err := db.q(ctx).CreateInBatches(counts, 500).Error; err != nil {
				return nil, translate(err)
			}
		}
		r.Outcome, r.FinishedAt = models.PurgeAborted, &end
		out = append(out, purge.Aborted{Run: r, Counts: counts})
	}
	return out, nil
}

// AuditHead returns the newest event ever appended to the audit chain, as
// the chain's head row keeps it (seq 0 before the first).
func (db *DB) AuditHead(ctx context.Context) (models.AuditLink, error) {
	var h models.AuditLink
	err := db.q(ctx).Raw("SELECT seq, hash FROM audit_chain_head WHERE id = 1").Scan(&h).Error
	return h, translate(err)
}

// AuditLog returns the store as the audit trail needs it, for the purge's
// pruning of the trail.
func (p purgeStore) AuditLog() audit.LogStore { return p.DB.ForAudit() }
