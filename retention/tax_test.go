package retention_test

import (
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

// Issue 12's check: terminated on 2026-05-02, fees settled, fee records only
// from 2026. The corporate tax return of fiscal 2026 is due 2027-03-31 (a
// Wednesday), later than the VAT return of the first half (2026-07-25, a
// Saturday, moved to Monday 07-27): the tax-kept fields are kept five years
// from 2027-04-01, through 2032-03-31. Everything else went six months
// after termination, counted from 05-03: due after 2026-11-02.
func TestTerminatedOn2May2026WithFeeRecordsOf2026(t *testing.T) {
	t.Parallel()
	e := engine(t)
	terminated := at(2026, 5, 2)
	bills := []time.Time{at(2026, 1, 31), at(2026, 4, 30), at(2026, 5, 2)}
	sub := retention.Subject{
		SignedUpAt: at(2023, 3, 1), TerminatedAt: &terminated,
		FeeIssues:       []retention.FeeIssue{{Kind: policy.ConditionUnpaidFees, Since: at(2026, 3, 1), ResolvedAt: new(at(2026, 4, 1))}},
		LastFeeRecordAt: new(bills[len(bills)-1]),
	}
	taxKept := map[string]bool{}
	for _, c := range e.Catalog().Categories {
		taxKept[c.Code] = false
	}
	for _, c := range []string{"applicant.name", "applicant.birth_date", "applicant.passport_number", "applicant.alien_registration_number", "applicant.phone", "applicant.billing_address", "payer.name", "payer.billing_address"} {
		taxKept[c] = true
	}
	// Walk across KST midnight at the end of 2026-11-02 (15:00 UTC) and at
	// the end of 2032-03-31.
	for _, step := range []struct {
		now                  time.Time
		otherDue, taxDueWant bool
	}{
		{time.Date(2026, 11, 2, 14, 59, 59, 0, time.UTC), false, false},
		{time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC), true, false},
		{time.Date(2032, 3, 31, 14, 59, 59, 0, time.UTC), true, false},
		{time.Date(2032, 3, 31, 15, 0, 0, 0, time.UTC), true, true},
	} {
		for code, tax := range taxKept {
			a, err := e.Assess(sub, holding(code, at(2023, 3, 1)), step.now)
			if err != nil {
				t.Fatal(err)
			}
			wantDue, until := step.otherDue, "2026-11-02"
			if tax {
				wantDue, until = step.taxDueWant, "2032-03-31"
			}
			if got := a.State == retention.StateDue; got != wantDue || a.PurgeAfter == nil || keptUntil(*a.PurgeAfter) != until {
				t.Errorf("%s at %s: %+v, want due=%t, kept until %s", code, step.now.In(clock.KST), summarize(a), wantDue, until)
			}
		}
		for _, b := range bills {
			a, err := e.Assess(sub, record("BILLING", b), step.now)
			if err != nil {
				t.Fatal(err)
			}
			if a.State == retention.StateDue != step.taxDueWant || keptUntil(*a.PurgeAfter) != "2032-03-31" {
				t.Errorf("BILLING of %s at %s: %+v, want kept until 2032-03-31", day(b), step.now, summarize(a))
			}
		}
	}
}

// Fee records are kept under the tax clause whatever the subscriber's
// status, each from its own tax period: a final bill issued after
// termination, in the next year, is kept a year longer than the bills of
// the year of termination (issue 12, finding 2).
func TestEachFeeRecordCountsFromItsOwnTaxPeriod(t *testing.T) {
	t.Parallel()
	e := engine(t)
	active := retention.Subject{SignedUpAt: at(2020, 1, 1)}
	// 2025-11-20: VAT of H2 2025 due 2026-01-25, a Sunday → 01-26;
	// corporate tax of 2025 due 2026-03-31: kept through 2031-03-31.
	a, err := e.Assess(active, record("BILLING", at(2025, 11, 20)), at(2026, 6, 1))
	if err != nil {
		t.Fatal(err)
	}
	if a.State != retention.StateInUse || a.Clauses[2].End == nil || keptUntil(*a.Clauses[2].End) != "2031-03-31" || !a.Clauses[2].Active {
		t.Errorf("an active subscriber's bill: %+v, want in use and under TAX_RECORDS through 2031-03-31", summarize(a))
	}
	terminated := retention.Subject{SignedUpAt: at(2020, 1, 1), TerminatedAt: new(at(2026, 12, 20)), LastFeeRecordAt: new(at(2027, 1, 10))}
	// The final bill of 2027-01-10: corporate tax of 2027 due 2028-03-31,
	// a Friday: kept through 2033-03-31. The profile follows it.
	for _, it := range []retention.Item{record("BILLING", at(2027, 1, 10)), holding("payer.name", at(2020, 1, 1))} {
		a, err := e.Assess(terminated, it, at(2028, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		if a.State != retention.StateRetainedByStatute || keptUntil(*a.PurgeAfter) != "2033-03-31" {
			t.Errorf("%s%s: %+v, want retained through 2033-03-31", it.Category, it.RecordKind, summarize(a))
		}
	}
	// A bill of the year of termination: through 2032-03-31.
	a, err = e.Assess(terminated, record("BILLING", at(2026, 12, 1)), at(2028, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if keptUntil(*a.PurgeAfter) != "2032-03-31" {
		t.Errorf("bill of 2026-12-01: %+v, want through 2032-03-31", summarize(a))
	}
}

// A catalog with another fiscal year counts the corporate tax deadline from
// it: a year to 31 October puts it on 31 January, 2027-01-31 being a
// Sunday, so on Monday 2027-02-01; kept through 2032-02-01.
func TestFiscalYearEndIsTheCatalogs(t *testing.T) {
	t.Parallel()
	src := strings.Replace(string(policy.DefaultSource()), `fiscal_year_end: "12-31"`, `fiscal_year_end: "10-31"`, 1)
	cat, err := policy.Load([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e := retention.New(cat)
	a, err := e.Assess(retention.Subject{SignedUpAt: at(2020, 1, 1)}, record("BILLING", at(2026, 8, 10)), at(2027, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if got := keptUntil(*a.Clauses[2].End); got != "2032-02-01" {
		t.Errorf("fiscal year to October: kept until %s, want 2032-02-01", got)
	}
	if _, err := policy.Load([]byte(strings.Replace(src, `"10-31"`, `"13-01"`, 1))); err == nil || !strings.Contains(err.Error(), "fiscal_year_end") {
		t.Errorf("a bad fiscal year end: %v, want refused", err)
	}
}

// A catalog change changes every text that mentions it: with the
// post-termination period at three months, the explanations and the
// deletion outcomes say three months, in both languages, and nothing says
// six (issue 11 item 6).
func TestWordsFollowTheCatalog(t *testing.T) {
	t.Parallel()
	src := string(policy.DefaultSource())
	i := strings.Index(src, "role: POST_TERMINATION")
	j := i + strings.Index(src[i:], "duration: P6M")
	src = src[:j] + "duration: P3M" + src[j+len("duration: P6M"):]
	cat, err := policy.Load([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e := retention.New(cat)
	active := retention.Subject{SignedUpAt: at(2022, 1, 1)}
	terminated := retention.Subject{SignedUpAt: at(2022, 1, 1), TerminatedAt: new(at(2026, 3, 10))}
	service, _ := cat.Clause("SERVICE_PERIOD")
	var texts []string
	for _, l := range []policy.Lang{policy.En, policy.Ko} {
		a, err := e.Assess(active, holding("applicant.email", at(2022, 1, 1)), at(2026, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, a.Explain(l))
		// Three months from 03-11: through 2026-06-10.
		a, err = e.Assess(terminated, holding("applicant.email", at(2022, 1, 1)), at(2026, 4, 1))
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Explain(l); !strings.Contains(got, "2026-06-10") {
			t.Errorf("Explain(%s) = %q, want kept until 2026-06-10", l, got)
		}
		texts = append(texts, retention.ExplainOutcome(cat, retention.Outcome{Kind: retention.OutcomeRetained, Category: "applicant.email", Clause: service, DecidedAt: at(2026, 1, 1)}, l))
	}
	want := []string{"3 months", "3 months", "3개월", "3개월"}
	for i, s := range texts {
		if !strings.Contains(s, want[i]) || strings.Contains(s, "6 months") || strings.Contains(s, "6개월") {
			t.Errorf("text %d = %q, want it to say %q and not six months", i, s, want[i])
		}
	}
}

// The words of a deletion's outcomes, in both languages: a tax-kept item
// is never said to go six months after termination, every refusal says how
// to object, and no time limit is invented (issue 12, finding 7).
func TestOutcomeWords(t *testing.T) {
	t.Parallel()
	cat := engine(t).Catalog()
	tax, _ := cat.Clause("TAX_RECORDS")
	service, _ := cat.Clause("SERVICE_PERIOD")
	until := midnight(2032, 4, 1)
	tests := []struct {
		name   string
		o      retention.Outcome
		en, ko string
	}{
		{
			name: "a bill kept under the tax law",
			o:    retention.Outcome{Kind: retention.OutcomeRetained, Category: "BILLING", Clause: tax, Until: &until, DecidedAt: at(2026, 6, 1)},
			en:   "Not erased: kept until 2032-03-31 under National Tax Basic Act Art. 85-3 (fee records kept for tax). You may object as the resolution of your request says.",
			ko:   "삭제되지 않음: 국세기본법 제85조의3에 따라 2032-03-31까지 보관 (요금 관련 세무 기록). 이 결정에 이의가 있으시면 요청의 처리 결과에 안내된 방법으로 이의를 제기하실 수 있습니다.",
		},
		{
			name: "a tax-listed field of an active subscriber",
			o:    retention.Outcome{Kind: retention.OutcomeRetained, Category: "applicant.name", Clause: service, DecidedAt: at(2026, 6, 1)},
			en:   "Not erased: needed while your subscription runs (service period); after termination it is kept under National Tax Basic Act Art. 85-3 for 5 years from the day after the tax filing deadline of your last fee record, then erased. You may object as the resolution of your request says.",
			ko:   "삭제되지 않음: 서비스 이용 중 필요한 정보입니다 (이용기간); 해지 후에는 국세기본법 제85조의3에 따라 마지막 요금 기록의 세금 신고기한 다음 날부터 5년간 보관된 뒤 삭제됩니다. 이 결정에 이의가 있으시면 요청의 처리 결과에 안내된 방법으로 이의를 제기하실 수 있습니다.",
		},
		{
			name: "an e-mail address of an active subscriber",
			o:    retention.Outcome{Kind: retention.OutcomeRetained, Category: "applicant.email", Clause: service, DecidedAt: at(2026, 6, 1)},
			en:   "Not erased: needed while your subscription runs (service period); erased 6 months after termination. You may object as the resolution of your request says.",
			ko:   "삭제되지 않음: 서비스 이용 중 필요한 정보입니다 (이용기간); 해지 후 6개월이 지나면 삭제됩니다. 이 결정에 이의가 있으시면 요청의 처리 결과에 안내된 방법으로 이의를 제기하실 수 있습니다.",
		},
		{
			name: "held by a fee dispute",
			o:    retention.Outcome{Kind: retention.OutcomeHeld, Category: "USAGE", HoldReason: retention.HoldFeeDispute, DecidedAt: at(2026, 6, 1)},
			en:   "Not erased yet: held by a fee dispute: erasure paused until it is resolved; when it ends the item is erased unless a law keeps it, and you are told.",
			ko:   "아직 삭제되지 않음: 요금 관련 분쟁으로 보류: 해결될 때까지 파기 중지; 보류가 끝나면 법령이 보관을 요구하지 않는 한 삭제되며, 그 결과를 알려 드립니다.",
		},
		{
			name: "erased",
			o:    retention.Outcome{Kind: retention.OutcomeErased, Category: "USAGE", DecidedAt: time.Date(2026, 6, 1, 15, 30, 0, 0, time.UTC)},
			en:   "Erased on 2026-06-02 at your request",
			ko:   "2026-06-02 요청에 따라 삭제됨",
		},
	}
	for _, tt := range tests {
		if got := retention.ExplainOutcome(cat, tt.o, policy.En); got != tt.en {
			t.Errorf("%s (en):\n got %q\nwant %q", tt.name, got, tt.en)
		}
		if got := retention.ExplainOutcome(cat, tt.o, policy.Ko); got != tt.ko {
			t.Errorf("%s (ko):\n got %q\nwant %q", tt.name, got, tt.ko)
		}
	}
	credit, _ := cat.Clause("CREDIT_RECORDS")
	if got, want := retention.ExplainErased(credit, 3, at(2029, 2, 2), policy.En), "3 erased on 2029-02-02 under records of collecting and using credit information (Credit Information Act Art. 20(2))"; got != want {
		t.Errorf("ExplainErased(en) = %q, want %q", got, want)
	}
	if got := retention.ExplainErased(credit, 3, at(2029, 2, 2), policy.Ko); !strings.Contains(got, "3건 삭제됨") || !strings.Contains(got, "신용정보") {
		t.Errorf("ExplainErased(ko) = %q, want Korean", got)
	}
}
