package usenotice_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/usenotice"
)

// The rules of the yearly notice (법 20조의2) through the service's own API
// on both stores; apitest covers what the subscriber and admins see of it.

func kst(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 3, 0, 0, 0, time.UTC) }

// A year or a batch out of range is refused with the field at fault, and
// nothing is run.
func TestRunRefusesBadInput(t *testing.T) {
	t.Parallel()
	apptest.Each(t, time.Time{}, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		for _, tc := range []struct {
			name, field string
			year        int
			opt         usenotice.Options
		}{
			{"year before 2000", "year", 1999, usenotice.Options{}},
			{"year past 9999", "year", 10000, usenotice.Options{}},
			{"batch over the maximum", "batch", 2026, usenotice.Options{Batch: usenotice.MaxBatch + 1}},
		} {
			rep, err := e.App.UsageNotice.Run(ctx, tc.year, tc.opt)
			if code, _ := apperr.CodeOf(err); code != apperr.CodeBadUserInput || apperr.FieldOf(err) != tc.field || rep.Batches != 0 {
				t.Errorf("%s: %+v, %v (field %q); want BAD_USER_INPUT on %q and no batch", tc.name, rep, err, apperr.FieldOf(err), tc.field)
			}
		}
		if _, err := e.App.UsageNotice.Coverage(ctx, 1999); apperr.FieldOf(err) != "year" {
			t.Errorf("coverage of 1999: %v, want BAD_USER_INPUT on year", err)
		}
	})
}

// While a run of a year holds its lease, another run of the same year is a
// CONFLICT and sends nothing; a run of another year is not held up.
func TestOneRunOfAYearAtATime(t *testing.T) {
	t.Parallel()
	apptest.Each(t, time.Time{}, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		for _, id := range []string{"un-1", "un-2"} {
			subscriber(t, e, id)
		}
		var during, other usenotice.Report
		var duringErr, otherErr error
		first, err := e.App.UsageNotice.Run(ctx, 2026, usenotice.Options{Batch: 1, Progress: func(rep usenotice.Report) {
			if rep.Batches == 1 {
				during, duringErr = e.App.UsageNotice.Run(ctx, 2026, usenotice.Options{})
				other, otherErr = e.App.UsageNotice.Run(ctx, 2025, usenotice.Options{})
			}
		}})
		if err != nil || first.Queued != 2 {
			t.Fatalf("first run: %+v, %v; want two queued", first, err)
		}
		if !apperr.IsConflict(duringErr) || during.Queued != 0 {
			t.Errorf("a second run of 2026 during the first: %+v, %v; want CONFLICT, nothing queued", during, duringErr)
		}
		if otherErr != nil || other.Queued != 2 {
			t.Errorf("a run of 2025 during the run of 2026: %+v, %v; want both queued", other, otherErr)
		}
		// Once the first has finished, a run of the year finds everyone
		// reached.
		if rep, err := e.App.UsageNotice.Run(ctx, 2026, usenotice.Options{}); err != nil || rep.Queued != 0 {
			t.Errorf("run after the first: %+v, %v; want nothing queued", rep, err)
		}
	})
}

// The notice names categories, purposes and counts, never a value: neither
// what is stored of it nor the message queued to the gateway carries the
// subscriber's name, phone number, e-mail address or a record's summary.
func TestNoticeCarriesNoValue(t *testing.T) {
	t.Parallel()
	apptest.Each(t, time.Time{}, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		values := subscriber(t, e, "un-3")
		rep, err := e.App.UsageNotice.Run(ctx, 2026, usenotice.Options{})
		if err != nil || rep.Queued != 1 {
			t.Fatalf("run: %+v, %v", rep, err)
		}
		n, err := e.App.UsageNotice.Last(ctx, "un-3")
		if err != nil || n == nil || n.OutboxID == nil {
			t.Fatalf("last notice: %+v, %v", n, err)
		}
		if len(n.Purposes) == 0 || !strings.Contains(n.Content, "applicant.phone") {
			t.Errorf("notice names no purpose or category: %s", n.Content)
		}
		rows, err := e.DB.SQL().QueryContext(ctx, `SELECT payload FROM outbox WHERE kind = '`+usenotice.NoticeKind+`'`)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = rows.Close() }()
		var payloads []string
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				t.Fatal(err)
			}
			payloads = append(payloads, p)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(payloads) != 1 {
			t.Fatalf("%d notice messages queued, want 1", len(payloads))
		}
		for _, v := range values {
			for what, s := range map[string]string{"stored notice": n.Content, "queued message": payloads[0]} {
				if strings.Contains(s, v) {
					t.Errorf("the %s carries the value %q", what, v)
				}
			}
		}
	})
}

// subscriber feeds an active subscriber with contact items and records of
// the year, and returns the values fed.
func subscriber(t *testing.T, e *apptest.Env, id string) []string {
	t.Helper()
	ctx := context.Background()
	name, phone, email, usage := "김민준", "010-2345-6789", id+"@example.com", "데이터 1.2GB 사용"
	if _, err := e.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: id, Status: models.StatusActive, SignedUpAt: kst(2022, 5, 2), BirthDate: new("1988-04-17"),
		Items: []feed.ItemInput{
			{Category: "applicant.name", Value: name},
			{Category: "applicant.phone", Value: phone},
			{Category: "applicant.email", Value: email},
		}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Feed.AppendRecords(ctx, id, []feed.RecordInput{
		{Kind: "USAGE", OccurredAt: kst(2026, 3, 1), ExternalID: id + "-u-1", Summary: usage},
	}); err != nil {
		t.Fatal(err)
	}
	return []string{name, phone, email, usage}
}
