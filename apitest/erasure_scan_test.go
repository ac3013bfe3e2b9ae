package apitest_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// shredID is the subscriber the scan looks for; its values below are fed
// once and appear nowhere else.
const shredID = "shred-life-7"

// shredValues are every personal value fed about shredID, as fed.
var shredValues = map[string]string{
	"applicant.name":            "홍길순",
	"applicant.birth_date":      "1980-07-14",
	"applicant.phone":           "010-4821-7730",
	"applicant.email":           "gilsun.hong@example.org",
	"applicant.billing_address": "서울특별시 종로구 삼봉로 81 12층",
	"applicant.payment_account": "110-482-177300",
	"applicant.passport_number": "M70482177",
}

// shredSummaries are the record summaries fed about shredID.
var shredSummaries = map[string]string{
	"USAGE":           "통화 010-4821-7730 → 02-555-0199",
	"PAYMENT":         "카드 결제 4518-7720-1934-0042",
	"BILLING":         "2020년 5월 요금 33,000원 홍길순",
	"MESSAGE_CONTENT": "안녕하세요 홍길순입니다 삼봉로",
}

// needles are what must not be found once the subscriber is erased: the
// id and every value, as text and, for binary columns, as hex.
func needles() map[string]string {
	out := map[string]string{"id": shredID}
	for k, v := range shredValues {
		out[k] = v
	}
	for k, v := range shredSummaries {
		out["summary "+k] = v
	}
	return out
}

// backfillLife feeds a whole life of shredID in the past: sign-up in 2018
// with every kind of profile value, records, a marketing consent, an
// access request answered with an export, termination in 2020 with fees
// unpaid and then settled.
func backfillLife(t *testing.T, env *apitest.Env) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	env.Clock.Set(kst(2018, 3, 5))
	var items []feed.ItemInput
	for _, c := range []string{"applicant.name", "applicant.birth_date", "applicant.phone", "applicant.email", "applicant.billing_address", "applicant.payment_account", "applicant.passport_number"} {
		items = append(items, feed.ItemInput{Category: c, Value: shredValues[c]})
	}
	birth := shredValues["applicant.birth_date"]
	_, err := env.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: shredID, Status: models.StatusActive, SignedUpAt: kst(2018, 3, 5), BirthDate: &birth, Items: items})
	must(err)

	env.Clock.Set(kst(2019, 1, 10))
	tok := env.Token(t, shredID, "", auth.RoleSubscriber)
	if res := env.Query(t, tok, setConsentMutation, map[string]any{"input": map[string]any{"topic": "marketing.sms", "granted": true}}); len(res.Errors) > 0 {
		t.Fatalf("setConsent: %+v", res.Errors)
	}

	env.Clock.Set(kst(2020, 6, 1))
	_, err = env.Feed.AppendRecords(ctx, shredID, []feed.RecordInput{
		{Kind: "USAGE", OccurredAt: kst(2020, 5, 20), ExternalID: "use-1", Summary: shredSummaries["USAGE"]},
		{Kind: "PAYMENT", OccurredAt: kst(2020, 5, 25), ExternalID: "pay-1", Summary: shredSummaries["PAYMENT"]},
		{Kind: "BILLING", OccurredAt: kst(2020, 5, 31), ExternalID: "bill-1", Summary: shredSummaries["BILLING"]},
		{Kind: "MESSAGE_CONTENT", OccurredAt: kst(2020, 5, 30), ExternalID: "msg-1", Summary: shredSummaries["MESSAGE_CONTENT"]},
	})
	must(err)

	// The access export copies every value in the clear into the database.
	tok = env.Token(t, shredID, "", auth.RoleSubscriber)
	var acc struct{ FileRequest struct{ Status string } }
	env.Query(t, tok, `mutation { fileRequest(input: {type: ACCESS, idempotencyKey: "access-shred-1"}) { status } }`, nil).Decode(t, &acc)
	if acc.FileRequest.Status != "RESOLVED" {
		t.Fatalf("access request: %+v", acc)
	}

	env.Clock.Set(kst(2020, 6, 30))
	_, err = env.Feed.Terminate(ctx, shredID, kst(2020, 6, 30))
	must(err)
	_, err = env.Feed.SetBillingState(ctx, shredID, models.BillingUnpaid, kst(2020, 6, 30))
	must(err)
	env.Clock.Set(kst(2020, 9, 1))
	_, err = env.Feed.SetBillingState(ctx, shredID, models.BillingSettled, kst(2020, 9, 1))
	must(err)
}

// hit is a needle found in a column.
type hit struct{ table, column, needle string }

func (h hit) String() string { return h.table + "." + h.column + " holds " + h.needle }

// scanDatabase reads every column of every table of the store, as the
// catalog lists them (information_schema on PostgreSQL, every schema but
// the system's; sqlite_master and table_info on SQLite), and reports each
// needle found in a value, as text or as the hex of bytes.
func scanDatabase(t *testing.T, db *store.DB, needles map[string]string) (tables int, hits []hit) {
	t.Helper()
	ctx := context.Background()
	type column struct{ table, name string }
	var cols []column
	var q string
	if db.Dialect() == "postgres" {
		q = `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name), quote_ident(column_name) FROM information_schema.columns
			WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_name IN
			(SELECT table_name FROM information_schema.tables t WHERE t.table_schema = columns.table_schema AND t.table_type = 'BASE TABLE')
			ORDER BY 1, ordinal_position`
	} else {
		q = `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid`
	}
	rows, err := db.SQL().QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.table, &c.name); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
		seen[c.table] = true
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		vals, err := db.SQL().QueryContext(ctx, "SELECT "+c.name+" FROM "+c.table)
		if err != nil {
			t.Fatalf("scan %s.%s: %v", c.table, c.name, err)
		}
		for vals.Next() {
			var v any
			if err := vals.Scan(&v); err != nil {
				t.Fatal(err)
			}
			var text string
			switch x := v.(type) {
			case string:
				text = x
			case []byte:
				text = string(x) + "\x00" + hex.EncodeToString(x)
			default:
				continue
			}
			for name, n := range needles {
				if strings.Contains(text, n) || strings.Contains(text, hex.EncodeToString([]byte(n))) {
					hits = append(hits, hit{c.table, c.name, name})
				}
			}
		}
		if err := vals.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return len(seen), hits
}

// The whole-database scan (issue 13, item 6): a subscriber's life is fed,
// the clock walked past every clause that kept any of it, and the purge
// run; then every column of every table of the store holds neither the
// subscriber's id nor any value fed about them.
func TestErasureLeavesNothingInAnyTable(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, d)
			backfillLife(t, env)

			// While the subscriber lives, the scan finds the id (the tables
			// name them) and no value in the clear: every value, summary,
			// birth date and the export are sealed.
			n, hits := scanDatabase(t, env.DB, needles())
			if n < 15 {
				t.Fatalf("the scan saw %d tables: the catalog query is wrong", n)
			}
			for _, h := range hits {
				if h.needle != "id" {
					t.Errorf("before the erasure, a value in the clear: %s", h)
				}
			}
			if len(hits) == 0 {
				t.Fatal("before the erasure the scan finds not even the id: it cannot find anything")
			}

			// Once only the tax clause keeps what is left (the six months
			// after termination ended, the fees settled), a purge moves it
			// apart (법 21③): the scan finds the subscriber in both tables
			// kept apart, and still no value in the clear.
			env.Clock.Set(kst(2021, 6, 1))
			rep, err := env.Purge.Run(context.Background(), purge.Options{Actor: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if rep.MovedApart == 0 {
				t.Fatal("nothing was moved apart while only the tax clause kept it")
			}
			_, hits = scanDatabase(t, env.DB, needles())
			apart := map[string]bool{}
			for _, h := range hits {
				if h.needle != "id" {
					t.Errorf("kept apart, a value in the clear: %s", h)
				}
				if strings.Contains(h.table, "statute") {
					apart[h.table] = true
				}
			}
			if len(apart) != 2 {
				t.Errorf("the subscriber is in the tables kept apart %v, want holdings and records", apart)
			}

			// Past every clause: the tax clause keeps the listed fields and
			// fee records until 5 years after the filing deadline of the
			// last fee record's tax period (25 July 2020, a Saturday, so 27
			// July: kept until 27 July 2025); the access request and the
			// consent history are kept 3 years as complaint records (until
			// June 2023). The purge runs in November 2026 (the clock may
			// not run ahead of the database's).
			// An admin looks at what is left a month before it goes: the
			// read is audited, and the trail keeps it 2 years.
			env.Clock.Set(kst(2026, 10, 1))
			admin := env.Token(t, "admin-1", "", auth.RoleAdmin)
			if res := env.Query(t, admin, `query($id: ID!) { subscriber(id: $id) { id } }`, map[string]any{"id": shredID}); len(res.Errors) > 0 {
				t.Fatalf("staff read: %+v", res.Errors)
			}

			env.Clock.Set(kst(2026, 11, 2))
			rep, err = env.Purge.Run(context.Background(), purge.Options{Actor: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if rep.SubscribersErased != 1 {
				t.Errorf("the run erased %d subscribers, want 1", rep.SubscribersErased)
			}
			// What stays is the trail's events about the subscriber, under
			// the marker, which now names no one.
			var marked int
			if err := env.DB.SQL().QueryRow("SELECT COUNT(*) FROM audit_events WHERE subject_id LIKE 'anon-%'").Scan(&marked); err != nil {
				t.Fatal(err)
			}
			if marked == 0 {
				t.Error("the audit trail kept no event under a marker: the staff read a month ago is not in it")
			}
			_, hits = scanDatabase(t, env.DB, needles())
			sort.Slice(hits, func(i, j int) bool { return hits[i].String() < hits[j].String() })
			for _, h := range hits {
				if pendingCopy(h) {
					t.Logf("known pending (see pendingCopy): %s", h)
					continue
				}
				t.Errorf("after the erasure: %s", h)
			}
			if _, err := env.DB.GetSubscriberKey(context.Background(), shredID); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("the data key survived the erasure: %v", err)
			}
		})
	}
}

// pendingCopy names what the scan may still find after the erasure and
// this change does not remove; nothing, now that the audit trail names
// subscribers by a pseudonymous marker (audit.Pseudonyms). It stays as the
// place to name such a copy, with its reason, should one appear.
func pendingCopy(hit) bool { return false }

// pgDump runs pg_dump on the store's database with args and returns the
// dump.
func pgDump(t *testing.T, db *store.DB, args ...string) []byte {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	bin := "pg_dump"
	if len(bins) > 0 {
		sort.Strings(bins)
		bin = bins[len(bins)-1]
	}
	var name string
	if err := db.SQL().QueryRow("SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	raw := os.Getenv(storetest.EnvURL)
	if raw == "" {
		raw = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, append([]string{"--no-owner", "--no-privileges", "--dbname", u.String()}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v: %s", bin, err, stderr.String())
	}
	return out.Bytes()
}

// A data backup taken before the erasure (pg_dump, the way README's
// backup command takes it: without the key store's schema portal_keys)
// holds no value in the clear and no wrapped key, so once the erasure has
// deleted the key from the key store nothing — the old dump, the master
// keys, the live database — opens any value it holds. A dump that included
// the key store would hold the wrapped key, which the master key still
// opens: that is why data backups exclude it and the key store is backed
// up apart, on a short retention.
func TestAnOldBackupYieldsNothingOnceTheKeyIsGone(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "postgres")
	ctx := context.Background()
	backfillLife(t, env)

	key, err := env.DB.GetSubscriberKey(ctx, shredID)
	if err != nil {
		t.Fatal(err)
	}
	wrappedHex := hex.EncodeToString(key.Wrapped)
	var sealed [][]byte
	rows, err := env.DB.SQL().QueryContext(ctx, "SELECT value_cipher FROM holdings WHERE subscriber_id = $1 UNION ALL SELECT summary_cipher FROM records WHERE subscriber_id = $1 AND summary_cipher IS NOT NULL UNION ALL SELECT birth_date_cipher FROM subscribers WHERE id = $1 UNION ALL SELECT payload FROM request_exports WHERE subscriber_id = $1", shredID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		sealed = append(sealed, b)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(sealed) != len(shredValues)+len(shredSummaries)+2 {
		t.Fatalf("%d sealed values of the subscriber, want %d", len(sealed), len(shredValues)+len(shredSummaries)+2)
	}

	backup := pgDump(t, env.DB, "--exclude-schema=portal_keys")
	full := pgDump(t, env.DB)
	if !bytes.Contains(backup, []byte(shredID)) || !bytes.Contains(backup, []byte(hex.EncodeToString(sealed[0]))) {
		t.Fatal("the backup holds neither the subscriber nor their sealed values: it dumped nothing")
	}
	for name, v := range needles() {
		if name == "id" {
			continue
		}
		if bytes.Contains(backup, []byte(v)) || bytes.Contains(backup, []byte(hex.EncodeToString([]byte(v)))) {
			t.Errorf("the backup holds %s in the clear", name)
		}
	}
	if bytes.Contains(backup, []byte(wrappedHex)) || bytes.Contains(backup, []byte("subscriber_keys")) {
		t.Error("the data backup holds the key store")
	}
	if !bytes.Contains(full, []byte(wrappedHex)) {
		t.Error("a full dump does not hold the wrapped key: the test no longer shows why data backups exclude the key store")
	}

	env.Clock.Set(kst(2026, 11, 2))
	rep, err := env.Purge.Run(ctx, purge.Options{Actor: "test"})
	if err != nil || rep.SubscribersErased != 1 {
		t.Fatalf("purge: %+v, %v", rep, err)
	}
	if _, err := env.DB.GetSubscriberKey(ctx, shredID); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("the key store still holds the key: %v", err)
	}
	var left int
	if err := env.DB.SQL().QueryRow("SELECT COUNT(*) FROM portal_keys.subscriber_keys WHERE wrapped = $1", key.Wrapped).Scan(&left); err != nil || left != 0 {
		t.Fatalf("the wrapped key is still in the key store: %d, %v", left, err)
	}
	// Whoever holds the old backup and every master key still opens
	// nothing: the values are sealed under the data key, not the masters.
	for i, c := range sealed {
		for _, kid := range []string{env.Keys.PrimaryID(), protect.DataKeyID} {
			if _, err := env.Keys.Decrypt(kid, c, nil); !errors.Is(err, protect.ErrDecrypt) {
				t.Errorf("sealed value %d opened with master key %q: %v", i, kid, err)
			}
		}
	}
	if strings.Contains(string(pgDump(t, env.DB)), wrappedHex) {
		t.Error("a dump taken after the erasure holds the wrapped key")
	}
}
