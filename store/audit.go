package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
)

// auditChainLockID is the PostgreSQL advisory lock key that serialises
// appends to the audit chain ("audit" in ASCII). The audit_prune function
// in the migrations takes the same key.
const auditChainLockID int64 = 0x6175646974

// AppendAuditEvent locks the tail of the audit chain until the transaction
// ends, hands it to build and inserts the event build returns. Called
// outside a transaction it opens one: the lock is only meaningful inside.
func (db *DB) AppendAuditEvent(ctx context.Context, build func(tail models.AuditLink) (*models.AuditEvent, error)) error {
	if !db.inTx() {
		return db.InTx(ctx, func(tx *DB) error { return tx.AppendAuditEvent(ctx, build) })
	}
	if err := db.dialect.lockAuditChain(db.q(ctx)); err != nil {
		return translate(err)
	}
	tail, err := db.auditTail(ctx)
	if err != nil {
		return err
	}
	e, err := build(tail)
	if err != nil {
		return err
	}
	normalizeTimes(&e.OccurredAt)
	return translate(db.q(ctx).Create(e).Error)
}

// auditTail is the link the next event chains to: the newest event, or,
// before the first, the anchor's seed.
func (db *DB) auditTail(ctx context.Context) (models.AuditLink, error) {
	var tail models.AuditLink
	res := db.q(ctx).Raw("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").Scan(&tail)
	if res.Error != nil {
		return tail, translate(res.Error)
	}
	if res.RowsAffected > 0 {
		return tail, nil
	}
	a, err := db.AuditAnchor(ctx)
	if err != nil {
		return tail, err
	}
	return models.AuditLink{Seq: a.Seq - 1, Hash: a.PrevHash}, nil
}

// AuditAnchor returns the audit chain's anchor, the single row the
// migration seeds.
func (db *DB) AuditAnchor(ctx context.Context) (models.AuditAnchor, error) {
	var a models.AuditAnchor
	err := db.q(ctx).Where("id = 1").Take(&a).Error
	return a, translate(err)
}

// AuditEvent returns the audit event with seq, or ErrNotFound.
func (db *DB) AuditEvent(ctx context.Context, seq int64) (*models.AuditEvent, error) {
	var e models.AuditEvent
	if err := db.q(ctx).Where("seq = ?", seq).Take(&e).Error; err != nil {
		return nil, translate(err)
	}
	return &e, nil
}

// AuditChain returns up to limit audit events from seq from on, in chain
// order, by primary key.
func (db *DB) AuditChain(ctx context.Context, from int64, limit int) ([]*models.AuditEvent, error) {
	var rows []*models.AuditEvent
	err := db.q(ctx).Where("seq >= ?", from).Order("seq").Limit(limit).Find(&rows).Error
	return rows, translate(err)
}

// ListAuditEvents returns a keyset page of audit events, newest first,
// served by the audit_events_subject, _actor, _action and _time indexes.
func (db *DB) ListAuditEvents(ctx context.Context, q models.AuditQuery) ([]*models.AuditEvent, error) {
	g := db.q(ctx)
	// The trail names subscribers by their marker (markers.go): a filter
	// by a subscriber's id finds the events under their marker too.
	if q.ActorID != "" {
		g = g.Where("(actor_id = ? OR actor_id IN (SELECT marker FROM subscriber_markers WHERE subscriber_id = ?))", q.ActorID, q.ActorID)
	}
	if q.SubjectID != "" {
		g = g.Where("(subject_id = ? OR subject_id IN (SELECT marker FROM subscriber_markers WHERE subscriber_id = ?))", q.SubjectID, q.SubjectID)
	}
	if q.Action != "" {
		g = g.Where("action = ?", q.Action)
	}
	if q.From != nil {
		g = g.Where("occurred_at >= ?", q.From.UTC())
	}
	if q.To != nil {
		g = g.Where("occurred_at < ?", q.To.UTC())
	}
	if q.BeforeSeq > 0 {
		g = g.Where("seq < ?", q.BeforeSeq)
	}
	var rows []*models.AuditEvent
	if err := g.Order("seq DESC").Limit(q.Limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	return rows, db.unmarkAudit(ctx, rows)
}

// PruneAuditEvents removes the audit events before the first one that
// occurred at or after before (always keeping the newest), moving the
// chain's anchor to the first kept event; the database refuses it for any
// event younger than the retention period.
func (db *DB) PruneAuditEvents(ctx context.Context, before time.Time) (int64, error) {
	if !db.inTx() {
		var n int64
		err := db.InTx(ctx, func(tx *DB) error {
			var err error
			n, err = tx.PruneAuditEvents(ctx, before)
			return err
		})
		return n, err
	}
	n, err := db.dialect.pruneAudit(db.q(ctx), clock.Stored(before))
	return n, translate(err)
}

// pruneAuditPortable is the pruning the PostgreSQL audit_prune function
// does, in portable SQL, for a store without stored functions. It must run
// inside a transaction that serialises with appenders.
func pruneAuditPortable(tx *gorm.DB, before time.Time) (int64, error) {
	// The same 2 years as the triggers, on the same machine's clock.
	if before.After(time.Now().UTC().AddDate(-2, 0, 0)) {
		return 0, fmt.Errorf("audit events are kept 2 years: cannot prune up to %s", before.Format(time.RFC3339))
	}
	var a models.AuditAnchor
	if err := tx.Where("id = 1").Take(&a).Error; err != nil {
		return 0, err
	}
	var keep struct {
		Seq      int64
		PrevHash string
	}
	res := tx.Raw("SELECT seq, prev_hash FROM audit_events WHERE seq >= ? AND occurred_at >= ? ORDER BY seq LIMIT 1", a.Seq, before).Scan(&keep)
	if res.Error == nil && res.RowsAffected == 0 {
		res = tx.Raw("SELECT seq, prev_hash FROM audit_events ORDER BY seq DESC LIMIT 1").Scan(&keep)
	}
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected == 0 || keep.Seq <= a.Seq {
		return 0, nil
	}
	// The anchor moves first: the delete trigger lets go only of events
	// before it.
	err := tx.Model(&models.AuditAnchor{}).Where("id = 1").
		Updates(map[string]any{"seq": keep.Seq, "prev_hash": keep.PrevHash, "moved_at": clock.Stored(time.Now())}).Error
	if err != nil {
		return 0, err
	}
	del := tx.Where("seq < ?", keep.Seq).Delete(&models.AuditEvent{})
	return del.RowsAffected, del.Error
}

// inTx reports whether db is bound to a transaction.
func (db *DB) inTx() bool {
	_, ok := db.gorm.Statement.ConnPool.(gorm.TxCommitter)
	return ok
}
