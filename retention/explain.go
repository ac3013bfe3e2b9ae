package retention

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/policy"
)

// Explain returns one line telling the subscriber, in lang, why the item is
// still held, until when and under which law, or that it is due for erasure.
// Dates are calendar dates in Korea (YYYY-MM-DD, KST).
func (a Assessment) Explain(lang policy.Lang) string {
	g := a.Governing
	if g == nil {
		return ""
	}
	ko := lang != policy.En
	switch a.State {
	case StateHeld:
		return explainHold(a.Holds[0].Reason, ko)
	case StateDue:
		return explainDue(g, ko)
	case StateRetainedByStatute:
		return explainStatute(g, ko)
	}
	switch g.OpenReason {
	case ReasonActiveSubscription:
		return explainActive(a.Clauses, a.Purpose, ko)
	case ReasonFeesUnresolved:
		return explainFees(g.Unresolved, ko)
	}
	var use *ClauseSpan
	for i := range a.Clauses {
		sp := &a.Clauses[i]
		if sp.Active && sp.End != nil && !sp.Clause.StatuteOnly && (use == nil || sp.End.After(*use.End)) {
			use = sp
		}
	}
	if use == nil || use == g || g.Clause.Law == nil {
		return explainKept(g, ko)
	}
	if ko {
		return explainKept(use, ko) + "; 이후 " + explainStatute(g, ko)
	}
	return explainKept(use, ko) + "; then until " + until(*g.End) + " under " + g.Clause.Law.Citation(policy.En) + ": " + label(g.Clause, ko)
}

// explainActive: the service period is open; say what follows termination.
func explainActive(spans []ClauseSpan, purpose *policy.Purpose, ko bool) string {
	var after string
	var laws []string
	for _, sp := range spans {
		switch {
		case sp.Clause.Role == policy.RolePostTermination:
			after = sp.Clause.Duration.Describe(lang(ko))
		case sp.Clause.StatuteOnly && sp.Clause.Law != nil && (sp.End == nil || sp.Active):
			if c := sp.Clause.Law.Citation(lang(ko)); !slices.Contains(laws, c) {
				laws = append(laws, c)
			}
		}
	}
	var b strings.Builder
	if ko {
		if purpose != nil {
			b.WriteString("가입 기간 동안 " + purpose.Label.In(policy.Ko) + "에 이용 중")
		} else {
			b.WriteString("가입 기간 동안 서비스에 이용 중")
		}
		if after != "" {
			b.WriteString("; 해지 후 " + after + "이 지나면 파기")
		}
		if len(laws) > 0 {
			b.WriteString(", 단 " + strings.Join(laws, ", ") + "에 따라 더 오래 보관될 수 있음")
		}
		return b.String()
	}
	if purpose != nil {
		b.WriteString("In use for " + lowerFirst(purpose.Label.In(policy.En)) + " while your subscription is active")
	} else {
		b.WriteString("In use for the service while your subscription is active")
	}
	if after != "" {
		b.WriteString("; erased " + after + " after termination")
	}
	if len(laws) > 0 {
		b.WriteString(", unless kept longer under " + strings.Join(laws, ", "))
	}
	return b.String()
}

// explainFees: fees or a fee dispute keep the clause running.
func explainFees(open []policy.Condition, ko bool) string {
	unpaid := slices.Contains(open, policy.ConditionUnpaidFees)
	overpaid := slices.Contains(open, policy.ConditionOverpaidFees)
	dispute := slices.Contains(open, policy.ConditionFeeDispute)
	var parts []string
	if ko {
		switch {
		case unpaid && overpaid:
			parts = append(parts, "요금 미납·과납")
		case unpaid:
			parts = append(parts, "요금 미납")
		case overpaid:
			parts = append(parts, "요금 과납")
		}
		if dispute {
			parts = append(parts, "요금 관련 분쟁")
		}
		return strings.Join(parts, " 및 ") + "이 해결될 때까지 보관"
	}
	switch {
	case unpaid && overpaid:
		parts = append(parts, "fees remain unpaid or overpaid")
	case unpaid:
		parts = append(parts, "fees remain unpaid")
	case overpaid:
		parts = append(parts, "fees remain overpaid")
	}
	if dispute {
		parts = append(parts, "a fee dispute continues")
	}
	return "Kept while " + strings.Join(parts, " and ") + " (until resolved)"
}

// explainKept: a clause with a known end keeps the item.
func explainKept(sp *ClauseSpan, ko bool) string {
	if sp.Clause.Law != nil {
		return explainStatute(sp, ko)
	}
	if ko {
		return until(*sp.End) + "까지 보관: " + label(sp.Clause, ko)
	}
	return "Kept until " + until(*sp.End) + ": " + label(sp.Clause, ko)
}

// explainStatute: a law keeps the item, apart, until a date.
func explainStatute(sp *ClauseSpan, ko bool) string {
	if ko {
		return sp.Clause.Law.Citation(policy.Ko) + "에 따라 " + until(*sp.End) + "까지 보관: " + label(sp.Clause, ko)
	}
	return "Kept until " + until(*sp.End) + " under " + sp.Clause.Law.Citation(policy.En) + ": " + label(sp.Clause, ko)
}

// explainDue: everything has ended; say after which day and what ended last.
func explainDue(g *ClauseSpan, ko bool) string {
	var cause string
	switch {
	case g.EndedBy == policy.AnchorConsentWithdrawal && ko:
		cause = "동의 철회"
	case g.EndedBy == policy.AnchorConsentWithdrawal:
		cause = "consent withdrawn"
	case g.Clause.Law != nil && ko:
		cause = label(g.Clause, ko) + ", " + g.Clause.Law.Citation(policy.Ko)
	case g.Clause.Law != nil:
		cause = label(g.Clause, ko) + " under " + g.Clause.Law.Citation(policy.En)
	default:
		cause = label(g.Clause, ko)
	}
	// A counted period ends at midnight: the item was kept through the day
	// before. An event (a withdrawal) ends it at its moment: due from then.
	counted := policy.StartOfDay(*g.End).Equal(*g.End)
	switch {
	case ko && counted:
		return until(*g.End) + " 이후 파기 대상 (" + cause + ")"
	case ko:
		return date(*g.End) + "부터 파기 대상 (" + cause + ")"
	case counted:
		return "Due for erasure after " + until(*g.End) + " (" + cause + ")"
	}
	return "Due for erasure since " + date(*g.End) + " (" + cause + ")"
}

// holdWords are how explanations name a hold and what releases it.
var holdWords = map[string]struct{ ko, en, until string }{
	HoldDispute:         {"분쟁으로 보류: 해결될 때까지", "a dispute", "it is resolved"},
	HoldDeletionRequest: {"삭제 요청으로 보류: 처리될 때까지", "a deletion request", "it is decided"},
	HoldUnpaidFees:      {"요금 미납으로 보류: 정산될 때까지", "unpaid fees", "they are settled"},
	HoldOverpaidFees:    {"요금 과납으로 보류: 환급될 때까지", "overpaid fees", "they are refunded"},
	HoldFeeDispute:      {"요금 관련 분쟁으로 보류: 해결될 때까지", "a fee dispute", "it is resolved"},
	HoldLegal:           {"법적 청구로 보류: 해결될 때까지", "a legal claim", "it is resolved"},
	"":                  {"보류됨: 해제될 때까지", "a hold", "it is released"},
}

// explainHold names the hold that pauses erasure.
func explainHold(reason string, ko bool) string {
	w, ok := holdWords[reason]
	if !ok {
		w = holdWords[""]
	}
	if ko {
		return w.ko + " 파기 중지"
	}
	return "Held by " + w.en + ": erasure paused until " + w.until
}

func lang(ko bool) policy.Lang {
	if ko {
		return policy.Ko
	}
	return policy.En
}

// label is a clause's label as it reads inside a sentence: English labels
// lose their capital unless they start with an acronym.
func label(cl *policy.Clause, ko bool) string {
	s := cl.Label.In(lang(ko))
	if ko {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	if next, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsLower(next) {
		return string(unicode.ToLower(r)) + s[n:]
	}
	return s
}

// lowerFirst lowers a label's capital for use inside a sentence, unless it
// starts with an acronym.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if next, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsLower(next) {
		return string(unicode.ToLower(r)) + s[n:]
	}
	return s
}

func date(t time.Time) string { return t.In(clock.KST).Format(time.DateOnly) }

// until is the last day an end keeps an item ("kept until D"): the day
// before the first instant it may be erased (민법 제159조).
func until(end time.Time) string { return date(policy.LastDay(end)) }
