package feed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

var now = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func newFeed(t *testing.T, db *store.DB) *feed.Service {
	t.Helper()
	return apptest.On(t, db, now).Feed
}

func line(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func goodLine(t *testing.T, i int) string {
	signed := now.AddDate(-3, 0, -i)
	l := map[string]any{
		"id": fmt.Sprintf("sub-%03d", i), "status": "ACTIVE", "signedUpAt": signed,
		"items": []map[string]any{
			{"category": "applicant.name", "value": "김민준"},
			{"category": "applicant.email", "value": fmt.Sprintf("user%d@example.com", i)},
			{"category": "applicant.payment_account", "value": "110-123-456789"},
		},
		"records": []map[string]any{
			{"kind": "PAYMENT", "occurredAt": signed.AddDate(1, 0, 0), "externalId": fmt.Sprintf("p-%d", i), "summary": "자동이체 36300원"},
			{"kind": "MESSAGE_CONTENT", "occurredAt": now.AddDate(0, 0, -3), "externalId": fmt.Sprintf("m-%d", i), "summary": "안내 문자"},
		},
	}
	if i%3 == 0 {
		term := now.AddDate(0, -7, 0)
		l["status"], l["terminatedAt"] = "TERMINATED", term
		l["billingState"], l["billingSince"] = "UNPAID", term
	}
	return line(t, l)
}

func TestImportReportsBadLinesByNumberAndImportsTheRest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFeed(t, db)
		bad := func(mut func(m map[string]any)) string {
			var m map[string]any
			_ = json.Unmarshal([]byte(goodLine(t, 900)), &m)
			mut(m)
			return line(t, m)
		}
		lines := []string{
			goodLine(t, 1), // 1
			bad(func(m map[string]any) { m["items"].([]any)[0].(map[string]any)["category"] = "applicant.shoe_size" }), // 2
			bad(func(m map[string]any) { m["items"].([]any)[1].(map[string]any)["value"] = "not-an-email" }),           // 3
			bad(func(m map[string]any) { m["birthDate"] = now.AddDate(1, 0, 0).Format(time.DateOnly) }),                // 4
			bad(func(m map[string]any) { m["status"], m["terminatedAt"] = "TERMINATED", now.AddDate(-10, 0, 0) }),      // 5
			bad(func(m map[string]any) { m["signedUpAt"] = now.AddDate(0, 0, 2) }),                                     // 6
			bad(func(m map[string]any) { m["records"].([]any)[1].(map[string]any)["kind"] = "DIARY" }),                 // 7
			`{"id": "sub-broken", "status": `, // 8
			"",                                // 9: blank, skipped but counted as an editor counts it
			`{"id": "x", "colour": "blue"}`,   // 10
			`{"id": "big", "items": [{"category": "applicant.name", "value": "` + strings.Repeat("가", 4<<20) + `"}]}`, // 11
			goodLine(t, 2), // 12
			goodLine(t, 3), // 13
		}
		var errs []feed.LineError
		rep, err := f.Import(ctx, strings.NewReader(strings.Join(lines, "\n")), feed.ImportOptions{Workers: 3, OnError: func(e feed.LineError) { errs = append(errs, e) }})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(feed.ImportReport{Lines: 12, Imported: 3, Failed: 9, Records: 6}, rep); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
		sort.Slice(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		got := map[int]string{}
		for _, e := range errs {
			got[e.Line] = e.Field
			if strings.Contains(e.Reason, "not-an-email") || strings.Contains(e.Reason, "가가가") {
				t.Errorf("line %d: the reason quotes the value: %s", e.Line, e.Reason)
			}
		}
		want := map[int]string{2: "items[0].category", 3: "items[1].value", 4: "birthDate", 5: "terminatedAt", 6: "signedUpAt", 7: "records[1].kind", 8: "", 10: "colour", 11: ""}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("failed lines and fields (-want +got):\n%s\n%v", diff, errs)
		}
		if _, err := db.GetSubscriber(ctx, "sub-900"); err == nil {
			t.Errorf("a bad line left its subscriber behind")
		}
	})
}

// Importing the same file twice changes nothing: same rows, same dates.
func TestImportTwiceIsIdempotent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFeed(t, db)
		var lines []string
		for i := 1; i <= 60; i++ {
			lines = append(lines, goodLine(t, i))
		}
		file := strings.Join(lines, "\n") + "\n"
		first, err := f.Import(ctx, strings.NewReader(file), feed.ImportOptions{})
		if err != nil || first.Failed != 0 {
			t.Fatalf("first import: %+v %v", first, err)
		}
		snap1 := snapshot(t, db)
		second, err := f.Import(ctx, strings.NewReader(file), feed.ImportOptions{Workers: 2})
		if err != nil || second.Failed != 0 {
			t.Fatalf("second import: %+v %v", second, err)
		}
		if second.Records != 0 {
			t.Errorf("second import appended %d records", second.Records)
		}
		if diff := cmp.Diff(snap1, snapshot(t, db)); diff != "" {
			t.Errorf("the second import changed the data (-first +second):\n%s", diff)
		}
		// Terminated subscribers with unpaid fees: open-ended until settled.
		sub, err := db.GetSubscriber(ctx, "sub-003")
		if err != nil || sub.BillingState != models.BillingUnpaid || sub.Status != models.StatusTerminated {
			t.Errorf("sub-003 = %+v, %v", sub, err)
		}
	})
}

func snapshot(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT 'h', subscriber_id, category, COALESCE(value_text, ''), source, CAST(collected_at AS TEXT), COALESCE(CAST(purge_after AS TEXT), '') FROM holdings
		UNION ALL SELECT 'r', subscriber_id, kind, external_id, summary, CAST(occurred_at AS TEXT), COALESCE(CAST(purge_after AS TEXT), '') FROM records
		UNION ALL SELECT 's', id, status, billing_state, '', CAST(signed_up_at AS TEXT), COALESCE(CAST(terminated_at AS TEXT), '') FROM subscribers
		UNION ALL SELECT 'f', subscriber_id, kind, CAST(since AS TEXT), '', '', COALESCE(CAST(resolved_at AS TEXT), '') FROM fee_issues`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a [7]string
		if err := rows.Scan(&a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &a[6]); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join(a[:], "|"))
	}
	sort.Strings(out)
	return out
}
