package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
)

// maxConsentTopics bounds a subscriber's current consents: the notice has
// seven topics, so anything near this is a bug, and the bound keeps `me`
// cheap.
const maxConsentTopics = 100

// maxEventsPerRequest bounds the events one client request id can name: a
// request changes each topic at most once.
const maxEventsPerRequest = 100

// ListConsents returns the subscriber's current consents, by topic.
//
// Within one response that writes nothing (reqctx.WithMemo) they are read
// once: the inventory (for the optional items' clauses) and the consent
// list of the same home screen share the rows.
func (db *DB) ListConsents(ctx context.Context, subscriberID string) ([]*models.ConsentRow, error) {
	return shared[[]*models.ConsentRow](ctx, db, db.consentsRead(subscriberID))
}

// consentsKey names a subscriber's consent rows in a response's memo.
type consentsKey struct {
	db           *DB
	subscriberID string
}

func (db *DB) consentsRead(subscriberID string) read {
	var rows []*models.ConsentRow
	return read{
		key: consentsKey{db, subscriberID},
		find: func(q *gorm.DB) *gorm.DB {
			return q.Where("subscriber_id = ?", subscriberID).Order("topic").Limit(maxConsentTopics).Find(&rows)
		},
		value: func(res *gorm.DB) (any, error) { return rows, translate(res.Error) },
	}
}

// LockSubscriberFacts locks the subscriber's row until the transaction ends,
// in the mode the feeds' updates of the row take (FOR NO KEY UPDATE), so a
// consent change and a feed reschedule the subscriber's data one after the
// other and neither computes purge dates from facts the other is changing.
// SQLite has one writer and ignores the clause.
func (db *DB) LockSubscriberFacts(ctx context.Context, id string) error {
	var s models.Subscriber
	err := db.q(ctx).Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Select("id").Where("id = ?", id).Take(&s).Error
	return translate(err)
}

// SaveConsent writes a topic's current state. readSeq is the Seq the
// caller read: 0 inserts the first row; otherwise the row is replaced only
// if it is still at readSeq. A row written meanwhile by another
// transaction makes it ErrConflict.
func (db *DB) SaveConsent(ctx context.Context, c *models.ConsentRow, readSeq int64) error {
	normalizeTimes(&c.DatedAt, c.ReconfirmBy, c.ReconfirmNoticeAt, &c.UpdatedAt)
	if readSeq == 0 {
		return translate(db.q(ctx).Create(c).Error)
	}
	res := db.q(ctx).Model(&models.ConsentRow{}).
		Where("subscriber_id = ? AND topic = ? AND seq = ?", c.SubscriberID, c.Topic, readSeq).
		Updates(map[string]any{
			"state": c.State, "seq": c.Seq, "dated_at": c.DatedAt, "reconfirm_by": c.ReconfirmBy,
			"reconfirm_notice_at": c.ReconfirmNoticeAt, "policy_version": c.PolicyVersion,
			"receipt_id": c.ReceiptID, "digest": c.Digest, "updated_at": c.UpdatedAt,
		})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return errorf(ErrConflict, "consent %s changed concurrently", c.Topic)
	}
	return nil
}

// NoteReconfirmNotice records that a reconfirmation notice was issued at
// at and moves ReconfirmBy from was to next, provided the consent is still
// at seq with ReconfirmBy was; otherwise ErrConflict.
func (db *DB) NoteReconfirmNotice(ctx context.Context, subscriberID, topic string, seq int64, was, next, at time.Time) error {
	normalizeTimes(&was, &next, &at)
	res := db.q(ctx).Model(&models.ConsentRow{}).
		Where("subscriber_id = ? AND topic = ? AND seq = ? AND reconfirm_by = ?", subscriberID, topic, seq, was).
		Updates(map[string]any{"reconfirm_by": next, "reconfirm_notice_at": at, "updated_at": at})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return errorf(ErrConflict, "consent %s changed before its reconfirmation notice was recorded", topic)
	}
	return nil
}

// AppendConsentEvents appends events to the history. The database refuses
// any later update or deletion of them.
func (db *DB) AppendConsentEvents(ctx context.Context, evs []*models.ConsentEventRow) error {
	if len(evs) == 0 {
		return nil
	}
	for _, e := range evs {
		normalizeTimes(&e.OccurredAt, e.ReconfirmBy)
	}
	return translate(db.q(ctx).Create(evs).Error)
}

// ListConsentEvents returns up to Limit events of the subscriber's history,
// newest first, and whether more follow: a keyset page on (occurred_at,
// id), served by consent_events_history.
func (db *DB) ListConsentEvents(ctx context.Context, p models.ConsentEventPage) ([]*models.ConsentEventRow, bool, error) {
	q := db.q(ctx).Where("subscriber_id = ?", p.SubscriberID)
	if p.After != nil {
		t := clock.Stored(p.After.OccurredAt)
		q = q.Where("(occurred_at < ? OR (occurred_at = ? AND id < ?))", t, t, p.After.ID)
	}
	var rows []*models.ConsentEventRow
	if err := q.Order("occurred_at DESC, id DESC").Limit(p.Limit + 1).Find(&rows).Error; err != nil {
		return nil, false, translate(err)
	}
	more := len(rows) > p.Limit
	if more {
		rows = rows[:p.Limit]
	}
	return rows, more, nil
}

// GetConsentEvents returns the subscriber's events with the given receipt
// ids; ids of other subscribers' receipts are not found.
func (db *DB) GetConsentEvents(ctx context.Context, subscriberID string, receiptIDs []string) ([]*models.ConsentEventRow, error) {
	if len(receiptIDs) == 0 {
		return nil, nil
	}
	var rows []*models.ConsentEventRow
	err := db.q(ctx).Where("subscriber_id = ? AND receipt_id IN ?", subscriberID, receiptIDs).
		Order("id").Limit(len(receiptIDs)).Find(&rows).Error
	return rows, translate(err)
}

// ConsentEventsByRequest returns the events one client request wrote, in
// the order written.
func (db *DB) ConsentEventsByRequest(ctx context.Context, subscriberID, clientRequestID string) ([]*models.ConsentEventRow, error) {
	var rows []*models.ConsentEventRow
	err := db.q(ctx).Where("subscriber_id = ? AND client_request_id = ?", subscriberID, clientRequestID).
		Order("id").Limit(maxEventsPerRequest).Find(&rows).Error
	return rows, translate(err)
}

// GetConsentRequest returns a recorded client request id, or ErrNotFound.
func (db *DB) GetConsentRequest(ctx context.Context, subscriberID, clientRequestID string) (*models.ConsentRequestRow, error) {
	var r models.ConsentRequestRow
	if err := db.q(ctx).Where("subscriber_id = ? AND client_request_id = ?", subscriberID, clientRequestID).Take(&r).Error; err != nil {
		return nil, translate(err)
	}
	return &r, nil
}

// CreateConsentRequest records a client request id; ErrConflict if the
// subscriber already used it (or a concurrent request is using it).
func (db *DB) CreateConsentRequest(ctx context.Context, r *models.ConsentRequestRow) error {
	normalizeTimes(&r.CreatedAt)
	return translate(db.q(ctx).Create(r).Error)
}

// EnqueueOutbox adds a message to the outbox.
func (db *DB) EnqueueOutbox(ctx context.Context, m *models.OutboxRow) error {
	normalizeTimes(&m.DueBy, &m.CreatedAt)
	return translate(db.q(ctx).Create(m).Error)
}

// ListOutbox returns up to limit of the subscriber's outbox messages, in
// the order queued.
func (db *DB) ListOutbox(ctx context.Context, subscriberID string, limit int) ([]*models.OutboxRow, error) {
	var rows []*models.OutboxRow
	err := db.q(ctx).Where("subscriber_id = ?", subscriberID).Order("id").Limit(limit).Find(&rows).Error
	return rows, translate(err)
}

// ListReconfirmationsDue returns up to Limit granted consents whose
// reconfirmation falls on or before Until, earliest first, and whether more
// follow: a keyset page on (reconfirm_by, subscriber_id, topic), served by
// consents_reconfirm.
func (db *DB) ListReconfirmationsDue(ctx context.Context, p models.ReconfirmPage) ([]*models.ConsentRow, bool, error) {
	until := p.Until
	normalizeTimes(&until)
	// No reconfirmation notice goes to a subscriber who suspended marketing
	// processing (법 37): the portal sends nothing under a suspended purpose.
	q := db.q(ctx).Where("reconfirm_by IS NOT NULL AND reconfirm_by <= ?", until).Where(notSuspendedFor("consents", "MARKETING"))
	if a := p.After; a != nil {
		t := clock.Stored(a.ReconfirmBy)
		q = q.Where("(reconfirm_by > ? OR (reconfirm_by = ? AND (subscriber_id > ? OR (subscriber_id = ? AND topic > ?))))",
			t, t, a.SubscriberID, a.SubscriberID, a.Topic)
	}
	var rows []*models.ConsentRow
	if err := q.Order("reconfirm_by, subscriber_id, topic").Limit(p.Limit + 1).Find(&rows).Error; err != nil {
		return nil, false, translate(err)
	}
	more := len(rows) > p.Limit
	if more {
		rows = rows[:p.Limit]
	}
	return rows, more, nil
}
