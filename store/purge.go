package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
)

// itemTable is how the purge's SQL names one kind of personal-data row.
type itemTable struct {
	table string // holdings or records, or the table keeping them apart
	code  string // the column of the category or record kind
	link  string // the hold_items column linking a hold to such a row
}

// tableOf names the table of one type of row: in use, or kept apart
// because only a statute keeps it (store/statute.go). A row keeps its id
// when it moves, so the same hold links cover it in both.
func (db *DB) tableOf(t models.ItemType, apart bool) itemTable {
	it := itemTable{table: "records", code: "kind", link: "record_id"}
	if t == models.ItemHolding {
		it = itemTable{table: "holdings", code: "category", link: "holding_id"}
	}
	if apart {
		it.table = db.dialect.apart(it.table)
	}
	return it
}

// held is true for a row of alias t that an active hold covers: one on
// everything of its subscriber, or one linked to the row itself — the rule
// of holds.Covers, stated for rows (inventory's TestTheHoldRuleIsOneRule
// pins the two, and the inventory's assessment, to the same fixtures). Both are
// index probes (holds_active_all; hold_items_holding / hold_items_record).
func (it itemTable) held() string {
	return "(EXISTS (SELECT 1 FROM holds h WHERE h.subscriber_id = t.subscriber_id AND h.all_items AND h.released_at IS NULL)" +
		" OR EXISTS (SELECT 1 FROM hold_items i JOIN holds h ON h.subscriber_id = i.subscriber_id AND h.id = i.hold_id" +
		" WHERE i.subscriber_id = t.subscriber_id AND i." + it.link + " = t.id AND h.released_at IS NULL))"
}

// Outlook reads, in one statement, what a purge run checks before it
// starts: the database's clock and the start of the latest finished run
// (for the clock-skew check), and whether any holding or record is due at
// now, in use or kept apart (a table with none is not walked at all).
func (db *DB) Outlook(ctx context.Context, now time.Time) (purge.Outlook, error) {
	var (
		dbNow, last                              any
		holdings, recs, apartHoldings, apartRecs bool
		out                                      purge.Outlook
	)
	n := utc(now)
	err := db.q(ctx).Raw("SELECT "+db.dialect.nowExpr()+
		", (SELECT started_at FROM purge_runs WHERE finished_at IS NOT NULL ORDER BY started_at DESC LIMIT 1)"+
		", EXISTS (SELECT 1 FROM holdings WHERE purge_after <= ?), EXISTS (SELECT 1 FROM records WHERE purge_after <= ?)"+
		", EXISTS (SELECT 1 FROM "+db.dialect.apart("holdings")+" WHERE purge_after <= ?), EXISTS (SELECT 1 FROM "+db.dialect.apart("records")+" WHERE purge_after <= ?)",
		n, n, n, n).Row().Scan(&dbNow, &last, &holdings, &recs, &apartHoldings, &apartRecs)
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
	out.DueApart = map[models.ItemType]bool{models.ItemHolding: apartHoldings, models.ItemRecord: apartRecs}
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
// covers it. On PostgreSQL, in the same statement, the rows are locked for
// this transaction (rows other transactions hold are skipped, so replicas
// never take the same row) and the subscribers of the unheld ones are
// locked against hold placement; a subscriber whose hold is being placed
// right now is skipped and its rows flagged Busy. Served by the
// holdings_due / records_due indexes. Held rows come back too, so that a
// run counts them as it passes them, once.
func (db *DB) LockDue(ctx context.Context, q purge.DueQuery) ([]purge.Item, error) {
	it := db.tableOf(q.Type, q.Apart)
	var sb strings.Builder
	args := make([]any, 0, 6)
	fmt.Fprintf(&sb, "SELECT t.subscriber_id, t.id, t.%s AS code, t.purge_clause AS clause, t.purge_after, CASE WHEN %s THEN 1 ELSE 0 END AS held, %s AS loc FROM %s t WHERE t.purge_after <= ?", it.code, it.held(), db.dialect.rowLoc(), it.table)
	args = append(args, utc(q.Now))
	sb.WriteString(db.notTwin(q.Type, q.Apart))
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
	rows, err := db.q(ctx).Raw(db.dialect.guardDue(sb.String()), args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := make([]purge.Item, 0, q.Limit)
	for rows.Next() {
		x := purge.Item{Type: q.Type, Apart: q.Apart}
		var (
			held, busy int
			err        error
		)
		if q.Type == models.ItemHolding {
			err = rows.Scan(&x.SubscriberID, &x.HoldingID, &x.Code, &x.Clause, &x.PurgeAfter, &held, &x.Loc, &busy)
		} else {
			err = rows.Scan(&x.SubscriberID, &x.RecordID, &x.Code, &x.Clause, &x.PurgeAfter, &held, &x.Loc, &busy)
		}
		if err != nil {
			return nil, translate(err)
		}
		x.Held, x.Busy = held == 1, busy == 1
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

// Erase deletes those of b.Items (locked by LockDue in this transaction)
// that are still due and that no active hold covers — checked again in
// this statement, so that a hold committed since LockDue wins — and records
// them as erasures per subscriber, category or kind and clause, in the same
// statement on PostgreSQL. It returns how many it erased per clause and
// code.
func (db *DB) Erase(ctx context.Context, b purge.Batch) ([]purge.Erased, error) {
	if len(b.Items) == 0 {
		return nil, nil
	}
	it := db.tableOf(b.Type, b.Apart)
	keys, args := db.lockedItems(b.Type, b.Items)
	del := "DELETE FROM " + it.table + " AS t WHERE " + keys + " AND t.purge_after <= ? AND NOT " + it.held() +
		" RETURNING subscriber_id, " + it.code + " AS code, purge_clause AS clause"
	args = append(args, utc(b.Now))
	at := utc(b.At)
	if q, ok := db.dialect.eraseRecorded(del); ok {
		out, err := db.scanErased(ctx, b, q, append(args, b.RunID, string(b.Type), at))
		if err != nil {
			return nil, err
		}
		return out, db.dropTwins(ctx, b)
	}
	// Where a DELETE cannot feed an INSERT, the erasures are summed here
	// and written by a second statement of the same transaction.
	rows, err := db.q(ctx).Raw(del, args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	type key struct{ sub, code, clause string }
	perSub := map[key]int64{}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.sub, &k.code, &k.clause); err != nil {
			rows.Close()
			return nil, translate(err)
		}
		perSub[k]++
	}
	if err := rows.Close(); err != nil {
		return nil, translate(err)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	es := make([]models.Erasure, 0, len(perSub))
	total := map[[2]string]int64{}
	for k, n := range perSub {
		es = append(es, models.Erasure{SubscriberID: k.sub, RunID: b.RunID, ItemType: b.Type, Code: k.code, Clause: k.clause, Count: n, ErasedAt: at})
		total[[2]string{k.clause, k.code}] += n
	}
	if len(es) > 0 {
		if err := db.q(ctx).CreateInBatches(es, 500).Error; err != nil {
			return nil, translate(err)
		}
	}
	out := make([]purge.Erased, 0, len(total))
	for k, n := range total {
		out = append(out, purge.Erased{RunID: b.RunID, Type: b.Type, Clause: k[0], Code: k[1], Count: n, ErasedAt: at})
	}
	return out, db.dropTwins(ctx, b)
}

// notTwin is, for a walk of the rows kept apart, the condition (alias t)
// that leaves out a row also still in use — copied by a move that stopped
// before its delete — which the walk of the rows in use takes, erasing or
// passing it once for both (dropTwins). Empty for a walk of the rows in
// use.
func (db *DB) notTwin(typ models.ItemType, apart bool) string {
	if !apart {
		return ""
	}
	return " AND NOT EXISTS (SELECT 1 FROM " + db.tableOf(typ, false).table + " u WHERE u.subscriber_id = t.subscriber_id AND u.id = t.id)"
}

// dropTwins deletes, after a batch of rows in use was erased, the copies
// kept apart of those of its rows that are gone: the same row, copied by a
// move that stopped before its delete. They were erased and recorded once,
// as the row in use; no copy outlives it.
func (db *DB) dropTwins(ctx context.Context, b purge.Batch) error {
	if b.Apart {
		return nil
	}
	subs := make([]string, len(b.Items))
	var ids any
	if b.Type == models.ItemHolding {
		hs := make([]string, len(b.Items))
		for i, x := range b.Items {
			subs[i], hs[i] = x.SubscriberID, x.HoldingID
		}
		ids = hs
	} else {
		rs := make([]int64, len(b.Items))
		for i, x := range b.Items {
			subs[i], rs[i] = x.SubscriberID, x.RecordID
		}
		ids = rs
	}
	keys, args := db.dialect.itemKeys(subs, ids)
	in := db.tableOf(b.Type, false).table
	err := db.q(ctx).Exec("DELETE FROM "+db.tableOf(b.Type, true).table+" AS t WHERE "+keys+
		" AND NOT EXISTS (SELECT 1 FROM "+in+" u WHERE u.subscriber_id = t.subscriber_id AND u.id = t.id)", args...).Error
	return translate(err)
}

// scanErased runs eraseRecorded's statement and reads its (code, clause,
// count) rows.
func (db *DB) scanErased(ctx context.Context, b purge.Batch, q string, args []any) ([]purge.Erased, error) {
	rows, err := db.q(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []purge.Erased
	for rows.Next() {
		e := purge.Erased{RunID: b.RunID, Type: b.Type, ErasedAt: utc(b.At)}
		if err := rows.Scan(&e.Code, &e.Clause, &e.Count); err != nil {
			return nil, translate(err)
		}
		out = append(out, e)
	}
	return out, translate(rows.Err())
}

// CountDue counts the due rows of q.Type per clause and category or kind:
// those an active hold covers and the others. One aggregate over the due
// index range; q.After and q.Limit are ignored.
func (db *DB) CountDue(ctx context.Context, q purge.DueQuery) ([]purge.DueCount, error) {
	it := db.tableOf(q.Type, q.Apart)
	var sb strings.Builder
	args := []any{utc(q.Now)}
	fmt.Fprintf(&sb, "SELECT t.purge_clause, t.%s, SUM(CASE WHEN %s THEN 1 ELSE 0 END), COUNT(*) FROM %s t WHERE t.purge_after <= ?", it.code, it.held(), it.table)
	sb.WriteString(db.notTwin(q.Type, q.Apart))
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

func utc(t time.Time) time.Time { return clock.Stored(t) }

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
