package store

import (
	"context"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
)

// ClosedRequests returns up to limit requests resolved or withdrawn at or
// before before, after the key after (nil from the start), oldest first:
// the candidates of the complaint-records clause. Requests of a subscriber
// under a hold on everything (a legal claim or dispute) are left out: the
// hold keeps them as it keeps the data.
func (db *DB) ClosedRequests(ctx context.Context, before time.Time, after *purge.RequestKey, limit int) ([]purge.ClosedRequest, error) {
	g := db.q(ctx).Table("requests r").Select("r.id, r.subscriber_id, r.type, r.resolved_at").
		Where("r.status IN ? AND r.resolved_at IS NOT NULL AND r.resolved_at <= ?",
			[]string{string(models.RequestResolved), string(models.RequestWithdrawn)}, utc(before)).
		Where("NOT EXISTS (SELECT 1 FROM holds h WHERE h.subscriber_id = r.subscriber_id AND h.all_items AND h.released_at IS NULL)")
	if after != nil {
		g = g.Where("(r.resolved_at > ? OR (r.resolved_at = ? AND r.id > ?))", utc(after.ResolvedAt), utc(after.ResolvedAt), after.ID)
	}
	var out []purge.ClosedRequest
	err := g.Order("r.resolved_at, r.id").Limit(limit).Scan(&out).Error
	return out, translate(err)
}

// DeleteRequests deletes the requests with ids, and with them (by their
// foreign keys) their events and comments, outcomes and access exports;
// it returns how many of each type went.
func (db *DB) DeleteRequests(ctx context.Context, ids []string) (map[string]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return db.countByCode(ctx, "DELETE FROM requests WHERE id IN ? RETURNING type", ids)
}

// noDataLeft is true for a row of alias r whose subscriber is terminated
// and has no holding and no record left, in use or kept apart: every copy
// of their data must be gone by then. An active subscriber without items
// yet (fed before their profile) is not such a subscriber: their notices
// still go out.
func (db *DB) noDataLeft() string {
	return "EXISTS (SELECT 1 FROM subscribers sx WHERE sx.id = r.subscriber_id AND sx.status = 'TERMINATED')" +
		" AND NOT EXISTS (SELECT 1 FROM holdings h WHERE h.subscriber_id = r.subscriber_id)" +
		" AND NOT EXISTS (SELECT 1 FROM records x WHERE x.subscriber_id = r.subscriber_id)" +
		" AND NOT EXISTS (SELECT 1 FROM " + db.dialect.apart("holdings") + " h WHERE h.subscriber_id = r.subscriber_id)" +
		" AND NOT EXISTS (SELECT 1 FROM " + db.dialect.apart("records") + " x WHERE x.subscriber_id = r.subscriber_id)"
}

// ScrubRequestTexts erases every free text and proposed value of the
// requests of subscribers with no data left — the reason, the resolution
// and extension texts, the verification reference, a correction's sealed
// value, and the notes of their events, comments and outcomes — keeping
// the structure (type, dates, status, codes) the complaint record is. It
// returns how many requests of each type it scrubbed. Outside a
// transaction it opens one only when there is something to scrub.
func (db *DB) ScrubRequestTexts(ctx context.Context) (map[string]int64, error) {
	const texts = "(r.reason <> '' OR r.resolution_text IS NOT NULL OR r.extension_reason IS NOT NULL OR r.verification_ref IS NOT NULL OR r.correction_cipher IS NOT NULL" +
		" OR EXISTS (SELECT 1 FROM request_events e WHERE e.request_id = r.id AND e.note IS NOT NULL)" +
		" OR EXISTS (SELECT 1 FROM request_outcomes o WHERE o.request_id = r.id AND o.note IS NOT NULL))"
	var ids []string
	// Only closed requests: staff still work an open one, reason and all.
	if err := db.q(ctx).Raw("SELECT r.id FROM requests r WHERE r.status IN (?, ?) AND "+texts+" AND "+db.noDataLeft(),
		string(models.RequestResolved), string(models.RequestWithdrawn)).Scan(&ids).Error; err != nil {
		return nil, translate(err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if !db.inTx() {
		// Found some: scrub them in one transaction, so a request is
		// never left half scrubbed.
		var out map[string]int64
		err := db.InTx(ctx, func(tx *DB) error {
			var err error
			out, err = tx.ScrubRequestTexts(ctx)
			return err
		})
		return out, err
	}
	for _, stmt := range []string{
		// An access export copies the data it answered with: it goes
		// with the data, not at its own expiry.
		"DELETE FROM request_exports WHERE request_id IN ?",
		"UPDATE request_events SET note = NULL WHERE request_id IN ? AND note IS NOT NULL",
		"UPDATE request_outcomes SET note = NULL WHERE request_id IN ? AND note IS NOT NULL",
	} {
		if err := db.q(ctx).Exec(stmt, ids).Error; err != nil {
			return nil, translate(err)
		}
	}
	return db.countByCode(ctx, "UPDATE requests SET reason = '', resolution_text = NULL, extension_reason = NULL, verification_ref = NULL,"+
		" correction_cipher = NULL, correction_key_id = NULL WHERE id IN ? RETURNING type", ids)
}

// DeleteSpentNotices deletes, with their delivery logs, the outbox notices
// delivered at or before delivered, those given up on at or before dead,
// and every notice of a subscriber with no data left, up to limit rows a
// statement; it returns how many of each kind went, per reason.
func (db *DB) DeleteSpentNotices(ctx context.Context, delivered, dead time.Time, limit int) (map[purge.NoticeReason]map[string]int64, error) {
	const (
		spentDelivered = "r.delivered_at IS NOT NULL AND r.delivered_at <= ?"
		spentDead      = "r.dead_at IS NOT NULL AND r.dead_at <= ?"
	)
	// A yearly usage notice keeps its outcome once its message goes:
	// settled from the outbox row before the row is deleted, so coverage
	// and me.lastUsageNotice still say NOTIFIED or FAILED.
	if err := db.q(ctx).Exec("UPDATE usage_notices SET status = (SELECT CASE WHEN o.delivered_at IS NOT NULL THEN ? ELSE ? END FROM outbox o"+
		" WHERE o.subscriber_id = usage_notices.subscriber_id AND o.id = usage_notices.outbox_id)"+
		" WHERE status = ? AND EXISTS (SELECT 1 FROM outbox r WHERE r.subscriber_id = usage_notices.subscriber_id AND r.id = usage_notices.outbox_id"+
		" AND (("+spentDelivered+") OR ("+spentDead+") OR ("+db.noDataLeft()+")))",
		string(models.UsageNoticeNotified), string(models.UsageNoticeFailed), string(models.UsageNoticeQueued), utc(delivered), utc(dead)).Error; err != nil {
		return nil, translate(err)
	}
	out := map[purge.NoticeReason]map[string]int64{}
	for {
		// One statement a batch: the reason each row goes is decided in
		// the RETURNING clause by the same conditions that chose it.
		rows, err := db.q(ctx).Raw("DELETE FROM outbox AS r WHERE (r.subscriber_id, r.id) IN (SELECT r.subscriber_id, r.id FROM outbox r WHERE ("+spentDelivered+") OR ("+spentDead+") OR ("+db.noDataLeft()+") LIMIT ?)"+
			" RETURNING kind, CASE WHEN delivered_at IS NOT NULL AND delivered_at <= ? THEN ? WHEN dead_at IS NOT NULL AND dead_at <= ? THEN ? ELSE ? END",
			utc(delivered), utc(dead), limit, utc(delivered), string(purge.NoticeDelivered), utc(dead), string(purge.NoticeDead), string(purge.NoticeNoData)).Rows()
		if err != nil {
			return nil, translate(err)
		}
		n := 0
		for rows.Next() {
			var kind, why string
			if err := rows.Scan(&kind, &why); err != nil {
				rows.Close()
				return nil, translate(err)
			}
			r := purge.NoticeReason(why)
			if out[r] == nil {
				out[r] = map[string]int64{}
			}
			out[r][kind]++
			n++
		}
		if err := rows.Close(); err != nil {
			return nil, translate(err)
		}
		if err := rows.Err(); err != nil {
			return nil, translate(err)
		}
		if n < limit {
			return out, nil
		}
	}
}

// countByCode runs a statement returning one code per row and counts
// the rows per code.
func (db *DB) countByCode(ctx context.Context, stmt string, args ...any) (map[string]int64, error) {
	rows, err := db.q(ctx).Raw(stmt, args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			return nil, translate(err)
		}
		out[code]++
	}
	return out, translate(rows.Err())
}
