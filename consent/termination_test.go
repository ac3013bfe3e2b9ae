package consent_test

import (
	"context"
	"testing"

	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
)

// Termination ends marketing consents: each granted marketing topic is
// withdrawn, in the history with the termination as the reason and a
// receipt; optional items keep their consent (their data follows its own
// clauses). No reconfirmation notice ever goes to the terminated
// subscriber (issue 12, finding 6).
func TestTerminationEndsMarketingConsents(t *testing.T) {
	eachStore(t, testTerminationEndsMarketingConsents)
}

func testTerminationEndsMarketingConsents(t *testing.T, e *env) {
	ctx := context.Background()
	e.adult(t, "sub-1")
	e.set(t, "sub-1", "marketing.sms", true)
	e.set(t, "sub-1", "marketing.email", true)
	e.set(t, "sub-1", "optional.discount_certificate", true)
	if _, err := e.feed.Terminate(ctx, "sub-1", start); err != nil {
		t.Fatal(err)
	}
	cur := e.current(t, "sub-1")
	for _, topic := range []string{"marketing.sms", "marketing.email"} {
		if cur[topic].State != consent.Withdrawn {
			t.Errorf("%s after termination = %s, want WITHDRAWN", topic, cur[topic].State)
		}
	}
	if got := cur["optional.discount_certificate"].State; got != consent.Granted {
		t.Errorf("optional item after termination = %s, want GRANTED (not a marketing consent)", got)
	}
	ended := 0
	for _, ev := range e.history(t, "sub-1") {
		if ev.Action != string(consent.Withdraw) {
			continue
		}
		ended++
		if ev.Reason == nil || *ev.Reason != "termination of the subscription on 2026-11-26" || ev.ReceiptID == "" || ev.ActorID != consent.TerminationActor {
			t.Errorf("withdrawal %s: reason %v, receipt %q, actor %s; want the termination, a receipt, %s", ev.Topic, ev.Reason, ev.ReceiptID, ev.ActorID, consent.TerminationActor)
		}
	}
	if ended != 2 {
		t.Errorf("%d withdrawals in the history, want 2", ended)
	}
	// Terminating again (a repeated feed) records nothing more.
	if _, err := e.feed.UpsertSubscriber(ctx, feedTerminated("sub-1")); err != nil {
		t.Fatal(err)
	}
	if n := len(e.history(t, "sub-1")); n != 5 {
		t.Errorf("%d events after the repeated termination, want 5", n)
	}
	if subs, consents, err := e.consent.RunReconfirmation(ctx, start.AddDate(2, 1, 0), 10); err != nil || subs != 0 || consents != 0 {
		t.Errorf("reconfirmation = %d subscribers, %d consents, %v; want none", subs, consents, err)
	}
	for _, n := range e.outbox(t, "sub-1") {
		if n.Kind == consent.NoticeReconfirmation {
			t.Errorf("a reconfirmation notice was queued for a terminated subscriber")
		}
	}
}

// A subscriber whose termination was recorded while their consents were
// still granted (data from before this rule, or a failed follow-up) gets no
// reconfirmation notice: the job ends their marketing consents instead.
func TestReconfirmationEndsATerminatedSubscribersMarketing(t *testing.T) {
	eachStore(t, testReconfirmationEndsATerminatedSubscribersMarketing)
}

func testReconfirmationEndsATerminatedSubscribersMarketing(t *testing.T, e *env) {
	ctx := context.Background()
	e.adult(t, "sub-1")
	e.adult(t, "sub-2")
	e.set(t, "sub-1", "marketing.sms", true)
	e.set(t, "sub-2", "marketing.sms", true)
	// Terminated behind the feed's back, as older data was.
	sub, err := e.db.GetSubscriber(ctx, "sub-1")
	if err != nil {
		t.Fatal(err)
	}
	at := start.AddDate(0, 7, 0)
	sub.Status, sub.TerminatedAt = models.StatusTerminated, &at
	if err := e.db.UpsertSubscriber(ctx, sub); err != nil {
		t.Fatal(err)
	}
	asOf := start.AddDate(2, 1, 0)
	e.clock.Set(asOf)
	// Batches of one: the terminated subscriber first must not stop the
	// run before the active one.
	subs, consents, err := e.consent.RunReconfirmation(ctx, asOf, 1)
	if err != nil || subs != 1 || consents != 1 {
		t.Errorf("reconfirmation = %d subscribers, %d consents, %v; want the active one only", subs, consents, err)
	}
	for _, n := range e.outbox(t, "sub-1") {
		if n.Kind == consent.NoticeReconfirmation {
			t.Errorf("a reconfirmation notice was queued for a terminated subscriber")
		}
	}
	if got := e.current(t, "sub-1")["marketing.sms"].State; got != consent.Withdrawn {
		t.Errorf("the terminated subscriber's SMS consent = %s, want WITHDRAWN", got)
	}
	got := 0
	for _, n := range e.outbox(t, "sub-2") {
		if n.Kind == consent.NoticeReconfirmation {
			got++
		}
	}
	if got != 1 {
		t.Errorf("%d reconfirmation notices for the active subscriber, want 1", got)
	}
}

// feedTerminated is sub-1 as the operator's CRM sends it once terminated.
func feedTerminated(id string) feed.SubscriberInput {
	return feed.SubscriberInput{
		ID: id, Status: models.StatusTerminated, SignedUpAt: start.AddDate(-3, 0, 0), TerminatedAt: new(start), BirthDate: new("1988-04-17"),
		Items: []feed.ItemInput{
			{Category: "applicant.name", Value: "김민준"},
			{Category: "applicant.phone", Value: "010-2345-6789"},
			{Category: "optional.discount_certificate", Value: "복지할인증명 제2024-117호"},
			{Category: "optional.number_info_service", Value: "번호안내 등록"},
		},
	}
}
