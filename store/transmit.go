package store

import (
	"context"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/transmit"
)

// transmitStore gives the transmission service *DB, with InTx typed in its
// terms.
type transmitStore struct{ *DB }

// InTx runs fn in one transaction with the store typed as transmit.Store.
func (t transmitStore) InTx(ctx context.Context, fn func(transmit.Store) error) error {
	return t.DB.InTx(ctx, func(tx *DB) error { return fn(transmitStore{tx}) })
}

// ForTransmit returns the store as the transmission service needs it.
func (db *DB) ForTransmit() transmit.Store { return transmitStore{db} }

// CreateRecipient admits a recipient.
func (db *DB) CreateRecipient(ctx context.Context, r *models.TransmissionRecipient) error {
	normalizeTimes(&r.CreatedAt, &r.UpdatedAt)
	return translate(db.q(ctx).Create(r).Error)
}

// SaveRecipient writes every field of a recipient.
func (db *DB) SaveRecipient(ctx context.Context, r *models.TransmissionRecipient) error {
	normalizeTimes(&r.CreatedAt, &r.UpdatedAt)
	return translate(db.q(ctx).Save(r).Error)
}

// GetRecipient returns a recipient, or ErrNotFound.
func (db *DB) GetRecipient(ctx context.Context, id string) (*models.TransmissionRecipient, error) {
	var r models.TransmissionRecipient
	if err := db.q(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, translate(err)
	}
	return &r, nil
}

// ListRecipients returns the registry by name.
func (db *DB) ListRecipients(ctx context.Context) ([]*models.TransmissionRecipient, error) {
	var rs []*models.TransmissionRecipient
	err := db.q(ctx).Order("name, id").Find(&rs).Error
	return rs, translate(err)
}

// CreateTransmission stores a new request; a reused idempotency key is
// ErrConflict.
func (db *DB) CreateTransmission(ctx context.Context, r *models.TransmissionRequest) error {
	normalizeTimes(&r.StartsAt, r.Until, &r.ExpiresAt, &r.FiledAt, &r.DueAt, r.AnsweredAt, r.NextDeliveryAt, &r.UpdatedAt)
	return translate(db.q(ctx).Create(r).Error)
}

// GetTransmission returns a request, or ErrNotFound.
func (db *DB) GetTransmission(ctx context.Context, id string) (*models.TransmissionRequest, error) {
	var r models.TransmissionRequest
	if err := db.q(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, translate(err)
	}
	return &r, nil
}

// GetTransmissionByKey returns the subscriber's request filed with key.
func (db *DB) GetTransmissionByKey(ctx context.Context, subscriberID, key string) (*models.TransmissionRequest, error) {
	var r models.TransmissionRequest
	if err := db.q(ctx).Where("subscriber_id = ? AND idempotency_key = ?", subscriberID, key).Take(&r).Error; err != nil {
		return nil, translate(err)
	}
	return &r, nil
}

// ListTransmissions returns the subscriber's requests, newest first.
func (db *DB) ListTransmissions(ctx context.Context, subscriberID string) ([]*models.TransmissionRequest, error) {
	var rs []*models.TransmissionRequest
	err := db.q(ctx).Where("subscriber_id = ?", subscriberID).Order("filed_at DESC, id").Limit(500).Find(&rs).Error
	return rs, translate(err)
}

// WithdrawTransmission ends an active request (or a completed one whose
// last delivery is still pending) and cancels its pending deliveries.
func (db *DB) WithdrawTransmission(ctx context.Context, subscriberID, id string, at time.Time) (bool, error) {
	at = utc(at)
	return db.endTransmission(ctx, subscriberID, id, at, "status = 'WITHDRAWN', withdrawn_at = ?", at)
}

// RefuseTransmission refuses an active request (or a completed one whose
// last delivery is still pending) for reason, by the staff member by, and
// cancels its pending deliveries.
func (db *DB) RefuseTransmission(ctx context.Context, subscriberID, id, reason, by string, at time.Time) (bool, error) {
	at = utc(at)
	return db.endTransmission(ctx, subscriberID, id, at, "status = 'REFUSED', reason_code = ?, refused_by = ?, refused_at = ?", reason, by, at)
}

// endTransmission sets what set says on a request that may still send
// something, leaving it no next delivery and no scheduler holding it, and
// cancels its pending deliveries, their payloads removed.
func (db *DB) endTransmission(ctx context.Context, subscriberID, id string, at time.Time, set string, setArgs ...any) (bool, error) {
	args := append(setArgs, at, subscriberID, id)
	res := db.q(ctx).Exec("UPDATE transmission_requests SET "+set+", next_delivery_at = NULL, claim_token = NULL, more_records = false, updated_at = ?"+
		" WHERE subscriber_id = ? AND id = ? AND (status = 'ACTIVE' OR (status = 'COMPLETED' AND EXISTS (SELECT 1 FROM transmission_deliveries d"+
		" WHERE d.subscriber_id = transmission_requests.subscriber_id AND d.request_id = transmission_requests.id AND d.status = 'PENDING')))",
		args...)
	if res.Error != nil || res.RowsAffected != 1 {
		return false, translate(res.Error)
	}
	err := db.q(ctx).Exec("UPDATE transmission_deliveries SET status = 'CANCELLED', payload_cipher = NULL, key_id = NULL, next_attempt_at = NULL, claim_token = NULL"+
		" WHERE subscriber_id = ? AND request_id = ? AND status = 'PENDING'", subscriberID, id).Error
	return err == nil, translate(err)
}

// ClaimDueTransmissions leases due active requests to token, skipping
// those another scheduler holds (PostgreSQL; SQLite has one writer).
func (db *DB) ClaimDueTransmissions(ctx context.Context, now time.Time, limit int, token string, leaseUntil time.Time) ([]*models.TransmissionRequest, error) {
	var rows []*models.TransmissionRequest
	err := db.InTx(ctx, func(tx *DB) error {
		q := "SELECT t.* FROM transmission_requests t WHERE t.status = 'ACTIVE' AND t.next_delivery_at IS NOT NULL AND t.next_delivery_at <= ?" +
			" ORDER BY t.next_delivery_at, t.id LIMIT ?" + db.dialect.lockOutbox()
		if err := tx.q(ctx).Raw(q, utc(now), limit).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		return tx.q(ctx).Exec("UPDATE transmission_requests SET next_delivery_at = ?, claim_token = ? WHERE id IN ?", utc(leaseUntil), token, ids).Error
	})
	if err != nil {
		return nil, translate(err)
	}
	for _, r := range rows {
		normalizeTimes(&r.StartsAt, r.Until, &r.ExpiresAt, &r.FiledAt, &r.DueAt, r.AnsweredAt, r.NextDeliveryAt)
	}
	return rows, nil
}

// AdvanceTransmission writes the scheduler's progress on a request it
// holds.
func (db *DB) AdvanceTransmission(ctx context.Context, r *models.TransmissionRequest, token string) (bool, error) {
	var next *time.Time
	if r.NextDeliveryAt != nil {
		t := utc(*r.NextDeliveryAt)
		next = &t
	}
	res := db.q(ctx).Exec("UPDATE transmission_requests SET deliveries = ?, periods = ?, more_records = ?, next_delivery_at = ?, status = ?, reason_code = ?, claim_token = NULL, updated_at = ?"+
		" WHERE id = ? AND claim_token = ? AND status = 'ACTIVE'", r.Deliveries, r.Periods, r.MoreRecords, next, string(r.Status), r.ReasonCode, utc(time.Now()), r.ID, token)
	return res.RowsAffected == 1, translate(res.Error)
}

// CreateDelivery stores a delivery; a second one of the same request and
// sequence is ErrConflict.
func (db *DB) CreateDelivery(ctx context.Context, d *models.TransmissionDelivery) error {
	normalizeTimes(&d.ScheduledFor, d.ExpiresAt, &d.CreatedAt)
	return translate(db.q(ctx).Create(d).Error)
}

// GetDelivery returns a delivery with its payload, or ErrNotFound.
func (db *DB) GetDelivery(ctx context.Context, id string) (*models.TransmissionDelivery, error) {
	var d models.TransmissionDelivery
	if err := db.q(ctx).Where("id = ?", id).Take(&d).Error; err != nil {
		return nil, translate(err)
	}
	return &d, nil
}

// ListDeliveries returns the deliveries of the subscriber's requests,
// without payloads, by request and sequence.
func (db *DB) ListDeliveries(ctx context.Context, subscriberID string, requestIDs []string) ([]*models.TransmissionDelivery, error) {
	var ds []*models.TransmissionDelivery
	if len(requestIDs) == 0 {
		return nil, nil
	}
	err := db.q(ctx).Omit("payload_cipher").Where("subscriber_id = ? AND request_id IN ?", subscriberID, requestIDs).
		Order("request_id, sequence").Find(&ds).Error
	return ds, translate(err)
}

// ClaimDeliveries takes up to limit pending deliveries due at now, counts
// an attempt on each and leases them to token.
func (db *DB) ClaimDeliveries(ctx context.Context, now time.Time, limit int, token string, leaseUntil time.Time) ([]*models.TransmissionDelivery, error) {
	var rows []*models.TransmissionDelivery
	err := db.InTx(ctx, func(tx *DB) error {
		q := "SELECT t.* FROM transmission_deliveries t WHERE t.status = 'PENDING' AND COALESCE(t.next_attempt_at, t.created_at) <= ?" +
			" ORDER BY COALESCE(t.next_attempt_at, t.created_at), t.id LIMIT ?" + db.dialect.lockOutbox()
		if err := tx.q(ctx).Raw(q, utc(now), limit).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
			r.Attempts++
		}
		return tx.q(ctx).Exec("UPDATE transmission_deliveries SET attempts = attempts + 1, next_attempt_at = ?, claim_token = ? WHERE id IN ?", utc(leaseUntil), token, ids).Error
	})
	return rows, translate(err)
}

// MarkSent records the records a delivery carries, in batches.
func (db *DB) MarkSent(ctx context.Context, rows []models.TransmissionSent) error {
	if len(rows) == 0 {
		return nil
	}
	return translate(db.q(ctx).CreateInBatches(rows, 500).Error)
}

// SentRecordIDs returns the ids of the records the request's documents
// carried.
func (db *DB) SentRecordIDs(ctx context.Context, subscriberID, requestID string) ([]int64, error) {
	var ids []int64
	err := db.q(ctx).Model(&models.TransmissionSent{}).Where("subscriber_id = ? AND request_id = ?", subscriberID, requestID).Pluck("record_id", &ids).Error
	return ids, translate(err)
}

// RecordAttempt records one attempt at a delivery.
func (db *DB) RecordAttempt(ctx context.Context, a *models.TransmissionAttempt) error {
	normalizeTimes(&a.AttemptedAt)
	return translate(db.q(ctx).Create(a).Error)
}

// ListAttempts returns a delivery's attempts in the order made.
func (db *DB) ListAttempts(ctx context.Context, subscriberID, deliveryID string) ([]*models.TransmissionAttempt, error) {
	var as []*models.TransmissionAttempt
	err := db.q(ctx).Where("subscriber_id = ? AND delivery_id = ?", subscriberID, deliveryID).Order("id").Limit(500).Find(&as).Error
	return as, translate(err)
}

// FinishDelivery records a claimed delivery's outcome.
func (db *DB) FinishDelivery(ctx context.Context, d *models.TransmissionDelivery, token string, st models.DeliveryStatus, at, next time.Time) (bool, error) {
	var q string
	args := []any{}
	switch st {
	case models.DeliveryDone:
		// A 2xx is the truth whoever learnt it.
		q = "UPDATE transmission_deliveries SET status = 'DELIVERED', delivered_at = ?, payload_cipher = NULL, key_id = NULL, next_attempt_at = NULL, claim_token = NULL" +
			" WHERE subscriber_id = ? AND id = ? AND status = 'PENDING'"
		args = append(args, utc(at), d.SubscriberID, d.ID)
	case models.DeliveryPending:
		q = "UPDATE transmission_deliveries SET next_attempt_at = ?, claim_token = NULL WHERE subscriber_id = ? AND id = ? AND claim_token = ? AND status = 'PENDING'"
		args = append(args, utc(next), d.SubscriberID, d.ID, token)
	case models.DeliveryFailed, models.DeliveryCancelled:
		q = "UPDATE transmission_deliveries SET status = ?, failed_at = ?, payload_cipher = NULL, key_id = NULL, next_attempt_at = NULL, claim_token = NULL" +
			" WHERE subscriber_id = ? AND id = ? AND claim_token = ? AND status = 'PENDING'"
		var failed *time.Time
		if st == models.DeliveryFailed {
			t := utc(at)
			failed = &t
		}
		args = append(args, string(st), failed, d.SubscriberID, d.ID, token)
	default:
		return false, errorf(ErrConflict, "no such delivery outcome %q", st)
	}
	r := db.q(ctx).Exec(q, args...)
	return r.RowsAffected == 1, translate(r.Error)
}

// ExpireDownloads removes the payloads of downloads expired at now.
func (db *DB) ExpireDownloads(ctx context.Context, now time.Time) (int64, error) {
	r := db.q(ctx).Exec("UPDATE transmission_deliveries SET status = 'EXPIRED', payload_cipher = NULL, key_id = NULL WHERE status = 'READY' AND expires_at <= ?", utc(now))
	return r.RowsAffected, translate(r.Error)
}
