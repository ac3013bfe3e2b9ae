package seedgen_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/seedgen"
	"github.com/xroshot/portal/shred"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// loadSubscribers is how many generated subscribers the load tests write,
// with about loadRecords records each: enough for every kind of subscriber
// and record, few enough for CI under the race detector.
const (
	loadSubscribers = 500
	loadRecords     = 30
)

func storeFeed(t *testing.T, db *store.DB, keySpec string) *feed.Service {
	t.Helper()
	return apptest.OnWithKey(t, db, now.Add(3*time.Hour), keySpec).Feed
}

// A JSON Lines file of generated subscribers imports twice with identical
// results, and a bulk load of the same lines leaves exactly the rows the
// import left, table by table, on both stores: the seed command's fast path
// applies the feed's rules, no more and no less.
func TestBulkLoadMatchesImport(t *testing.T) {
	t.Parallel()
	g := seedgen.New(seedgen.Options{Seed: 3, Now: now, Records: loadRecords})
	file := jsonl(t, g, loadSubscribers)
	storetest.Each(t, func(t *testing.T, imported *store.DB) {
		ctx := context.Background()
		spec, err := protect.GenerateKeySpec()
		if err != nil {
			t.Fatal(err)
		}
		keys, err := protect.ParseKeyring(spec)
		if err != nil {
			t.Fatal(err)
		}

		f := storeFeed(t, imported, spec)
		rep, err := f.Import(ctx, strings.NewReader(file), feed.ImportOptions{})
		if err != nil || rep.Failed != 0 || rep.Imported != loadSubscribers {
			t.Fatalf("import: %+v, %v", rep, err)
		}
		first := dump(t, imported, keys)
		rep, err = f.Import(ctx, strings.NewReader(file), feed.ImportOptions{Workers: 2})
		if err != nil || rep.Failed != 0 || rep.Records != 0 {
			t.Fatalf("second import: %+v, %v", rep, err)
		}
		// The second import is audited too; the data stays as it was.
		second := dump(t, imported, keys)
		if got := second.Counts["audit_events"]; got != 2*loadSubscribers {
			t.Errorf("%d audit events after importing %d subscribers twice", got, loadSubscribers)
		}
		if diff := cmp.Diff(first.data(), second.data()); diff != "" {
			t.Errorf("the second import changed the data (-first +second):\n%s", diff)
		}

		bulk := storetest.Open(t, imported.Dialect())
		bf := storeFeed(t, bulk, spec)
		var (
			rows   store.BulkRows
			events []audit.Event
			rec    = audit.NewRecorder(clock.NewManual(now))
		)
		for i, l := range g.Lines(loadSubscribers) {
			p, err := bf.Prepare(l)
			if err != nil {
				t.Fatalf("prepare %s: %v", l.ID, err)
			}
			rows.Add(p)
			p.Audit.Actor = audit.System(ctx, "seed")
			events = append(events, p.Audit)
			if (i+1)%200 == 0 || i == loadSubscribers-1 {
				err := bulk.BulkInsert(ctx, &rows, func(tx *store.DB) error {
					for _, e := range events {
						if err := rec.Record(ctx, tx, e); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatalf("bulk insert: %v", err)
				}
				rows.Reset()
				events = events[:0]
			}
		}
		if diff := cmp.Diff(first, dump(t, bulk, keys)); diff != "" {
			t.Errorf("a bulk load differs from an import of the same lines (-import +bulk).\n"+
				"If the feed now writes more for a line, feed.Service.Prepare and store.BulkRows must too; "+
				"if Reschedule stores more, inventory.Service.ScheduleNew must:\n%s", diff)
		}

		// A batch with a subscriber that exists is refused whole.
		p, err := bf.Prepare(g.Line(0))
		if err != nil {
			t.Fatal(err)
		}
		other, err := bf.Prepare(g.Line(loadSubscribers))
		if err != nil {
			t.Fatal(err)
		}
		rows.Reset()
		rows.Add(other)
		rows.Add(p)
		if err := bulk.BulkInsert(ctx, &rows, nil); !errors.Is(err, store.ErrConflict) {
			t.Errorf("bulk insert of an existing subscriber: %v, want a conflict", err)
		}
		if _, err := bulk.GetSubscriber(ctx, other.Subscriber.ID); err == nil {
			t.Error("a refused batch left a subscriber behind")
		}
	})
}

// tableDump is a store's content in comparable form.
type tableDump struct {
	// Counts are the rows of every table either path may write.
	Counts map[string]int64
	// Rows are the rows of the feed's tables, values decrypted, without
	// surrogate ids and creation times, sorted.
	Rows []string
}

// data is d without the audit trail.
func (d tableDump) data() tableDump {
	out := tableDump{Counts: maps.Clone(d.Counts)}
	delete(out.Counts, "audit_events")
	for _, r := range d.Rows {
		if !strings.HasPrefix(r, "audit|") {
			out.Rows = append(out.Rows, r)
		}
	}
	return out
}

func dump(t *testing.T, db *store.DB, keys *protect.Keyring) tableDump {
	t.Helper()
	ctx := context.Background()
	d := tableDump{Counts: map[string]int64{}}
	list := "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
	if db.Dialect() == "sqlite" {
		list = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	}
	tables := queryStrings(t, db, list)
	for _, tb := range tables {
		switch tb {
		case "goose_db_version", "policy_versions":
			continue
		}
		var n int64
		if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		d.Counts[tb] = n
	}
	// The trail names subscribers by a random marker (store.AuditMarker):
	// compared by the subscriber it stands for.
	d.Rows = append(d.Rows, queryStrings(t, db, `SELECT 'audit|' || a.action || '|' || COALESCE(s.subscriber_id, a.subject_id, '-') || '|' || a.target_type || '|' || COALESCE(tm.subscriber_id, a.target_id)
		FROM audit_events a LEFT JOIN subscriber_markers s ON s.marker = a.subject_id LEFT JOIN subscriber_markers tm ON tm.marker = a.target_id`)...)
	d.Rows = append(d.Rows, queryStrings(t, db, `SELECT 'hold|' || subscriber_id || '|' || reason || '|' || CAST(all_items AS TEXT) || '|' || source_ref || '|' || placed_by
		|| '|' || CAST(placed_at AS TEXT) || '|' || COALESCE(CAST(released_at AS TEXT), '-') FROM holds`)...)
	d.Rows = append(d.Rows, queryStrings(t, db, `SELECT 'f|' || subscriber_id || '|' || kind || '|' || CAST(since AS TEXT) || '|' || COALESCE(CAST(resolved_at AS TEXT), '-') || '|' || COALESCE(source_ref, '-') FROM fee_issues`)...)

	// Values are compared opened: each path draws its own data keys and
	// nonces, so the ciphertexts differ while what they hold must not.
	var n int64
	if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+keysTable(db)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	d.Counts["subscriber_keys"] = n
	// Every key is read first: the rows below are read while the store's
	// only connection (SQLite) is busy.
	dks := shred.New(keys)
	opened := map[string]*protect.DataKey{}
	krows, err := db.SQL().QueryContext(ctx, "SELECT subscriber_id, master_key_id, wrapped FROM "+keysTable(db))
	if err != nil {
		t.Fatal(err)
	}
	for krows.Next() {
		var k models.SubscriberKey
		if err := krows.Scan(&k.SubscriberID, &k.MasterKeyID, &k.Wrapped); err != nil {
			t.Fatal(err)
		}
		dk, err := dks.Open(&k)
		if err != nil {
			t.Fatalf("data key of %s: %v", k.SubscriberID, err)
		}
		opened[k.SubscriberID] = dk
	}
	if err := krows.Close(); err != nil {
		t.Fatal(err)
	}
	dataKey := func(sub string) *protect.DataKey {
		dk, ok := opened[sub]
		if !ok {
			t.Fatalf("no data key for %s", sub)
		}
		return dk
	}
	subs, err := db.SQL().QueryContext(ctx, `SELECT id, status, CAST(signed_up_at AS TEXT), COALESCE(CAST(terminated_at AS TEXT), '-'), birth_date, birth_date_cipher,
		COALESCE(guardian_id, '-'), billing_state, COALESCE(CAST(billing_since AS TEXT), '-') FROM subscribers`)
	if err != nil {
		t.Fatal(err)
	}
	for subs.Next() {
		var (
			m                                                    models.Subscriber
			status, signed, terminated, guardian, billing, since string
		)
		if err := subs.Scan(&m.ID, &status, &signed, &terminated, &m.BirthDate, &m.BirthDateCipher, &guardian, &billing, &since); err != nil {
			t.Fatal(err)
		}
		if err := shred.OpenSubscriber(dataKey(m.ID), &m); err != nil {
			t.Fatal(err)
		}
		d.Rows = append(d.Rows, strings.Join([]string{"s", m.ID, status, signed, terminated, deref(m.BirthDate), guardian, billing, since}, "|"))
	}
	if err := subs.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := db.SQL().QueryContext(ctx, `SELECT subscriber_id, kind, external_id, summary, summary_cipher, CAST(occurred_at AS TEXT),
		COALESCE(CAST(purge_after AS TEXT), '-'), purge_clause FROM records`)
	if err != nil {
		t.Fatal(err)
	}
	for recs.Next() {
		var (
			r                      models.Record
			occurred, purge, claus string
		)
		if err := recs.Scan(&r.SubscriberID, &r.Kind, &r.ExternalID, &r.Summary, &r.SummaryCipher, &occurred, &purge, &claus); err != nil {
			t.Fatal(err)
		}
		if err := shred.OpenRecord(dataKey(r.SubscriberID), &r); err != nil {
			t.Fatal(err)
		}
		d.Rows = append(d.Rows, strings.Join([]string{"r", r.SubscriberID, r.Kind, r.ExternalID, r.Summary, occurred, purge, claus}, "|"))
	}
	if err := recs.Close(); err != nil {
		t.Fatal(err)
	}

	rows, err := db.SQL().QueryContext(ctx, `SELECT id, subscriber_id, category, value_text, value_cipher, key_id, source, CAST(collected_at AS TEXT), COALESCE(CAST(purge_after AS TEXT), '-'), purge_clause FROM holdings`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, sub, cat, source, collected, purge, clause string
			text, kid                                      *string
			cipher                                         []byte
		)
		if err := rows.Scan(&id, &sub, &cat, &text, &cipher, &kid, &source, &collected, &purge, &clause); err != nil {
			t.Fatal(err)
		}
		value := "text:" + deref(text)
		if len(cipher) > 0 {
			h := &models.Holding{ID: id, SubscriberID: sub, Category: cat, ValueCipher: cipher, KeyID: kid}
			plain, err := shred.OpenHolding(dataKey(sub), keys, h)
			if err != nil {
				t.Fatalf("holding %s of %s: %v", id, sub, err)
			}
			value = "sealed:" + plain
		}
		d.Rows = append(d.Rows, fmt.Sprintf("h|%s|%s|%s|%s|%s|%s|%s|%s", id, sub, cat, value, source, collected, purge, clause))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(d.Rows)
	return d
}

func queryStrings(t *testing.T, db *store.DB, q string) []string {
	t.Helper()
	rows, err := db.SQL().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// keysTable is where the store keeps the wrapped data keys.
func keysTable(db *store.DB) string {
	if db.Dialect() == "postgres" {
		return "portal_keys.subscriber_keys"
	}
	return "subscriber_keys"
}
