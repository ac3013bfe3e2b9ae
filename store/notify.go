package store

import (
	"context"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/notify"
)

// notifyStore gives the deliverer *DB, with InTx typed in its terms.
type notifyStore struct{ *DB }

// InTx runs fn in one transaction with the store typed as notify.Store.
func (n notifyStore) InTx(ctx context.Context, fn func(notify.Store) error) error {
	return n.DB.InTx(ctx, func(tx *DB) error { return fn(notifyStore{tx}) })
}

// ForNotify returns the store as the notification deliverer needs it.
func (db *DB) ForNotify() notify.Store { return notifyStore{db} }

// outboxDue is when a pending row is due: its next attempt, or before the
// first, its creation. The outbox_due index is on this expression.
const outboxDue = "COALESCE(t.next_attempt_at, t.created_at)"

// outboxStatusColumns are the outbox columns of models.OutboxStatus: the row
// without its payload.
const outboxStatusColumns = "id, subscriber_id, kind, due_by, created_at, attempts, next_attempt_at, delivered_at, dead_at"

// ClaimOutbox selects up to c.Limit due rows in the order they fell due,
// locked against other claims and skipping those another claim holds
// (PostgreSQL; SQLite has one writer), then counts an attempt on each and
// leases it to c.Token until c.LeaseUntil, in one transaction. Served by
// outbox_due.
func (db *DB) ClaimOutbox(ctx context.Context, c notify.Claim) ([]*models.OutboxRow, error) {
	if c.Limit <= 0 {
		return nil, nil
	}
	var rows []*models.OutboxRow
	err := db.InTx(ctx, func(tx *DB) error {
		q := "SELECT t.id, t.subscriber_id, t.kind, t.payload, t.due_by, t.created_at, t.attempts FROM outbox t" +
			" WHERE t.delivered_at IS NULL AND t.dead_at IS NULL AND " + outboxDue + " <= ?" +
			" ORDER BY " + outboxDue + ", t.id LIMIT ?" + db.dialect.lockOutbox()
		if err := tx.q(ctx).Raw(q, utc(c.Now), c.Limit).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		subs, ids := make([]string, len(rows)), make([]int64, len(rows))
		for i, r := range rows {
			subs[i], ids[i] = r.SubscriberID, r.ID
			r.Attempts++
		}
		keys, args := db.dialect.itemKeys(subs, ids)
		args = append([]any{utc(c.LeaseUntil), c.Token}, args...)
		return tx.q(ctx).Exec("UPDATE outbox AS t SET attempts = attempts + 1, next_attempt_at = ?, claim_token = ? WHERE "+keys, args...).Error
	})
	if err != nil {
		return nil, translate(err)
	}
	for _, r := range rows {
		normalizeTimes(&r.DueBy, &r.CreatedAt)
	}
	return rows, nil
}

// ReleaseOutbox gives back rows token claimed but never posted: due at now,
// the attempt uncounted.
func (db *DB) ReleaseOutbox(ctx context.Context, token string, ks []notify.Key, now time.Time) error {
	if len(ks) == 0 {
		return nil
	}
	subs, ids := make([]string, len(ks)), make([]int64, len(ks))
	for i, k := range ks {
		subs[i], ids[i] = k.SubscriberID, k.ID
	}
	keys, args := db.dialect.itemKeys(subs, ids)
	args = append([]any{utc(now)}, args...)
	args = append(args, token)
	q := "UPDATE outbox AS t SET attempts = attempts - 1, next_attempt_at = ?, claim_token = NULL WHERE " + keys +
		" AND t.claim_token = ? AND t.delivered_at IS NULL AND t.dead_at IS NULL"
	return translate(db.q(ctx).Exec(q, args...).Error)
}

// RecordOutboxDelivery records one attempt at a message.
func (db *DB) RecordOutboxDelivery(ctx context.Context, d *models.OutboxDelivery) error {
	normalizeTimes(&d.AttemptedAt)
	return translate(db.q(ctx).Create(d).Error)
}

// MarkOutboxDelivered marks a row delivered, whichever claim holds it: a
// 2xx is the truth whoever learnt it, even after the deliverer gave up.
func (db *DB) MarkOutboxDelivered(ctx context.Context, k notify.Key, at time.Time) (bool, error) {
	res := db.q(ctx).Exec("UPDATE outbox SET delivered_at = ?, dead_at = NULL, next_attempt_at = NULL, claim_token = NULL"+
		" WHERE subscriber_id = ? AND id = ? AND delivered_at IS NULL", utc(at), k.SubscriberID, k.ID)
	return res.RowsAffected == 1, translate(res.Error)
}

// RescheduleOutbox makes a row due at next, if token still holds it.
func (db *DB) RescheduleOutbox(ctx context.Context, k notify.Key, token string, next time.Time) (bool, error) {
	res := db.q(ctx).Exec("UPDATE outbox SET next_attempt_at = ?, claim_token = NULL"+
		" WHERE subscriber_id = ? AND id = ? AND claim_token = ? AND delivered_at IS NULL AND dead_at IS NULL",
		utc(next), k.SubscriberID, k.ID, token)
	return res.RowsAffected == 1, translate(res.Error)
}

// MarkOutboxDead marks a row dead at at, if token still holds it.
func (db *DB) MarkOutboxDead(ctx context.Context, k notify.Key, token string, at time.Time) (bool, error) {
	res := db.q(ctx).Exec("UPDATE outbox SET dead_at = ?, next_attempt_at = NULL, claim_token = NULL"+
		" WHERE subscriber_id = ? AND id = ? AND claim_token = ? AND delivered_at IS NULL AND dead_at IS NULL",
		utc(at), k.SubscriberID, k.ID, token)
	return res.RowsAffected == 1, translate(res.Error)
}

// RequeueOutbox makes a dead row due at now with its attempts counted from
// zero again; it reports whether the row was dead.
func (db *DB) RequeueOutbox(ctx context.Context, k notify.Key, now time.Time) (bool, error) {
	res := db.q(ctx).Exec("UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = ?, claim_token = NULL"+
		" WHERE subscriber_id = ? AND id = ? AND dead_at IS NOT NULL", utc(now), k.SubscriberID, k.ID)
	return res.RowsAffected == 1, translate(res.Error)
}

// GetOutboxStatus returns a row's delivery state, or ErrNotFound.
func (db *DB) GetOutboxStatus(ctx context.Context, k notify.Key) (*models.OutboxStatus, error) {
	var s models.OutboxStatus
	err := db.q(ctx).Select(outboxStatusColumns).Where("subscriber_id = ? AND id = ?", k.SubscriberID, k.ID).Take(&s).Error
	if err != nil {
		return nil, translate(err)
	}
	return &s, nil
}

// ListDeadOutbox returns up to limit dead rows, most recently given up
// first, and whether more follow. Served by outbox_dead.
func (db *DB) ListDeadOutbox(ctx context.Context, limit int) ([]*models.OutboxStatus, bool, error) {
	var rows []*models.OutboxStatus
	err := db.q(ctx).Select(outboxStatusColumns).Where("dead_at IS NOT NULL").
		Order("dead_at DESC, subscriber_id, id").Limit(limit + 1).Find(&rows).Error
	if err != nil {
		return nil, false, translate(err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	return rows, more, nil
}

// ListOutboxDeliveries returns up to limit recorded attempts at a row, in
// the order made. Served by outbox_deliveries_message.
func (db *DB) ListOutboxDeliveries(ctx context.Context, k notify.Key, limit int) ([]*models.OutboxDelivery, error) {
	var rows []*models.OutboxDelivery
	err := db.q(ctx).Where("subscriber_id = ? AND outbox_id = ?", k.SubscriberID, k.ID).Order("id").Limit(limit).Find(&rows).Error
	return rows, translate(err)
}
