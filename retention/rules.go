package retention

import (
	"slices"
	"time"

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
// duration (6 months, counted as the Civil Act counts: policy.Period.Elapse),
// and "until resolved" while fees are unpaid or overpaid or a fee dispute
// continues (docs/POLICY.md: they stop the clock of this clause, and of no other).
//
// An issue counts when it was open at some time during the period: one still
// open leaves the end open (FEES_UNRESOLVED); resolved ones push the end to
// the end of the day of their resolution, and an issue raised while an
// earlier one kept the period running counts too. An issue raised after the
// period ended does not revive it. Before termination the clause has not
// started.
func postTermination(cl *policy.Clause, s Subject) window {
	if s.TerminatedAt == nil {
		return window{open: true, reason: ReasonActiveSubscription}
	}
	t := *s.TerminatedAt
	w := window{start: t, end: cl.Duration.Elapse(t), started: true}
	counts := func(fi FeeIssue) bool {
		return slices.Contains(cl.UntilResolved, fi.Kind) && fi.Since.Before(w.end)
	}
	for changed := true; changed; {
		changed = false
		for _, fi := range s.FeeIssues {
			if counts(fi) && fi.ResolvedAt != nil {
				if end := endOfDay(*fi.ResolvedAt); end.After(w.end) {
					w.end, changed = end, true
				}
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

// endOfDay is the first instant after the KST day of t ("until resolved":
// kept through the day the issue was resolved).
func endOfDay(t time.Time) time.Time {
	return policy.StartOfDay(t).AddDate(0, 0, 1).UTC()
}

// messageContent is §3(1)나 단서: message content is kept under a month
// from its creation, whether or not the subscriber is still active and
// whatever the fees (docs/POLICY.md §3 "Reading of the rules").
func messageContent(cl *policy.Clause, created time.Time) window {
	return window{start: created, end: cl.Duration.Elapse(created), started: true}
}

// taxRecord is §3(2) for one fee record (국세기본법 제85조의3②): kept for
// the clause's duration from the day after the latest statutory filing
// deadline of the taxes the fee falls under, whatever the subscriber's
// status. The period starts at 00:00 of that day, so that day counts.
func taxRecord(cl *policy.Clause, tax *policy.Tax, recorded time.Time) window {
	from := tax.FilingDeadline(recorded).Due.AddDate(0, 0, 1)
	return window{start: recorded, end: cl.Duration.Elapse(from), started: true}
}

// taxProfile is §3(2) for the listed profile fields of a terminated
// customer: counted like a fee record, from their last fee record (a final
// bill or a late settlement can come after termination); from termination,
// the last day fees could arise, for a customer with no fee record. Active
// subscribers' profile fields are not under it: the contract keeps them.
func taxProfile(cl *policy.Clause, tax *policy.Tax, s Subject) window {
	if s.TerminatedAt == nil {
		return window{open: true, reason: ReasonActiveSubscription}
	}
	t := *s.TerminatedAt
	last := t
	if s.LastFeeRecordAt != nil {
		last = *s.LastFeeRecordAt
	}
	w := taxRecord(cl, tax, last)
	w.start = t
	return w
}

// statuteRecord is §3(3) (전자상거래법 제6조, 신용정보법 제20조②): a
// record is kept for the clause's duration from its own date, whatever the
// state of the subscription.
func statuteRecord(cl *policy.Clause, recorded time.Time) window {
	return window{start: recorded, end: cl.Duration.Elapse(recorded), started: true}
}

// consentWithdrawn applies docs/LAW.md 법 37 and 21① to an optional item: when
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
