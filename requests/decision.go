package requests

import (
	"fmt"
	"strings"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// The decision rules of the desk (LAW.md "Rights and deadlines"): a refusal
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

// Summary is the structured outcome of a resolved request in one language:
// the decision, then every kept item with the law (or hold) that keeps it
// and until when. The subscriber reads it before the staff's text, so the
// text cannot contradict what happened.
func (s *Service) Summary(r *models.Request, outcomes []*models.RequestOutcome, l policy.Lang) string {
	if r.Resolution == nil {
		return ""
	}
	en := l == policy.En
	var b strings.Builder
	b.WriteString(decisionLabel(*r.Resolution, en))
	var erased, withdrawn int
	var kept []string
	for _, o := range outcomes {
		switch o.Outcome {
		case OutcomeErased:
			erased++
		case OutcomeWithdrawn:
			withdrawn++
		case OutcomeHeld:
			if en {
				kept = append(kept, o.Category+": held by an open dispute or unsettled fees")
			} else {
				kept = append(kept, o.Category+": 진행 중인 분쟁 또는 미정산 요금으로 보류")
			}
		case OutcomeRetained:
			kept = append(kept, o.Category+": "+s.keptBy(o, l))
		}
	}
	if r.Type == models.RequestDeletion {
		if en {
			fmt.Fprintf(&b, " Erased: %d item(s); consents withdrawn: %d; kept: %d item(s).", erased, withdrawn, len(kept))
		} else {
			fmt.Fprintf(&b, " 삭제 %d건, 동의 철회 %d건, 보관 %d건.", erased, withdrawn, len(kept))
		}
	}
	for _, k := range kept {
		b.WriteString(" ")
		b.WriteString(k)
		b.WriteString(".")
	}
	if r.LegalGround != nil {
		if c, ok := s.cat.Clause(*r.LegalGround); ok {
			if en {
				b.WriteString(" Legal ground: " + groundOf(c, l) + ".")
			} else {
				b.WriteString(" 법적 근거: " + groundOf(c, l) + ".")
			}
		}
	}
	return b.String()
}

// keptBy says under which law an item is kept, and until when.
func (s *Service) keptBy(o *models.RequestOutcome, l policy.Lang) string {
	var ground string
	if o.Clause != nil {
		if c, ok := s.cat.Clause(*o.Clause); ok {
			ground = groundOf(c, l)
		}
	}
	until := ""
	if o.UntilAt != nil {
		// The stored end is the first instant the item may go; the
		// subscriber is told the last day it is kept.
		until = models.DateOf(policy.LastDay(*o.UntilAt)).String()
	}
	switch {
	case l == policy.En && until != "":
		return "kept under " + ground + " until " + until
	case l == policy.En:
		return "kept under " + ground
	case until != "":
		return ground + "에 따라 " + until + "까지 보관"
	}
	return ground + "에 따라 보관"
}

// groundOf cites a clause's law, or its label where the contract keeps the
// data.
func groundOf(c *policy.Clause, l policy.Lang) string {
	if c.Law != nil {
		return c.Law.Citation(l) + " (" + c.Label.In(l) + ")"
	}
	return c.Label.In(l)
}

func decisionLabel(res models.Resolution, en bool) string {
	switch {
	case res == models.ResolutionApproved && en:
		return "Decision: approved."
	case res == models.ResolutionApproved:
		return "결정: 승인."
	case res == models.ResolutionPartiallyApproved && en:
		return "Decision: partially approved."
	case res == models.ResolutionPartiallyApproved:
		return "결정: 일부 승인."
	case en:
		return "Decision: refused."
	}
	return "결정: 거절."
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
