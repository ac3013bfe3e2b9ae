package requests

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/protect"
)

// Correction with effect (법 36): the subscriber proposes the corrected
// value of a profile item; `me` shows the item as "correction requested";
// the operator's systems, which own the data, receive a correction task (a
// CORRECTION_TASK webhook event, and the system's correctionTasks query with
// the proposed value); the request is approved when a feed delivers the
// corrected value, or refused by the desk with the reason it was not
// corrected. Nobody approves a correction that did not happen.

// NoticeCorrectionTask is the outbox kind of a correction task for the
// operator's systems. It carries ids and the category only; the proposed
// value is read through correctionTasks.
const NoticeCorrectionTask = "CORRECTION_TASK"

// ReasonCorrected is the reason code of a correction the feed carried out.
const ReasonCorrected = "CORRECTED_BY_FEED"

// Correction is what a correction request proposes.
type Correction struct {
	Category string
	Value    string
}

// sealPurpose binds a proposed value's ciphertext to its request's use.
func sealPurpose(category string) string { return "correction:" + category }

// validateCorrection checks the proposed value against the catalog: a
// profile category, a value of its format.
func (s *Service) validateCorrection(in *FileInput) error {
	if in.Type != models.RequestCorrection {
		if in.Correction != nil {
			return apperr.BadInput("correction", "only a correction proposes a value")
		}
		return nil
	}
	c := in.Correction
	if c == nil {
		return apperr.BadInput("correction", "a correction names the item (category) and proposes its corrected value")
	}
	c.Category, c.Value = strings.TrimSpace(c.Category), strings.TrimSpace(c.Value)
	cat, ok := s.cat.Category(c.Category)
	if !ok || cat.Class == policy.ClassGenerated {
		return apperr.BadInput("correction.category", "unknown profile category %q", c.Category)
	}
	if c.Value == "" || utf8.RuneCountInString(c.Value) > 1000 {
		return apperr.BadInput("correction.value", "propose a value of 1 to 1000 characters")
	}
	if err := protect.Validate(cat.Format, c.Value, s.clock.Now().In(clock.KST)); err != nil {
		return apperr.BadInput("correction.value", "not a valid %s value", cat.Format)
	}
	in.Scope = Scope{Categories: []string{c.Category}}
	return nil
}

type correctionTask struct {
	Kind         string    `json:"kind"`
	SubscriberID string    `json:"subscriberId"`
	RequestID    string    `json:"requestId"`
	Category     string    `json:"category"`
	DueAt        time.Time `json:"dueAt"`
	At           time.Time `json:"at"`
}

// correctionFiled seals the proposed value on the request and queues the
// operator's task, in the filing's transaction.
func (s *Service) correctionFiled(ctx context.Context, tx Store, r *models.Request, c *Correction, now time.Time) error {
	b, err := json.Marshal(correctionTask{Kind: NoticeCorrectionTask, SubscriberID: r.SubscriberID, RequestID: r.ID, Category: c.Category, DueAt: r.DueAt, At: now})
	if err != nil {
		return err
	}
	return tx.EnqueueOutbox(ctx, &models.OutboxRow{SubscriberID: r.SubscriberID, Kind: NoticeCorrectionTask, Payload: string(b), DueBy: now, CreatedAt: now})
}

// seal fills the request's correction columns.
func (s *Service) seal(r *models.Request, c *Correction) error {
	ct, kid, err := s.inv.Seal(r.SubscriberID, sealPurpose(c.Category), c.Value)
	if err != nil {
		return err
	}
	cat := c.Category
	r.CorrectionCategory, r.CorrectionCipher, r.CorrectionKeyID = &cat, ct, &kid
	return nil
}

// ProposedValue is a correction request's proposed value in the clear.
func (s *Service) ProposedValue(r *models.Request) (string, error) {
	if r.CorrectionCategory == nil || r.CorrectionKeyID == nil {
		return "", nil
	}
	return s.inv.Unseal(r.SubscriberID, sealPurpose(*r.CorrectionCategory), *r.CorrectionKeyID, r.CorrectionCipher)
}

// MaskedProposal is a correction's proposed value masked as its item is
// everywhere but the subscriber's own export.
func (s *Service) MaskedProposal(r *models.Request) (string, error) {
	v, err := s.ProposedValue(r)
	if err != nil || r.CorrectionCategory == nil {
		return "", err
	}
	cat, ok := s.cat.Category(*r.CorrectionCategory)
	if !ok {
		return "", nil
	}
	return protect.Mask(cat.Mask, v), nil
}

// CorrectionTask is an open correction the operator's systems must carry
// out: the item and its proposed value.
type CorrectionTask struct {
	Request *models.Request
	Value   string
}

// CorrectionTasks pages by request id through the open corrections, with
// their proposed values, for the operator's systems.
func (s *Service) CorrectionTasks(ctx context.Context, after string, first int) ([]CorrectionTask, bool, error) {
	rs, more, err := s.store.ListOpenOfType(ctx, models.RequestCorrection, "", after, first)
	if err != nil {
		return nil, false, err
	}
	out := make([]CorrectionTask, 0, len(rs))
	for _, r := range rs {
		v, err := s.ProposedValue(r)
		if err != nil {
			return nil, false, err
		}
		out = append(out, CorrectionTask{Request: r, Value: v})
	}
	return out, more, nil
}

// CorrectionsRequested returns the categories of a subscriber's items with
// a correction open, for `me`.
func (s *Service) CorrectionsRequested(ctx context.Context, subscriberID string) (map[string]bool, error) {
	rs, _, err := s.store.ListOpenOfType(ctx, models.RequestCorrection, subscriberID, "", MaxPage)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, r := range rs {
		if r.CorrectionCategory != nil {
			out[*r.CorrectionCategory] = true
		}
	}
	return out, nil
}

// SettleAllCorrections settles the open corrections of every subscriber
// that has one, after a bulk feed (the import command), and returns how
// many it approved.
func (s *Service) SettleAllCorrections(ctx context.Context) (int, error) {
	var subs []string
	seen := map[string]bool{}
	after := ""
	for {
		rs, more, err := s.store.ListOpenOfType(ctx, models.RequestCorrection, "", after, MaxPage)
		if err != nil {
			return 0, err
		}
		for _, r := range rs {
			if !seen[r.SubscriberID] {
				seen[r.SubscriberID] = true
				subs = append(subs, r.SubscriberID)
			}
			after = r.ID
		}
		if !more || len(rs) == 0 {
			break
		}
	}
	settled := 0
	for _, id := range subs {
		n, err := s.SettleCorrections(ctx, id)
		if err != nil {
			return settled, err
		}
		settled += n
	}
	return settled, nil
}

// SettleCorrections approves every open correction of the subscriber whose
// proposed value a feed has now delivered: the correction took effect.
// Feeds call it after writing a subscriber's items; it returns how many it
// approved.
func (s *Service) SettleCorrections(ctx context.Context, subscriberID string) (int, error) {
	rs, _, err := s.store.ListOpenOfType(ctx, models.RequestCorrection, subscriberID, "", MaxPage)
	if err != nil || len(rs) == 0 {
		return 0, err
	}
	// Every item, in use or kept apart: what a statute keeps is still the
	// subscriber's to have corrected (법 36), and the feed updates it where
	// it is kept.
	holdings, err := s.store.ListAllHoldings(ctx, subscriberID)
	if err != nil {
		return 0, err
	}
	values, err := s.inv.RevealIn(ctx, s.store, subscriberID, holdings)
	if err != nil {
		return 0, err
	}
	held := map[string]map[string]bool{}
	for i, h := range holdings {
		v := values[i]
		if held[h.Category] == nil {
			held[h.Category] = map[string]bool{}
		}
		held[h.Category][v] = true
	}
	system := actor.Staff("feed", actor.RoleAdmin)
	settled := 0
	for _, r := range rs {
		want, err := s.ProposedValue(r)
		if err != nil {
			return settled, err
		}
		if r.CorrectionCategory == nil || !held[*r.CorrectionCategory][want] {
			continue
		}
		done := false
		if _, err := s.change(ctx, system, audit.ActionRequestResolve, r.ID, func(*models.Request) error { return nil }, func(tx Store, q *models.Request) error {
			if !q.Status.Open() {
				return nil
			}
			now := s.now()
			res, code := models.ResolutionApproved, ReasonCorrected
			from, to := q.Status, models.RequestResolved
			q.Status, q.Resolution, q.ResolvedAt = to, &res, &now
			note := "운영 시스템이 정정된 값을 반영했습니다. / The operator's systems hold the corrected value now."
			text := s.Summary(q, nil, policy.Ko) + " / " + s.Summary(q, nil, policy.En) + "\n\n" + note
			how := DefaultHowToObject
			q.ReasonCode, q.ResolutionText, q.HowToObject = &code, &text, &how
			done = true
			return s.event(ctx, tx, q, "RESOLVED", &from, &to, "SYSTEM", system.Subject, &note, true)
		}); err != nil && !apperr.IsConflict(err) {
			return settled, err
		}
		if done {
			settled++
		}
	}
	return settled, nil
}
