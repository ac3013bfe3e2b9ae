package store

import (
	"context"

	"github.com/xroshot/portal/models"
)

// ListHeldOutcomes returns a subscriber's deletion outcomes still HELD, in
// the order they were decided: what deletions wait to carry out when their
// holds end. A refused deletion waits for nothing: its HELD outcomes only
// ground the refusal.
func (db *DB) ListHeldOutcomes(ctx context.Context, subscriberID string) ([]*models.RequestOutcome, error) {
	var rows []*models.RequestOutcome
	err := db.q(ctx).Where("subscriber_id = ? AND outcome = ?", subscriberID, "HELD").
		Where("NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = request_outcomes.request_id AND r.resolution = ?)", string(models.ResolutionRejected)).Order("id").
		Limit(MaxOutcomesPerRequest).Find(&rows).Error
	return rows, translate(err)
}

// UpdateOutcome rewrites an outcome decided again.
func (db *DB) UpdateOutcome(ctx context.Context, o *models.RequestOutcome) error {
	normalizeTimes(&o.DecidedAt, o.UntilAt)
	err := db.q(ctx).Model(&models.RequestOutcome{}).Where("subscriber_id = ? AND id = ?", o.SubscriberID, o.ID).
		Updates(map[string]any{
			"outcome": o.Outcome, "clause": o.Clause, "until_at": o.UntilAt, "hold_id": o.HoldID,
			"note": o.Note, "decided_at": o.DecidedAt,
		}).Error
	return translate(err)
}
