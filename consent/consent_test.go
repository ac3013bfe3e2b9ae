package consent_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

// A subscriber can grant and withdraw every topic of the notice; each change
// takes effect at once and is recorded with who, what, when, how and under
// which policy version.
func TestASubscriberGrantsAndWithdrawsEveryTopic(t *testing.T) {
	t.Parallel()
	cat, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range cat.ConsentTopics {
		t.Run(topic.Code, func(t *testing.T) {
			eachStore(t, func(t *testing.T, e *env) { grantAndWithdraw(t, e, cat, topic) })
		})
	}
}

func grantAndWithdraw(t *testing.T, e *env, cat *policy.Catalog, topic policy.ConsentTopic) {
	e.adult(t, "sub-1")
	if got := e.current(t, "sub-1")[topic.Code].State; got != consent.NotRecorded {
		t.Fatalf("before any change: %s, want NOT_RECORDED", got)
	}

	granted := e.set(t, "sub-1", topic.Code, true)
	e.clock.Advance(time.Hour)
	withdrawn := e.set(t, "sub-1", topic.Code, false)

	if !granted.Changed || !withdrawn.Changed {
		t.Errorf("changed = %v, %v; want both", granted.Changed, withdrawn.Changed)
	}
	if got := e.current(t, "sub-1")[topic.Code].State; got != consent.Withdrawn {
		t.Errorf("after withdrawing: %s, want WITHDRAWN", got)
	}
	type change struct {
		Topic, Action, From, To, Actor, ActorID, Via, Policy string
		At                                                   time.Time
	}
	var got []change
	for _, ev := range e.history(t, "sub-1") {
		got = append(got, change{ev.Topic, ev.Action, ev.FromState, ev.ToState, ev.ActorKind, ev.ActorID, ev.Via, ev.PolicyVersion, ev.OccurredAt})
	}
	want := []change{
		{topic.Code, "GRANT", "NOT_RECORDED", "GRANTED", "SUBSCRIBER", "sub-1", "WEB", cat.Version, start},
		{topic.Code, "WITHDRAW", "GRANTED", "WITHDRAWN", "SUBSCRIBER", "sub-1", "WEB", cat.Version, start.Add(time.Hour)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

// Repeating a change changes nothing and writes no second event.
func TestRepeatingAChangeWritesNothing(t *testing.T) { eachStore(t, testRepeatingAChangeWritesNothing) }

func testRepeatingAChangeWritesNothing(t *testing.T, e *env) {
	e.adult(t, "sub-1")
	first := e.set(t, "sub-1", "marketing.sms", true)
	e.clock.Advance(time.Minute)
	again := e.set(t, "sub-1", "marketing.sms", true)

	if again.Changed {
		t.Error("the repeated grant reports a change")
	}
	if again.Receipt == nil || again.Receipt.ID != first.Receipt.ID {
		t.Errorf("the repeated grant's receipt = %+v, want the first grant's %s", again.Receipt, first.Receipt.ID)
	}
	if n := len(e.history(t, "sub-1")); n != 1 {
		t.Errorf("history has %d events, want 1", n)
	}
	if n := len(e.outbox(t, "sub-1")); n != 1 {
		t.Errorf("outbox has %d notices, want 1", n)
	}
}

// A client request id makes a call idempotent: the same id with the same
// body gets the same result, with another body CONFLICT.
func TestAClientRequestIDReplaysTheSameResult(t *testing.T) {
	eachStore(t, testAClientRequestIDReplaysTheSameResult)
}

func testAClientRequestIDReplaysTheSameResult(t *testing.T, e *env) {
	e.adult(t, "sub-1")
	ctx := context.Background()
	req := consent.Request{ClientRequestID: "req-1", Changes: []consent.Change{{Topic: "marketing.email", Granted: true}, {Topic: "marketing.sms", Granted: true}}}
	first, err := e.consent.Set(ctx, self("sub-1"), req)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	again, err := e.consent.Set(ctx, self("sub-1"), req)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || first.Replayed {
		t.Errorf("replayed = %v then %v, want false then true", first.Replayed, again.Replayed)
	}
	ids := func(r consent.Result) []string {
		var out []string
		for _, o := range r.Outcomes {
			out = append(out, o.Receipt.ID)
		}
		return out
	}
	if diff := cmp.Diff(ids(first), ids(again)); diff != "" {
		t.Errorf("receipts of the replay (-first +replay):\n%s", diff)
	}

	other := req
	other.Changes = []consent.Change{{Topic: "marketing.email", Granted: false}}
	_, err = e.consent.Set(ctx, self("sub-1"), other)
	if code(err) != apperr.CodeConflict {
		t.Errorf("the same id with another body: %v, want CONFLICT", err)
	}
	if n := len(e.history(t, "sub-1")); n != 2 {
		t.Errorf("history has %d events, want 2", n)
	}

	// A request that changed nothing replays as such.
	noop := consent.Request{ClientRequestID: "req-2", Changes: []consent.Change{{Topic: "marketing.sms", Granted: true}}}
	for i := range 2 {
		res, err := e.consent.Set(ctx, self("sub-1"), noop)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Outcomes) != 1 || res.Outcomes[0].Changed || res.Replayed != (i == 1) || res.Outcomes[0].Receipt.ID != first.Outcomes[1].Receipt.ID {
			t.Errorf("no-op request, call %d: %+v", i+1, res)
		}
	}
}

// Who may change consents (개인정보 보호법 제22조의2, 제38조): the subscriber;
// for a child under 14 only the recorded guardian; staff only through an
// assigned request, which does not exist yet.
func TestWhoMayChangeConsents(t *testing.T) { eachStore(t, testWhoMayChangeConsents) }

func testWhoMayChangeConsents(t *testing.T, e *env) {
	e.adult(t, "adult-1")
	e.minor(t, "minor-1", "guardian-1")
	teen := start.AddDate(-14, 0, -1).Format(time.DateOnly)
	e.subscriber(t, feed.SubscriberInput{ID: "teen-1", BirthDate: &teen, GuardianID: new("guardian-1")})
	tests := []struct {
		name      string
		who       actor.Actor
		req       consent.Request
		wantCode  apperr.Code
		wantMsg   string
		wantActor consent.ActorKind
	}{
		{name: "an adult changes their own", who: self("adult-1"), wantActor: consent.ActorSubscriber},
		{name: "a child under 14 is refused", who: self("minor-1"), wantCode: apperr.CodeForbidden, wantMsg: "only their legal guardian"},
		{name: "the recorded guardian changes the child's", who: actor.GuardianOf("minor-1", "guardian-1"), wantActor: consent.ActorGuardian},
		{name: "someone else claiming to be the guardian", who: actor.GuardianOf("minor-1", "guardian-2"), wantCode: apperr.CodeForbidden, wantMsg: "not the recorded legal guardian"},
		{name: "a guardian claim on an adult", who: actor.GuardianOf("adult-1", "guardian-1"), wantCode: apperr.CodeForbidden, wantMsg: "not the recorded legal guardian"},
		{name: "the guardian of a child who turned 14", who: actor.GuardianOf("teen-1", "guardian-1"), wantCode: apperr.CodeForbidden, wantMsg: "14 or older"},
		{name: "a child who turned 14 changes their own", who: self("teen-1"), wantActor: consent.ActorSubscriber},
		{name: "a subscriber naming someone else", who: self("adult-1"), req: consent.Request{SubscriberID: "minor-1"}, wantCode: apperr.CodeForbidden, wantMsg: "only their own"},
		{name: "an unknown subscriber", who: self("nobody"), wantCode: apperr.CodeNotFound},
		{name: "a subscriber at the agent desk", who: self("adult-1"), req: consent.Request{Via: consent.ViaAgentDesk}, wantCode: apperr.CodeBadUserInput},
		{name: "staff without naming the subscriber", who: actor.Staff("agent-1", actor.RoleAgent), req: consent.Request{Reason: "asked by phone"}, wantCode: apperr.CodeBadUserInput, wantMsg: "subscriberId"},
		{name: "staff without a reason", who: actor.Staff("agent-1", actor.RoleAgent), req: consent.Request{SubscriberID: "adult-1"}, wantCode: apperr.CodeBadUserInput, wantMsg: "reason"},
		{name: "staff with a reason but no assigned request", who: actor.Staff("agent-1", actor.RoleAgent), req: consent.Request{SubscriberID: "adult-1", Reason: "asked by phone"}, wantCode: apperr.CodeForbidden, wantMsg: "never grant them"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Changes = []consent.Change{{Topic: "marketing.push", Granted: true}}
			before := len(e.history(t, tc.who.Subject))
			res, err := e.consent.Set(context.Background(), tc.who, req)
			if code(err) != tc.wantCode || !strings.Contains(message(err), tc.wantMsg) {
				t.Fatalf("Set() error = %v, want %q containing %q", err, tc.wantCode, tc.wantMsg)
			}
			if err != nil {
				if after := len(e.history(t, tc.who.Subject)); after != before {
					t.Errorf("a refused change wrote %d events", after-before)
				}
				return
			}
			if got := res.Outcomes[0].Receipt.Actor; got != tc.wantActor {
				t.Errorf("recorded actor = %s, want %s", got, tc.wantActor)
			}
			if got := res.Outcomes[0].Receipt.ActorID; tc.wantActor == consent.ActorGuardian && got != "guardian-1" {
				t.Errorf("recorded actor id = %s, want guardian-1", got)
			}
		})
	}
}

// Bad input is refused with BAD_USER_INPUT before anything is written, and a
// batch with one bad change writes none of its changes.
func TestBadInputWritesNothing(t *testing.T) { eachStore(t, testBadInputWritesNothing) }

func testBadInputWritesNothing(t *testing.T, e *env) {
	e.adult(t, "sub-1")
	tests := []struct {
		name      string
		changes   []consent.Change
		wantField string
	}{
		{name: "no change", wantField: "changes"},
		{name: "unknown topic", changes: []consent.Change{{Topic: "marketing.fax", Granted: true}}, wantField: "topic"},
		{name: "a channel of another topic", changes: []consent.Change{{Topic: "marketing.sms", Granted: true, Channel: policy.ChannelEmail}}, wantField: "channel"},
		{name: "night-time consent for e-mail", changes: []consent.Change{{Topic: "marketing.night", Granted: true, Channel: policy.ChannelEmail}}, wantField: "channel"},
		{name: "a channel for an optional item", changes: []consent.Change{{Topic: "optional.discount_certificate", Granted: true, Channel: policy.ChannelSMS}}, wantField: "channel"},
		{name: "a topic twice", changes: []consent.Change{{Topic: "marketing.sms", Granted: true}, {Topic: "marketing.sms", Granted: false}}, wantField: "changes[1].topic"},
		{name: "a good change then a bad one", changes: []consent.Change{{Topic: "marketing.sms", Granted: true}, {Topic: "spam", Granted: true}}, wantField: "changes[1].topic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.consent.Set(context.Background(), self("sub-1"), consent.Request{Changes: tc.changes})
			if code(err) != apperr.CodeBadUserInput || apperr.FieldOf(err) != tc.wantField {
				t.Errorf("Set() error = %v (field %q), want BAD_USER_INPUT at %q", err, apperr.FieldOf(err), tc.wantField)
			}
		})
	}
	if n := len(e.history(t, "sub-1")); n != 0 {
		t.Errorf("bad input wrote %d events", n)
	}
	if n := len(e.outbox(t, "sub-1")); n != 0 {
		t.Errorf("bad input queued %d notices", n)
	}
	// The channel a topic does govern is accepted.
	for _, c := range []consent.Change{{Topic: "marketing.sms", Granted: true, Channel: policy.ChannelSMS}, {Topic: "marketing.night", Granted: true, Channel: policy.ChannelPush}} {
		if _, err := e.consent.Set(context.Background(), self("sub-1"), consent.Request{Changes: []consent.Change{c}}); err != nil {
			t.Errorf("%s with channel %s: %v", c.Topic, c.Channel, err)
		}
	}
}

// Withdrawing an optional item's consent ends its clauses at once: the item
// is due, and its purge date is stored for the next purge. Refusing never
// touches what the service needs.
func TestWithdrawingAnOptionalConsentMakesItsItemDue(t *testing.T) {
	eachStore(t, testWithdrawingAnOptionalConsentMakesItsItemDue)
}

func testWithdrawingAnOptionalConsentMakesItsItemDue(t *testing.T, e *env) {
	e.adult(t, "sub-1")
	e.set(t, "sub-1", "optional.discount_certificate", false)

	cert := e.holding(t, "sub-1", "optional.discount_certificate")
	if cert.Assessment.State != retention.StateDue {
		t.Errorf("discount certificate: %s, want DUE", cert.Assessment.State)
	}
	if pa := cert.Holding.PurgeAfter; pa == nil || !pa.Equal(start) {
		t.Errorf("stored purge date = %v, want the withdrawal %v", pa, start)
	}
	for _, c := range []string{"optional.number_info_service", "applicant.name", "applicant.phone"} {
		h := e.holding(t, "sub-1", c)
		if h.Assessment.State != retention.StateInUse || h.Holding.PurgeAfter != nil {
			t.Errorf("%s: %s purge %v, want in use with no purge date", c, h.Assessment.State, h.Holding.PurgeAfter)
		}
	}

	// Consenting again before the purge puts the item back in use.
	e.clock.Advance(time.Hour)
	e.set(t, "sub-1", "optional.discount_certificate", true)
	cert = e.holding(t, "sub-1", "optional.discount_certificate")
	if cert.Assessment.State != retention.StateInUse || cert.Holding.PurgeAfter != nil {
		t.Errorf("after consenting again: %s purge %v, want in use", cert.Assessment.State, cert.Holding.PurgeAfter)
	}
}

// Every change queues a result notice due within 14 days (정보통신망법
// 시행령 제62조의2); a batch is one notice.
func TestEveryChangeQueuesAResultNoticeWithin14Days(t *testing.T) {
	eachStore(t, testEveryChangeQueuesAResultNoticeWithin14Days)
}

func testEveryChangeQueuesAResultNoticeWithin14Days(t *testing.T, e *env) {
	e.adult(t, "sub-1")
	res, err := e.consent.Set(context.Background(), self("sub-1"), consent.Request{Changes: []consent.Change{{Topic: "marketing.sms", Granted: true}, {Topic: "marketing.night", Granted: false}}})
	if err != nil {
		t.Fatal(err)
	}
	out := e.outbox(t, "sub-1")
	if len(out) != 1 {
		t.Fatalf("outbox has %d notices, want 1", len(out))
	}
	n := out[0]
	if n.Kind != consent.NoticeResult || !n.DueBy.Equal(start.AddDate(0, 0, 14)) || n.DeliveredAt != nil {
		t.Errorf("notice = %s due %v delivered %v, want %s due %v, undelivered", n.Kind, n.DueBy, n.DeliveredAt, consent.NoticeResult, start.AddDate(0, 0, 14))
	}
	var payload struct {
		Kind    string
		Changes []struct{ Topic, Action, From, To, ReceiptID string }
	}
	if err := json.Unmarshal([]byte(n.Payload), &payload); err != nil {
		t.Fatal(err)
	}
	type change struct{ Topic, Action, From, To, ReceiptID string }
	var got []change
	for _, c := range payload.Changes {
		got = append(got, change(c))
	}
	want := []change{
		{"marketing.night", "WITHDRAW", "NOT_RECORDED", "WITHDRAWN", res.Outcomes[1].Receipt.ID},
		{"marketing.sms", "GRANT", "NOT_RECORDED", "GRANTED", res.Outcomes[0].Receipt.ID},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notice changes (-want +got):\n%s", diff)
	}
}

// Receipts carry the fields of the Kantara receipt / ISO/IEC 27560 record,
// verify against the stored history, and chain each topic's events.
func TestReceiptsVerifyAndChain(t *testing.T) { eachStore(t, testReceiptsVerifyAndChain) }

func testReceiptsVerifyAndChain(t *testing.T, e *env) {
	e.adult(t, "sub-1")
	ctx := context.Background()
	granted := e.set(t, "sub-1", "marketing.email", true)
	e.clock.Advance(time.Hour)
	withdrawn := e.set(t, "sub-1", "marketing.email", false)

	r := granted.Receipt
	type fields struct {
		Version, Jurisdiction, Controller, PolicyURL, PolicyVersion, Subject, Topic, Purpose, PurposeCategory, ConsentType string
		State, PreviousState                                                                                               consent.State
		Method                                                                                                             consent.Via
		PII                                                                                                                []string
	}
	want := fields{
		"KI-CR-v1.1.0", "KR", e.cat.Controller.Ko, "https://www.xroshot.com", e.cat.Version, "sub-1", "marketing.email", "MARKETING", "marketing.communications.email", "EXPLICIT",
		consent.Granted, consent.NotRecorded, consent.ViaWeb,
		[]string{"user.name", "user.contact.address", "user.contact.phone_number", "user.contact.email"},
	}
	got := fields{r.Version, r.Jurisdiction, r.Controller, r.PolicyURL, r.PolicyVersion, r.Subject, r.Topic, r.Purpose, r.PurposeCategory, r.ConsentType, r.State, r.PreviousState, r.CollectionMethod, r.PIICategories}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("receipt (-want +got):\n%s", diff)
	}
	if r.ReconfirmBy == nil || !r.ReconfirmBy.Equal(start.AddDate(2, 0, 0)) {
		t.Errorf("reconfirmBy = %v, want two years on", r.ReconfirmBy)
	}
	if withdrawn.Receipt.PreviousDigest != granted.Receipt.Digest {
		t.Errorf("the withdrawal's receipt chains to %q, want the grant's %q", withdrawn.Receipt.PreviousDigest, granted.Receipt.Digest)
	}

	back, err := e.consent.Receipt(ctx, "sub-1", r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Verified || back.Digest != r.Digest || back.JSON != r.JSON {
		t.Errorf("receipt read back: verified %v, digest %s, want verified %s", back.Verified, back.Digest, r.Digest)
	}
	if _, err := e.consent.Receipt(ctx, "sub-2", r.ID); code(err) != apperr.CodeNotFound {
		t.Errorf("another subscriber's receipt: %v, want NOT_FOUND", err)
	}
	evs := e.history(t, "sub-1")
	if err := consent.VerifyChain(evs); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}

	tampered := *evs[0]
	tampered.ToState = string(consent.Withdrawn)
	if rc, err := consent.ReceiptOf(&tampered); err != nil || rc.Verified {
		t.Errorf("a rewritten event verifies: %v %v", rc, err)
	}
	forged := *evs[1]
	forged.Receipt = strings.Replace(forged.Receipt, `"actorId":"sub-1"`, `"actorId":"someone"`, 1)
	if rc, err := consent.ReceiptOf(&forged); err != nil || rc.Verified {
		t.Errorf("an edited receipt verifies: %v %v", rc, err)
	}
	if err := consent.VerifyChain([]*models.ConsentEventRow{evs[1]}); err == nil {
		t.Error("a chain missing its first event verifies")
	}
}

// A terminated subscriber may still withdraw, but grants nothing new.
func TestAfterTerminationConsentsCanOnlyBeWithdrawn(t *testing.T) {
	eachStore(t, testAfterTerminationConsentsCanOnlyBeWithdrawn)
}

func testAfterTerminationConsentsCanOnlyBeWithdrawn(t *testing.T, e *env) {
	e.adult(t, "sub-1")
	e.set(t, "sub-1", "optional.discount_certificate", true)
	if _, err := e.feed.Terminate(context.Background(), "sub-1", start); err != nil {
		t.Fatal(err)
	}
	_, err := e.consent.Set(context.Background(), self("sub-1"), consent.Request{Changes: []consent.Change{{Topic: "marketing.email", Granted: true}}})
	if code(err) != apperr.CodeConflict {
		t.Errorf("granting after termination: %v, want CONFLICT", err)
	}
	// Marketing ended with the termination; an optional item's consent is
	// the subscriber's to withdraw.
	if out := e.set(t, "sub-1", "optional.discount_certificate", false); !out.Changed {
		t.Error("withdrawing after termination changed nothing")
	}
}
