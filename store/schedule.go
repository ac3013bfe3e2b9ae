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
	at, statute instant
	clause      string
}

// instant is a comparable optional time.
type instant struct {
	micros int64 // UnixMicro
	dated  bool
}

func instantOf(t *time.Time) instant {
	if t == nil {
		return instant{}
	}
	return instant{micros: t.UnixMicro(), dated: true}
}

func (i instant) time() *time.Time {
	if !i.dated {
		return nil
	}
	t := time.UnixMicro(i.micros).UTC()
	return &t
}

func keyOf(s models.Schedule) scheduleKey {
	return scheduleKey{at: instantOf(s.PurgeAfter), statute: instantOf(s.StatuteFrom), clause: s.Clause}
}

func (k scheduleKey) columns() map[string]any {
	return map[string]any{"purge_after": k.at.time(), "purge_clause": k.clause, "statute_from": k.statute.time()}
}

// SetHoldingSchedules stores the calculus' purge dates and clauses for
// holdings, by id, wherever they are: in use or kept apart.
func (db *DB) SetHoldingSchedules(ctx context.Context, subscriberID string, s map[string]models.Schedule) error {
	return setSchedules(ctx, db, &models.Holding{}, "holdings", subscriberID, s)
}

// SetRecordSchedules stores the calculus' purge dates and clauses for
// records, by id, wherever they are.
func (db *DB) SetRecordSchedules(ctx context.Context, subscriberID string, s map[int64]models.Schedule) error {
	return setSchedules(ctx, db, &models.Record{}, "records", subscriberID, s)
}

// setSchedules updates the rows of table, and of the table keeping its
// rows apart, with one statement per distinct schedule and chunk of ids.
func setSchedules[ID comparable](ctx context.Context, db *DB, model any, table, subscriberID string, s map[ID]models.Schedule) error {
	groups := map[scheduleKey][]ID{}
	for id, sch := range s {
		k := keyOf(sch)
		groups[k] = append(groups[k], id)
	}
	for k, ids := range groups {
		for chunk := range slices.Chunk(ids, scheduleChunk) {
			for _, t := range []string{table, db.dialect.apart(table)} {
				err := db.q(ctx).Model(model).Table(t).Where("subscriber_id = ? AND id IN ?", subscriberID, chunk).
					Updates(k.columns()).Error
				if err != nil {
					return translate(err)
				}
			}
		}
	}
	return nil
}
