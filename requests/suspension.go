package requests

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/models"
)

// Suspension of processing (법 37): the subscriber asks the operator to stop
// processing their data for some purposes (say OPERATIONS analysis, or
// MARKETING). It takes effect when filed — processing stops without delay —
// and lasts until the subscriber withdraws or lifts it, or the desk refuses
// it with a legal ground (37②). While it lasts, `me` shows it, the
// operator's systems read it (activeSuspensions, and a PROCESSING_SUSPENDED
// webhook event when it starts, PROCESSING_RESUMED when it ends), and the
// portal itself sends nothing under a suspended purpose.

// The outbox kinds of a suspension's start and end, for the operator's
// systems.
const (
	NoticeSuspended = "PROCESSING_SUSPENDED"
	NoticeResumed   = "PROCESSING_RESUMED"
)

// SuspensionActive reports whether a suspension request stops processing
// now: filed and not withdrawn, refused or lifted.
func SuspensionActive(r *models.Request) bool {
	if r.Type != models.RequestSuspension || r.LiftedAt != nil {
		return false
	}
	switch r.Status {
	case models.RequestSubmitted, models.RequestInReview:
		return true
	case models.RequestResolved:
		return r.Resolution != nil && *r.Resolution != models.ResolutionRejected
	}
	return false
}

// SuspendedPurposes decodes the purposes a suspension request stops.
func SuspendedPurposes(r *models.Request) []string {
	if r.SuspendedPurposes == nil {
		return []string{}
	}
	var ps []string
	if err := json.Unmarshal([]byte(*r.SuspendedPurposes), &ps); err != nil || ps == nil {
		return []string{}
	}
	return ps
}

// validatePurposes checks the purposes a suspension names against the
// catalog, and that only a suspension names any.
func (s *Service) validatePurposes(in *FileInput) error {
	if in.Type != models.RequestSuspension {
		if len(in.Purposes) > 0 {
			return apperr.BadInput("purposes", "only a suspension names purposes")
		}
		return nil
	}
	if len(in.Purposes) == 0 {
		return apperr.BadInput("purposes", "name the purposes whose processing is to stop (for example OPERATIONS or MARKETING)")
	}
	seen := map[string]bool{}
	var ps []string
	for i, p := range in.Purposes {
		p = strings.TrimSpace(p)
		if _, ok := s.cat.Purpose(p); !ok {
			return apperr.BadInput(fmt.Sprintf("purposes[%d]", i), "unknown purpose %q", p)
		}
		if !seen[p] {
			seen[p] = true
			ps = append(ps, p)
		}
	}
	sort.Strings(ps)
	in.Purposes = ps
	// A suspension is about the processing of everything held.
	in.Scope = Scope{All: true}
	return nil
}

type suspensionNotice struct {
	Kind         string    `json:"kind"`
	SubscriberID string    `json:"subscriberId"`
	RequestID    string    `json:"requestId"`
	Purposes     []string  `json:"purposes"`
	At           time.Time `json:"at"`
}

// suspensionChanged queues the operator's event of a suspension starting or
// ending, in the change's transaction.
func (s *Service) suspensionChanged(ctx context.Context, tx Store, r *models.Request, kind string, now time.Time) error {
	b, err := json.Marshal(suspensionNotice{Kind: kind, SubscriberID: r.SubscriberID, RequestID: r.ID, Purposes: SuspendedPurposes(r), At: now})
	if err != nil {
		return err
	}
	return tx.EnqueueOutbox(ctx, &models.OutboxRow{SubscriberID: r.SubscriberID, Kind: kind, Payload: string(b), DueBy: now, CreatedAt: now})
}

// Suspensions are a subscriber's active suspensions, for `me`.
func (s *Service) Suspensions(ctx context.Context, subscriberID string) ([]*models.Request, error) {
	rs, _, err := s.store.ListActiveSuspensions(ctx, subscriberID, "", MaxPage)
	return rs, err
}

// ActiveSuspensions pages through the active suspensions, of one subscriber
// or of all, by request id: what the operator's systems must honour.
func (s *Service) ActiveSuspensions(ctx context.Context, subscriberID, after string, first int) (Page, error) {
	rs, more, err := s.store.ListActiveSuspensions(ctx, subscriberID, after, first)
	return Page{Requests: rs, HasNext: more}, err
}

// Lift ends an approved suspension at its subscriber's wish: processing for
// its purposes may resume.
func (s *Service) Lift(ctx context.Context, who actor.Actor, id string) (*models.Request, error) {
	pre := func(r *models.Request) error {
		if !s.owner(ctx, who, r) {
			return apperr.NotFound("no request %q", id)
		}
		return nil
	}
	return s.change(ctx, who, "request.lift", id, pre, func(tx Store, r *models.Request) error {
		if !SuspensionActive(r) || r.Status.Open() {
			return apperr.Conflict("only a suspension in force after its decision is lifted; withdraw an open one")
		}
		now := s.now()
		r.LiftedAt = &now
		if err := s.suspensionChanged(ctx, tx, r, NoticeResumed, now); err != nil {
			return err
		}
		return s.event(ctx, tx, r, "LIFTED", nil, nil, actorKind(who), who.Who(), nil, true)
	})
}
