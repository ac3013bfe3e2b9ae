package requests

import (
	"strings"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

// The decision rules of the desk (docs/LAW.md "Rights and deadlines"): a refusal
// names the law that requires keeping the data, per item, and how to
// object; a refusal without a legal ground is not allowed; the subscriber
// reads the structured outcome before any free text.

// refusable checks that a deletion may be refused: every item in scope is
// kept by a hold or a clause. Consent topics are withdrawn on any deletion
// that is not refused, so they do not count here.
func refusable(outcomes []*models.RequestOutcome) error {
	var free []string
	for _, o := range outcomes {
		if o.ItemType == "CONSENT" {
			continue
		}
		if o.Outcome == OutcomeErased {
			free = append(free, o.Category)
		}
	}
	if len(free) > 0 {
		return apperr.BadInput("resolution", "no law or hold requires keeping %d item(s) in scope (%s): a deletion is refused only where another law requires keeping the data (PIPA 36(1) proviso); approve it, and the law kept items are answered item by item", len(free), strings.Join(uniq(free), ", "))
	}
	return nil
}

// legalGround checks the catalog clause a refusal of a suspension names
// (법 37②): a clause whose law requires the processing, or the contract the
// processing performs. Deletions need none: their grounds are found item by
// item.
func (s *Service) legalGround(t models.RequestType, res models.Resolution, code string) (*string, error) {
	refusing := res != models.ResolutionApproved
	switch {
	case t == models.RequestDeletion:
		if code != "" {
			return nil, apperr.BadInput("legalGround", "a deletion's grounds are found item by item from the catalog; do not name one")
		}
		return nil, nil
	case t == models.RequestSuspension && refusing && code == "":
		return nil, apperr.BadInput("legalGround", "refusing a suspension needs a legal ground (PIPA 37(2)): name the catalog clause whose law or contract requires the processing")
	case code == "":
		return nil, nil
	case !refusing:
		return nil, apperr.BadInput("legalGround", "only a refusal names a legal ground")
	}
	c, ok := s.cat.Clause(code)
	if !ok {
		return nil, apperr.BadInput("legalGround", "unknown clause %q", code)
	}
	if c.Law == nil && c.Basis != policy.BasisContract {
		return nil, apperr.BadInput("legalGround", "clause %s names no law and is not the contract: it cannot ground a refusal", code)
	}
	return &c.Code, nil
}

// Summary is the structured outcome of a resolved request in one language,
// in retention's words (retention.ExplainDecision): the decision, then every
// kept item with the law (or hold) that keeps it and until when, and how to
// object to a refusal. The subscriber reads it before the staff's text, so
// the text cannot contradict what happened.
func (s *Service) Summary(r *models.Request, outcomes []*models.RequestOutcome, l policy.Lang) string {
	if r.Resolution == nil {
		return ""
	}
	d := retention.Decision{Resolution: string(*r.Resolution), Deletion: r.Type == models.RequestDeletion}
	for _, o := range outcomes {
		switch o.Outcome {
		case OutcomeErased:
			d.Erased++
		case OutcomeWithdrawn:
			d.Withdrawn++
		case OutcomeHeld, OutcomeRetained:
			k := retention.Outcome{Kind: o.Outcome, DecidedAt: o.DecidedAt, Category: o.Category, Until: o.UntilAt}
			if o.Clause != nil {
				if c, ok := s.cat.Clause(*o.Clause); ok {
					k.Clause = c
				}
			}
			if o.Note != nil {
				k.HoldReason = HoldReasonOfNote(*o.Note)
			}
			d.Kept = append(d.Kept, k)
		}
	}
	if r.LegalGround != nil {
		if c, ok := s.cat.Clause(*r.LegalGround); ok {
			d.Ground = c
		}
	}
	return retention.ExplainDecision(d, l)
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
