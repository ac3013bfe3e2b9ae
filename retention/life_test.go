package retention_test

import (
	"testing"
	"time"

	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

// A subscriber signs up, pays, uses the service, sends messages, withdraws
// an optional consent, terminates with unpaid fees, settles, and years pass.
// Every date below is counted here from the rule's text (민법 157, 159, 160;
// 국세기본법 5, 85조의3; 부가가치세법 49; 법인세법 60), never by the calculus.
func TestLifeOfATerminatedSubscriberWithUnpaidFees(t *testing.T) {
	t.Parallel()
	e := engine(t)
	sub := retention.Subject{SignedUpAt: at(2020, 1, 15)}

	name := holding("applicant.name", at(2020, 1, 15))
	email := holding("applicant.email", at(2020, 1, 15))
	account := holding("applicant.payment_account", at(2020, 1, 15))
	discount := holding("optional.discount_certificate", at(2020, 1, 15))
	payment := record("PAYMENT", at(2024, 5, 20))
	usage := record("USAGE", at(2025, 12, 1))
	message := record("MESSAGE_CONTENT", at(2025, 2, 20))
	billing := record("BILLING", at(2026, 2, 28))

	// 2025-03-01. Active: everything is in use for the service, and nothing
	// after termination has started.
	now := at(2025, 3, 1)
	a := check(t, e, sub, name, now, want{
		State: retention.StateInUse, OpenReason: retention.ReasonActiveSubscription, Governing: "SERVICE_PERIOD",
		Clauses: []string{
			"SERVICE_PERIOD 2020-01-15→open active",
			"POST_TERMINATION -→open",
			"TAX_RECORDS -→open",
		},
	})
	if got, want := a.Explain(policy.En), "In use for the service while your subscription is active; erased 6 months after termination, unless kept longer under National Tax Basic Act Art. 85-3"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}
	a = check(t, e, sub, email, now, want{
		State: retention.StateInUse, OpenReason: retention.ReasonActiveSubscription, Governing: "SERVICE_PERIOD",
		Clauses: []string{"SERVICE_PERIOD 2020-01-15→open active", "POST_TERMINATION -→open"},
	})
	if got, want := a.Explain(policy.En), "In use for the service while your subscription is active; erased 6 months after termination"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}
	if got, want := a.Explain(policy.Ko), "가입 기간 동안 서비스에 이용 중; 해지 후 6개월이 지나면 파기"; got != want {
		t.Errorf("Explain(Ko) = %q, want %q", got, want)
	}
	// A payment record is under the E-Commerce Act from its own date: paid
	// at noon on 2024-05-20, the first day counted is 05-21 and the five
	// years end on 2029-05-20. It is a fee record too, kept under the tax
	// clause whatever the subscriber's status: its VAT return (first half
	// of 2024) was due 2024-07-25, a Thursday; its corporate tax return
	// (fiscal year 2024) on 2025-03-31, a Monday. The later governs: kept
	// five years from 2025-04-01, through 2030-03-31.
	check(t, e, sub, payment, now, want{
		State: retention.StateInUse, OpenReason: retention.ReasonActiveSubscription, Governing: "SERVICE_PERIOD",
		Clauses: []string{
			"SERVICE_PERIOD 2024-05-20→open active",
			"POST_TERMINATION -→open",
			"PAYMENT_RECORDS 2024-05-20→2029-05-20 active",
			"TAX_RECORDS 2024-05-20→2030-03-31 active",
		},
	})
	// Message content: 28 days not counting the day it was sent (sent at
	// noon on 02-20, counted from 02-21), so kept through 2025-03-20 and
	// erasable from midnight in Korea, 15:00 UTC on 03-20.
	check(t, e, sub, message, at(2025, 3, 20), want{
		State: retention.StateInUse, PurgeAfter: "2025-03-20", Governing: "MESSAGE_CONTENT",
		Clauses: []string{"MESSAGE_CONTENT 2025-02-20→2025-03-20 active"},
	})
	check(t, e, sub, message, time.Date(2025, 3, 20, 14, 59, 59, 0, time.UTC), want{
		State: retention.StateInUse, PurgeAfter: "2025-03-20", Governing: "MESSAGE_CONTENT",
		Clauses: []string{"MESSAGE_CONTENT 2025-02-20→2025-03-20 active"},
	})
	a = check(t, e, sub, message, time.Date(2025, 3, 20, 15, 0, 0, 0, time.UTC), want{
		State: retention.StateDue, PurgeAfter: "2025-03-20", Governing: "MESSAGE_CONTENT",
		Clauses: []string{"MESSAGE_CONTENT 2025-02-20→2025-03-20"},
	})
	if got, want := a.Explain(policy.En), "Due for erasure after 2025-03-20 (message content and similar service records)"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}

	// 2025-06-01. The subscriber withdraws the discount-certificate consent:
	// its purpose is gone, and it is due at once (법 37, 21①).
	discount.ConsentWithdrawnAt = new(at(2025, 6, 1))
	now = at(2025, 6, 1)
	a = check(t, e, sub, discount, now, want{
		State: retention.StateDue, PurgeAfter: "2025-06-01", Governing: "SERVICE_PERIOD",
		Clauses: []string{"SERVICE_PERIOD 2020-01-15→2025-06-01", "POST_TERMINATION 2025-06-01→2025-06-01"},
	})
	if !a.PurgeAfter.Equal(at(2025, 6, 1)) {
		t.Errorf("discount certificate PurgeAfter = %s, want the moment of withdrawal", a.PurgeAfter)
	}
	if got, want := a.Explain(policy.En), "Due for erasure since 2025-06-01 (consent withdrawn)"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}
	if got, want := a.Explain(policy.Ko), "2025-06-01부터 파기 대상 (동의 철회)"; got != want {
		t.Errorf("Explain(Ko) = %q, want %q", got, want)
	}
	// Still in use the moment before.
	check(t, e, sub, discount, now.Add(-time.Second), want{
		State: retention.StateInUse, PurgeAfter: "2025-06-01", Governing: "SERVICE_PERIOD",
		Clauses: []string{"SERVICE_PERIOD 2020-01-15→2025-06-01 active", "POST_TERMINATION 2025-06-01→2025-06-01"},
	})

	// 2026-03-10. Terminates with fees unpaid since February. The last fee
	// record is the bill of 2026-02-28: VAT (first half of 2026) due
	// 2026-07-25, a Saturday, moved to Monday 07-27; corporate tax (fiscal
	// year 2026) due 2027-03-31, a Wednesday. The later governs: the
	// listed fields are kept five years from 2027-04-01, through 2032-03-31.
	sub.TerminatedAt = new(at(2026, 3, 10))
	sub.LastFeeRecordAt = new(at(2026, 2, 28))
	unpaid := retention.FeeIssue{Kind: policy.ConditionUnpaidFees, Since: at(2026, 2, 1)}
	sub.FeeIssues = []retention.FeeIssue{unpaid}

	// 2026-10-01: past six months, but nothing under POST_TERMINATION goes
	// while fees are unpaid.
	now = at(2026, 10, 1)
	a = check(t, e, sub, email, now, want{
		State: retention.StateInUse, OpenReason: retention.ReasonFeesUnresolved, Governing: "POST_TERMINATION",
		Clauses: []string{"SERVICE_PERIOD 2020-01-15→2026-03-10", "POST_TERMINATION 2026-03-10→open active"},
	})
	if got, want := a.Explain(policy.En), "Kept while fees remain unpaid (until resolved)"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}
	if got, want := a.Explain(policy.Ko), "요금 미납이 해결될 때까지 보관"; got != want {
		t.Errorf("Explain(Ko) = %q, want %q", got, want)
	}
	check(t, e, sub, name, now, want{
		State: retention.StateInUse, OpenReason: retention.ReasonFeesUnresolved, Governing: "POST_TERMINATION",
		Clauses: []string{
			"SERVICE_PERIOD 2020-01-15→2026-03-10",
			"POST_TERMINATION 2026-03-10→open active",
			"TAX_RECORDS 2026-03-10→2032-03-31 active",
		},
	})
	// Unpaid fees keep nothing but what POST_TERMINATION keeps: message
	// content went on time.
	check(t, e, sub, message, now, want{
		State: retention.StateDue, PurgeAfter: "2025-03-20", Governing: "MESSAGE_CONTENT",
		Clauses: []string{"MESSAGE_CONTENT 2025-02-20→2025-03-20"},
	})

	// 2027-01-20: the fees are settled at noon. Six months after
	// termination have long passed, so what only POST_TERMINATION kept is
	// kept through the day of settlement and due from the next midnight.
	unpaid.ResolvedAt = new(at(2027, 1, 20))
	sub.FeeIssues = []retention.FeeIssue{unpaid}
	now = at(2027, 1, 20)
	check(t, e, sub, email, now, want{
		State: retention.StateInUse, PurgeAfter: "2027-01-20", Governing: "POST_TERMINATION",
		Clauses: []string{"SERVICE_PERIOD 2020-01-15→2026-03-10", "POST_TERMINATION 2026-03-10→2027-01-20 active"},
	})
	now = at(2027, 1, 21)
	a = check(t, e, sub, email, now, want{
		State: retention.StateDue, PurgeAfter: "2027-01-20", Governing: "POST_TERMINATION",
		Clauses: []string{"SERVICE_PERIOD 2020-01-15→2026-03-10", "POST_TERMINATION 2026-03-10→2027-01-20"},
	})
	if !a.PurgeAfter.Equal(midnight(2027, 1, 21)) {
		t.Errorf("email PurgeAfter = %s, want midnight after the settlement day", a.PurgeAfter)
	}
	if got, want := a.Explain(policy.En), "Due for erasure after 2027-01-20 (retention after termination)"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}
	if got, want := a.Explain(policy.Ko), "2027-01-20 이후 파기 대상 (해지 후 보유기간)"; got != want {
		t.Errorf("Explain(Ko) = %q, want %q", got, want)
	}
	check(t, e, sub, account, now, want{
		State: retention.StateDue, PurgeAfter: "2027-01-20", Governing: "POST_TERMINATION",
		Clauses: []string{"SERVICE_PERIOD 2020-01-15→2026-03-10", "POST_TERMINATION 2026-03-10→2027-01-20"},
	})
	check(t, e, sub, usage, now, want{
		State: retention.StateDue, PurgeAfter: "2027-01-20", Governing: "POST_TERMINATION",
		Clauses: []string{"SERVICE_PERIOD 2025-12-01→2026-03-10", "POST_TERMINATION 2026-03-10→2027-01-20"},
	})
	// The name is a tax field: kept apart, by statute, through 2032-03-31.
	a = check(t, e, sub, name, now, want{
		State: retention.StateRetainedByStatute, PurgeAfter: "2032-03-31", Governing: "TAX_RECORDS",
		Clauses: []string{
			"SERVICE_PERIOD 2020-01-15→2026-03-10",
			"POST_TERMINATION 2026-03-10→2027-01-20",
			"TAX_RECORDS 2026-03-10→2032-03-31 active",
		},
	})
	if !a.PurgeAfter.Equal(midnight(2032, 4, 1)) {
		t.Errorf("name PurgeAfter = %s, want the start of 2032-04-01 in Korea", a.PurgeAfter)
	}
	if got, want := a.Explain(policy.En), "Kept until 2032-03-31 under National Tax Basic Act Art. 85-3: fee records kept for tax"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}
	if got, want := a.Explain(policy.Ko), "국세기본법 제85조의3에 따라 2032-03-31까지 보관: 요금 관련 세무 기록"; got != want {
		t.Errorf("Explain(Ko) = %q, want %q", got, want)
	}
	check(t, e, sub, billing, now, want{
		State: retention.StateRetainedByStatute, PurgeAfter: "2032-03-31", Governing: "TAX_RECORDS",
		Clauses: []string{
			"SERVICE_PERIOD 2026-02-28→2026-03-10",
			"POST_TERMINATION 2026-03-10→2027-01-20",
			"TAX_RECORDS 2026-02-28→2032-03-31 active",
		},
	})
	// The payment record: the tax clause outlasts the E-Commerce Act.
	a = check(t, e, sub, payment, now, want{
		State: retention.StateRetainedByStatute, PurgeAfter: "2030-03-31", Governing: "TAX_RECORDS",
		Clauses: []string{
			"SERVICE_PERIOD 2024-05-20→2026-03-10",
			"POST_TERMINATION 2026-03-10→2027-01-20",
			"PAYMENT_RECORDS 2024-05-20→2029-05-20 active",
			"TAX_RECORDS 2024-05-20→2030-03-31 active",
		},
	})
	if got, want := a.Explain(policy.En), "Kept until 2030-03-31 under National Tax Basic Act Art. 85-3: fee records kept for tax"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}

	// 2028-02-01: a dispute puts a hold on the name. The dates do not move;
	// the state says it is held.
	now = at(2028, 2, 1)
	held := name
	held.Holds = []retention.Hold{{ID: "hold-1", Reason: retention.HoldDispute}}
	a = check(t, e, sub, held, now, want{
		State: retention.StateHeld, PurgeAfter: "2032-03-31", Governing: "TAX_RECORDS",
		Clauses: []string{
			"SERVICE_PERIOD 2020-01-15→2026-03-10",
			"POST_TERMINATION 2026-03-10→2027-01-20",
			"TAX_RECORDS 2026-03-10→2032-03-31 active",
		},
	})
	if got, want := a.Explain(policy.En), "Held by a dispute: erasure paused until it is resolved"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}
	if got, want := a.Explain(policy.Ko), "분쟁으로 보류: 해결될 때까지 파기 중지"; got != want {
		t.Errorf("Explain(Ko) = %q, want %q", got, want)
	}

	// 2030-04-01 00:00 KST (15:00 UTC on 03-31): the payment record goes.
	check(t, e, sub, payment, time.Date(2030, 3, 31, 14, 59, 59, 0, time.UTC), want{
		State: retention.StateRetainedByStatute, PurgeAfter: "2030-03-31", Governing: "TAX_RECORDS",
		Clauses: []string{
			"SERVICE_PERIOD 2024-05-20→2026-03-10",
			"POST_TERMINATION 2026-03-10→2027-01-20",
			"PAYMENT_RECORDS 2024-05-20→2029-05-20",
			"TAX_RECORDS 2024-05-20→2030-03-31 active",
		},
	})
	check(t, e, sub, payment, time.Date(2030, 3, 31, 15, 0, 0, 0, time.UTC), want{
		State: retention.StateDue, PurgeAfter: "2030-03-31", Governing: "TAX_RECORDS",
		Clauses: []string{
			"SERVICE_PERIOD 2024-05-20→2026-03-10",
			"POST_TERMINATION 2026-03-10→2027-01-20",
			"PAYMENT_RECORDS 2024-05-20→2029-05-20",
			"TAX_RECORDS 2024-05-20→2030-03-31",
		},
	})

	// 2032-04-01: the tax fields go, at the start of the day in Korea,
	// never during 2032-03-31.
	check(t, e, sub, name, midnight(2032, 4, 1).Add(-time.Second), want{
		State: retention.StateRetainedByStatute, PurgeAfter: "2032-03-31", Governing: "TAX_RECORDS",
		Clauses: []string{
			"SERVICE_PERIOD 2020-01-15→2026-03-10",
			"POST_TERMINATION 2026-03-10→2027-01-20",
			"TAX_RECORDS 2026-03-10→2032-03-31 active",
		},
	})
	check(t, e, sub, name, midnight(2032, 4, 1), want{
		State: retention.StateDue, PurgeAfter: "2032-03-31", Governing: "TAX_RECORDS",
		Clauses: []string{
			"SERVICE_PERIOD 2020-01-15→2026-03-10",
			"POST_TERMINATION 2026-03-10→2027-01-20",
			"TAX_RECORDS 2026-03-10→2032-03-31",
		},
	})
}

// An active subscriber: everything is in use, however old, except message
// content past its 28 days.
func TestAnActiveSubscriber(t *testing.T) {
	t.Parallel()
	e := engine(t)
	sub := retention.Subject{SignedUpAt: at(2018, 4, 1)}
	now := at(2026, 11, 1)
	for _, c := range e.Catalog().Categories {
		a, err := e.Assess(sub, holding(c.Code, at(2018, 4, 1)), now)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != retention.StateInUse || a.PurgeAfter != nil || a.OpenReason != retention.ReasonActiveSubscription {
			t.Errorf("category %s: %+v, want in use with no purge date while active", c.Code, summarize(a))
		}
	}
	for _, r := range e.Catalog().RecordKinds {
		a, err := e.Assess(sub, record(r.Code, at(2019, 1, 1)), now)
		if err != nil {
			t.Fatal(err)
		}
		if r.Code == "MESSAGE_CONTENT" {
			// Sent at noon on 2019-01-01: 28 days from 01-02.
			if a.State != retention.StateDue || keptUntil(*a.PurgeAfter) != "2019-01-29" {
				t.Errorf("old message content: %+v, want due after 2019-01-29", summarize(a))
			}
			continue
		}
		// Even records whose statute has run out are kept for the service.
		if a.State != retention.StateInUse || a.PurgeAfter != nil {
			t.Errorf("record kind %s: %+v, want in use while active", r.Code, summarize(a))
		}
	}
}

// Terminated seven months ago with fees settled before termination:
// everything is due, except the tax fields and the records a statute keeps.
func TestTerminatedSevenMonthsAgoWithSettledFees(t *testing.T) {
	t.Parallel()
	e := engine(t)
	sub := retention.Subject{
		SignedUpAt:   at(2021, 5, 3),
		TerminatedAt: new(at(2026, 3, 10)),
		// Settled before termination: it does not reach into the period.
		FeeIssues:       []retention.FeeIssue{{Kind: policy.ConditionUnpaidFees, Since: at(2026, 1, 1), ResolvedAt: new(at(2026, 2, 15))}},
		LastFeeRecordAt: new(at(2025, 11, 1)),
	}
	now := at(2026, 10, 10)
	recorded := at(2025, 11, 1)

	// What is still kept, and until when; everything else is due.
	kept := map[string]string{
		// §3(2): the last fee record is of 2025-11-01. Its VAT return
		// (second half of 2025) was due 2026-01-25, a Sunday, moved to
		// Monday 01-26; its corporate tax return (fiscal year 2025)
		// 2026-03-31, a Tuesday. The later governs: five years from
		// 2026-04-01, through 2031-03-31.
		"applicant.name":                      "2031-03-31",
		"applicant.birth_date":                "2031-03-31",
		"applicant.passport_number":           "2031-03-31",
		"applicant.alien_registration_number": "2031-03-31",
		"applicant.phone":                     "2031-03-31",
		"applicant.billing_address":           "2031-03-31",
		"payer.name":                          "2031-03-31",
		"payer.billing_address":               "2031-03-31",
		"BILLING":                             "2031-03-31",
		// A payment is a fee record too: the tax clause outlasts the
		// E-Commerce Act's five years (through 2030-11-01).
		"PAYMENT": "2031-03-31",
		// §3(3): from the record's own date, noon on 2025-11-01, so
		// counted from 11-02.
		"CONTRACT":  "2030-11-01",
		"COMPLAINT": "2028-11-01",
		"CREDIT":    "2028-11-01",
	}
	var items []retention.Item
	for _, c := range e.Catalog().Categories {
		items = append(items, holding(c.Code, at(2021, 5, 3)))
	}
	for _, r := range e.Catalog().RecordKinds {
		items = append(items, record(r.Code, recorded))
	}
	as, err := e.AssessAll(sub, items, now)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range as {
		code := items[i].Category + items[i].RecordKind
		if until, ok := kept[code]; ok {
			if a.State != retention.StateRetainedByStatute || keptUntil(*a.PurgeAfter) != until {
				t.Errorf("%s: %+v, want retained by statute until %s", code, summarize(a), until)
			}
			continue
		}
		// Six months after termination at noon on 2026-03-10: counted
		// from 03-11, ending the day before 09-11.
		wantDue := "2026-09-10"
		switch code {
		case "MESSAGE_CONTENT":
			wantDue = "2025-11-29" // 28 days from 11-02: 11-02 to 11-29
		}
		if a.State != retention.StateDue || a.PurgeAfter == nil || keptUntil(*a.PurgeAfter) != wantDue {
			t.Errorf("%s: %+v, want due after %s", code, summarize(a), wantDue)
		}
	}
	// Advertising records ran out (6 months from 2025-11-01) before the
	// post-termination period did.
	adv := as[len(e.Catalog().Categories)+7]
	if adv.Governing.Clause.Code != "POST_TERMINATION" {
		t.Errorf("advertising record governed by %s, want POST_TERMINATION", adv.Governing.Clause.Code)
	}
}

// Overpaid fees keep what POST_TERMINATION holds until they are refunded.
func TestOverpaidFees(t *testing.T) {
	t.Parallel()
	e := engine(t)
	email := holding("applicant.email", at(2022, 1, 1))
	sub := retention.Subject{
		SignedUpAt:   at(2022, 1, 1),
		TerminatedAt: new(at(2026, 3, 10)),
		FeeIssues:    []retention.FeeIssue{{Kind: policy.ConditionOverpaidFees, Since: at(2026, 3, 31)}},
	}
	now := at(2026, 12, 1)
	a := check(t, e, sub, email, now, want{
		State: retention.StateInUse, OpenReason: retention.ReasonFeesUnresolved, Governing: "POST_TERMINATION",
		Clauses: []string{"SERVICE_PERIOD 2022-01-01→2026-03-10", "POST_TERMINATION 2026-03-10→open active"},
	})
	if got, want := a.Explain(policy.En), "Kept while fees remain overpaid (until resolved)"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}

	// Unpaid on one line, overpaid on another.
	sub.FeeIssues = append(sub.FeeIssues, retention.FeeIssue{Kind: policy.ConditionUnpaidFees, Since: at(2026, 2, 1)})
	a = check(t, e, sub, email, now, want{
		State: retention.StateInUse, OpenReason: retention.ReasonFeesUnresolved, Governing: "POST_TERMINATION",
		Clauses: []string{"SERVICE_PERIOD 2022-01-01→2026-03-10", "POST_TERMINATION 2026-03-10→open active"},
	})
	if got, want := a.Explain(policy.En), "Kept while fees remain unpaid or overpaid (until resolved)"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}
	if got, want := a.Explain(policy.Ko), "요금 미납·과납이 해결될 때까지 보관"; got != want {
		t.Errorf("Explain(Ko) = %q, want %q", got, want)
	}
	if got := a.Governing.Unresolved; len(got) != 2 {
		t.Errorf("Unresolved = %v, want both", got)
	}

	// Both resolved: the later resolution decides.
	sub.FeeIssues[0].ResolvedAt = new(at(2027, 2, 1))
	sub.FeeIssues[1].ResolvedAt = new(at(2026, 12, 20))
	check(t, e, sub, email, at(2027, 2, 2), want{
		State: retention.StateDue, PurgeAfter: "2027-02-01", Governing: "POST_TERMINATION",
		Clauses: []string{"SERVICE_PERIOD 2022-01-01→2026-03-10", "POST_TERMINATION 2026-03-10→2027-02-01"},
	})
}

// A fee dispute stops the clock of POST_TERMINATION while it lasts.
func TestFeeDispute(t *testing.T) {
	t.Parallel()
	e := engine(t)
	email := holding("applicant.email", at(2022, 1, 1))
	dispute := func(since time.Time, resolved *time.Time) retention.FeeIssue {
		return retention.FeeIssue{Kind: policy.ConditionFeeDispute, Since: since, ResolvedAt: resolved}
	}
	tests := []struct {
		name   string
		issues []retention.FeeIssue
		now    time.Time
		want   want
	}{
		{
			name:   "opened during the six months, still open",
			issues: []retention.FeeIssue{dispute(at(2026, 8, 1), nil)},
			now:    at(2026, 10, 1),
			want: want{
				State: retention.StateInUse, OpenReason: retention.ReasonFeesUnresolved, Governing: "POST_TERMINATION",
				Clauses: []string{"SERVICE_PERIOD 2022-01-01→2026-03-10", "POST_TERMINATION 2026-03-10→open active"},
			},
		},
		{
			name:   "resolved after the six months: kept until resolved",
			issues: []retention.FeeIssue{dispute(at(2026, 8, 1), new(at(2026, 11, 15)))},
			now:    at(2026, 11, 1),
			want: want{
				State: retention.StateInUse, PurgeAfter: "2026-11-15", Governing: "POST_TERMINATION",
				Clauses: []string{"SERVICE_PERIOD 2022-01-01→2026-03-10", "POST_TERMINATION 2026-03-10→2026-11-15 active"},
			},
		},
		{
			name:   "resolved within the six months: no change",
			issues: []retention.FeeIssue{dispute(at(2026, 4, 1), new(at(2026, 5, 1)))},
			now:    at(2026, 10, 1),
			want: want{
				State: retention.StateDue, PurgeAfter: "2026-09-10", Governing: "POST_TERMINATION",
				Clauses: []string{"SERVICE_PERIOD 2022-01-01→2026-03-10", "POST_TERMINATION 2026-03-10→2026-09-10"},
			},
		},
		{
			name: "a second dispute raised while the first kept it running",
			issues: []retention.FeeIssue{
				dispute(at(2026, 11, 1), new(at(2027, 1, 10))),
				dispute(at(2026, 8, 1), new(at(2026, 11, 15))),
			},
			now: at(2027, 1, 11),
			want: want{
				State: retention.StateDue, PurgeAfter: "2027-01-10", Governing: "POST_TERMINATION",
				Clauses: []string{"SERVICE_PERIOD 2022-01-01→2026-03-10", "POST_TERMINATION 2026-03-10→2027-01-10"},
			},
		},
		{
			name:   "raised after the period ended: does not revive it",
			issues: []retention.FeeIssue{dispute(at(2026, 10, 1), nil)},
			now:    at(2026, 10, 2),
			want: want{
				State: retention.StateDue, PurgeAfter: "2026-09-10", Governing: "POST_TERMINATION",
				Clauses: []string{"SERVICE_PERIOD 2022-01-01→2026-03-10", "POST_TERMINATION 2026-03-10→2026-09-10"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sub := retention.Subject{SignedUpAt: at(2022, 1, 1), TerminatedAt: new(at(2026, 3, 10)), FeeIssues: tt.issues}
			check(t, e, sub, email, tt.now, tt.want)
		})
	}

	sub := retention.Subject{SignedUpAt: at(2022, 1, 1), TerminatedAt: new(at(2026, 3, 10)), FeeIssues: tests[0].issues}
	a, _ := e.Assess(sub, email, at(2026, 10, 1))
	if got, want := a.Explain(policy.En), "Kept while a fee dispute continues (until resolved)"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}
	if got, want := a.Explain(policy.Ko), "요금 관련 분쟁이 해결될 때까지 보관"; got != want {
		t.Errorf("Explain(Ko) = %q, want %q", got, want)
	}
}

// Within the six months after termination the data is still kept for fee
// settlement; the tax fields then pass to the statute.
func TestWithinSixMonthsOfTermination(t *testing.T) {
	t.Parallel()
	e := engine(t)
	sub := retention.Subject{SignedUpAt: at(2022, 1, 1), TerminatedAt: new(at(2026, 3, 10))}
	now := at(2026, 5, 1)
	a := check(t, e, sub, holding("applicant.email", at(2022, 1, 1)), now, want{
		State: retention.StateInUse, PurgeAfter: "2026-09-10", Governing: "POST_TERMINATION",
		Clauses: []string{"SERVICE_PERIOD 2022-01-01→2026-03-10", "POST_TERMINATION 2026-03-10→2026-09-10 active"},
	})
	for lang, want := range map[policy.Lang]string{
		policy.En: "Kept until 2026-09-10: retention after termination",
		policy.Ko: "2026-09-10까지 보관: 해지 후 보유기간",
	} {
		if got := a.Explain(lang); got != want {
			t.Errorf("Explain(%s) = %q, want %q", lang, got, want)
		}
	}
	// No fee record: counted from termination (2026-03-10), whose
	// corporate tax return is due 2027-03-31 (a Wednesday), later than the
	// VAT return (2026-07-25, a Saturday, moved to Monday 07-27).
	a = check(t, e, sub, holding("applicant.phone", at(2022, 1, 1)), now, want{
		State: retention.StateInUse, PurgeAfter: "2032-03-31", Governing: "TAX_RECORDS",
		Clauses: []string{
			"SERVICE_PERIOD 2022-01-01→2026-03-10",
			"POST_TERMINATION 2026-03-10→2026-09-10 active",
			"TAX_RECORDS 2026-03-10→2032-03-31 active",
		},
	})
	for lang, want := range map[policy.Lang]string{
		policy.En: "Kept until 2026-09-10: retention after termination; then until 2032-03-31 under National Tax Basic Act Art. 85-3: fee records kept for tax",
		policy.Ko: "2026-09-10까지 보관: 해지 후 보유기간; 이후 국세기본법 제85조의3에 따라 2032-03-31까지 보관: 요금 관련 세무 기록",
	} {
		if got := a.Explain(lang); got != want {
			t.Errorf("Explain(%s) = %q, want %q", lang, got, want)
		}
	}
}

// A withdrawn optional item after termination ends at the withdrawal, even
// with fees unresolved: its purpose is gone. A dispute's hold still stops
// its purge.
func TestOptionalItemWithdrawnAfterTermination(t *testing.T) {
	t.Parallel()
	e := engine(t)
	sub := retention.Subject{
		SignedUpAt:   at(2022, 1, 1),
		TerminatedAt: new(at(2026, 3, 10)),
		FeeIssues:    []retention.FeeIssue{{Kind: policy.ConditionUnpaidFees, Since: at(2026, 2, 1)}},
	}
	info := holding("optional.number_info_service", at(2023, 6, 1))
	info.ConsentWithdrawnAt = new(at(2026, 4, 2))
	check(t, e, sub, info, at(2026, 4, 3), want{
		State: retention.StateDue, PurgeAfter: "2026-04-02", Governing: "POST_TERMINATION",
		Clauses: []string{"SERVICE_PERIOD 2023-06-01→2026-03-10", "POST_TERMINATION 2026-03-10→2026-04-02"},
	})
	info.Holds = []retention.Hold{{ID: "h", Reason: retention.HoldDispute}}
	a := check(t, e, sub, info, at(2026, 4, 3), want{
		State: retention.StateHeld, PurgeAfter: "2026-04-02", Governing: "POST_TERMINATION",
		Clauses: []string{"SERVICE_PERIOD 2023-06-01→2026-03-10", "POST_TERMINATION 2026-03-10→2026-04-02"},
	})
	if got, want := a.Explain(policy.En), "Held by a dispute: erasure paused until it is resolved"; got != want {
		t.Errorf("Explain(En) = %q, want %q", got, want)
	}
	if got, want := a.Explain(policy.Ko), "분쟁으로 보류: 해결될 때까지 파기 중지"; got != want {
		t.Errorf("Explain(Ko) = %q, want %q", got, want)
	}
}

// docs/POLICY.md, "Reading of the rules": unpaid fees stop the clock of
// POST_TERMINATION and keep nothing else; records whose own clause has ended
// still go on time. An advertising record (6 months, 전자상거래법) and a
// contract record (5 years) of a subscriber terminated with fees unpaid
// are kept six months after termination like everything else, not until
// the fees are settled; the fee records, which settling needs, are.
func TestUnpaidFeesDoNotKeepRecordsOfTheirOwnClause(t *testing.T) {
	t.Parallel()
	e := engine(t)
	sub := retention.Subject{
		SignedUpAt:   at(2021, 1, 4),
		TerminatedAt: new(at(2026, 3, 10)),
		FeeIssues:    []retention.FeeIssue{{Kind: policy.ConditionUnpaidFees, Since: at(2026, 2, 1)}},
	}
	now := at(2026, 11, 1)
	// Advertising of noon 2026-01-05: first day 01-06, through 2026-07-05.
	// Six months after termination: first day 03-11, through 2026-09-10.
	check(t, e, sub, record("ADVERTISING", at(2026, 1, 5)), now, want{
		State: retention.StateDue, PurgeAfter: "2026-09-10", Governing: "POST_TERMINATION",
		Clauses: []string{
			"SERVICE_PERIOD 2026-01-05→2026-03-10",
			"POST_TERMINATION 2026-03-10→2026-09-10",
			"ADVERTISING_RECORDS 2026-01-05→2026-07-05",
		},
	})
	// A contract of noon 2021-01-05: first day 01-06, through 2026-01-05.
	check(t, e, sub, record("CONTRACT", at(2021, 1, 5)), now, want{
		State: retention.StateDue, PurgeAfter: "2026-09-10", Governing: "POST_TERMINATION",
		Clauses: []string{
			"SERVICE_PERIOD 2021-01-05→2026-03-10",
			"POST_TERMINATION 2026-03-10→2026-09-10",
			"CONTRACT_RECORDS 2021-01-05→2026-01-05",
		},
	})
	// A usage record has no clause of its own: the fees keep it.
	check(t, e, sub, record("USAGE", at(2026, 2, 1)), now, want{
		State: retention.StateInUse, OpenReason: retention.ReasonFeesUnresolved, Governing: "POST_TERMINATION",
		Clauses: []string{
			"SERVICE_PERIOD 2026-02-01→2026-03-10",
			"POST_TERMINATION 2026-03-10→open active",
		},
	})
	// A bill is what settling needs: the fees keep it in use too.
	check(t, e, sub, record("BILLING", at(2026, 2, 1)), now, want{
		State: retention.StateInUse, OpenReason: retention.ReasonFeesUnresolved, Governing: "POST_TERMINATION",
		Clauses: []string{
			"SERVICE_PERIOD 2026-02-01→2026-03-10",
			"POST_TERMINATION 2026-03-10→open active",
			"TAX_RECORDS 2026-02-01→2032-03-31 active",
		},
	})
}
