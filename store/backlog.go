package store

import (
	"context"
	"time"

	"github.com/xroshot/portal/notify"
)

// OutboxBacklog counts the outbox's pending, overdue and dead messages as
// of now, for the metrics: three counts and a minimum over partial indexes,
// never a payload.
func (db *DB) OutboxBacklog(ctx context.Context, now time.Time) (notify.Backlog, error) {
	var row struct {
		Pending int64
		Overdue int64
		Dead    int64
	}
	err := db.q(ctx).Raw(`SELECT
		COUNT(*) FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL) AS pending,
		COUNT(*) FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL AND due_by < ?) AS overdue,
		COUNT(*) FILTER (WHERE dead_at IS NOT NULL) AS dead
		FROM outbox`, now.UTC()).Scan(&row).Error
	if err != nil {
		return notify.Backlog{}, translate(err)
	}
	out := notify.Backlog{Pending: row.Pending, Overdue: row.Overdue, Dead: row.Dead}
	if row.Pending > 0 {
		var oldest struct{ CreatedAt time.Time }
		err := db.q(ctx).Raw(`SELECT created_at FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL ORDER BY created_at LIMIT 1`).Scan(&oldest).Error
		if err != nil {
			return notify.Backlog{}, translate(err)
		}
		out.OldestPending = oldest.CreatedAt.UTC()
	}
	return out, nil
}
