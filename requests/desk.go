package requests

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// Get returns a request its actor may see: the subscriber (or their
// guardian), the agent it is assigned to, or an admin. Anyone else gets
// NOT_FOUND, so ids cannot be probed.
func (s *Service) Get(ctx context.Context, who actor.Actor, id string) (*models.Request, error) {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		if apperr.IsNotFound(err) {
			return nil, apperr.NotFound("no request %q", id)
		}
		return nil, err
	}
	if err := s.canSee(ctx, who, r); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Service) canSee(ctx context.Context, who actor.Actor, r *models.Request) error {
	switch {
	case who.IsAdmin():
		return nil
	case who.Has(actor.RoleAgent) && r.AssigneeID != nil && *r.AssigneeID == who.Subject:
		return nil
	case who.IsSubscriber() && who.Subject == r.SubscriberID:
		if who.Guardian != "" {
			if _, err := s.inv.LoadOwn(ctx, who); err != nil {
				return err
			}
		}
		return nil
	}
	return apperr.NotFound("no request %q", r.ID)
}

// owner reports whether who is the request's subscriber or their guardian.
func (s *Service) owner(ctx context.Context, who actor.Actor, r *models.Request) bool {
	return who.IsSubscriber() && who.Subject == r.SubscriberID && s.canSee(ctx, who, r) == nil
}

// worker reports whether who may work the request: its assignee or an admin.
func worker(who actor.Actor, r *models.Request) bool {
	return who.IsAdmin() || (who.Has(actor.RoleAgent) && r.AssigneeID != nil && *r.AssigneeID == who.Subject)
}

// change checks who may make a change (pre, outside the transaction: it
// may read through other services), then in one transaction reloads the
// request, claims it, applies the change with its event and saves it; a
// concurrent change makes it a CONFLICT.
func (s *Service) change(ctx context.Context, who actor.Actor, action, id string, pre func(r *models.Request) error, apply func(tx Store, r *models.Request) error) (*models.Request, error) {
	r0, err := s.store.GetRequest(ctx, id)
	if err != nil {
		if apperr.IsNotFound(err) {
			return nil, apperr.NotFound("no request %q", id)
		}
		return nil, err
	}
	if err := pre(r0); err != nil {
		return nil, err
	}
	var out *models.Request
	err = s.store.InTx(ctx, func(tx Store) error {
		r, err := tx.GetRequest(ctx, id)
		if err != nil {
			if apperr.IsNotFound(err) {
				return apperr.NotFound("no request %q", id)
			}
			return err
		}
		// Claim the request before changing anything: of two concurrent
		// changes the second fails here, before it has erased or released
		// anything.
		if err := tx.ClaimRequest(ctx, r.ID, r.Version); err != nil {
			if apperr.IsConflict(err) {
				return apperr.Conflict("the request was changed by someone else meanwhile; reload it")
			}
			return err
		}
		r.Version++
		if err := apply(tx, r); err != nil {
			return err
		}
		if err := tx.SaveRequest(ctx, r); err != nil {
			return err
		}
		out = r
		return s.audit(ctx, tx, who, action, r, nil)
	})
	if err != nil {
		return nil, err
	}
	s.bus.Publish(out)
	return out, nil
}

// Withdraw withdraws an open request at its subscriber's wish; its holds are
// released and its data returns to its schedule.
func (s *Service) Withdraw(ctx context.Context, who actor.Actor, id string) (*models.Request, error) {
	pre := func(r *models.Request) error {
		if !s.owner(ctx, who, r) {
			return apperr.NotFound("no request %q", id)
		}
		return nil
	}
	return s.change(ctx, who, audit.ActionRequestWithdraw, id, pre, func(tx Store, r *models.Request) error {
		if !r.Status.Open() {
			return apperr.Conflict("the request is %s and can no longer be withdrawn", strings.ToLower(string(r.Status)))
		}
		now := s.now()
		from, to := r.Status, models.RequestWithdrawn
		if r.Type == models.RequestSuspension {
			if err := s.suspensionChanged(ctx, tx, r, NoticeResumed, now); err != nil {
				return err
			}
		}
		r.Status, r.ResolvedAt = to, &now
		if err := s.release(ctx, tx, r, now); err != nil {
			return err
		}
		return s.event(ctx, tx, r, "WITHDRAWN", &from, &to, actorKind(who), who.Who(), nil, true)
	})
}

// Assign gives the request to an agent: an admin assigns anyone, an agent
// takes an unassigned request for themselves. A submitted request goes into
// review.
func (s *Service) Assign(ctx context.Context, who actor.Actor, id, assignee string) (*models.Request, error) {
	if !who.IsStaff() {
		return nil, apperr.Forbidden("only staff assign requests")
	}
	if assignee == "" {
		return nil, apperr.BadInput("assigneeId", "name the agent")
	}
	return s.change(ctx, who, audit.ActionRequestAssign, id, func(*models.Request) error { return nil }, func(tx Store, r *models.Request) error {
		if !who.IsAdmin() {
			if assignee != who.Subject {
				return apperr.Forbidden("an agent assigns requests only to themselves")
			}
			if r.AssigneeID != nil && *r.AssigneeID != who.Subject {
				return apperr.Conflict("the request is already assigned to another agent")
			}
		}
		if !r.Status.Open() {
			return apperr.Conflict("the request is closed")
		}
		from := r.Status
		r.AssigneeID = &assignee
		r.Status = models.RequestInReview
		to := r.Status
		return s.event(ctx, tx, r, "ASSIGNED", &from, &to, actorKind(who), who.Subject, nil, true)
	})
}

// Comment adds a comment: staff working the request may keep it internal;
// the subscriber's own comments are always visible.
func (s *Service) Comment(ctx context.Context, who actor.Actor, id, body string, internal bool) (*models.Request, error) {
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > 4000 {
		return nil, apperr.BadInput("body", "a comment of 1 to 4000 characters")
	}
	pre := func(r *models.Request) error {
		switch {
		case worker(who, r):
		case s.owner(ctx, who, r):
			internal = false
		default:
			return apperr.NotFound("no request %q", id)
		}
		return nil
	}
	return s.change(ctx, who, audit.ActionRequestComment, id, pre, func(tx Store, r *models.Request) error {
		return s.event(ctx, tx, r, "COMMENTED", nil, nil, actorKind(who), who.Who(), &body, !internal)
	})
}

// Extend postpones an access request's answer once, before its deadline,
// with the reason the subscriber is told at once (영 42). No other right may
// be extended: deletion, correction and suspension must be answered within
// 10 days (영 43, 44), and an overdue request stays overdue.
func (s *Service) Extend(ctx context.Context, who actor.Actor, id, reason string) (*models.Request, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 2000 {
		return nil, apperr.BadInput("reason", "a postponement needs a reason of 1 to 2000 characters the subscriber is told")
	}
	return s.change(ctx, who, "request.extend", id, canWork(who, "extends"), func(tx Store, r *models.Request) error {
		if !worker(who, r) {
			return apperr.Forbidden("only the assigned agent or an admin extends a request")
		}
		if !r.Status.Open() {
			return apperr.Conflict("the request is closed")
		}
		if !Extendable(r.Type) {
			return apperr.Conflict("a %s request cannot be extended: the law allows 10 days and no postponement (only access may be postponed)", strings.ToLower(string(r.Type)))
		}
		now := s.now()
		if Overdue(r, now) {
			return apperr.Conflict("the request is overdue since %s: it can no longer be postponed and must be answered now", r.DueAt.Format(time.RFC3339))
		}
		if r.ExtendedAt != nil {
			return apperr.Conflict("the request was already postponed once; a second postponement is not allowed")
		}
		r.ExtendedAt, r.ExtensionReason, r.DueAt = &now, &reason, r.DueAt.Add(ExtensionLength)
		return s.event(ctx, tx, r, "EXTENDED", nil, nil, actorKind(who), who.Subject, &reason, true)
	})
}

// ResolveInput is a decision.
type ResolveInput struct {
	Resolution  models.Resolution
	ReasonCode  string
	Text        string
	HowToObject string
	// LegalGround is the catalog clause a refusal of a suspension names;
	// a deletion's grounds are found item by item.
	LegalGround string
}

// DefaultHowToObject tells the subscriber how to object when staff give no
// more specific text (PIPA 38⑤; 영 48).
const DefaultHowToObject = "이 결정에 이의가 있으시면 포털 또는 고객센터를 통해 이의를 제기하실 수 있으며, 개인정보 분쟁조정위원회(www.kopico.go.kr)에 분쟁조정을 신청하실 수 있습니다. / If you disagree, you may object through the portal or customer centre, or apply to the Personal Information Dispute Mediation Committee (www.kopico.go.kr)."

// Approve records a second staff member's approval of a deletion staff
// filed for a subscriber: it takes effect only once someone other than
// the filer has checked the verification and the scope.
func (s *Service) Approve(ctx context.Context, who actor.Actor, id string) (*models.Request, error) {
	pre := func(r *models.Request) error {
		if !who.IsStaff() {
			return apperr.NotFound("no request %q", id)
		}
		if !worker(who, r) {
			return apperr.Forbidden("only an admin or the assigned agent approves a request")
		}
		return nil
	}
	return s.change(ctx, who, "request.approve", id, pre, func(tx Store, r *models.Request) error {
		if !NeedsSecondApproval(r) {
			return apperr.Conflict("only a deletion filed by staff needs a second approval")
		}
		if !r.Status.Open() {
			return apperr.Conflict("the request is closed")
		}
		if r.FiledByID == who.Subject {
			return apperr.Forbidden("the staff member who filed the deletion cannot approve it: a second staff member must")
		}
		if r.ApprovedBy != nil {
			return apperr.Conflict("the deletion was already approved")
		}
		now := s.now()
		r.ApprovedBy, r.ApprovedAt = &who.Subject, &now
		return s.event(ctx, tx, r, "APPROVED", nil, nil, actorKind(who), who.Subject, nil, false)
	})
}

// NeedsSecondApproval reports whether r is a deletion staff filed for the
// subscriber, which takes effect only with a second staff member's approval.
func NeedsSecondApproval(r *models.Request) bool {
	return r.Type == models.RequestDeletion && r.FiledByKind == models.FiledByAgent
}

// Resolve decides an open request. A deletion erases at once what may be
// erased and records for every item in scope why it was kept if it was; a
// refusal is allowed only with a legal ground (per item for a deletion, a
// catalog clause for a suspension); the subscriber reads the structured
// outcome before the staff's text. A dispute's hold is released and, for
// fees, the post-termination clock restarts. Of two concurrent decisions
// only one wins; the other is a CONFLICT and changes nothing.
func (s *Service) Resolve(ctx context.Context, who actor.Actor, id string, in ResolveInput) (*models.Request, error) {
	switch in.Resolution {
	case models.ResolutionApproved, models.ResolutionPartiallyApproved, models.ResolutionRejected:
	default:
		return nil, apperr.BadInput("resolution", "must be APPROVED, PARTIALLY_APPROVED or REJECTED")
	}
	in.ReasonCode, in.Text, in.HowToObject = strings.TrimSpace(in.ReasonCode), strings.TrimSpace(in.Text), strings.TrimSpace(in.HowToObject)
	in.LegalGround = strings.TrimSpace(in.LegalGround)
	if in.ReasonCode == "" || len(in.ReasonCode) > 64 {
		return nil, apperr.BadInput("reasonCode", "a reason code is required")
	}
	if in.Text == "" || utf8.RuneCountInString(in.Text) > 4000 {
		return nil, apperr.BadInput("text", "a resolution needs a text of 1 to 4000 characters the subscriber is told")
	}
	if in.HowToObject == "" {
		in.HowToObject = DefaultHowToObject
	}
	var withdrawTopics []string
	r, err := s.change(ctx, who, audit.ActionRequestResolve, id, canWork(who, "resolves"), func(tx Store, r *models.Request) error {
		if !worker(who, r) {
			return apperr.Forbidden("only the assigned agent or an admin resolves a request")
		}
		if !r.Status.Open() {
			return apperr.Conflict("the request is already %s", strings.ToLower(string(r.Status)))
		}
		ground, err := s.legalGround(r.Type, in.Resolution, in.LegalGround)
		if err != nil {
			return err
		}
		if r.Type == models.RequestCorrection && in.Resolution != models.ResolutionRejected {
			return apperr.Conflict("a correction is approved when the operator's systems deliver the corrected value through the feed; refuse it with the reason it was not corrected")
		}
		if NeedsSecondApproval(r) && in.Resolution != models.ResolutionRejected && r.ApprovedBy == nil {
			return apperr.Conflict("this deletion was filed by staff: a second staff member must approve it (approveRequest) before it takes effect")
		}
		now := s.now()
		res := in.Resolution
		var outcomes []*models.RequestOutcome
		if r.Type == models.RequestDeletion {
			kept, topics, err := s.decideDeletion(ctx, tx, r, now, res == models.ResolutionRejected)
			if err != nil {
				return err
			}
			withdrawTopics = topics
			if kept && res == models.ResolutionApproved {
				// The law kept part of it: the answer must say so.
				res = models.ResolutionPartiallyApproved
			}
			if outcomes, err = tx.ListOutcomes(ctx, []string{r.ID}); err != nil {
				return err
			}
		}
		if r.Type == models.RequestSuspension && res == models.ResolutionRejected {
			// Refused with its legal ground: processing resumes.
			if err := s.suspensionChanged(ctx, tx, r, NoticeResumed, now); err != nil {
				return err
			}
		}
		from, to := r.Status, models.RequestResolved
		r.Status, r.Resolution, r.ResolvedAt, r.LegalGround = to, &res, &now, ground
		text := s.Summary(r, outcomes, policy.Ko) + " / " + s.Summary(r, outcomes, policy.En) + "\n\n" + in.Text
		r.ReasonCode, r.ResolutionText, r.HowToObject = &in.ReasonCode, &text, &in.HowToObject
		if err := s.release(ctx, tx, r, now); err != nil {
			return err
		}
		note := in.Text
		return s.event(ctx, tx, r, "RESOLVED", &from, &to, actorKind(who), who.Subject, &note, true)
	})
	if err != nil {
		return nil, err
	}
	if len(withdrawTopics) > 0 && s.consents != nil {
		// Consents have their own history and receipts; withdrawing them is
		// recorded there, as done by this request.
		if err := s.consents.WithdrawForRequest(ctx, who.Through(r.ID), r.SubscriberID, withdrawTopics); err != nil {
			return r, err
		}
	}
	return r, nil
}

// release ends what an open request held: its holds, and a fee dispute's
// stop of the post-termination clock.
func (s *Service) release(ctx context.Context, tx Store, r *models.Request, now time.Time) error {
	if r.Type == models.RequestDeletion || r.Type == models.RequestDispute {
		if err := s.releaseHolds(ctx, tx, r, now); err != nil {
			return err
		}
		// What deletions found held by these holds is decided now.
		if err := s.carryOutDeferred(ctx, tx, r.SubscriberID, now); err != nil {
			return err
		}
	}
	if r.Type == models.RequestDispute && r.FeeRelated {
		if _, err := tx.ResolveFeeIssueBySource(ctx, r.SubscriberID, r.ID, now); err != nil {
			return err
		}
	}
	return s.inv.Reschedule(ctx, tx, r.SubscriberID)
}

// canWork is the check before a change only the request's worker makes;
// anyone else who may not even see the request gets NOT_FOUND.
func canWork(who actor.Actor, verb string) func(*models.Request) error {
	return func(r *models.Request) error {
		if worker(who, r) {
			return nil
		}
		if who.IsStaff() {
			return apperr.Forbidden("only the assigned agent or an admin %s a request", verb)
		}
		if who.IsSubscriber() && who.Subject == r.SubscriberID {
			return apperr.Forbidden("staff %s requests; a subscriber can comment on or withdraw their own", verb)
		}
		return apperr.NotFound("no request %q", r.ID)
	}
}

func actorKind(who actor.Actor) string {
	switch {
	case who.IsAdmin():
		return "ADMIN"
	case who.Has(actor.RoleAgent):
		return "AGENT"
	case who.Guardian != "":
		return "GUARDIAN"
	}
	return "SUBSCRIBER"
}

// Push is what each push of a subscription to one request reads: the
// request afresh, as who may see it now (an agent reassigned away may not),
// and only while who's token lasts: a WebSocket outlives the token that
// opened it.
func (s *Service) Push(ctx context.Context, who actor.Actor, id string) (*models.Request, error) {
	if !who.ExpiresAt.IsZero() && !s.clock.Now().Before(who.ExpiresAt) {
		return nil, apperr.Unauthenticated("the token expired; subscribe again with a fresh one")
	}
	return s.Get(ctx, who, id)
}
