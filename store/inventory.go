package store

import (
	"context"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
)

// MaxHoldingsPerSubscriber bounds a subscriber's profile items: the notice
// lists about twenty categories, so anything near this is a feed bug, and
// the bound keeps every inventory read cheap.
const MaxHoldingsPerSubscriber = 500

// ListHoldings returns a subscriber's holdings, by category then collection
// time.
func (db *DB) ListHoldings(ctx context.Context, subscriberID string) ([]*models.Holding, error) {
	var rows []*models.Holding
	err := db.q(ctx).Where("subscriber_id = ?", subscriberID).
		Order("category, collected_at, id").Limit(MaxHoldingsPerSubscriber).Find(&rows).Error
	return rows, translate(err)
}

// holdingUpsertColumns are what feeding a holding again replaces.
var holdingUpsertColumns = []string{"category", "value_text", "value_cipher", "key_id", "source", "collected_at", "purge_after", "statute_from", "updated_at"}

// UpsertHoldings is UpsertHolding for many holdings, in one statement; a
// holding kept apart under a statute is updated where it is, so feeding it
// again never makes a second copy in use.
func (db *DB) UpsertHoldings(ctx context.Context, hs []*models.Holding) error {
	if len(hs) == 0 {
		return nil
	}
	ids := make([]string, len(hs))
	for i, h := range hs {
		normalizeTimes(&h.CollectedAt, h.PurgeAfter, h.StatuteFrom)
		ids[i] = h.ID
	}
	var kept []string
	if err := db.q(ctx).Table(db.dialect.apart("holdings")).Where("id IN ?", ids).Pluck("id", &kept).Error; err != nil {
		return translate(err)
	}
	inUse, apart := hs, []*models.Holding(nil)
	if len(kept) > 0 {
		inUse = nil
		for _, h := range hs {
			if slices.Contains(kept, h.ID) {
				apart = append(apart, h)
			} else {
				inUse = append(inUse, h)
			}
		}
	}
	for table, rows := range map[string][]*models.Holding{"holdings": inUse, db.dialect.apart("holdings"): apart} {
		if len(rows) == 0 {
			continue
		}
		err := db.q(ctx).Table(table).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "id"}},
			DoUpdates: clause.AssignmentColumns(holdingUpsertColumns),
		}).Create(&rows).Error
		if err != nil {
			return translate(err)
		}
	}
	return nil
}

// DeleteHoldingsExcept removes a subscriber's holdings of the given
// categories whose ids are not in keep, in use or kept apart: a feed that
// no longer sends an item means the operator no longer holds it.
func (db *DB) DeleteHoldingsExcept(ctx context.Context, subscriberID string, categories, keep []string) (int64, error) {
	var n int64
	for _, table := range []string{"holdings", db.dialect.apart("holdings")} {
		q := db.q(ctx).Table(table).Where("subscriber_id = ? AND category IN ?", subscriberID, categories)
		if len(keep) > 0 {
			q = q.Where("id NOT IN ?", keep)
		}
		res := q.Delete(&models.Holding{})
		if res.Error != nil {
			return n, translate(res.Error)
		}
		n += res.RowsAffected
	}
	return n, nil
}

// AppendRecords inserts records, skipping any whose (kind, external id) the
// subscriber already has, in use or kept apart, and returns how many were
// new.
func (db *DB) AppendRecords(ctx context.Context, recs []*models.Record) (int64, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	subs, exts := map[string]bool{}, make([]string, 0, len(recs))
	for _, r := range recs {
		normalizeTimes(&r.OccurredAt, r.PurgeAfter, r.StatuteFrom)
		subs[r.SubscriberID] = true
		exts = append(exts, r.ExternalID)
	}
	// A record fed again once kept apart stays there, alone.
	var kept []models.Record
	if err := db.q(ctx).Table(db.dialect.apart("records")).Select("subscriber_id, kind, external_id").
		Where("subscriber_id IN ? AND external_id IN ?", slices.Collect(maps.Keys(subs)), exts).Find(&kept).Error; err != nil {
		return 0, translate(err)
	}
	if len(kept) > 0 {
		type key struct{ sub, kind, ext string }
		there := make(map[key]bool, len(kept))
		for _, k := range kept {
			there[key{k.SubscriberID, k.Kind, k.ExternalID}] = true
		}
		recs = slices.DeleteFunc(slices.Clone(recs), func(r *models.Record) bool { return there[key{r.SubscriberID, r.Kind, r.ExternalID}] })
		if len(recs) == 0 {
			return 0, nil
		}
	}
	res := db.q(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "subscriber_id"}, {Name: "kind"}, {Name: "external_id"}},
		DoNothing: true,
	}).CreateInBatches(recs, 500)
	return res.RowsAffected, translate(res.Error)
}

// ListRecords returns up to Limit records and whether more follow. It is a
// keyset page on (occurred_at, id), served by the records_subscriber_* indexes.
// With p.Apart, the records kept apart under a statute are read too.
func (db *DB) ListRecords(ctx context.Context, p models.RecordPage) ([]*models.Record, bool, error) {
	v, err := once[recordsPage](ctx, db, db.recordsRead(p))
	return v.rows, v.more, err
}

// recordsPage is ListRecords' result.
type recordsPage struct {
	rows []*models.Record
	more bool
}

// recordsKey names ListRecords' read of a page: the page's fields, with
// its cursor by value.
type recordsKey struct {
	db                            *DB
	subscriberID, kind, unsentFor string
	after                         bool
	afterAt                       int64
	afterID                       int64
	limit                         int
	apart                         bool
}

func (db *DB) recordsRead(p models.RecordPage) read {
	k := recordsKey{db: db, subscriberID: p.SubscriberID, kind: p.Kind, unsentFor: p.UnsentFor, limit: p.Limit, apart: p.Apart}
	if p.After != nil {
		k.after, k.afterAt, k.afterID = true, p.After.OccurredAt.UnixNano(), p.After.ID
	}
	var rows []*models.Record
	return read{
		key: k,
		find: func(q *gorm.DB) *gorm.DB {
			const order = "occurred_at DESC, id DESC"
			cond, args := "subscriber_id = ?", []any{p.SubscriberID}
			if p.Kind != "" {
				cond, args = cond+" AND kind = ?", append(args, p.Kind)
			}
			if p.After != nil {
				t := clock.Stored(p.After.OccurredAt)
				cond, args = cond+" AND (occurred_at < ? OR (occurred_at = ? AND id < ?))", append(args, t, t, p.After.ID)
			}
			self := "records"
			switch {
			case p.Apart && p.UnsentFor == "":
				// The page of each side, then the page of both: each side
				// walks its (subscriber_id, occurred_at, id) index and stops
				// at the page's end, where an order on the union alone made
				// PostgreSQL read every record of the subscriber to sort them
				// (BENCHMARKS.md, "The home screen's hottest statement").
				expr, eargs := db.everywhereTop("records", cond, order, p.Limit+1, args...)
				q, self = q.Table(expr, eargs...), "t"
			case p.Apart:
				// Both sides filtered, the transmission's rest on the union,
				// which the planner pushes down to both indexes.
				expr, eargs := db.everywhere("records", cond, args...)
				q, self = q.Table(expr, eargs...), "t"
			default:
				q = q.Where(cond, args...)
			}
			if p.UnsentFor != "" {
				q = q.Where("NOT EXISTS (SELECT 1 FROM transmission_sent s WHERE s.subscriber_id = "+self+".subscriber_id AND s.request_id = ? AND s.record_id = "+self+".id)", p.UnsentFor)
			}
			return q.Order(order).Limit(p.Limit + 1).Find(&rows)
		},
		value: func(res *gorm.DB) (any, error) {
			if res.Error != nil {
				return recordsPage{}, translate(res.Error)
			}
			rs, more, _ := page(rows, p.Limit)
			return recordsPage{rs, more}, nil
		},
	}
}

// ListFeeIssues returns a subscriber's fee issues, open and resolved.
func (db *DB) ListFeeIssues(ctx context.Context, subscriberID string) ([]*models.FeeIssue, error) {
	return once[[]*models.FeeIssue](ctx, db, db.feeIssuesRead(subscriberID))
}

// feeIssuesKey names ListFeeIssues' read of a subscriber.
type feeIssuesKey struct {
	db           *DB
	subscriberID string
}

func (db *DB) feeIssuesRead(subscriberID string) read {
	var rows []*models.FeeIssue
	return read{
		key: feeIssuesKey{db, subscriberID},
		find: func(q *gorm.DB) *gorm.DB {
			return q.Where("subscriber_id = ?", subscriberID).Order("since, id").Limit(1000).Find(&rows)
		},
		value: func(res *gorm.DB) (any, error) { return rows, translate(res.Error) },
	}
}

// OpenFeeIssue opens an issue of the kind unless one of that kind is open.
func (db *DB) OpenFeeIssue(ctx context.Context, fi *models.FeeIssue) (opened bool, err error) {
	normalizeTimes(&fi.Since)
	var n int64
	if err := db.q(ctx).Model(&models.FeeIssue{}).
		Where("subscriber_id = ? AND kind = ? AND resolved_at IS NULL", fi.SubscriberID, fi.Kind).
		Count(&n).Error; err != nil {
		return false, translate(err)
	}
	if n > 0 {
		return false, nil
	}
	return true, translate(db.q(ctx).Create(fi).Error)
}

// ResolveFeeIssues closes the subscriber's open issues of the given kinds
// at the given time and returns how many it closed.
func (db *DB) ResolveFeeIssues(ctx context.Context, subscriberID string, kinds []models.FeeIssueKind, at time.Time) (int64, error) {
	normalizeTimes(&at)
	res := db.q(ctx).Model(&models.FeeIssue{}).
		Where("subscriber_id = ? AND kind IN ? AND resolved_at IS NULL", subscriberID, kinds).
		Update("resolved_at", at)
	return res.RowsAffected, translate(res.Error)
}

// RecordKeys pages through a subscriber's records by id, without their
// content, for rescheduling: those in use and those kept apart, since a
// change of facts may move the purge date of either.
func (db *DB) RecordKeys(ctx context.Context, subscriberID string, afterID int64, limit int) ([]models.RecordKeyRow, error) {
	var rows []models.RecordKeyRow
	expr, args := db.everywhere("records", "subscriber_id = ? AND id > ?", subscriberID, afterID)
	err := db.q(ctx).Table(expr, args...).Select("id, kind, occurred_at, purge_after, purge_clause, statute_from").
		Order("id").Limit(limit).Scan(&rows).Error
	return rows, translate(err)
}

// LastRecordAt returns the date of the subscriber's latest record of one of
// kinds, or nil if there is none: the tax clause counts a terminated
// customer's profile fields from their last fee record.
func (db *DB) LastRecordAt(ctx context.Context, subscriberID string, kinds []string) (*time.Time, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	// Fee records kept apart for tax count too: the calculus reads them,
	// it does not use them.
	var recs []models.Record
	expr, args := db.everywhere("records", "subscriber_id = ? AND kind IN ?", subscriberID, kinds)
	err := db.q(ctx).Table(expr, args...).Select("occurred_at").
		Order("occurred_at DESC").Limit(1).Find(&recs).Error
	if err != nil || len(recs) == 0 {
		return nil, translate(err)
	}
	t := recs[0].OccurredAt.UTC()
	return &t, nil
}
