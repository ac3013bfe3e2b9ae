package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/xroshot/portal/models"
)

// maxActiveHoldRows bounds the one statement that reads a subscriber's
// active holds with their links. The holds domain keeps a subscriber's
// active links far below it (holds.MaxLinkedItems), so reaching it means
// that invariant was broken, and the read fails rather than show a partial
// scope.
const maxActiveHoldRows = 20000

// LockSubscriberForHold locks the subscriber's row until the transaction
// ends, so that a hold being placed and a purge batch erasing that
// subscriber's data take turns (dialect.lockSubscriber). ErrNotFound if
// there is no such subscriber.
func (db *DB) LockSubscriberForHold(ctx context.Context, subscriberID string) error {
	var id string
	err := db.q(ctx).Raw("SELECT id FROM subscribers WHERE id = ?"+db.dialect.lockSubscriber(), subscriberID).Row().Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return translate(err)
}

// CountHoldingsOf counts which of ids are holdings of the subscriber, in
// use or kept apart: a hold covers both.
func (db *DB) CountHoldingsOf(ctx context.Context, subscriberID string, ids []string) (int64, error) {
	var n int64
	if len(ids) == 0 {
		return 0, nil
	}
	expr, args := db.everywhere("holdings", "subscriber_id = ? AND id IN ?", subscriberID, ids)
	err := db.q(ctx).Table(expr, args...).Count(&n).Error
	return n, translate(err)
}

// CountRecordsOf counts which of ids are records of the subscriber, in use
// or kept apart.
func (db *DB) CountRecordsOf(ctx context.Context, subscriberID string, ids []int64) (int64, error) {
	var n int64
	if len(ids) == 0 {
		return 0, nil
	}
	expr, args := db.everywhere("records", "subscriber_id = ? AND id IN ?", subscriberID, ids)
	err := db.q(ctx).Table(expr, args...).Count(&n).Error
	return n, translate(err)
}

// CreateHold writes a hold and its item links.
func (db *DB) CreateHold(ctx context.Context, h *models.Hold) error {
	normalizeTimes(&h.PlacedAt, h.ReleasedAt)
	if err := db.q(ctx).Create(h).Error; err != nil {
		return translate(err)
	}
	if len(h.Items) == 0 {
		return nil
	}
	for i := range h.Items {
		h.Items[i].HoldID, h.Items[i].SubscriberID = h.ID, h.SubscriberID
	}
	return translate(db.q(ctx).CreateInBatches(h.Items, 500).Error)
}

// ReleaseHold sets the release time of an active hold and reports whether
// it was active.
func (db *DB) ReleaseHold(ctx context.Context, id string, at time.Time) (bool, error) {
	normalizeTimes(&at)
	res := db.q(ctx).Model(&models.Hold{}).Where("id = ? AND released_at IS NULL", id).Update("released_at", at)
	return res.RowsAffected > 0, translate(res.Error)
}

// GetHold returns a hold with its item links, or ErrNotFound.
func (db *DB) GetHold(ctx context.Context, id string) (*models.Hold, error) {
	var h models.Hold
	if err := db.q(ctx).Where("id = ?", id).Take(&h).Error; err != nil {
		return nil, translate(err)
	}
	if !h.AllItems {
		if err := db.q(ctx).Where("subscriber_id = ? AND hold_id = ?", h.SubscriberID, h.ID).
			Order("holding_id IS NULL, holding_id, record_id").Find(&h.Items).Error; err != nil {
			return nil, translate(err)
		}
	}
	return &h, nil
}

// holdLinkRow is one row of the active-holds join: a hold, and one of its
// links or none.
type holdLinkRow struct {
	models.Hold
	HoldingID *string
	RecordID  *int64
}

// ActiveHolds returns the subscriber's active holds with their item links,
// oldest first, in one statement: the inventory reads it once per request.
func (db *DB) ActiveHolds(ctx context.Context, subscriberID string) ([]*models.Hold, error) {
	return once[[]*models.Hold](ctx, db, db.activeHoldsRead(subscriberID))
}

// activeHoldsKey names ActiveHolds' read of a subscriber.
type activeHoldsKey struct {
	db           *DB
	subscriberID string
}

func (db *DB) activeHoldsRead(subscriberID string) read {
	var rows []holdLinkRow
	return read{
		key: activeHoldsKey{db, subscriberID},
		find: func(q *gorm.DB) *gorm.DB {
			return q.Raw(`SELECT h.id, h.subscriber_id, h.reason, h.all_items, h.source_ref, h.placed_by,
			h.placed_at, h.released_at, h.created_at, i.holding_id, i.record_id
		FROM holds h LEFT JOIN hold_items i ON i.subscriber_id = h.subscriber_id AND i.hold_id = h.id
		WHERE h.subscriber_id = ? AND h.released_at IS NULL
		ORDER BY h.placed_at, h.id, i.holding_id IS NULL, i.holding_id, i.record_id
		LIMIT ?`, subscriberID, maxActiveHoldRows+1).Find(&rows)
		},
		value: func(res *gorm.DB) (any, error) {
			if res.Error != nil {
				return []*models.Hold(nil), translate(res.Error)
			}
			if len(rows) > maxActiveHoldRows {
				return []*models.Hold(nil), fmt.Errorf("subscriber %s has more than %d active hold links", subscriberID, maxActiveHoldRows)
			}
			var out []*models.Hold
			for i := range rows {
				r := &rows[i]
				if len(out) == 0 || out[len(out)-1].ID != r.ID {
					h := r.Hold
					out = append(out, &h)
				}
				h := out[len(out)-1]
				if r.HoldingID != nil || r.RecordID != nil {
					h.Items = append(h.Items, models.HoldItem{HoldID: h.ID, SubscriberID: h.SubscriberID, HoldingID: r.HoldingID, RecordID: r.RecordID})
				}
			}
			return out, nil
		},
	}
}
