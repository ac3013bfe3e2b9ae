package retention

import (
	"strconv"
	"strings"
	"time"

	"github.com/xroshot/portal/policy"
)

// The outcomes of a deletion, item by item (requests records them; the
// words for them are here, beside every other retention text).
const (
	OutcomeErased    = "ERASED"
	OutcomeRetained  = "RETAINED"
	OutcomeHeld      = "HELD"
	OutcomeWithdrawn = "WITHDRAWN"
)

// Outcome is what a deletion decided for one item, as ExplainOutcome needs
// it.
type Outcome struct {
	// Kind is one of the Outcome constants.
	Kind      string
	DecidedAt time.Time
	// Category is the item's category or record kind code.
	Category string
	// Clause is the clause a RETAINED item is kept under (or an ERASED
	// one went under); nil if none.
	Clause *policy.Clause
	// Until is the end of a statute's hold on a RETAINED item, as the
	// calculus counts ends (the first instant it may go).
	Until *time.Time
	// HoldReason is the reason of the hold a HELD item waits for; "" if
	// unknown.
	HoldReason string
}

// objectKo and objectEn close every refusal: PIPA 36① 단서 and 영 43 want
// the subscriber told how to object. No time limit is invented: the law
// sets none.
const (
	objectKo = " 이 결정에 이의가 있으시면 요청의 처리 결과에 안내된 방법으로 이의를 제기하실 수 있습니다."
	objectEn = " You may object as the resolution of your request says."
)

// ExplainOutcome is one line telling the subscriber what a deletion did to
// an item, in lang, from the catalog's facts.
func ExplainOutcome(cat *policy.Catalog, o Outcome, lang policy.Lang) string {
	ko := lang != policy.En
	day := date(o.DecidedAt)
	switch o.Kind {
	case OutcomeErased:
		if ko {
			return day + " 요청에 따라 삭제됨"
		}
		return "Erased on " + day + " at your request"
	case OutcomeWithdrawn:
		if ko {
			return day + " 요청에 따라 동의 철회됨"
		}
		return "Consent withdrawn on " + day + " at your request"
	case OutcomeHeld:
		h := explainHold(o.HoldReason, ko)
		if ko {
			return "아직 삭제되지 않음: " + h + "; 보류가 끝나면 법령이 보관을 요구하지 않는 한 삭제되며, 그 결과를 알려 드립니다."
		}
		return "Not erased yet: " + strings.ToLower(h[:1]) + h[1:] + "; when it ends the item is erased unless a law keeps it, and you are told."
	case OutcomeRetained:
		cl := o.Clause
		if cl == nil {
			break
		}
		if cl.Law != nil && o.Until != nil {
			if ko {
				return "삭제되지 않음: " + cl.Law.Citation(policy.Ko) + "에 따라 " + until(*o.Until) + "까지 보관 (" + cl.Label.In(policy.Ko) + ")." + objectKo
			}
			return "Not erased: kept until " + until(*o.Until) + " under " + cl.Law.Citation(policy.En) + " (" + label(cl, false) + ")." + objectEn
		}
		after := afterTermination(cat, o.Category, ko)
		if ko {
			return "삭제되지 않음: 서비스 이용 중 필요한 정보입니다 (" + cl.Label.In(policy.Ko) + "); " + after + "." + objectKo
		}
		return "Not erased: needed while your subscription runs (" + label(cl, false) + "); " + after + "." + objectEn
	}
	return o.Kind
}

// afterTermination says, from the catalog, what becomes of an item of the
// category after termination: erased when the post-termination clause ends,
// or kept longer under a statute that names it.
func afterTermination(cat *policy.Catalog, code string, ko bool) string {
	var post, statute *policy.Clause
	var clauses []string
	if c, ok := cat.Category(code); ok {
		clauses = c.Clauses
	} else if r, ok := cat.RecordKind(code); ok {
		clauses = r.Clauses
	}
	for _, cc := range clauses {
		cl, ok := cat.Clause(cc)
		if !ok {
			continue
		}
		switch {
		case cl.Role == policy.RolePostTermination:
			post = cl
		case cl.StatuteOnly && cl.Law != nil && statute == nil:
			statute = cl
		}
	}
	switch {
	case statute != nil && statute.Role == policy.RoleTax:
		if ko {
			return "해지 후에는 " + statute.Law.Citation(policy.Ko) + "에 따라 마지막 요금 기록의 세금 신고기한 다음 날부터 " + statute.Duration.Describe(policy.Ko) + "간 보관된 뒤 삭제됩니다"
		}
		return "after termination it is kept under " + statute.Law.Citation(policy.En) + " for " + statute.Duration.Describe(policy.En) + " from the day after the tax filing deadline of your last fee record, then erased"
	case statute != nil:
		if ko {
			return "해지 후에는 " + statute.Law.Citation(policy.Ko) + "에 따라 " + statute.Duration.Describe(policy.Ko) + "간 보관된 뒤 삭제됩니다"
		}
		return "after termination it is kept under " + statute.Law.Citation(policy.En) + " for " + statute.Duration.Describe(policy.En) + ", then erased"
	case post != nil:
		if ko {
			return "해지 후 " + post.Duration.Describe(policy.Ko) + "이 지나면 삭제됩니다"
		}
		return "erased " + post.Duration.Describe(policy.En) + " after termination"
	}
	if ko {
		return "해지 시 삭제됩니다"
	}
	return "erased at termination"
}

// ExplainErased is one line on what the purge erased of the subscriber:
// how many items, when, under which clause and law. clause may be nil for a
// clause no longer in the catalog.
func ExplainErased(clause *policy.Clause, count int, erasedAt time.Time, lang policy.Lang) string {
	ko := lang != policy.En
	n := strconv.Itoa(count)
	var name, cite string
	if clause != nil {
		name = label(clause, ko)
		if clause.Law != nil {
			cite = " (" + clause.Law.Citation(lang) + ")"
		}
	}
	if ko {
		if name == "" {
			return date(erasedAt) + "에 " + n + "건 삭제됨"
		}
		return date(erasedAt) + "에 " + name + "에 따라 " + n + "건 삭제됨" + cite
	}
	if name == "" {
		return n + " erased on " + date(erasedAt)
	}
	return n + " erased on " + date(erasedAt) + " under " + name + cite
}

// The decisions a resolved request can carry, as ExplainDecision names them.
const (
	DecisionApproved          = "APPROVED"
	DecisionPartiallyApproved = "PARTIALLY_APPROVED"
	DecisionRejected          = "REJECTED"
)

// Decision is a resolved request's structured outcome, as the subscriber
// reads it before any free text from staff.
type Decision struct {
	// Resolution is one of the Decision constants.
	Resolution string
	// Deletion reports whether the request was a deletion, whose counts
	// are told.
	Deletion bool
	// Erased and Withdrawn count the items erased and the consents
	// withdrawn.
	Erased, Withdrawn int
	// Kept are the items the request did not erase: HELD and RETAINED
	// outcomes, each with its clause, end or hold reason.
	Kept []Outcome
	// Ground is the catalog clause a refusal cites (a suspension's), or
	// nil.
	Ground *policy.Clause
}

// ExplainDecision is the structured outcome of a resolved request in lang:
// the decision, the counts of a deletion, every kept item with the law or
// hold that keeps it and until when, and the legal ground a refusal names.
// A refusal, whole or partial, ends with how to object (PIPA 36① 단서, 영 43).
func ExplainDecision(d Decision, lang policy.Lang) string {
	ko := lang != policy.En
	var b strings.Builder
	b.WriteString(decisionWords(d.Resolution, ko))
	if d.Deletion {
		e, w, k := strconv.Itoa(d.Erased), strconv.Itoa(d.Withdrawn), strconv.Itoa(len(d.Kept))
		if ko {
			b.WriteString(" 삭제 " + e + "건, 동의 철회 " + w + "건, 보관 " + k + "건.")
		} else {
			b.WriteString(" Erased: " + e + " item(s); consents withdrawn: " + w + "; kept: " + k + " item(s).")
		}
	}
	for _, o := range d.Kept {
		b.WriteString(" " + o.Category + ": " + keptWords(o, ko) + ".")
	}
	if d.Ground != nil {
		if ko {
			b.WriteString(" 법적 근거: " + ground(d.Ground, ko) + ".")
		} else {
			b.WriteString(" Legal ground: " + ground(d.Ground, ko) + ".")
		}
	}
	if d.Resolution != DecisionApproved {
		if ko {
			b.WriteString(objectKo)
		} else {
			b.WriteString(objectEn)
		}
	}
	return b.String()
}

func decisionWords(resolution string, ko bool) string {
	switch {
	case resolution == DecisionApproved && ko:
		return "결정: 승인."
	case resolution == DecisionApproved:
		return "Decision: approved."
	case resolution == DecisionPartiallyApproved && ko:
		return "결정: 일부 승인."
	case resolution == DecisionPartiallyApproved:
		return "Decision: partially approved."
	case ko:
		return "결정: 거절."
	}
	return "Decision: refused."
}

// keptWords says why one item was not erased: the hold that pauses it, or
// the clause (with its law) that keeps it and until which day.
func keptWords(o Outcome, ko bool) string {
	if o.Kind == OutcomeHeld {
		h := explainHold(o.HoldReason, ko)
		if ko {
			return h
		}
		return strings.ToLower(h[:1]) + h[1:]
	}
	if o.Clause == nil {
		if ko {
			return "보관"
		}
		return "kept"
	}
	g := ground(o.Clause, ko)
	switch {
	case o.Until != nil && ko:
		return g + "에 따라 " + until(*o.Until) + "까지 보관"
	case o.Until != nil:
		return "kept under " + g + " until " + until(*o.Until)
	case ko:
		return g + "에 따라 보관"
	}
	return "kept under " + g
}

// ground cites a clause's law with its label, or the label alone where the
// contract keeps the data.
func ground(c *policy.Clause, ko bool) string {
	if c.Law != nil {
		return c.Law.Citation(lang(ko)) + " (" + c.Label.In(lang(ko)) + ")"
	}
	return c.Label.In(lang(ko))
}
