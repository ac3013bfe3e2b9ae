package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
)

// itemTable is how the purge's SQL names one kind of personal-data row.
type itemTable struct {
	table string // holdings or records
	code  string // the column of the category or record kind
	link  string // the hold_items column linking a hold to such a row
}

func tableOf(t models.ItemType) itemTable {
	if t == models.ItemHolding {
		return itemTable{table: "holdings", code: "category", link: "holding_id"}
	}
	return itemTable{table: "records", code: "kind", link: "record_id"}
}

// held is true for a row of alias t that an active hold covers: one on
// everything of its subscriber, or one linked to the row itself. Both are
// index probes (holds_active_all; hold_items_holding / hold_items_record).
func (it itemTable) held() string {
	return "(EXISTS (SELECT 1 FROM holds h WHERE h.subscriber_id = t.subscriber_id AND h.all_items AND h.released_at IS NULL)" +
		" OR EXISTS (SELECT 1 FROM hold_items i JOIN holds h ON h.subscriber_id = i.subscriber_id AND h.id = i.hold_id" +
		" WHERE i.subscriber_id = t.subscriber_id AND i." + it.link + " = t.id AND h.released_at IS NULL))"
}

// Outlook reads, in one statement, what a purge run checks before it
// starts: the database's clock and the start of the latest finished run
// (for the clock-skew check), and whether any holding or record is due at
// now (a type with none is not walked at all).
func (db *DB) Outlook(ctx context.Context, now time.Time) (purge.Outlook, error) {
	var (
		dbNow, last    any
		holdings, recs bool
		out            purge.Outlook
	)
	err := db.q(ctx).Raw("SELECT "+db.dialect.nowExpr()+
		", (SELECT started_at FROM purge_runs WHERE finished_at IS NOT NULL ORDER BY started_at DESC LIMIT 1)"+
		", EXISTS (SELECT 1 FROM holdings WHERE purge_after <= ?), EXISTS (SELECT 1 FROM records WHERE purge_after <= ?)",
		utc(now), utc(now)).Row().Scan(&dbNow, &last, &holdings, &recs)
	if err != nil {
		return out, translate(err)
	}
	if out.DatabaseNow, err = asTime(dbNow); err != nil {
		return out, err
	}
	if last != nil {
		t, err := asTime(last)
		if err != nil {
			return out, err
		}
		out.LastStart = &t
	}
	out.Due = map[models.ItemType]bool{models.ItemHolding: holdings, models.ItemRecord: recs}
	return out, nil
}

// asTime reads an instant from a computed column: a time on PostgreSQL, a
// text in one of the store's formats on SQLite, where computed columns have
// no declared type.
func asTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case []byte:
		return asTime(string(x))
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999", time.RFC3339Nano} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("store: %q is not a time", x)
	}
	return time.Time{}, fmt.Errorf("store: %T is not a time", v)
}

// LatestFinishedRun returns the purge run that started last among those
// that finished, or ErrNotFound.
func (db *DB) LatestFinishedRun(ctx context.Context) (*models.PurgeRun, error) {
	var r models.PurgeRun
	err := db.q(ctx).Where("finished_at IS NOT NULL").Order("started_at DESC, id DESC").Take(&r).Error
	if err != nil {
		return nil, translate(err)
	}
	return &r, nil
}

// CreatePurgeRun records the start of a run and sets its id.
func (db *DB) CreatePurgeRun(ctx context.Context, r *models.PurgeRun) error {
	normalizeTimes(&r.StartedAt)
	return translate(db.q(ctx).Create(r).Error)
}

// FinishPurgeRun records how a run ended and its tally; call it in a
// transaction when there are counts.
func (db *DB) FinishPurgeRun(ctx context.Context, r *models.PurgeRun, counts []models.PurgeRunCount) error {
	normalizeTimes(r.FinishedAt)
	err := db.q(ctx).Model(&models.PurgeRun{}).Where("id = ?", r.ID).Updates(map[string]any{
		"finished_at": r.FinishedAt, "outcome": r.Outcome, "erased": r.Erased, "skipped_held": r.SkippedHeld,
	}).Error
	if err != nil {
		return translate(err)
	}
	if len(counts) == 0 {
		return nil
	}
	for i := range counts {
		counts[i].RunID = r.ID
	}
	return translate(db.q(ctx).CreateInBatches(counts, 500).Error)
}

// GetPurgeRun returns a run with its tally, or ErrNotFound.
func (db *DB) GetPurgeRun(ctx context.Context, id int64) (*models.PurgeRun, []models.PurgeRunCount, error) {
	var r models.PurgeRun
	if err := db.q(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, nil, translate(err)
	}
	var counts []models.PurgeRunCount
	err := db.q(ctx).Where("run_id = ?", id).Order("clause, item_type, code").Find(&counts).Error
	return &r, counts, translate(err)
}

// LockDue returns up to q.Limit due rows of q.Type after q.After in
// (purge_after, subscriber_id, id) order, each flagged if an active hold
// covers it, locked for this transaction on PostgreSQL; rows other
// transactions hold are skipped. Served by the holdings_due / records_due
// indexes; held rows come back too, so that a run counts them as it passes
// them, once, instead of aggregating them apart.
func (db *DB) LockDue(ctx context.Context, q purge.DueQuery) ([]purge.Item, error) {
	it := tableOf(q.Type)
	var sb strings.Builder
	args := make([]any, 0, 6)
	fmt.Fprintf(&sb, "SELECT t.subscriber_id, t.id, t.%s, t.purge_clause, t.purge_after, CASE WHEN %s THEN 1 ELSE 0 END FROM %s t WHERE t.purge_after <= ?", it.code, it.held(), it.table)
	args = append(args, utc(q.Now))
	if q.After != nil {
		sb.WriteString(" AND (t.purge_after, t.subscriber_id, t.id) > (?, ?, ?)")
		args = append(args, utc(q.After.PurgeAfter), q.After.SubscriberID, keyID(q.Type, q.After))
	}
	if len(q.Clauses) > 0 {
		sb.WriteString(" AND t.purge_clause IN ?")
		args = append(args, q.Clauses)
	}
	sb.WriteString(" ORDER BY t.purge_after, t.subscriber_id, t.id LIMIT ?" + db.dialect.lockDue())
	args = append(args, q.Limit)
	rows, err := db.q(ctx).Raw(sb.String(), args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := make([]purge.Item, 0, q.Limit)
	for rows.Next() {
		x := purge.Item{Type: q.Type}
		var (
			held int
			err  error
		)
		if q.Type == models.ItemHolding {
			err = rows.Scan(&x.SubscriberID, &x.HoldingID, &x.Code, &x.Clause, &x.PurgeAfter, &held)
		} else {
			err = rows.Scan(&x.SubscriberID, &x.RecordID, &x.Code, &x.Clause, &x.PurgeAfter, &held)
		}
		if err != nil {
			return nil, translate(err)
		}
		x.Held = held == 1
		out = append(out, x)
	}
	return out, translate(rows.Err())
}

func keyID(t models.ItemType, k *purge.Key) any {
	if t == models.ItemHolding {
		return k.HoldingID
	}
	return k.RecordID
}

// GuardSubscribers locks the given subscribers against hold placement for
// the rest of the transaction and returns those it locked; a subscriber
// whose hold is being placed right now is left out, and its rows wait for a
// later run.
func (db *DB) GuardSubscribers(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := db.dialect.guardSubscribers(db.q(ctx), ids)
	return out, translate(err)
}

// EraseUnheld deletes those of items (all of type t, locked by LockDue in
// this transaction) that are still due at now and that no active hold
// covers, checked again in this statement so that a hold committed since
// LockDue wins, and returns the items it deleted.
func (db *DB) EraseUnheld(ctx context.Context, t models.ItemType, now time.Time, items []purge.Item) ([]purge.Item, error) {
	if len(items) == 0 {
		return nil, nil
	}
	it := tableOf(t)
	subs := make([]string, len(items))
	var ids any
	if t == models.ItemHolding {
		hs := make([]string, len(items))
		for i, x := range items {
			subs[i], hs[i] = x.SubscriberID, x.HoldingID
		}
		ids = hs
	} else {
		rs := make([]int64, len(items))
		for i, x := range items {
			subs[i], rs[i] = x.SubscriberID, x.RecordID
		}
		ids = rs
	}
	keys, args := db.dialect.itemKeys(subs, ids)
	q := "DELETE FROM " + it.table + " AS t WHERE " + keys + " AND t.purge_after <= ? AND NOT " + it.held() + " RETURNING subscriber_id, id"
	args = append(args, utc(now))
	rows, err := db.q(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	type hkey struct{ sub, id string }
	type rkey struct {
		sub string
		id  int64
	}
	var (
		gotH = map[hkey]bool{}
		gotR = map[rkey]bool{}
	)
	for rows.Next() {
		var sub string
		if t == models.ItemHolding {
			var id string
			if err := rows.Scan(&sub, &id); err != nil {
				return nil, translate(err)
			}
			gotH[hkey{sub, id}] = true
		} else {
			var id int64
			if err := rows.Scan(&sub, &id); err != nil {
				return nil, translate(err)
			}
			gotR[rkey{sub, id}] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	out := make([]purge.Item, 0, len(gotH)+len(gotR))
	for _, x := range items {
		if gotH[hkey{x.SubscriberID, x.HoldingID}] || gotR[rkey{x.SubscriberID, x.RecordID}] {
			out = append(out, x)
		}
	}
	return out, nil
}

// RecordErasures writes what a batch erased, per subscriber, in the batch's
// transaction.
func (db *DB) RecordErasures(ctx context.Context, es []models.Erasure) error {
	if len(es) == 0 {
		return nil
	}
	for i := range es {
		normalizeTimes(&es[i].ErasedAt)
	}
	return translate(db.q(ctx).CreateInBatches(es, 500).Error)
}

// CountDue counts the due rows of q.Type per clause and category or kind:
// those an active hold covers and the others. One aggregate over the due
// index range; q.After and q.Limit are ignored.
func (db *DB) CountDue(ctx context.Context, q purge.DueQuery) ([]purge.DueCount, error) {
	it := tableOf(q.Type)
	var sb strings.Builder
	args := []any{utc(q.Now)}
	fmt.Fprintf(&sb, "SELECT t.purge_clause, t.%s, SUM(CASE WHEN %s THEN 1 ELSE 0 END), COUNT(*) FROM %s t WHERE t.purge_after <= ?", it.code, it.held(), it.table)
	if len(q.Clauses) > 0 {
		sb.WriteString(" AND t.purge_clause IN ?")
		args = append(args, q.Clauses)
	}
	fmt.Fprintf(&sb, " GROUP BY t.purge_clause, t.%s ORDER BY t.purge_clause, t.%s", it.code, it.code)
	rows, err := db.q(ctx).Raw(sb.String(), args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []purge.DueCount
	for rows.Next() {
		c := purge.DueCount{Type: q.Type}
		var held, total int64
		if err := rows.Scan(&c.Clause, &c.Code, &held, &total); err != nil {
			return nil, translate(err)
		}
		c.Held, c.Unheld = held, total-held
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// ListErasures returns a subscriber's erasure records, newest first.
func (db *DB) ListErasures(ctx context.Context, subscriberID string, limit int) ([]models.Erasure, error) {
	var out []models.Erasure
	err := db.q(ctx).Where("subscriber_id = ?", subscriberID).Order("erased_at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, translate(err)
}

func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// textArray and int8Array pass a Go slice to PostgreSQL as one array
// parameter (text format), where gorm would expand a slice into one
// parameter per element.
type textArray []string

// Value renders the array literal, every element quoted.
func (a textArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.Grow(len(a) * 16)
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[j])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

type int8Array []int64

// Value renders the array literal.
func (a int8Array) Value() (driver.Value, error) {
	b := make([]byte, 0, len(a)*8+2)
	b = append(b, '{')
	for i, n := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, '}')
	return string(b), nil
}
