package apitest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/transmit"
	"github.com/xroshot/portal/usenotice"
)

// The yearly notice of use and provision (법 20조의2), through the API on
// both stores.

type noticeView struct {
	Year            int
	Status, Outcome string
	Purposes        []struct {
		Code                    string
		Categories, RecordKinds []string
		Records                 int
	}
	Recipients []struct {
		Kind, Name string
		Categories []string
		Deliveries int
	}
}

const lastNoticeQ = `{ me { lastUsageNotice { year status outcome purposes { code categories recordKinds records } recipients { kind name categories deliveries } } } }`

func lastNotice(t *testing.T, env *apitest.Env, id string) *noticeView {
	t.Helper()
	var out struct {
		Me struct{ LastUsageNotice *noticeView }
	}
	do(t, env, env.Token(t, id, "", auth.RoleSubscriber), lastNoticeQ, nil, &out)
	return out.Me.LastUsageNotice
}

// A notice for a subscriber with records of several purposes and a
// transmission received by a recipient; no notice where there is no contact
// channel, nor to a terminated subscriber whose contact items only a
// statute keeps; idempotent per subscriber and year; coverage for admins.
func TestYearlyUsageNoticeAndCoverage(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		feedSub := func(in feed.SubscriberInput, recs ...feed.RecordInput) {
			t.Helper()
			if _, err := env.Feed.UpsertSubscriber(ctx, in); err != nil {
				t.Fatal(err)
			}
			if len(recs) > 0 {
				appendRecords(t, env, in.ID, recs)
			}
		}
		contact := []feed.ItemInput{{Category: "applicant.name", Value: "김민준"}, {Category: "applicant.phone", Value: "010-2345-6789"}, {Category: "applicant.email", Value: "minjun@example.com"}}
		feedSub(feed.SubscriberInput{ID: "un-1", Status: models.StatusActive, SignedUpAt: kst(2022, 5, 2), BirthDate: new("1988-04-17"), Items: contact},
			feed.RecordInput{Kind: "USAGE", OccurredAt: kst(2026, 3, 1), ExternalID: "u-1", Summary: "데이터"},
			feed.RecordInput{Kind: "USAGE", OccurredAt: kst(2026, 10, 1), ExternalID: "u-2", Summary: "데이터"},
			feed.RecordInput{Kind: "PAYMENT", OccurredAt: kst(2026, 6, 1), ExternalID: "p-1", Summary: "결제"},
			feed.RecordInput{Kind: "ACCESS_LOG", OccurredAt: kst(2026, 11, 1), ExternalID: "a-1", Summary: "192.0.2.1"},
			// Last year's record is not this year's use.
			feed.RecordInput{Kind: "USAGE", OccurredAt: kst(2025, 12, 31), ExternalID: "u-0", Summary: "데이터"},
		)
		feedSub(feed.SubscriberInput{ID: "un-2", Status: models.StatusActive, SignedUpAt: kst(2023, 1, 2), BirthDate: new("1990-01-01"), Items: []feed.ItemInput{{Category: "applicant.name", Value: "최유나"}}})
		term := kst(2025, 9, 30)
		feedSub(feed.SubscriberInput{ID: "un-3", Status: models.StatusTerminated, SignedUpAt: kst(2020, 1, 2), TerminatedAt: &term, BirthDate: new("1970-01-01"),
			Items: []feed.ItemInput{{Category: "applicant.name", Value: "이서연"}, {Category: "applicant.phone", Value: "010-9876-5432"}}},
			feed.RecordInput{Kind: "BILLING", OccurredAt: kst(2025, 9, 30), ExternalID: "b-1", Summary: "청구"})
		if st := inventoryAt(t, env, "un-3")["applicant.phone"].State; st != "RETAINED_BY_STATUTE" {
			t.Fatalf("setup: un-3's phone is %s", st)
		}
		feedSub(feed.SubscriberInput{ID: "un-4", Status: models.StatusActive, SignedUpAt: kst(2024, 2, 2), BirthDate: new("1995-05-05"), Items: contact[:2]})

		// un-1's usage records went to a recipient this year.
		rc := newRecipient(t, env.Clock, always(http.StatusOK))
		rid := admitRecipient(t, env, rc, "마이데이터 주식회사", "applicant.name", "USAGE")
		do(t, env, env.Token(t, "un-1", "", auth.RoleSubscriber), fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "RECIPIENT", "recipientId": rid, "schedule": "ONCE",
			"scope": map[string]any{"recordKinds": []string{"USAGE"}}, "idempotencyKey": "notice-tx-1"}}, nil)
		// Two records a document: the period's three USAGE records take two
		// documents, still one delivery to the recipient.
		w, err := transmit.NewWorker(env.App.Transmit, transmit.WorkerConfig{Client: rc.srv.Client(), MaxRecords: 2})
		if err != nil {
			t.Fatal(err)
		}
		if rep := pass(t, w); rep.Delivered != 2 || rep.Continued != 1 {
			t.Fatalf("transmission pass = %+v", rep)
		}

		// Batches of one: the run is stopped after its first batch, and the
		// next run resumes where it stopped; a third run sends nothing.
		stop, cancel := context.WithCancel(ctx)
		first, err := env.App.UsageNotice.Run(stop, 2026, usenotice.Options{Batch: 1, Progress: func(usenotice.Report) { cancel() }})
		if !errors.Is(err, context.Canceled) || first.Batches != 1 {
			t.Fatalf("stopped run = %+v, %v", first, err)
		}
		rep, err := env.App.UsageNotice.Run(ctx, 2026, usenotice.Options{Batch: 1})
		if err != nil {
			t.Fatal(err)
		}
		rep.Batches += first.Batches
		rep.Queued += first.Queued
		rep.SkippedNoContact += first.SkippedNoContact
		rep.SkippedStatuteOnly += first.SkippedStatuteOnly
		if diff := cmp.Diff(usenotice.Report{Year: 2026, Batches: 4, Queued: 2, SkippedNoContact: 1, SkippedStatuteOnly: 1}, rep); diff != "" {
			t.Fatalf("stopped and resumed runs (-want +got):\n%s", diff)
		}
		rep, err = env.App.UsageNotice.Run(ctx, 2026, usenotice.Options{Batch: 2})
		if err != nil || rep != (usenotice.Report{Year: 2026}) {
			t.Fatalf("second run = %+v, %v", rep, err)
		}

		got := lastNotice(t, env, "un-1")
		all := []string{"applicant.email", "applicant.name", "applicant.phone"}
		type purpose = struct {
			Code                    string
			Categories, RecordKinds []string
			Records                 int
		}
		// docs/POLICY.md: name, phone and e-mail serve SERVICE, OPERATIONS,
		// MARKETING and OUTSOURCING; usage, access-log and payment records
		// SERVICE and OPERATIONS. No marketing consent: no MARKETING. Four
		// records of 2026.
		wantPurposes := []purpose{
			{"SERVICE", all, []string{"USAGE", "ACCESS_LOG", "PAYMENT"}, 4},
			{"OPERATIONS", all, []string{"USAGE", "ACCESS_LOG", "PAYMENT"}, 4},
			{"OUTSOURCING", all, []string{}, 0},
		}
		if got == nil || got.Year != 2026 || got.Status != "QUEUED" || got.Outcome != "PENDING" {
			t.Fatalf("notice = %+v", got)
		}
		if diff := cmp.Diff(wantPurposes, []purpose(got.Purposes)); diff != "" {
			t.Errorf("purposes (-want +got):\n%s", diff)
		}
		if len(got.Recipients) != 2 || got.Recipients[0].Kind != "PROCESSOR" || got.Recipients[1].Kind != "TRANSMISSION_RECIPIENT" ||
			got.Recipients[1].Name != "마이데이터 주식회사" || got.Recipients[1].Deliveries != 1 || !cmp.Equal(got.Recipients[1].Categories, []string{"USAGE"}) {
			t.Errorf("recipients = %+v", got.Recipients)
		}
		if n := lastNotice(t, env, "un-2"); n == nil || n.Status != "SKIPPED_NO_CONTACT" {
			t.Errorf("un-2 = %+v", n)
		}

		// The gateway accepts un-1's notice and refuses un-4's; the
		// deliverer gives up on the latter at once.
		gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			var env notify.Envelope
			_ = json.Unmarshal(b, &env)
			if env.SubscriberID == "un-4" {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusOK)
		}))
		defer gw.Close()
		// Not wiring: one deliverer pointed at the test gateway, over the environment's store and clock.
		d, err := notify.New(env.DB.ForNotify(), notify.Config{URL: gw.URL, Secret: []byte("0123456789abcdef0123456789abcdef"), MaxAttempts: 1, Clock: env.Clock})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}

		var cov struct{ UsageNoticeCoverage map[string]int }
		do(t, env, env.Token(t, "admin-1", "", auth.RoleAdmin),
			`{ usageNoticeCoverage(year: 2026) { year notified pending failed skippedNoContact skippedStatuteOnly remaining } }`, nil, &cov)
		want := map[string]int{"year": 2026, "notified": 1, "pending": 0, "failed": 1, "skippedNoContact": 1, "skippedStatuteOnly": 1, "remaining": 0}
		if diff := cmp.Diff(want, cov.UsageNoticeCoverage); diff != "" {
			t.Errorf("coverage (-want +got):\n%s", diff)
		}
		if n := lastNotice(t, env, "un-1"); n.Outcome != "NOTIFIED" {
			t.Errorf("un-1 outcome = %s", n.Outcome)
		}
		wantCode(t, env.Query(t, env.Token(t, "un-1", "", auth.RoleSubscriber), `{ usageNoticeCoverage(year: 2026) { notified } }`, nil), "FORBIDDEN", "")

		// A subscriber fed after the run is reached by the next one, and
		// only they are.
		env.Clock.Advance(time.Hour)
		feedSub(feed.SubscriberInput{ID: "un-0", Status: models.StatusActive, SignedUpAt: kst(2026, 11, 1), BirthDate: new("2000-01-01"), Items: contact})
		rep, err = env.App.UsageNotice.Run(ctx, 2026, usenotice.Options{})
		if err != nil || rep.Queued != 1 || rep.Batches != 1 {
			t.Fatalf("third run = %+v, %v", rep, err)
		}

		// Delivered and dead messages go after their proof windows (the
		// purge's copies step; here with both windows ending now); the
		// notices they carried keep their outcome.
		if _, err := env.DB.DeleteSpentNotices(ctx, env.Clock.Now(), env.Clock.Now(), 100); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"un-1", "un-4"} {
			n, err := env.DB.LastNotice(ctx, id)
			if err != nil || n.OutboxID == nil {
				t.Fatalf("%s notice = %+v, %v", id, n, err)
			}
			out, err := env.DB.ListOutbox(ctx, id, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range out {
				if m.ID == *n.OutboxID {
					t.Errorf("%s: the notice's outbox message outlived its proof window", id)
				}
			}
		}
		do(t, env, env.Token(t, "admin-1", "", auth.RoleAdmin), `{ usageNoticeCoverage(year: 2026) { notified failed } }`, nil, &cov)
		if cov.UsageNoticeCoverage["notified"] != 1 || cov.UsageNoticeCoverage["failed"] != 1 {
			t.Errorf("coverage after the messages went = %v, want notified 1, failed 1", cov.UsageNoticeCoverage)
		}
		if n := lastNotice(t, env, "un-1"); n.Outcome != "NOTIFIED" {
			t.Errorf("un-1 outcome after its message went = %s", n.Outcome)
		}
	})
}
