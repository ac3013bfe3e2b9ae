package retention

import (
	"slices"
	"time"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/policy"
)

// window is a clause's hold on an item before it is shown as a ClauseSpan.
type window struct {
	start, end time.Time
	started    bool // false: the clause's anchor event has not happened
	open       bool // true: end unknown
	reason     Reason
	endedBy    policy.Anchor
	unresolved []policy.Condition
}

// servicePeriod is §3(1)가 (이용기간): from sign-up to termination. While
// the subscription is active it has no end.
func servicePeriod(s Subject) window {
	if s.TerminatedAt == nil {
		return window{start: s.SignedUpAt, started: true, open: true, reason: ReasonActiveSubscription}
	}
	return window{start: s.SignedUpAt, end: *s.TerminatedAt, started: true, endedBy: policy.AnchorTermination}
}

// postTermination is §3(1)나 (보유기간): from termination for the clause's
// duration (6 months), and "until resolved" while fees are unpaid or
// overpaid or a fee dispute continues (POLICY.md: they stop the clock).
//
// An issue counts when it was open at some time during the period: one still
// open leaves the end open (FEES_UNRESOLVED); resolved ones push the end to
// their resolution, and an issue raised while an earlier one kept the period
// running counts too. An issue raised after the period ended does not revive
// it. Before termination the clause has not started.
func postTermination(cl *policy.Clause, s Subject) window {
	if s.TerminatedAt == nil {
		return window{open: true, reason: ReasonActiveSubscription}
	}
	t := *s.TerminatedAt
	w := window{start: t, end: cl.Duration.AddTo(t), started: true}
	counts := func(fi FeeIssue) bool {
		return slices.Contains(cl.UntilResolved, fi.Kind) && !fi.Since.After(w.end)
	}
	for changed := true; changed; {
		changed = false
		for _, fi := range s.FeeIssues {
			if counts(fi) && fi.ResolvedAt != nil && fi.ResolvedAt.After(w.end) {
				w.end, changed = *fi.ResolvedAt, true
			}
		}
	}
	for _, cond := range cl.UntilResolved {
		if slices.ContainsFunc(s.FeeIssues, func(fi FeeIssue) bool {
			return fi.Kind == cond && fi.ResolvedAt == nil && counts(fi)
		}) {
			w.unresolved = append(w.unresolved, cond)
		}
	}
	if len(w.unresolved) > 0 {
		w.open, w.end, w.reason = true, time.Time{}, ReasonFeesUnresolved
	}
	return w
}

// messageContent is §3(1)나 단서: message content is kept under a month
// from its creation, whether or not the subscriber is still active
// (POLICY.md §3 "Reading of the rules").
func messageContent(cl *policy.Clause, created time.Time) window {
	return window{start: created, end: cl.Duration.AddTo(created), started: true}
}

// taxRecords is §3(2) and 국세기본법 제85조의3: the listed fields of
// terminated customers are kept five years, counted from the day after the
// VAT filing deadline of the tax period of termination (LAW.md), and never
// less than five years from termination (the notice). Active subscribers'
// data is not under it yet.
func taxRecords(cl *policy.Clause, s Subject) window {
	if s.TerminatedAt == nil {
		return window{open: true, reason: ReasonActiveSubscription}
	}
	t := *s.TerminatedAt
	from := TaxFilingDeadline(t).AddDate(0, 0, 1)
	end := cl.Duration.AddTo(t)
	if byDeadline := cl.Duration.AddTo(from); byDeadline.After(end) {
		end = byDeadline
	}
	return window{start: t, end: end, started: true}
}

// statuteRecord is §3(3) (전자상거래법 제6조, 신용정보법 제20조②): a
// record is kept for the clause's duration from its own date, whatever the
// state of the subscription.
func statuteRecord(cl *policy.Clause, recorded time.Time) window {
	return window{start: recorded, end: cl.Duration.AddTo(recorded), started: true}
}

// consentWithdrawn applies LAW.md 법 37 and 21① to an optional item: when
// its consent is withdrawn the purpose is gone, so every clause that kept it
// for that purpose ends at the withdrawal (statute clauses, which do not rest
// on consent, are not passed here).
func consentWithdrawn(w window, at time.Time) window {
	if w.open || at.Before(w.end) {
		w.end, w.open, w.reason, w.unresolved = at, false, "", nil
		w.endedBy = policy.AnchorConsentWithdrawal
	}
	if !w.started || w.start.After(w.end) {
		w.start, w.started = w.end, true
	}
	return w
}

// TaxFilingDeadline returns the deadline of the final VAT return for the
// tax period containing t, as midnight KST of that day. Korean VAT periods
// are half-years; the final return is due 25 days after the period ends
// (부가가치세법 제49조): 25 July for January–June, 25 January of the next
// year for July–December.
//
// A deadline falling on a weekend or public holiday moves to the next working
// day (국세기본법 제5조). That is not modelled: the deadline is always the
// 25th, as the portal's reading of the notice counts it (terminated on
// 2026-03-10, kept until 2031-07-26), so such data may be purged up to a few
// days before the moved deadline's five years are over.
func TaxFilingDeadline(t time.Time) time.Time {
	k := t.In(clock.KST)
	if k.Month() <= time.June {
		return time.Date(k.Year(), time.July, 25, 0, 0, 0, 0, clock.KST)
	}
	return time.Date(k.Year()+1, time.January, 25, 0, 0, 0, 0, clock.KST)
}
