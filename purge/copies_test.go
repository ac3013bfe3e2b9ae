package purge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/store"
)

// The values the correspondence quotes: none may outlive the data.
const (
	quotedPhone   = "010-9876-5432"
	quotedAddress = "서울시 강남구 테헤란로 7"
)

// correspond files a dispute for sub quoting its phone, comments quoting
// its address and resolves it quoting both, at the clock's time, and
// returns the request id.
func correspond(t *testing.T, e *apptest.Env, sub string) string {
	t.Helper()
	ctx := context.Background()
	owner := actor.Subscriber(sub)
	admin := actor.Staff("admin-1", actor.RoleAdmin)
	f, err := e.Requests.File(ctx, owner, requests.FileInput{
		Type: models.RequestDispute, Scope: requests.Scope{Categories: []string{"applicant.phone"}},
		Reason: "제 번호 " + quotedPhone + " 는 제 것이 아닙니다", IdempotencyKey: "dispute-" + sub, Via: "WEB",
	})
	if err != nil {
		t.Fatal(err)
	}
	id := f.Request.ID
	if _, err := e.Requests.Comment(ctx, admin, id, "주소 "+quotedAddress+" 로 확인", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Requests.Resolve(ctx, admin, id, requests.ResolveInput{
		Resolution: models.ResolutionApproved, ReasonCode: "CORRECTED", Text: quotedPhone + " 번호를 " + quotedAddress + " 주소 확인 후 정정했습니다",
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// quoted lists the places in the request tables and the outbox that
// still hold one of the quoted values of sub.
func quoted(t *testing.T, db *store.DB, sub string) []string {
	t.Helper()
	var out []string
	for _, q := range []struct{ name, sql string }{
		{"requests", "SELECT COALESCE(reason, '') || COALESCE(resolution_text, '') || COALESCE(extension_reason, '') FROM requests WHERE subscriber_id = $1"},
		{"request_events", "SELECT COALESCE(note, '') FROM request_events WHERE subscriber_id = $1"},
		{"request_outcomes", "SELECT COALESCE(note, '') FROM request_outcomes WHERE subscriber_id = $1"},
		{"outbox", "SELECT payload FROM outbox WHERE subscriber_id = $1"},
	} {
		rows, err := db.SQL().Query(q.sql, sub)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(s, quotedPhone) || strings.Contains(s, quotedAddress) {
				out = append(out, q.name)
			}
		}
		rows.Close()
	}
	return out
}

func count(t *testing.T, db *store.DB, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.SQL().QueryRow(sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// at is an instant in Korea.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, clock.KST)
}

func TestCopiesGoWithTheirData(t *testing.T) {
	t.Parallel()
	// Everything happens at 14:00 on 5 March 2021 in Korea.
	resolved := at(2021, 3, 5, 14, 0)
	apptest.Each(t, resolved, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		db := e.DB
		for _, sub := range []string{"keeps", "empties"} {
			_, err := e.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: sub, Status: models.StatusActive, SignedUpAt: at(2020, 1, 1, 9, 0), BirthDate: new("1985-03-02"),
				Items: []feed.ItemInput{{Category: "applicant.name", Value: "김민준"}, {Category: "applicant.phone", Value: quotedPhone}}})
			if err != nil {
				t.Fatal(err)
			}
		}
		keep := correspond(t, e, "keeps")
		correspond(t, e, "empties")
		if got := quoted(t, db, "keeps"); !contains(got, "requests") || !contains(got, "request_events") {
			t.Fatalf("the correspondence does not quote the data (%v): the test proves nothing", got)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM outbox WHERE subscriber_id = 'keeps'"); n == 0 {
			t.Fatal("no notice was written: the test proves nothing")
		}
		// The deliverer delivered every notice of "keeps" at once but one,
		// which it gave up on.
		if n := count(t, db, "SELECT COUNT(*) FROM outbox WHERE subscriber_id = 'keeps'"); n < 2 {
			t.Fatalf("%d notices of keeps; the test needs two", n)
		}
		for _, stmt := range []string{
			"UPDATE outbox SET delivered_at = $1 WHERE subscriber_id = 'keeps'",
			"UPDATE outbox SET delivered_at = NULL, dead_at = $1 WHERE subscriber_id = 'keeps' AND id = (SELECT MIN(id) FROM outbox WHERE subscriber_id = 'keeps')",
		} {
			if _, err := db.SQL().Exec(stmt, resolved.UTC()); err != nil {
				t.Fatal(err)
			}
		}
		run := func(now time.Time) *purge.Report {
			t.Helper()
			e.Clock.Set(now)
			rep, err := e.Purge.Run(ctx, purge.Options{Actor: "scheduler"})
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}

		// "empties" loses the last of its data (by whatever clause): its
		// correspondence keeps no text and its notices go, delivered or
		// not, by the next run.
		if _, err := db.SQL().Exec("DELETE FROM holdings WHERE subscriber_id = 'empties'"); err != nil {
			t.Fatal(err)
		}
		// While the subscription runs, having no items is not having no
		// data left: a subscriber fed before their profile still gets
		// their notices, and their correspondence stays.
		run(resolved.Add(30 * time.Minute))
		if n := count(t, db, "SELECT COUNT(*) FROM outbox WHERE subscriber_id = 'empties'"); n == 0 {
			t.Error("the notices of an active subscriber without items went")
		}
		if got := quoted(t, db, "empties"); !contains(got, "requests") {
			t.Errorf("the correspondence of an active subscriber without items was scrubbed: %v", got)
		}
		if _, err := db.SQL().Exec("UPDATE subscribers SET status = 'TERMINATED', terminated_at = $1 WHERE id = 'empties'", resolved.Add(-24*time.Hour).UTC()); err != nil {
			t.Fatal(err)
		}
		rep := run(resolved.Add(time.Hour))
		if got := quoted(t, db, "empties"); len(got) != 0 {
			t.Errorf("after its data went, the quoted values remain in %v", got)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM outbox WHERE subscriber_id = 'empties'"); n != 0 {
			t.Errorf("%d notices of a subscriber with no data left remain", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM requests WHERE subscriber_id = 'empties' AND type = 'DISPUTE' AND status = 'RESOLVED'"); n != 1 {
			t.Errorf("the complaint record's structure is gone too (%d rows); it is kept for its clause", n)
		}
		if !hasCount(rep, purge.CopyWithData, models.ItemRequest, "DISPUTE", 1) {
			t.Errorf("the run's tally does not count the scrubbed request: %+v", rep.Counts)
		}
		if got := quoted(t, db, "keeps"); !contains(got, "requests") {
			t.Errorf("a subscriber with data lost its correspondence early: %v", got)
		}

		// Delivered notices are kept 30 days as proof, then go with their
		// delivery log.
		proofEnds := resolved.Add(purge.DefaultNoticeProofWindow)
		run(proofEnds.Add(-time.Minute))
		if n := count(t, db, "SELECT COUNT(*) FROM outbox WHERE subscriber_id = 'keeps'"); n == 0 {
			t.Error("delivered notices went before their proof window ended")
		}
		rep = run(proofEnds)
		if n := count(t, db, "SELECT COUNT(*) FROM outbox WHERE subscriber_id = 'keeps' AND dead_at IS NULL"); n != 0 {
			t.Errorf("%d delivered notices remain after their proof window", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM outbox_deliveries d WHERE subscriber_id = 'keeps' AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.subscriber_id = d.subscriber_id AND o.id = d.outbox_id)"); n != 0 {
			t.Errorf("%d delivery log rows remain after their notices went", n)
		}
		if !hasReason(rep, purge.CopyNoticeProof) {
			t.Errorf("the run's tally does not count the notices: %+v", rep.Counts)
		}
		// A dead notice is kept 90 days for admins to requeue, then goes.
		deadEnds := resolved.Add(purge.DefaultDeadNoticeWindow)
		run(deadEnds.Add(-time.Minute))
		if n := count(t, db, "SELECT COUNT(*) FROM outbox WHERE subscriber_id = 'keeps'"); n != 1 {
			t.Errorf("%d notices of keeps before the dead notice's window ended; want the dead one", n)
		}
		rep = run(deadEnds)
		if n := count(t, db, "SELECT COUNT(*) FROM outbox WHERE subscriber_id = 'keeps'"); n != 0 {
			t.Errorf("the dead notice remains after its window")
		}
		if !hasReason(rep, purge.CopyDeadNotice) {
			t.Errorf("the run's tally does not count the dead notice: %+v", rep.Counts)
		}

		// The request is a complaint record, kept three years from its
		// resolution (전자상거래법 6조; docs/POLICY.md COMPLAINT_RECORDS): resolved
		// on 5 March 2021, the first day is not counted (민법 157), so the
		// period runs from 6 March 2021 and ends at the end of 5 March 2024
		// (민법 159, 160) in Korea; it goes from 00:00 KST on 6 March 2024.
		for _, before := range []time.Time{at(2024, 3, 5, 13, 59), at(2024, 3, 5, 23, 59)} {
			run(before)
			if n := count(t, db, "SELECT COUNT(*) FROM requests WHERE id = $1", keep); n != 1 {
				t.Fatalf("the request went by %s, before its complaint-records clause ended", before)
			}
		}
		rep = run(at(2024, 3, 6, 0, 0))
		for _, table := range []string{"requests", "request_events", "request_outcomes", "request_exports"} {
			if n := count(t, db, "SELECT COUNT(*) FROM "+table+" WHERE subscriber_id = 'keeps'"); n != 0 {
				t.Errorf("%d rows of %s remain after the complaint-records clause ended", n, table)
			}
		}
		// Both subscribers' requests were resolved at the same moment.
		if !hasCount(rep, "COMPLAINT_RECORDS", models.ItemRequest, "DISPUTE", 2) {
			t.Errorf("the run's tally does not count the two requests under COMPLAINT_RECORDS: %+v", rep.Counts)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM requests WHERE subscriber_id = 'empties'"); n != 0 {
			t.Errorf("the emptied subscriber's request outlived its clause")
		}
	})
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func hasCount(r *purge.Report, clause string, typ models.ItemType, code string, n int64) bool {
	for _, c := range r.Counts {
		if c.Clause == clause && c.Type == typ && c.Code == code && c.Erased == n {
			return true
		}
	}
	return false
}

func hasReason(r *purge.Report, clause string) bool {
	for _, c := range r.Counts {
		if c.Clause == clause && c.Type == models.ItemNotice && c.Erased > 0 {
			return true
		}
	}
	return false
}
