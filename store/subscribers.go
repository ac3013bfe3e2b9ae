package store

import (
	"context"

	"gorm.io/gorm/clause"

	"github.com/xroshot/portal/models"
)

// GetSubscriber returns one subscriber or ErrNotFound.
func (db *DB) GetSubscriber(ctx context.Context, id string) (*models.Subscriber, error) {
	var s models.Subscriber
	if err := db.q(ctx).Where("id = ?", id).Take(&s).Error; err != nil {
		return nil, translate(err)
	}
	return &s, nil
}

// GetSubscribers returns the subscribers with the given ids, keyed by id;
// missing ids are absent from the map.
func (db *DB) GetSubscribers(ctx context.Context, ids []string) (map[string]*models.Subscriber, error) {
	var rows []*models.Subscriber
	if err := db.q(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make(map[string]*models.Subscriber, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// UpsertSubscriber creates the subscriber or updates every fed field of an
// existing one, by the operator's id.
func (db *DB) UpsertSubscriber(ctx context.Context, s *models.Subscriber) error {
	normalizeTimes(&s.SignedUpAt, s.TerminatedAt, s.BillingSince)
	err := db.q(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"status", "signed_up_at", "terminated_at", "birth_date", "birth_date_cipher", "guardian_id", "billing_state", "billing_since", "updated_at"}),
	}).Create(s).Error
	return translate(err)
}

// CountSubscribers counts all subscribers; start-up uses it to tell an empty
// database from a used one.
func (db *DB) CountSubscribers(ctx context.Context) (int64, error) {
	var n int64
	err := db.q(ctx).Model(&models.Subscriber{}).Count(&n).Error
	return n, translate(err)
}
