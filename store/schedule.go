package store

import (
	"context"
	"slices"
	"time"

	"github.com/xroshot/portal/models"
)

// scheduleChunk bounds the ids of one UPDATE, under SQLite's parameter
// limit.
const scheduleChunk = 1000

// scheduleKey groups items that get the same purge date and clause, so
// rescheduling a subscriber costs one statement per distinct schedule, not
// one per item.
type scheduleKey struct {
	at     int64 // UnixMicro; 0 for no date
	dated  bool
	clause string
}

func keyOf(s models.Schedule) scheduleKey {
	if s.PurgeAfter == nil {
		return scheduleKey{clause: s.Clause}
	}
	return scheduleKey{at: s.PurgeAfter.UnixMicro(), dated: true, clause: s.Clause}
}

func (k scheduleKey) purgeAfter() *time.Time {
	if !k.dated {
		return nil
	}
	t := time.UnixMicro(k.at).UTC()
	return &t
}

// SetHoldingSchedules stores the calculus' purge dates and clauses for
// holdings, by id.
func (db *DB) SetHoldingSchedules(ctx context.Context, subscriberID string, s map[string]models.Schedule) error {
	groups := map[scheduleKey][]string{}
	for id, sch := range s {
		k := keyOf(sch)
		groups[k] = append(groups[k], id)
	}
	for k, ids := range groups {
		for chunk := range slices.Chunk(ids, scheduleChunk) {
			err := db.q(ctx).Model(&models.Holding{}).Where("subscriber_id = ? AND id IN ?", subscriberID, chunk).
				Updates(map[string]any{"purge_after": k.purgeAfter(), "purge_clause": k.clause}).Error
			if err != nil {
				return translate(err)
			}
		}
	}
	return nil
}

// SetRecordSchedules stores the calculus' purge dates and clauses for
// records, by id.
func (db *DB) SetRecordSchedules(ctx context.Context, subscriberID string, s map[int64]models.Schedule) error {
	groups := map[scheduleKey][]int64{}
	for id, sch := range s {
		k := keyOf(sch)
		groups[k] = append(groups[k], id)
	}
	for k, ids := range groups {
		for chunk := range slices.Chunk(ids, scheduleChunk) {
			err := db.q(ctx).Model(&models.Record{}).Where("subscriber_id = ? AND id IN ?", subscriberID, chunk).
				Updates(map[string]any{"purge_after": k.purgeAfter(), "purge_clause": k.clause}).Error
			if err != nil {
				return translate(err)
			}
		}
	}
	return nil
}
