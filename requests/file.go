package requests

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/models"
)

// FileInput is a new request.
type FileInput struct {
	// SubscriberID is whom the request is for: required of staff filing on
	// a subscriber's behalf; a subscriber's own token may omit it.
	SubscriberID   string
	Type           models.RequestType
	Scope          Scope
	Reason         string
	IdempotencyKey string
	// FeeRelated marks a dispute about fees: it stops the post-termination
	// clock (docs/POLICY.md §3(1)나) until resolved.
	FeeRelated bool
	// Via is the channel: WEB, APP or AGENT_DESK.
	Via string
	// Purposes are the purpose codes a suspension stops (법 37).
	Purposes []string
	// Correction is the item and value a correction proposes (법 36).
	Correction *Correction
	// Verification is how staff filing for a subscriber verified who asks:
	// required of staff, refused of anyone else.
	Verification *Verification
}

// Verification is how staff verified the subscriber's identity, or the
// authority of whoever asks for them, before filing a request (법 38;
// 영 46): a call back to the number on file, an identity document at a
// counter, a power of attorney, or a guardian's identity and relationship,
// each with a reference that lets an auditor find the evidence.
type Verification struct {
	Method    models.VerificationMethod
	Reference string
}

// MaxVerificationRef bounds a verification's reference.
const MaxVerificationRef = 200

// check validates a verification given by staff.
func (v *Verification) check() error {
	if v == nil {
		return apperr.BadInput("verification", "staff filing for a subscriber must record how the subscriber's identity or the requester's authority was verified (CALLBACK, ID_AT_COUNTER, POWER_OF_ATTORNEY or GUARDIAN, with a reference)")
	}
	if !v.Method.Valid() {
		return apperr.BadInput("verification.method", "must be CALLBACK, ID_AT_COUNTER, POWER_OF_ATTORNEY or GUARDIAN")
	}
	v.Reference = strings.TrimSpace(v.Reference)
	if v.Reference == "" || utf8.RuneCountInString(v.Reference) > MaxVerificationRef {
		return apperr.BadInput("verification.reference", "a reference of 1 to %d characters: the call log id, the document checked, the power of attorney's document number", MaxVerificationRef)
	}
	return nil
}

// Filed is the answer to File: the request and whether this call created it
// (false when an idempotent retry found it).
type Filed struct {
	Request *models.Request
	Created bool
}

// File files a request. The same idempotency key with the same body
// returns the same request; with another body it is a CONFLICT. Deletion
// and dispute requests place a hold on their scope in the same transaction;
// an access request completes at once with an export.
func (s *Service) File(ctx context.Context, who actor.Actor, in FileInput) (*Filed, error) {
	subscriberID, kind, filer, err := s.filer(ctx, who, in.SubscriberID)
	if err != nil {
		return nil, err
	}
	if err := s.validatePurposes(&in); err != nil {
		return nil, err
	}
	if err := s.validateCorrection(&in); err != nil {
		return nil, err
	}
	if err := s.validateFiling(&in); err != nil {
		return nil, err
	}
	if kind == models.FiledByAgent {
		if err := in.Verification.check(); err != nil {
			return nil, err
		}
		if err := s.guardianVerifiable(ctx, subscriberID, in.Verification); err != nil {
			return nil, err
		}
	} else if in.Verification != nil {
		return nil, apperr.BadInput("verification", "only staff filing for a subscriber record a verification")
	}
	if err := s.validateScope(ctx, s.store, subscriberID, in.Scope); err != nil {
		return nil, err
	}
	digest := bodyDigest(subscriberID, in)
	if existing, err := s.existing(ctx, subscriberID, in.IdempotencyKey, digest); existing != nil || err != nil {
		return &Filed{Request: existing}, err
	}
	now := s.now()
	r := &models.Request{
		ID: newID(), SubscriberID: subscriberID, Type: in.Type, Status: models.RequestSubmitted,
		FiledByKind: kind, FiledByID: filer, Via: in.Via, Scope: in.Scope.encode(), FeeRelated: in.FeeRelated,
		Reason: in.Reason, IdempotencyKey: in.IdempotencyKey, BodyDigest: digest,
		FiledAt: now, DueAt: now.Add(DueIn), Version: 1,
	}
	if kind == models.FiledByAgent {
		// The agent who takes the call, having verified who asks, works it.
		r.AssigneeID = &who.Subject
		r.Status = models.RequestInReview
		method, ref := in.Verification.Method, in.Verification.Reference
		r.VerificationMethod, r.VerificationRef = &method, &ref
	}
	if in.Correction != nil {
		if err := s.seal(r, in.Correction); err != nil {
			return nil, err
		}
	}
	if r.Type == models.RequestSuspension {
		b, _ := json.Marshal(in.Purposes)
		ps := string(b)
		r.SuspendedPurposes = &ps
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateRequest(ctx, r); err != nil {
			return err
		}
		to := r.Status
		if err := s.event(ctx, tx, r, "FILED", nil, &to, string(kind), filer, nil, true); err != nil {
			return err
		}
		switch r.Type {
		case models.RequestCorrection:
			if err := s.correctionFiled(ctx, tx, r, in.Correction, now); err != nil {
				return err
			}
		case models.RequestSuspension:
			// Processing stops without delay (법 37①): the operator's
			// systems are told now, not when the desk decides.
			if err := s.suspensionChanged(ctx, tx, r, NoticeSuspended, now); err != nil {
				return err
			}
		case models.RequestDeletion, models.RequestDispute:
			if err := s.placeHold(ctx, tx, r, in.Scope, now); err != nil {
				return err
			}
			if r.Type == models.RequestDispute && r.FeeRelated {
				ref := r.ID
				if _, err := tx.OpenFeeIssue(ctx, &models.FeeIssue{SubscriberID: subscriberID, Kind: models.FeeDispute, Since: now, SourceRef: &ref}); err != nil {
					return err
				}
				if err := s.inv.Reschedule(ctx, tx, subscriberID); err != nil {
					return err
				}
			}
		}
		return s.audit(ctx, tx, who, audit.ActionRequestFile, r, map[string]any{"filedBy": string(kind)})
	})
	if errors.Is(err, apperr.ErrConflict) {
		// A concurrent filing with the same key won the race.
		if existing, err2 := s.existing(ctx, subscriberID, in.IdempotencyKey, digest); existing != nil || err2 != nil {
			return &Filed{Request: existing}, err2
		}
	}
	if err != nil {
		return nil, err
	}
	s.bus.Publish(r)
	if r.Type == models.RequestAccess {
		// Access completes at once (PIPA 35): the export is built from what
		// is committed, then the request is resolved with it.
		done, err := s.completeAccess(ctx, r)
		if err != nil {
			return &Filed{Request: r, Created: true}, err
		}
		r = done
	}
	return &Filed{Request: r, Created: true}, nil
}

// guardianVerifiable refuses a GUARDIAN verification where there is no
// legal representative to verify: the guardian of a child under 14 acts for
// them (PIPA 22조의2, 38; docs/LAW.md "who may ask"), so staff may record that
// they verified a guardian only for a subscriber under 14 today with a
// recorded guardian. An adult is verified in person, by callback or by a
// power of attorney.
func (s *Service) guardianVerifiable(ctx context.Context, subscriberID string, v *Verification) error {
	if v.Method != models.VerifiedByGuardian {
		return nil
	}
	// The birth date is sealed under the subscriber's key: read it through
	// the inventory, which opens it.
	sub, err := s.inv.Subscriber(ctx, s.store, subscriberID)
	if err != nil {
		return err
	}
	if sub.GuardianID == nil || !sub.IsMinorAt(s.now()) {
		return apperr.BadInput("verification.method", "GUARDIAN verifies a legal representative, who acts only for a subscriber under 14 with a recorded guardian; verify this subscriber by CALLBACK, ID_AT_COUNTER or POWER_OF_ATTORNEY")
	}
	return nil
}

// filer decides for whom a request is filed and as whom (PIPA 38): a
// subscriber for themselves, a guardian for the minor they act for, staff
// for the subscriber they name.
func (s *Service) filer(ctx context.Context, who actor.Actor, subscriberID string) (string, models.FiledByKind, string, error) {
	switch {
	case who.IsSubscriber() && !who.IsStaff():
		if subscriberID != "" && subscriberID != who.Subject {
			return "", "", "", apperr.Forbidden("a subscriber files requests only about their own data")
		}
		if _, err := s.inv.LoadOwn(ctx, who); err != nil {
			return "", "", "", err
		}
		if who.Guardian != "" {
			return who.Subject, models.FiledByGuardian, who.Guardian, nil
		}
		return who.Subject, models.FiledBySubscriber, who.Subject, nil
	case who.IsStaff():
		if subscriberID == "" {
			return "", "", "", apperr.BadInput("subscriberId", "staff filing on a subscriber's behalf must name the subscriber")
		}
		if _, err := s.store.GetSubscriber(ctx, subscriberID); err != nil {
			if apperr.IsNotFound(err) {
				return "", "", "", apperr.NotFound("no subscriber %q", subscriberID)
			}
			return "", "", "", err
		}
		return subscriberID, models.FiledByAgent, who.Subject, nil
	}
	return "", "", "", apperr.Forbidden("only subscribers, their guardians and staff file requests")
}

func (s *Service) validateFiling(in *FileInput) error {
	switch in.Type {
	case models.RequestDeletion, models.RequestDispute, models.RequestAccess, models.RequestCorrection, models.RequestSuspension:
	default:
		return apperr.BadInput("type", "must be DELETION, DISPUTE, ACCESS, CORRECTION or SUSPENSION")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Type == models.RequestAccess {
		in.Scope = Scope{All: true}
		if in.Reason == "" {
			in.Reason = "access to my personal data"
		}
	}
	if in.Reason == "" {
		return apperr.BadInput("reason", "say what the request is about")
	}
	if utf8.RuneCountInString(in.Reason) > 2000 {
		return apperr.BadInput("reason", "at most 2000 characters")
	}
	if n := len(in.IdempotencyKey); n < 8 || n > 128 {
		return apperr.BadInput("idempotencyKey", "a key of 8 to 128 characters is required (a new one per request, the same one on retries)")
	}
	if in.FeeRelated && in.Type != models.RequestDispute {
		return apperr.BadInput("feeRelated", "only a dispute can be about fees")
	}
	switch in.Via {
	case "":
		in.Via = "WEB"
	case "WEB", "APP", "AGENT_DESK":
	default:
		return apperr.BadInput("via", "must be WEB, APP or AGENT_DESK")
	}
	in.Scope = in.Scope.normalize()
	return nil
}

// existing returns the request already filed under key: the same one if the
// body matches, a CONFLICT if it does not, nil if there is none.
func (s *Service) existing(ctx context.Context, subscriberID, key, digest string) (*models.Request, error) {
	r, err := s.store.GetRequestByKey(ctx, subscriberID, key)
	if err != nil {
		if apperr.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	if r.BodyDigest != digest {
		return nil, apperr.Conflict("idempotency key %q was used for a different request", key)
	}
	return r, nil
}

func bodyDigest(subscriberID string, in FileInput) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%t", subscriberID, in.Type, in.Scope.encode(), in.Reason, in.FeeRelated)
	if v := in.Verification; v != nil {
		fmt.Fprintf(h, "\x00%s\x00%s", v.Method, v.Reference)
	}
	if len(in.Purposes) > 0 {
		fmt.Fprintf(h, "\x00%s", strings.Join(in.Purposes, ","))
	}
	if c := in.Correction; c != nil {
		fmt.Fprintf(h, "\x00%s\x00%s", c.Category, c.Value)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// event appends one step of the request's history and queues the
// subscriber's notice of it.
func (s *Service) event(ctx context.Context, tx Store, r *models.Request, kind string, from, to *models.RequestStatus, actorKind, actorID string, note *string, visible bool) error {
	now := s.now()
	if err := tx.AppendRequestEvent(ctx, &models.RequestEvent{
		SubscriberID: r.SubscriberID, RequestID: r.ID, Kind: kind, FromStatus: from, ToStatus: to,
		ActorKind: actorKind, ActorID: actorID, Note: note, Visible: visible, OccurredAt: now,
	}); err != nil {
		return err
	}
	return s.notify(ctx, tx, r, kind, now)
}
