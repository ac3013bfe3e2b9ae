// Package holds is the last gate before any erasure: a hold pauses the purge
// of a scope of one subscriber's data until it is released. Holds are kept
// apart from retention — a hold never changes a clause or a stored purge
// date — and when one is released what it held returns to its schedule:
// anything already due is erased by the next purge.
//
// Scope. A hold covers either everything of its subscriber (AllItems: every
// holding and record, present and future, with no link rows, so a hold on a
// subscriber with millions of records costs one row), or the holdings and
// records linked to it, many to many, in hold_items. A hold that would link
// more than MaxLinkedItems items of a subscriber is placed on everything
// instead: holding too much only delays erasure, and it keeps every read of
// a subscriber's holds bounded.
//
// Concurrency. Placing a hold locks the subscriber's row until the
// placement commits; a purge batch locks the subscribers of its rows the
// other way and checks holds again after that, so a hold that commits
// before the batch erases wins, and a batch already erasing finishes first.
//
// Who places them: open requests (DISPUTE, DELETION_REQUEST, FEE_DISPUTE)
// and staff for legal claims (LEGAL). Fees place none: unpaid or overpaid
// fees stop the post-termination clock in the retention calculus and keep
// nothing else (docs/POLICY.md "until resolved"); the reasons UNPAID_FEES and
// OVERPAID_FEES remain only for holds recorded before that was so.
package holds

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
)

// MaxLinkedItems is the most items a subscriber's active holds link one by
// one; a placement beyond it covers everything of the subscriber instead.
const MaxLinkedItems = 10000

// Tx is what placing and releasing holds need inside a transaction. It is
// all methods and no InTx, so another domain's transaction (the billing
// feed's) can place a hold in the same transaction as the change that
// causes it.
type Tx interface {
	// LockSubscriberForHold locks the subscriber against purge batches
	// until the transaction ends; NOT_FOUND if there is none.
	LockSubscriberForHold(ctx context.Context, subscriberID string) error
	CountHoldingsOf(ctx context.Context, subscriberID string, ids []string) (int64, error)
	CountRecordsOf(ctx context.Context, subscriberID string, ids []int64) (int64, error)
	// ActiveHolds returns the subscriber's active holds with their links.
	ActiveHolds(ctx context.Context, subscriberID string) ([]*models.Hold, error)
	CreateHold(ctx context.Context, h *models.Hold) error
	// ReleaseHold releases an active hold and reports whether it was.
	ReleaseHold(ctx context.Context, id string, at time.Time) (bool, error)
	GetHold(ctx context.Context, id string) (*models.Hold, error)
}

// Store is the holds' store, with its transactions.
type Store interface {
	Tx
	InTx(ctx context.Context, fn func(tx Store) error) error
}

// Service places, releases and lists holds.
type Service struct {
	store Store
	clock clock.Clock
}

// New returns the holds service.
func New(s Store, c clock.Clock) *Service { return &Service{store: s, clock: c} }

// Placement asks for a hold.
type Placement struct {
	SubscriberID string
	Reason       models.HoldReason
	// SourceRef is what places it: a request id or a billing event.
	SourceRef string
	// PlacedBy is the subject placing it (an agent, "billing", a request
	// workflow).
	PlacedBy string
	// AllItems covers everything of the subscriber; otherwise Holdings and
	// Records name the items covered.
	AllItems bool
	Holdings []string
	Records  []int64
}

// Place places a hold, or returns the active hold already placed with the
// same reason and source for the subscriber (placing is idempotent, so a
// retried request does not stack holds).
func (s *Service) Place(ctx context.Context, p Placement) (*models.Hold, error) {
	now := s.clock.Now()
	var out *models.Hold
	err := s.store.InTx(ctx, func(tx Store) error {
		h, err := PlaceIn(ctx, tx, p, now)
		out = h
		return err
	})
	return out, err
}

// PlaceIn places a hold inside the caller's transaction, effective at
// placedAt; see Service.Place.
func PlaceIn(ctx context.Context, tx Tx, p Placement, placedAt time.Time) (*models.Hold, error) {
	if err := validate(&p); err != nil {
		return nil, err
	}
	if err := tx.LockSubscriberForHold(ctx, p.SubscriberID); err != nil {
		if apperr.IsNotFound(err) {
			return nil, apperr.NotFound("no subscriber %q", p.SubscriberID)
		}
		return nil, err
	}
	active, err := tx.ActiveHolds(ctx, p.SubscriberID)
	if err != nil {
		return nil, err
	}
	linked := 0
	for _, h := range active {
		if h.Reason == p.Reason && h.SourceRef == p.SourceRef {
			return h, nil
		}
		linked += len(h.Items)
	}
	h := &models.Hold{
		ID: uuid.NewString(), SubscriberID: p.SubscriberID, Reason: p.Reason, AllItems: p.AllItems,
		SourceRef: p.SourceRef, PlacedBy: p.PlacedBy, PlacedAt: clock.Stored(placedAt),
	}
	if !p.AllItems && linked+len(p.Holdings)+len(p.Records) > MaxLinkedItems {
		// Too many to link: hold everything, whatever the items named.
		h.AllItems = true
	}
	if !h.AllItems {
		if err := itemsExist(ctx, tx, p); err != nil {
			return nil, err
		}
		h.Items = make([]models.HoldItem, 0, len(p.Holdings)+len(p.Records))
		for _, id := range p.Holdings {
			h.Items = append(h.Items, models.HoldItem{HoldingID: &id})
		}
		for _, id := range p.Records {
			h.Items = append(h.Items, models.HoldItem{RecordID: &id})
		}
	}
	if err := tx.CreateHold(ctx, h); err != nil {
		return nil, err
	}
	return h, nil
}

// itemsExist checks that every item named is the subscriber's: a hold on
// an item already erased, or on another subscriber's, protects nothing.
func itemsExist(ctx context.Context, tx Tx, p Placement) error {
	if n, err := tx.CountHoldingsOf(ctx, p.SubscriberID, p.Holdings); err != nil {
		return err
	} else if int(n) != len(p.Holdings) {
		return apperr.NotFound("%d of the %d holdings named are not held for subscriber %q (erased, or never held)", len(p.Holdings)-int(n), len(p.Holdings), p.SubscriberID)
	}
	if n, err := tx.CountRecordsOf(ctx, p.SubscriberID, p.Records); err != nil {
		return err
	} else if int(n) != len(p.Records) {
		return apperr.NotFound("%d of the %d records named are not held for subscriber %q (erased, or never held)", len(p.Records)-int(n), len(p.Records), p.SubscriberID)
	}
	return nil
}

func validate(p *Placement) error {
	p.SourceRef, p.PlacedBy = strings.TrimSpace(p.SourceRef), strings.TrimSpace(p.PlacedBy)
	switch {
	case p.SubscriberID == "":
		return apperr.BadInput("subscriberId", "is required")
	case !p.Reason.Valid():
		return apperr.BadInput("reason", "must be one of %v", models.HoldReasons)
	case p.SourceRef == "" || len(p.SourceRef) > 200:
		return apperr.BadInput("sourceRef", "the request id or billing event placing the hold is required (1 to 200 characters)")
	case p.PlacedBy == "" || len(p.PlacedBy) > 128:
		return apperr.BadInput("placedBy", "who places the hold is required (1 to 128 characters)")
	case p.AllItems && (len(p.Holdings) > 0 || len(p.Records) > 0):
		return apperr.BadInput("scope", "a hold on everything names no items")
	case !p.AllItems && len(p.Holdings) == 0 && len(p.Records) == 0:
		return apperr.BadInput("scope", "name the holdings or records held, or hold everything")
	}
	for i, id := range p.Holdings {
		if id == "" {
			return apperr.BadInput(fmt.Sprintf("holdings[%d]", i), "is empty")
		}
	}
	slices.Sort(p.Holdings)
	p.Holdings = slices.Compact(p.Holdings)
	slices.Sort(p.Records)
	p.Records = slices.Compact(p.Records)
	return nil
}

// Release releases a hold at the given time; what it held returns to its
// schedule, and the next purge erases whatever is due. Releasing a released
// hold returns it unchanged. A time in the future, or before the hold was
// placed, is BAD_USER_INPUT.
func (s *Service) Release(ctx context.Context, id string, at time.Time) (*models.Hold, error) {
	now := s.clock.Now()
	var out *models.Hold
	err := s.store.InTx(ctx, func(tx Store) error {
		h, err := ReleaseIn(ctx, tx, id, at, now)
		out = h
		return err
	})
	return out, err
}

// ReleaseIn releases a hold inside the caller's transaction; see
// Service.Release.
func ReleaseIn(ctx context.Context, tx Tx, id string, at, now time.Time) (*models.Hold, error) {
	switch {
	case at.IsZero():
		return nil, apperr.BadInput("at", "is required")
	case at.After(now):
		return nil, apperr.BadInput("at", "is in the future")
	}
	h, err := tx.GetHold(ctx, id)
	if err != nil {
		if apperr.IsNotFound(err) {
			return nil, apperr.NotFound("no hold %q", id)
		}
		return nil, err
	}
	if !h.Active() {
		return h, nil
	}
	if at.Before(h.PlacedAt) {
		return nil, apperr.BadInput("at", "is before the hold was placed (%s)", h.PlacedAt.Format(time.RFC3339))
	}
	at = clock.Stored(at)
	if _, err := tx.ReleaseHold(ctx, id, at); err != nil {
		return nil, err
	}
	h.ReleasedAt = &at
	return h, nil
}

// ActiveFor lists a subscriber's active holds, oldest first, with the items
// each links.
func (s *Service) ActiveFor(ctx context.Context, subscriberID string) ([]*models.Hold, error) {
	return s.store.ActiveHolds(ctx, subscriberID)
}

// Get returns one hold, active or released, with its links.
func (s *Service) Get(ctx context.Context, id string) (*models.Hold, error) {
	h, err := s.store.GetHold(ctx, id)
	if apperr.IsNotFound(err) {
		return nil, apperr.NotFound("no hold %q", id)
	}
	return h, err
}
