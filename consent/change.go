package consent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// Change asks for one topic to be granted or withdrawn.
type Change struct {
	Topic   string
	Granted bool
	// Channel is, optionally, the marketing channel the client shows the
	// toggle for; it must belong to the topic.
	Channel policy.Channel
}

// Request is one call of setConsent (one change) or its batch form.
type Request struct {
	// SubscriberID names whose consents change: empty or the token's own
	// subject for subscribers; required for staff.
	SubscriberID string
	Changes      []Change
	// Via is where the change is made; WEB when empty.
	Via Via
	// Reason is required when staff act on a subscriber's behalf.
	Reason string
	// ClientRequestID makes the call idempotent: the same id with the same
	// body gets the same result, with another body CONFLICT.
	ClientRequestID string
}

// Outcome is where one topic of a request ended.
type Outcome struct {
	Consent Consent
	// Changed is false when the topic already stood as asked: nothing was
	// written.
	Changed bool
	// Receipt is the receipt of this change or, when nothing changed, of
	// the change that set the current state; nil if none was ever recorded.
	Receipt *Receipt
}

// Result is what a request did, one outcome per topic in request order.
type Result struct {
	Outcomes []Outcome
	// Replayed is set when the request repeats an earlier one with the
	// same client request id: nothing new was written.
	Replayed bool
}

// Limits on free text.
const (
	maxReason    = 500
	maxRequestID = 128
)

// NoticeWithin is how soon the subscriber must be told the result of a
// consent, refusal or withdrawal (정보통신망법 시행령 제62조의2: 14 days).
var NoticeWithin = policy.Period{Days: 14}

// Set applies a request: every topic changes, or none does. Repeating a
// change writes nothing; each real change appends an event with its
// receipt, queues the result notice, and, for an optional item, reschedules
// the subscriber's data so a withdrawn item is due for the next purge.
func (s *Service) Set(ctx context.Context, who actor.Actor, req Request) (Result, error) {
	return s.set(ctx, who, req, true)
}

// WithdrawForRequest withdraws the topics a resolved deletion request
// covered, recorded as done by the staff member who resolved it (by, acting
// through the request: by.Request), on the agent desk, with the request as
// the reason and (idempotently) the request id as client request id. The
// request itself is the subscriber's instruction, so no assignment is
// checked again. It is what requests.Consents asks of this service.
func (s *Service) WithdrawForRequest(ctx context.Context, by actor.Actor, subscriberID string, topics []string) error {
	if by.Request == "" || !staff(by) {
		return apperr.Forbidden("consents are withdrawn for a request only by the staff member resolving it")
	}
	req := Request{SubscriberID: subscriberID, Via: ViaAgentDesk, Reason: "deletion request " + by.Request, ClientRequestID: "request:" + by.Request}
	for _, t := range topics {
		req.Changes = append(req.Changes, Change{Topic: t})
	}
	_, err := s.set(ctx, by, req, false)
	return err
}

func (s *Service) set(ctx context.Context, who actor.Actor, req Request, checkDelegation bool) (Result, error) {
	topics, err := s.validate(req)
	if err != nil {
		return Result{}, err
	}
	if staff(who) {
		if err := staffChange(req.SubscriberID, req.Reason); err != nil {
			return Result{}, err
		}
		if err := staffMayOnlyWithdraw(req.Changes); err != nil {
			return Result{}, err
		}
		if checkDelegation {
			if err := s.mayAct(ctx, who.Subject, req.SubscriberID); err != nil {
				return Result{}, err
			}
		}
		switch req.Via {
		case "":
			req.Via = ViaAgentDesk
		case ViaAgentDesk:
		default:
			return Result{}, apperr.BadInput("via", "staff act on the AGENT_DESK channel")
		}
	} else {
		via, err := subscriberScope(who, req.SubscriberID, req.Via)
		if err != nil {
			return Result{}, err
		}
		req.Via, req.SubscriberID = via, who.Subject
	}
	hash, err := requestHash("set", req)
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = s.store.InTx(ctx, func(tx Store) error {
		now := s.now()
		sub, a, err := s.begin(ctx, tx, who, req.SubscriberID, now)
		if err != nil {
			return err
		}
		if replay, done, err := s.claim(ctx, tx, req.SubscriberID, req.ClientRequestID, hash, topics, now); done || err != nil {
			res = replay
			return err
		}
		rows, err := tx.ListConsents(ctx, req.SubscriberID)
		if err != nil {
			return err
		}
		cur := indexRows(rows)
		var plan []planned
		for i, c := range req.Changes {
			to := Withdrawn
			if c.Granted {
				to = Granted
			}
			from := NotRecorded
			if r := cur[c.Topic]; r != nil {
				from = State(r.State)
			}
			if from == to {
				continue
			}
			if to == Granted && sub.TerminatedAt != nil {
				return apperr.Conflict("the subscription has ended: consents can be withdrawn, not granted")
			}
			action := Withdraw
			if to == Granted {
				action = Grant
			}
			plan = append(plan, planned{index: i, topic: topics[i], action: action, to: to})
		}
		res, err = s.apply(ctx, tx, req, a, cur, topics, plan, now)
		return err
	})
	if err != nil {
		return Result{}, s.explain(err)
	}
	return res, nil
}

// planned is one change about to be written.
type planned struct {
	index  int
	topic  *policy.ConsentTopic
	action Action
	to     State
}

// begin loads the subscriber and decides who the change is made by.
func (s *Service) begin(ctx context.Context, tx Store, who actor.Actor, subscriberID string, now time.Time) (*models.Subscriber, madeBy, error) {
	sub, err := s.inv.Subscriber(ctx, tx, subscriberID)
	if err != nil {
		if apperr.IsNotFound(err) {
			return nil, madeBy{}, apperr.NotFound("no data is held for this subscriber")
		}
		return nil, madeBy{}, err
	}
	if staff(who) {
		return sub, madeBy{kind: ActorAgent, id: who.Subject}, nil
	}
	a, err := authorize(who, sub, now)
	return sub, a, err
}

// claim makes a request idempotent. A request id seen before with the same
// body replays the earlier result (done); with another body it is a
// conflict. A new id is recorded, and a concurrent request with the same id
// then fails on it with CONFLICT.
func (s *Service) claim(ctx context.Context, tx Store, subscriberID, id, hash string, topics []*policy.ConsentTopic, now time.Time) (Result, bool, error) {
	if id == "" {
		return Result{}, false, nil
	}
	prior, err := tx.GetConsentRequest(ctx, subscriberID, id)
	switch {
	case err == nil:
		if prior.RequestHash != hash {
			return Result{}, true, apperr.Conflict("clientRequestId %q was already used for a different change", id)
		}
		res, err := s.replay(ctx, tx, subscriberID, id, topics)
		return res, true, err
	case !apperr.IsNotFound(err):
		return Result{}, true, err
	}
	err = tx.CreateConsentRequest(ctx, &models.ConsentRequestRow{SubscriberID: subscriberID, ClientRequestID: id, RequestHash: hash, CreatedAt: now})
	if errors.Is(err, apperr.ErrConflict) {
		return Result{}, true, apperr.Conflict("a request with clientRequestId %q is being processed at the same time; retry it to get its result", id)
	}
	return Result{}, false, err
}

// replay rebuilds the result of an earlier request with the same body: the
// topics it changed with the receipts it issued, the others as they stand
// now. topics are the request's topics in order; nil takes them from
// what the request wrote and, for a reconfirmation, the marketing consents
// granted now.
func (s *Service) replay(ctx context.Context, tx Store, subscriberID, id string, topics []*policy.ConsentTopic) (Result, error) {
	evs, err := tx.ConsentEventsByRequest(ctx, subscriberID, id)
	if err != nil {
		return Result{}, err
	}
	rows, err := tx.ListConsents(ctx, subscriberID)
	if err != nil {
		return Result{}, err
	}
	cur := indexRows(rows)
	written := make(map[string]*models.ConsentEventRow, len(evs))
	for _, ev := range evs {
		written[ev.Topic] = ev
	}
	if topics == nil {
		for _, t := range s.reconfirmable {
			if r := cur[t.Code]; written[t.Code] != nil || (r != nil && State(r.State) == Granted) {
				topics = append(topics, t)
			}
		}
	}
	res := Result{Replayed: true, Outcomes: make([]Outcome, len(topics))}
	for i, t := range topics {
		res.Outcomes[i] = Outcome{Consent: consentOf(t, cur[t.Code])}
		if ev := written[t.Code]; ev != nil {
			r, err := ReceiptOf(ev)
			if err != nil {
				return Result{}, err
			}
			res.Outcomes[i].Changed, res.Outcomes[i].Receipt = true, r
		}
	}
	return res, s.standingReceipts(ctx, tx, subscriberID, &res)
}

// standingReceipts gives each outcome that changed nothing the receipt of
// the event that set its topic's current state, in one read.
func (s *Service) standingReceipts(ctx context.Context, tx Store, subscriberID string, res *Result) error {
	var ids []string
	for _, o := range res.Outcomes {
		if o.Receipt == nil && o.Consent.ReceiptID != "" {
			ids = append(ids, o.Consent.ReceiptID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	evs, err := tx.GetConsentEvents(ctx, subscriberID, ids)
	if err != nil {
		return err
	}
	byID := make(map[string]*models.ConsentEventRow, len(evs))
	for _, ev := range evs {
		byID[ev.ReceiptID] = ev
	}
	for i, o := range res.Outcomes {
		if ev := byID[o.Consent.ReceiptID]; o.Receipt == nil && ev != nil {
			r, err := ReceiptOf(ev)
			if err != nil {
				return err
			}
			res.Outcomes[i].Receipt = r
		}
	}
	return nil
}

// apply writes the planned changes: the topics' new states (each guarded
// by the sequence number read, so a concurrent change makes this one fail
// with CONFLICT), their events, the result notice, and the rescheduling of
// data an optional item's consent covered.
func (s *Service) apply(ctx context.Context, tx Store, req Request, a madeBy, cur map[string]*models.ConsentRow, topics []*policy.ConsentTopic, plan []planned, now time.Time) (Result, error) {
	res := Result{Outcomes: make([]Outcome, len(req.Changes))}
	for i, c := range req.Changes {
		res.Outcomes[i] = Outcome{Consent: consentOf(topics[i], cur[c.Topic])}
	}
	// Rows are written in topic order, so two batches never wait on each
	// other's rows in opposite orders.
	slices.SortFunc(plan, func(x, y planned) int { return strings.Compare(x.topic.Code, y.topic.Code) })
	events := make([]*models.ConsentEventRow, 0, len(plan))
	reschedule := false
	for _, p := range plan {
		prev := cur[p.topic.Code]
		ev, row, r, err := s.event(req, a, p, prev, now)
		if err != nil {
			return Result{}, err
		}
		var readSeq int64
		if prev != nil {
			readSeq = prev.Seq
		}
		if err := tx.SaveConsent(ctx, row, readSeq); err != nil {
			return Result{}, err
		}
		events = append(events, ev)
		res.Outcomes[p.index] = Outcome{Consent: consentOf(p.topic, row), Changed: true, Receipt: r}
		if p.topic.Kind == policy.TopicOptionalItem {
			reschedule = true
		}
	}
	if len(events) > 0 {
		if err := tx.AppendConsentEvents(ctx, events); err != nil {
			return Result{}, err
		}
		if err := s.queueResultNotice(ctx, tx, req.SubscriberID, events, now); err != nil {
			return Result{}, err
		}
	}
	if reschedule {
		if err := tx.LockSubscriberFacts(ctx, req.SubscriberID); err != nil {
			return Result{}, err
		}
		if err := s.inv.Reschedule(ctx, tx, req.SubscriberID); err != nil {
			return Result{}, err
		}
	}
	if err := s.standingReceipts(ctx, tx, req.SubscriberID, &res); err != nil {
		return Result{}, err
	}
	if len(events) == 0 {
		return res, nil
	}
	// The audit event comes last in the transaction: the change and its
	// record commit together.
	topicsChanged := make([]string, len(events))
	for i, ev := range events {
		topicsChanged[i] = ev.Topic + ":" + ev.Action
	}
	return res, s.rec.Record(ctx, tx, audit.Event{
		Actor: auditActor(ctx, a), Action: audit.ActionConsentSet, Subject: req.SubscriberID,
		TargetType: "consent", TargetID: events[0].ReceiptID,
		Details: map[string]any{"changes": topicsChanged, "via": string(req.Via)},
	})
}

// auditActor is the token's actor, or, outside a request (seeding, jobs),
// the actor the change is recorded as made by.
func auditActor(ctx context.Context, a madeBy) audit.Actor {
	if x := audit.FromContext(ctx); x.ID != "" {
		return x
	}
	return audit.Actor{ID: a.id, Roles: []string{strings.ToLower(string(a.kind))}}
}

// event builds one change: the history row with its receipt, and the
// topic's new current state.
func (s *Service) event(req Request, a madeBy, p planned, prev *models.ConsentRow, now time.Time) (*models.ConsentEventRow, *models.ConsentRow, *Receipt, error) {
	id, err := newReceiptID()
	if err != nil {
		return nil, nil, nil, err
	}
	ev := &models.ConsentEventRow{
		ReceiptID: id, SubscriberID: req.SubscriberID, Topic: p.topic.Code, Seq: 1,
		Action: string(p.action), FromState: string(NotRecorded), ToState: string(p.to),
		ActorKind: string(a.kind), ActorID: a.id, Via: string(req.Via),
		PolicyVersion: s.cat.Version, OccurredAt: now,
	}
	if prev != nil {
		ev.Seq, ev.FromState = prev.Seq+1, prev.State
		d := prev.Digest
		ev.PrevDigest = &d
	}
	if req.Reason != "" {
		r := req.Reason
		ev.Reason = &r
	}
	if req.ClientRequestID != "" {
		c := req.ClientRequestID
		ev.ClientRequestID = &c
	}
	if p.to == Granted && !p.topic.Reconfirm.IsZero() {
		by := clock.Stored(p.topic.Reconfirm.AddTo(now))
		ev.ReconfirmBy = &by
	}
	r, err := s.newReceipt(p.topic, ev)
	if err != nil {
		return nil, nil, nil, err
	}
	row := &models.ConsentRow{
		SubscriberID: req.SubscriberID, Topic: p.topic.Code, State: ev.ToState, Seq: ev.Seq,
		DatedAt: now, ReconfirmBy: ev.ReconfirmBy, PolicyVersion: s.cat.Version,
		ReceiptID: id, Digest: ev.ReceiptDigest, UpdatedAt: now,
	}
	return ev, row, r, nil
}

// validate checks a request against the catalog before anything is read,
// and resolves its topics in request order.
func (s *Service) validate(req Request) ([]*policy.ConsentTopic, error) {
	n := len(req.Changes)
	switch {
	case n == 0:
		return nil, apperr.BadInput("changes", "at least one change is required")
	case n > len(s.cat.ConsentTopics):
		return nil, apperr.BadInput("changes", "at most %d changes, one per topic", len(s.cat.ConsentTopics))
	}
	topics := make([]*policy.ConsentTopic, n)
	seen := make(map[string]bool, n)
	for i, c := range req.Changes {
		field := "topic"
		if n > 1 {
			field = fmt.Sprintf("changes[%d].topic", i)
		}
		t, err := s.topic(field, c.Topic)
		if err != nil {
			return nil, err
		}
		if seen[c.Topic] {
			return nil, apperr.BadInput(field, "topic %q is given twice", c.Topic)
		}
		seen[c.Topic] = true
		if c.Channel != "" && !channelBelongs(t, c.Channel) {
			return nil, apperr.BadInput(strings.TrimSuffix(field, "topic")+"channel", "%s", channelMismatch(t, c.Channel))
		}
		topics[i] = t
	}
	if len(req.Reason) > maxReason {
		return nil, apperr.BadInput("reason", "at most %d bytes", maxReason)
	}
	if len(req.ClientRequestID) > maxRequestID {
		return nil, apperr.BadInput("clientRequestId", "at most %d characters", maxRequestID)
	}
	if req.Via != "" && !req.Via.Valid() {
		return nil, apperr.BadInput("via", "must be WEB, APP or AGENT_DESK")
	}
	return topics, nil
}

// channelBelongs reports whether a marketing channel is the topic's own, or
// one night-time consent governs.
func channelBelongs(t *policy.ConsentTopic, ch policy.Channel) bool {
	switch t.Kind {
	case policy.TopicMarketingChannel:
		return t.Channel == ch
	case policy.TopicMarketingNight:
		return slices.Contains(t.AppliesTo, ch)
	}
	return false
}

func channelMismatch(t *policy.ConsentTopic, ch policy.Channel) string {
	switch t.Kind {
	case policy.TopicMarketingChannel:
		return fmt.Sprintf("channel %s does not belong to topic %s, which is for %s", ch, t.Code, t.Channel)
	case policy.TopicMarketingNight:
		names := make([]string, len(t.AppliesTo))
		for i, c := range t.AppliesTo {
			names[i] = string(c)
		}
		return fmt.Sprintf("channel %s does not belong to topic %s, which governs %s (e-mail needs no night-time consent)", ch, t.Code, strings.Join(names, ", "))
	}
	return fmt.Sprintf("topic %s is an optional item and has no marketing channel", t.Code)
}

// requestHash is a digest of what a request asks, for idempotency.
func requestHash(op string, req Request) (string, error) {
	b, err := json.Marshal(struct {
		Op string
		Request
	}{op, req})
	if err != nil {
		return "", err
	}
	return digest(b), nil
}

// explain turns a store conflict (two changes to one topic at once, or the
// same request id in flight twice) into a message the client can act on.
func (s *Service) explain(err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, apperr.ErrConflict) {
		return apperr.Conflict("the consent was changed by another request at the same time; nothing was written: reload and try again")
	}
	return err
}
