package consent_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/consent"
)

// Marketing consent is reconfirmed every two years from its date
// (정보통신망법 시행령 제62조의3). The job lists subscribers whose notice is
// due, a month ahead, records each notice once, and the next one falls two
// years later; optional items are never reconfirmed.
func TestMarketingConsentIsReconfirmedEveryTwoYears(t *testing.T) {
	eachStore(t, testMarketingConsentIsReconfirmedEveryTwoYears)
}

func testMarketingConsentIsReconfirmedEveryTwoYears(t *testing.T, e *env) {
	ctx := context.Background()
	e.adult(t, "early")
	e.adult(t, "late")
	e.adult(t, "withdrawn")
	e.set(t, "early", "marketing.sms", true)
	e.set(t, "early", "marketing.night", true)
	e.set(t, "early", "optional.discount_certificate", true)
	e.set(t, "withdrawn", "marketing.email", true)
	e.set(t, "withdrawn", "marketing.email", false)
	e.clock.Advance(10 * 24 * time.Hour)
	e.set(t, "late", "marketing.push", true)

	due := func(asOf time.Time) []consent.DueSubscriber {
		t.Helper()
		got, err := e.consent.DueForReconfirmation(ctx, asOf, 10)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	twoYears := start.AddDate(2, 0, 0)
	tests := []struct {
		name string
		asOf time.Time
		want []consent.DueSubscriber
	}{
		{name: "more than a month before", asOf: twoYears.AddDate(0, 0, -31)},
		{name: "a month before the first", asOf: twoYears.AddDate(0, 0, -30), want: []consent.DueSubscriber{
			{SubscriberID: "early", ReconfirmBy: twoYears, Topics: []string{"marketing.night", "marketing.sms"}},
		}},
		{name: "past both", asOf: twoYears.AddDate(0, 1, 0), want: []consent.DueSubscriber{
			{SubscriberID: "early", ReconfirmBy: twoYears, Topics: []string{"marketing.night", "marketing.sms"}},
			{SubscriberID: "late", ReconfirmBy: twoYears.AddDate(0, 0, 10), Topics: []string{"marketing.push"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, due(tc.asOf)); diff != "" {
				t.Errorf("due (-want +got):\n%s", diff)
			}
		})
	}
	if got := due(twoYears.AddDate(0, 1, 0)); len(got) != 2 {
		t.Fatalf("due = %+v", got)
	}
	one, err := e.consent.DueForReconfirmation(ctx, twoYears.AddDate(0, 1, 0), 1)
	if err != nil || len(one) != 1 || one[0].SubscriberID != "early" {
		t.Errorf("limit 1: %+v, %v", one, err)
	}

	// The job issues the notice: once, with each consent and its date.
	noticeAt := twoYears.AddDate(0, 0, -30)
	e.clock.Set(noticeAt)
	n, err := e.consent.RecordReconfirmationNotice(ctx, "early", noticeAt)
	if err != nil || n != 2 {
		t.Fatalf("RecordReconfirmationNotice = %d, %v; want 2", n, err)
	}
	if n, err := e.consent.RecordReconfirmationNotice(ctx, "early", noticeAt); err != nil || n != 0 {
		t.Errorf("recording it again = %d, %v; want 0", n, err)
	}
	out := e.outbox(t, "early")
	last := out[len(out)-1]
	var payload struct {
		Kind     string
		Consents []struct {
			Topic       string
			ConsentedAt time.Time
			ReconfirmBy time.Time
		}
		HowToWithdraw struct{ Ko, En string }
	}
	if err := json.Unmarshal([]byte(last.Payload), &payload); err != nil {
		t.Fatal(err)
	}
	if last.Kind != consent.NoticeReconfirmation || len(payload.Consents) != 2 || !payload.Consents[0].ConsentedAt.Equal(start) || payload.HowToWithdraw.Ko == "" {
		t.Errorf("notice = %s %+v", last.Kind, payload)
	}
	if !last.DueBy.Equal(twoYears) {
		t.Errorf("notice due by %v, want the reconfirmation date %v", last.DueBy, twoYears)
	}
	sms := e.current(t, "early")["marketing.sms"]
	if sms.ReconfirmNoticeAt == nil || !sms.ReconfirmNoticeAt.Equal(noticeAt) || !sms.ReconfirmBy.Equal(start.AddDate(4, 0, 0)) {
		t.Errorf("after the notice: noticed %v, reconfirm by %v; want %v and four years from consent", sms.ReconfirmNoticeAt, sms.ReconfirmBy, noticeAt)
	}
	if got := due(twoYears.AddDate(0, 1, 0)); len(got) != 1 || got[0].SubscriberID != "late" {
		t.Errorf("due after the notice = %+v, want only late", got)
	}
	if got := e.current(t, "early")["optional.discount_certificate"]; got.ReconfirmBy != nil {
		t.Errorf("an optional item has reconfirmBy %v", got.ReconfirmBy)
	}

	// The job, run in small batches, covers everyone left, once.
	subs, consents, err := e.consent.RunReconfirmation(ctx, twoYears.AddDate(0, 1, 0), 1)
	if err != nil || subs != 1 || consents != 1 {
		t.Errorf("RunReconfirmation = %d subscribers, %d consents, %v; want late's one", subs, consents, err)
	}
	if subs, _, err := e.consent.RunReconfirmation(ctx, twoYears.AddDate(0, 1, 0), 1); err != nil || subs != 0 {
		t.Errorf("running it again = %d, %v; want nothing left", subs, err)
	}
}

// The subscriber reconfirms in the portal: every granted marketing consent
// gets a new event and reconfirmBy two years from today; repeating it the
// same day writes nothing.
func TestTheSubscriberReconfirmsTheirMarketingConsents(t *testing.T) {
	eachStore(t, testTheSubscriberReconfirmsTheirMarketingConsents)
}

func testTheSubscriberReconfirmsTheirMarketingConsents(t *testing.T, e *env) {
	ctx := context.Background()
	e.adult(t, "sub-1")
	e.set(t, "sub-1", "marketing.sms", true)
	e.set(t, "sub-1", "marketing.email", true)
	e.set(t, "sub-1", "marketing.email", false)
	e.set(t, "sub-1", "optional.number_info_service", true)

	later := start.AddDate(1, 11, 0)
	e.clock.Set(later)
	res, err := e.consent.ReconfirmMarketing(ctx, self("sub-1"), consent.ReconfirmRequest{Via: consent.ViaApp})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 1 || !res.Outcomes[0].Changed || res.Outcomes[0].Consent.Topic.Code != "marketing.sms" {
		t.Fatalf("outcomes = %+v, want marketing.sms reconfirmed", res.Outcomes)
	}
	r := res.Outcomes[0].Receipt
	if r.Action != consent.Reconfirm || r.PreviousState != consent.Granted || r.State != consent.Granted || r.CollectionMethod != consent.ViaApp {
		t.Errorf("receipt = %s %s→%s via %s", r.Action, r.PreviousState, r.State, r.CollectionMethod)
	}
	if by := res.Outcomes[0].Consent.ReconfirmBy; by == nil || !by.Equal(later.AddDate(2, 0, 0)) {
		t.Errorf("reconfirmBy = %v, want two years from today", by)
	}

	again, err := e.consent.ReconfirmMarketing(ctx, self("sub-1"), consent.ReconfirmRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Outcomes[0].Changed {
		t.Error("reconfirming twice the same day changed something")
	}
	if n := len(e.history(t, "sub-1")); n != 5 {
		t.Errorf("history has %d events, want 5", n)
	}
	if _, err := e.consent.ReconfirmMarketing(ctx, actor.Staff("agent-1", actor.RoleAgent), consent.ReconfirmRequest{}); code(err) != apperr.CodeForbidden {
		t.Errorf("staff reconfirming: %v, want FORBIDDEN", err)
	}
}
