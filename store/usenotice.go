package store

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"gorm.io/gorm/clause"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/usenotice"
)

// usenoticeStore gives the notice run *DB, with InTx typed in its terms.
type usenoticeStore struct{ *DB }

// InTx runs fn in one transaction with the store typed as usenotice.Store.
func (u usenoticeStore) InTx(ctx context.Context, fn func(usenotice.Store) error) error {
	return u.DB.InTx(ctx, func(tx *DB) error { return fn(usenoticeStore{tx}) })
}

// ForUsageNotice returns the store as the yearly notice run needs it.
func (db *DB) ForUsageNotice() usenotice.Store { return usenoticeStore{db} }

type noticeRun struct {
	Year       int `gorm:"primaryKey;autoIncrement:false"`
	Cursor     string
	LeaseToken *string
	LeaseUntil *time.Time
	StartedAt  time.Time
	FinishedAt *time.Time
}

func (noticeRun) TableName() string { return "usage_notice_runs" }

// StartNoticeRun takes the year's lease unless a live one is held, and
// returns where the last unfinished run stopped.
func (db *DB) StartNoticeRun(ctx context.Context, year int, token string, now, leaseUntil time.Time) (string, bool, error) {
	var cursor string
	ok := false
	err := db.InTx(ctx, func(tx *DB) error {
		if err := tx.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&noticeRun{Year: year, StartedAt: utc(now)}).Error; err != nil {
			return err
		}
		res := tx.q(ctx).Exec("UPDATE usage_notice_runs SET lease_token = ?, lease_until = ?, started_at = CASE WHEN finished_at IS NULL THEN started_at ELSE ? END, finished_at = NULL"+
			" WHERE year = ? AND (lease_token IS NULL OR lease_until < ?)", token, utc(leaseUntil), utc(now), year, utc(now))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return nil
		}
		ok = true
		return tx.q(ctx).Raw("SELECT cursor FROM usage_notice_runs WHERE year = ?", year).Scan(&cursor).Error
	})
	return cursor, ok, translate(err)
}

// AdvanceNoticeRun moves the cursor and renews the lease of token's run.
func (db *DB) AdvanceNoticeRun(ctx context.Context, year int, token, cursor string, leaseUntil time.Time) (bool, error) {
	res := db.q(ctx).Exec("UPDATE usage_notice_runs SET cursor = ?, lease_until = ? WHERE year = ? AND lease_token = ?", cursor, utc(leaseUntil), year, token)
	return res.RowsAffected == 1, translate(res.Error)
}

// FinishNoticeRun ends token's run: the cursor starts again from the
// beginning next time, which then reaches only subscribers added since.
func (db *DB) FinishNoticeRun(ctx context.Context, year int, token string, now time.Time) error {
	return translate(db.q(ctx).Exec("UPDATE usage_notice_runs SET cursor = '', lease_token = NULL, lease_until = NULL, finished_at = ? WHERE year = ? AND lease_token = ?",
		utc(now), year, token).Error)
}

// ReleaseNoticeRun releases token's lease, keeping the cursor.
func (db *DB) ReleaseNoticeRun(ctx context.Context, year int, token string) error {
	return translate(db.q(ctx).Exec("UPDATE usage_notice_runs SET lease_token = NULL, lease_until = NULL WHERE year = ? AND lease_token = ?", year, token).Error)
}

// NoticeBatch returns the next subscribers without a notice for the year.
func (db *DB) NoticeBatch(ctx context.Context, year int, after string, to time.Time, limit int) ([]usenotice.Subject, error) {
	var out []usenotice.Subject
	err := db.q(ctx).Raw("SELECT s.id, s.status FROM subscribers s WHERE s.id > ? AND s.signed_up_at < ?"+
		" AND NOT EXISTS (SELECT 1 FROM usage_notices n WHERE n.subscriber_id = s.id AND n.year = ?) ORDER BY s.id LIMIT ?", after, utc(to), year, limit).Scan(&out).Error
	return out, translate(err)
}

// NoticeFacts reads a batch's facts in four grouped statements.
func (db *DB) NoticeFacts(ctx context.Context, ids []string, from, to time.Time) (*usenotice.Facts, error) {
	f := &usenotice.Facts{Categories: map[string][]string{}, Records: map[string]map[string]int{}, Marketing: map[string]bool{}, Deliveries: map[string][]usenotice.Delivery{}, ContactApart: map[string]bool{}}
	var cats []struct{ SubscriberID, Category string }
	if err := db.q(ctx).Raw("SELECT DISTINCT subscriber_id, category FROM holdings WHERE subscriber_id IN ? ORDER BY subscriber_id, category", ids).Scan(&cats).Error; err != nil {
		return nil, translate(err)
	}
	for _, c := range cats {
		f.Categories[c.SubscriberID] = append(f.Categories[c.SubscriberID], c.Category)
	}
	// Whether a contact item is kept apart, and nothing else of it: the
	// notice says why it was not sent.
	var apart []string
	if err := db.q(ctx).Raw("SELECT DISTINCT subscriber_id FROM "+db.dialect.apart("holdings")+" WHERE subscriber_id IN ? AND category IN ?", ids, usenotice.ContactCategories).Scan(&apart).Error; err != nil {
		return nil, translate(err)
	}
	for _, id := range apart {
		f.ContactApart[id] = true
	}
	var recs []struct {
		SubscriberID, Kind string
		N                  int
	}
	if err := db.q(ctx).Raw("SELECT subscriber_id, kind, COUNT(*) AS n FROM records WHERE subscriber_id IN ? AND occurred_at >= ? AND occurred_at < ? GROUP BY subscriber_id, kind",
		ids, utc(from), utc(to)).Scan(&recs).Error; err != nil {
		return nil, translate(err)
	}
	for _, r := range recs {
		if f.Records[r.SubscriberID] == nil {
			f.Records[r.SubscriberID] = map[string]int{}
		}
		f.Records[r.SubscriberID][r.Kind] = r.N
	}
	// A marketing consent stood in the year if it is granted now and was
	// given before the year ended, or was withdrawn during the year.
	var mk []string
	if err := db.q(ctx).Raw("SELECT DISTINCT subscriber_id FROM consents WHERE subscriber_id IN ? AND topic LIKE 'marketing.%'"+
		" AND ((state = 'GRANTED' AND dated_at < ?) OR (state = 'WITHDRAWN' AND dated_at >= ?))", ids, utc(to), utc(from)).Scan(&mk).Error; err != nil {
		return nil, translate(err)
	}
	for _, id := range mk {
		f.Marketing[id] = true
	}
	var ds []struct {
		SubscriberID, Name, Categories, RecordKinds string
		N                                           int
	}
	// A period whose records took several documents is one delivery.
	if err := db.q(ctx).Raw("SELECT d.subscriber_id, rc.name, r.categories, r.record_kinds, COUNT(DISTINCT d.request_id || ':' || CAST(d.period AS text)) AS n FROM transmission_deliveries d"+
		" JOIN transmission_requests r ON r.subscriber_id = d.subscriber_id AND r.id = d.request_id JOIN transmit_recipients rc ON rc.id = r.recipient_id"+
		" WHERE d.subscriber_id IN ? AND d.status = 'DELIVERED' AND d.delivered_at >= ? AND d.delivered_at < ?"+
		" GROUP BY d.subscriber_id, rc.name, r.categories, r.record_kinds ORDER BY d.subscriber_id, rc.name", ids, utc(from), utc(to)).Scan(&ds).Error; err != nil {
		return nil, translate(err)
	}
	for _, d := range ds {
		var c, k []string
		_ = json.Unmarshal([]byte(d.Categories), &c)
		_ = json.Unmarshal([]byte(d.RecordKinds), &k)
		codes := slices.Concat(c, k)
		// Two requests to one recipient are one line, with their codes
		// merged and their deliveries added.
		list := f.Deliveries[d.SubscriberID]
		if i := slices.IndexFunc(list, func(x usenotice.Delivery) bool { return x.Recipient == d.Name }); i >= 0 {
			list[i].Count += d.N
			list[i].Categories = slices.Compact(slices.Sorted(slices.Values(slices.Concat(list[i].Categories, codes))))
			continue
		}
		slices.Sort(codes)
		f.Deliveries[d.SubscriberID] = append(list, usenotice.Delivery{SubscriberID: d.SubscriberID, Recipient: d.Name, Categories: slices.Compact(codes), Count: d.N})
	}
	return f, nil
}

// SaveNotices writes a batch's outbox messages, then its notices with the
// ids of their messages.
func (db *DB) SaveNotices(ctx context.Context, notices []*models.UsageNotice, outbox []*models.OutboxRow) error {
	var msgs []*models.OutboxRow
	for _, m := range outbox {
		if m != nil {
			normalizeTimes(&m.DueBy, &m.CreatedAt)
			msgs = append(msgs, m)
		}
	}
	if len(msgs) > 0 {
		if err := db.q(ctx).CreateInBatches(msgs, 500).Error; err != nil {
			return translate(err)
		}
	}
	for i, n := range notices {
		normalizeTimes(&n.CreatedAt)
		if outbox[i] != nil {
			id := outbox[i].ID
			n.OutboxID = &id
		}
	}
	if len(notices) == 0 {
		return nil
	}
	return translate(db.q(ctx).CreateInBatches(notices, 500).Error)
}

// NoticeCoverage counts the year's notices by outcome: a queued notice is
// NOTIFIED once the gateway accepted its message, FAILED once the
// deliverer gave up, PENDING before either.
func (db *DB) NoticeCoverage(ctx context.Context, year int, to time.Time) (*models.UsageNoticeCoverage, error) {
	var rows []struct {
		Outcome string
		N       int
	}
	err := db.q(ctx).Raw("SELECT CASE WHEN n.status <> 'QUEUED' THEN n.status WHEN o.delivered_at IS NOT NULL THEN 'NOTIFIED' WHEN o.dead_at IS NOT NULL THEN 'FAILED' ELSE 'PENDING' END AS outcome,"+
		" COUNT(*) AS n FROM usage_notices n LEFT JOIN outbox o ON o.subscriber_id = n.subscriber_id AND o.id = n.outbox_id WHERE n.year = ? GROUP BY 1", year).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	c := &models.UsageNoticeCoverage{Year: year}
	for _, r := range rows {
		switch r.Outcome {
		case "NOTIFIED":
			c.Notified = r.N
		case "FAILED":
			c.Failed = r.N
		case "PENDING":
			c.Pending = r.N
		case string(models.UsageNoticeSkippedNoContact):
			c.SkippedNoContact = r.N
		case string(models.UsageNoticeSkippedStatuteOnly):
			c.SkippedStatuteOnly = r.N
		}
	}
	var remaining int64
	err = db.q(ctx).Raw("SELECT COUNT(*) FROM subscribers s WHERE s.signed_up_at < ? AND NOT EXISTS (SELECT 1 FROM usage_notices n WHERE n.subscriber_id = s.id AND n.year = ?)",
		utc(to), year).Scan(&remaining).Error
	c.Remaining = int(remaining)
	return c, translate(err)
}

// LastNotice returns the subscriber's latest notice with its outcome.
func (db *DB) LastNotice(ctx context.Context, subscriberID string) (*models.UsageNotice, error) {
	var n models.UsageNotice
	if err := db.q(ctx).Where("subscriber_id = ?", subscriberID).Order("year DESC").Take(&n).Error; err != nil {
		return nil, translate(err)
	}
	n.Outcome = string(n.Status)
	if n.Status == models.UsageNoticeQueued && n.OutboxID != nil {
		var o models.OutboxStatus
		err := db.q(ctx).Model(&models.OutboxRow{}).Select(outboxStatusColumns).Where("subscriber_id = ? AND id = ?", subscriberID, *n.OutboxID).Take(&o).Error
		switch {
		case err != nil:
			n.Outcome = "PENDING"
		case o.DeliveredAt != nil:
			n.Outcome = "NOTIFIED"
		case o.DeadAt != nil:
			n.Outcome = "FAILED"
		default:
			n.Outcome = "PENDING"
		}
	}
	return &n, nil
}
