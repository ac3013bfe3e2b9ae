package consent

import (
	"context"
	"errors"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// Marketing consent is reconfirmed every two years from its date
// (정보통신망법 시행령 제62조의3): the operator tells the subscriber the
// sender, each consent with its date, and how to keep or withdraw it. A
// subscriber who does nothing keeps their consent (KISA's reading of the
// decree), so issuing the notice fulfils the duty for the period and the
// next reconfirmation falls two years after the previous one. A subscriber
// who reconfirms in the portal starts a new period from that day.

// NoticeLead is how long before a consent's reconfirmBy its notice falls
// due, so that it reaches the subscriber in time.
var NoticeLead = policy.Period{Days: 30}

// ReconfirmRequest is one call of reconfirmMarketingConsents.
type ReconfirmRequest struct {
	Via             Via
	ClientRequestID string
}

// ReconfirmMarketing re-affirms every granted marketing consent of the
// subscriber: each gets a RECONFIRM event with its receipt and a new
// reconfirmBy two years from today, and a result notice is queued. A
// consent already granted or reconfirmed today is left as it is, so
// repeating the call writes nothing.
func (s *Service) ReconfirmMarketing(ctx context.Context, who actor.Actor, rr ReconfirmRequest) (Result, error) {
	if staff(who) {
		return Result{}, apperr.Forbidden("only the subscriber (or the guardian of a child under 14) reconfirms marketing consents")
	}
	req := Request{Via: rr.Via, ClientRequestID: rr.ClientRequestID}
	if len(req.ClientRequestID) > maxRequestID {
		return Result{}, apperr.BadInput("clientRequestId", "at most %d characters", maxRequestID)
	}
	via, err := subscriberScope(who, "", req.Via)
	if err != nil {
		return Result{}, err
	}
	req.Via, req.SubscriberID = via, who.Subject
	hash, err := requestHash("reconfirm", req)
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = s.store.InTx(ctx, func(tx Store) error {
		now := s.now()
		_, a, err := s.begin(ctx, tx, who, req.SubscriberID, now)
		if err != nil {
			return err
		}
		if replay, done, err := s.claim(ctx, tx, req.SubscriberID, req.ClientRequestID, hash, nil, now); done || err != nil {
			res = replay
			return err
		}
		rows, err := tx.ListConsents(ctx, req.SubscriberID)
		if err != nil {
			return err
		}
		cur := indexRows(rows)
		var topics []*policy.ConsentTopic
		var plan []planned
		for _, t := range s.reconfirmable {
			r := cur[t.Code]
			if r == nil || State(r.State) != Granted {
				continue
			}
			if !sameDay(r.DatedAt, now) {
				plan = append(plan, planned{index: len(topics), topic: t, action: Reconfirm, to: Granted})
			}
			topics = append(topics, t)
			req.Changes = append(req.Changes, Change{Topic: t.Code, Granted: true})
		}
		res, err = s.apply(ctx, tx, req, a, cur, topics, plan, now)
		return err
	})
	if err != nil {
		return Result{}, s.explain(err)
	}
	return res, nil
}

// DueSubscriber is a subscriber whose reconfirmation notice is due.
type DueSubscriber struct {
	SubscriberID string
	// ReconfirmBy is the earliest reconfirmation date among Topics.
	ReconfirmBy time.Time
	// Topics are the consents due, as far as the listing reached.
	Topics []string
}

// marketingPurpose is the catalog purpose of marketing consents, whose
// suspension stops reconfirmation notices.
const marketingPurpose = "MARKETING"

// MaxDueBatch caps one listing of the reconfirmation job.
const MaxDueBatch = 1000

// DueForReconfirmation lists up to limit subscribers with a granted
// marketing consent whose reconfirmation falls within NoticeLead of asOf
// (or has passed) and whose notice has not been issued, earliest first.
// The reconfirmation job calls it, then RecordReconfirmationNotice for
// each subscriber, until it comes back empty.
func (s *Service) DueForReconfirmation(ctx context.Context, asOf time.Time, limit int) ([]DueSubscriber, error) {
	limit = min(max(limit, 1), MaxDueBatch)
	rows, _, err := s.store.ListReconfirmationsDue(ctx, models.ReconfirmPage{Until: NoticeLead.AddTo(asOf), Limit: limit * max(len(s.reconfirmable), 1)})
	if err != nil {
		return nil, err
	}
	var out []DueSubscriber
	at := map[string]int{}
	for _, r := range rows {
		i, ok := at[r.SubscriberID]
		if !ok {
			if len(out) == limit {
				continue
			}
			i = len(out)
			at[r.SubscriberID] = i
			out = append(out, DueSubscriber{SubscriberID: r.SubscriberID, ReconfirmBy: *r.ReconfirmBy})
		}
		out[i].Topics = append(out[i].Topics, r.Topic)
	}
	return out, nil
}

// DueConsent is one consent whose reconfirmation notice is due.
type DueConsent struct {
	SubscriberID string
	Topic        *policy.ConsentTopic
	// Since is the consent's date; ReconfirmBy when it must be reconfirmed.
	Since       time.Time
	ReconfirmBy time.Time
}

// DuePage is one page of consents due for reconfirmation.
type DuePage struct {
	Consents []DueConsent
	HasNext  bool
}

// DueConsents pages through the consents DueForReconfirmation would list
// now, by the service's clock, one entry per consent, for the admins' view
// of the queue.
func (s *Service) DueConsents(ctx context.Context, after *models.ReconfirmKey, limit int) (DuePage, error) {
	rows, more, err := s.store.ListReconfirmationsDue(ctx, models.ReconfirmPage{Until: NoticeLead.AddTo(s.clock.Now()), After: after, Limit: limit})
	if err != nil {
		return DuePage{}, err
	}
	page := DuePage{Consents: make([]DueConsent, 0, len(rows)), HasNext: more}
	for _, r := range rows {
		t, ok := s.cat.ConsentTopic(r.Topic)
		if !ok {
			continue
		}
		page.Consents = append(page.Consents, DueConsent{SubscriberID: r.SubscriberID, Topic: t, Since: r.DatedAt, ReconfirmBy: *r.ReconfirmBy})
	}
	return page, nil
}

// RecordReconfirmationNotice issues the reconfirmation notice for every
// consent of the subscriber due as of asOf: it queues one notice in the
// outbox and moves each consent's reconfirmBy to the next period, in one
// transaction. It returns how many consents the notice covered; 0 when
// none was due, or when a concurrent change or another worker got there
// first (the next listing shows what is still due).
func (s *Service) RecordReconfirmationNotice(ctx context.Context, subscriberID string, asOf time.Time) (int, error) {
	n, _, err := s.recordNotice(ctx, subscriberID, asOf)
	return n, err
}

// recordNotice is RecordReconfirmationNotice that also reports a
// terminated subscriber: no reconfirmation notice goes to one (their data
// is kept, if at all, only under a statute and used for nothing else);
// their marketing consents are ended instead, which takes them off the
// list of consents due.
func (s *Service) recordNotice(ctx context.Context, subscriberID string, asOf time.Time) (n int, ended bool, err error) {
	until := NoticeLead.AddTo(asOf)
	var terminatedAt *time.Time
	err = s.store.InTx(ctx, func(tx Store) error {
		sub, err := tx.GetSubscriber(ctx, subscriberID)
		if err != nil {
			return err
		}
		if sub.TerminatedAt != nil {
			terminatedAt = sub.TerminatedAt
			return nil
		}
		// A reconfirmation is a marketing message: none while the subscriber
		// has suspended marketing processing.
		if suspended, err := tx.ProcessingSuspended(ctx, subscriberID, marketingPurpose); err != nil || suspended {
			return err
		}
		rows, err := tx.ListConsents(ctx, subscriberID)
		if err != nil {
			return err
		}
		now := s.now()
		notice := reconfirmationNotice{
			Kind: NoticeReconfirmation, SubscriberID: subscriberID, Sender: s.cat.Controller,
			PolicyURL: s.cat.PolicyURL, HowToKeep: howToKeep, HowToWithdraw: howToWithdraw,
		}
		var due time.Time
		for _, r := range rows {
			t, ok := s.cat.ConsentTopic(r.Topic)
			if !ok || t.Reconfirm.IsZero() || State(r.State) != Granted || r.ReconfirmBy == nil || r.ReconfirmBy.After(until) {
				continue
			}
			next := clock.Stored(t.Reconfirm.AddTo(*r.ReconfirmBy))
			if err := tx.NoteReconfirmNotice(ctx, subscriberID, r.Topic, r.Seq, *r.ReconfirmBy, next, now); err != nil {
				return err
			}
			notice.Consents = append(notice.Consents, reconfirmConsent{Topic: r.Topic, Label: t.Label, ConsentedAt: r.DatedAt, ReconfirmBy: *r.ReconfirmBy})
			if due.IsZero() || r.ReconfirmBy.Before(due) {
				due = *r.ReconfirmBy
			}
		}
		if len(notice.Consents) == 0 {
			return nil
		}
		n = len(notice.Consents)
		if err := s.enqueue(ctx, tx, subscriberID, NoticeReconfirmation, notice, later(due, now), now); err != nil {
			return err
		}
		return s.rec.Record(ctx, tx, audit.Event{Actor: audit.System(ctx, "reconfirmation"), Action: "consent.reconfirmation_notice", Subject: subscriberID, TargetType: "subscriber", TargetID: subscriberID, Details: map[string]any{"consents": n}})
	})
	if errors.Is(err, apperr.ErrConflict) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if terminatedAt != nil {
		return 0, true, s.EndMarketing(ctx, subscriberID, *terminatedAt)
	}
	return n, false, nil
}

// sameDay reports whether two instants fall on the same day in Korea.
func sameDay(a, b time.Time) bool {
	return models.DateOf(a).String() == models.DateOf(b).String()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// RunReconfirmation is the reconfirmation job: it issues the notice of
// every subscriber due as of asOf, batch subscribers at a time, and
// returns how many subscribers and consents the notices covered. A pass
// that records nothing (every listed subscriber taken by another worker or
// changed meanwhile) ends the run; the next run picks up what is left.
func (s *Service) RunReconfirmation(ctx context.Context, asOf time.Time, batch int) (subscribers, consents int, err error) {
	for {
		due, err := s.DueForReconfirmation(ctx, asOf, batch)
		if err != nil || len(due) == 0 {
			return subscribers, consents, err
		}
		recorded := 0
		for _, d := range due {
			n, ended, err := s.recordNotice(ctx, d.SubscriberID, asOf)
			if err != nil {
				return subscribers, consents, err
			}
			if ended {
				// Consents ended, no notice: progress all the same.
				recorded++
				continue
			}
			if n > 0 {
				recorded++
				subscribers++
				consents += n
			}
		}
		if recorded == 0 {
			return subscribers, consents, nil
		}
	}
}
