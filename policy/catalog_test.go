package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustDefault(t *testing.T) *Catalog {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	return c
}

func codes[T any](xs []T, code func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = code(x)
	}
	return out
}

func TestDefaultCatalogHoldsTheNotice(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)

	if c.Version != "2026-12-02.2" || c.Jurisdiction != "KR" || c.PolicyURL != "https://www.xroshot.com" {
		t.Errorf("version, jurisdiction, policy URL = %q, %q, %q", c.Version, c.Jurisdiction, c.PolicyURL)
	}
	if c.Controller.En != "Xroshot service operator" {
		t.Errorf("controller = %q; the notice names no company", c.Controller.En)
	}
	if again, _ := Default(); again != c {
		t.Error("Default loaded the catalog twice")
	}
	sum := sha256.Sum256(xroshot)
	if c.Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("Hash = %s, want the SHA-256 of the embedded source", c.Hash)
	}

	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"purposes (§1 가–라)", codes(c.Purposes, func(p Purpose) string { return p.Code }),
			[]string{"SERVICE", "OPERATIONS", "MARKETING", "OUTSOURCING"}},
		// §2(1), as docs/POLICY.md reads.
		{"categories (§2(1) 가, 나)", codes(c.Categories, func(x Category) string { return x.Code }), []string{
			"applicant.name", "applicant.birth_date", "applicant.passport_number",
			"applicant.alien_registration_number", "applicant.billing_address", "applicant.phone",
			"applicant.email", "applicant.payment_account",
			"payer.name", "payer.birth_date", "payer.passport_number", "payer.alien_registration_number",
			"payer.billing_address", "payer.relationship", "payer.payment_account", "payer.phone",
			"guardian.name", "guardian.birth_date", "guardian.address", "guardian.phone", "guardian.relationship",
			"optional.number_info_service", "optional.discount_certificate",
		}},
		{"record kinds (§2(1)다)", codes(c.RecordKinds, func(r RecordKind) string { return r.Code }), []string{
			"USAGE", "ACCESS_LOG", "PAYMENT", "BILLING", "SUSPENSION", "CALL_DETAIL", "MESSAGE_CONTENT",
			"ADVERTISING", "CONTRACT", "COMPLAINT", "CREDIT",
		}},
		{"clauses (§3)", codes(c.Clauses, func(x Clause) string { return x.Code }), []string{
			"SERVICE_PERIOD", "POST_TERMINATION", "MESSAGE_CONTENT", "TAX_RECORDS", "ADVERTISING_RECORDS",
			"CONTRACT_RECORDS", "PAYMENT_RECORDS", "COMPLAINT_RECORDS", "CREDIT_RECORDS",
		}},
		{"consent topics", codes(c.ConsentTopics, func(x ConsentTopic) string { return x.Code }), []string{
			"optional.number_info_service", "optional.discount_certificate",
			"marketing.sms", "marketing.email", "marketing.phone", "marketing.push", "marketing.night",
		}},
		{"encrypted at rest (*)", codes(slices.DeleteFunc(slices.Clone(c.Categories), func(x Category) bool { return !x.Sensitive }),
			func(x Category) string { return x.Code }), []string{
			"applicant.passport_number", "applicant.alien_registration_number", "applicant.payment_account",
			"payer.passport_number", "payer.alien_registration_number", "payer.payment_account",
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestClausesKeepWhatTheNoticeSays(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)

	// 3(1)가, 나: everything is kept for the service and after termination,
	// except message content, which only its own clause keeps.
	for _, x := range c.Categories {
		if !slices.Contains(x.Clauses, "SERVICE_PERIOD") || !slices.Contains(x.Clauses, "POST_TERMINATION") {
			t.Errorf("category %s: clauses %v lack SERVICE_PERIOD or POST_TERMINATION", x.Code, x.Clauses)
		}
	}
	for _, r := range c.RecordKinds {
		if r.Code == "MESSAGE_CONTENT" {
			if diff := cmp.Diff([]string{"MESSAGE_CONTENT"}, r.Clauses); diff != "" {
				t.Errorf("message content clauses (-want +got):\n%s", diff)
			}
			continue
		}
		if !slices.Contains(r.Clauses, "SERVICE_PERIOD") || !slices.Contains(r.Clauses, "POST_TERMINATION") {
			t.Errorf("record kind %s: clauses %v lack SERVICE_PERIOD or POST_TERMINATION", r.Code, r.Clauses)
		}
	}

	// 3(2): the tax clause keeps the fields it lists, of terminated customers.
	tax, ok := c.Clause("TAX_RECORDS")
	if !ok {
		t.Fatal("no TAX_RECORDS")
	}
	wantTax := &Keeps{
		Categories: []string{
			"applicant.name", "applicant.birth_date", "applicant.passport_number",
			"applicant.alien_registration_number", "applicant.phone", "applicant.billing_address",
			"payer.name", "payer.billing_address",
		},
		RecordKinds: []string{"BILLING", "PAYMENT"},
	}
	if diff := cmp.Diff(wantTax, tax.Keeps); diff != "" {
		t.Errorf("TAX_RECORDS keeps (-want +got):\n%s", diff)
	}
	if tax.Role != RoleTax || tax.Anchor != AnchorTaxFilingDeadline || tax.Duration != (Period{Years: 5}) || !tax.StatuteOnly {
		t.Errorf("TAX_RECORDS = role %s, anchor %s, duration %s, statute only %t", tax.Role, tax.Anchor, tax.Duration, tax.StatuteOnly)
	}
	if got := tax.Law.Citation(Ko); got != "국세기본법 제85조의3" {
		t.Errorf("TAX_RECORDS law (ko) = %q", got)
	}
	if got := tax.Law.Citation(En); got != "National Tax Basic Act Art. 85-3" {
		t.Errorf("TAX_RECORDS law (en) = %q", got)
	}

	// 3(1)나: "until resolved" while fees are unpaid or overpaid or disputed.
	post, _ := c.Clause("POST_TERMINATION")
	if diff := cmp.Diff([]Condition{ConditionUnpaidFees, ConditionOverpaidFees, ConditionFeeDispute}, post.UntilResolved); diff != "" {
		t.Errorf("POST_TERMINATION until_resolved (-want +got):\n%s", diff)
	}

	// 3(1)나 단서 and 3(3): the durations, and which records the statutes keep.
	for _, tt := range []struct {
		clause, duration, record string
		law                      string
	}{
		{"POST_TERMINATION", "P6M", "", ""},
		{"MESSAGE_CONTENT", "P28D", "MESSAGE_CONTENT", ""},
		{"ADVERTISING_RECORDS", "P6M", "ADVERTISING", "E-Commerce Act Art. 6"},
		{"CONTRACT_RECORDS", "P5Y", "CONTRACT", "E-Commerce Act Art. 6"},
		{"PAYMENT_RECORDS", "P5Y", "PAYMENT", "E-Commerce Act Art. 6"},
		{"COMPLAINT_RECORDS", "P3Y", "COMPLAINT", "E-Commerce Act Art. 6"},
		{"CREDIT_RECORDS", "P3Y", "CREDIT", "Credit Information Act Art. 20(2)"},
	} {
		cl, ok := c.Clause(tt.clause)
		if !ok {
			t.Errorf("no clause %s", tt.clause)
			continue
		}
		if cl.Duration.String() != tt.duration {
			t.Errorf("clause %s: duration %s, want %s", tt.clause, cl.Duration, tt.duration)
		}
		if tt.record != "" {
			r, _ := c.RecordKind(tt.record)
			if !slices.Contains(r.Clauses, tt.clause) {
				t.Errorf("record kind %s is not under %s", tt.record, tt.clause)
			}
		}
		if tt.law != "" && (cl.Law == nil || cl.Law.Citation(En) != tt.law || !cl.StatuteOnly) {
			t.Errorf("clause %s: law %+v, statute only %t; want %s, kept apart", tt.clause, cl.Law, cl.StatuteOnly, tt.law)
		}
	}
	billing, _ := c.RecordKind("BILLING")
	if !slices.Contains(billing.Clauses, "TAX_RECORDS") {
		t.Errorf("BILLING clauses %v lack TAX_RECORDS", billing.Clauses)
	}
}

func TestLookups(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)

	if p, ok := c.Purpose("MARKETING"); !ok || p.Basis != BasisConsent || p.Required || p.DataUse != "marketing.advertising" {
		t.Errorf("Purpose(MARKETING) = %+v, %t", p, ok)
	}
	if x, ok := c.Category("applicant.email"); !ok || x.DataCategory != "user.contact.email" || x.Mask != MaskEmail || x.Format != FormatEmail {
		t.Errorf("Category(applicant.email) = %+v, %t", x, ok)
	}
	if r, ok := c.RecordKind("MESSAGE_CONTENT"); !ok || r.Label.In(Ko) != "메시지 내용" {
		t.Errorf("RecordKind(MESSAGE_CONTENT) = %+v, %t", r, ok)
	}
	if g, ok := c.Group("guardian"); !ok || g.Label.In(En) != "Legal guardian" {
		t.Errorf("Group(guardian) = %+v, %t", g, ok)
	}
	if tp, ok := c.TopicForCategory("optional.discount_certificate"); !ok || tp.Code != "optional.discount_certificate" || tp.Kind != TopicOptionalItem {
		t.Errorf("TopicForCategory(optional.discount_certificate) = %+v, %t", tp, ok)
	}
	if _, ok := c.TopicForCategory("applicant.email"); ok {
		t.Error("TopicForCategory(applicant.email): a required item has no consent topic")
	}
	night, _ := c.ConsentTopic("marketing.night")
	if diff := cmp.Diff([]Channel{ChannelSMS, ChannelPhone, ChannelPush}, night.AppliesTo); diff != "" {
		t.Errorf("marketing.night applies to (-want +got):\n%s", diff)
	}
	for _, tp := range c.ConsentTopics {
		if tp.Purpose == "MARKETING" && tp.Reconfirm != (Period{Years: 2}) {
			t.Errorf("consent topic %s: reconfirm %s, want P2Y", tp.Code, tp.Reconfirm)
		}
	}
	for _, code := range []string{"NOPE", ""} {
		if _, ok := c.Clause(code); ok {
			t.Errorf("Clause(%q) found", code)
		}
	}
	// The lookups hand out the catalog's own entries.
	if p, _ := c.Clause("TAX_RECORDS"); p != &c.Clauses[3] {
		t.Error("Clause returned a copy")
	}
}

// What a transmission may carry and why one is refused are catalog data: the
// notice's flags and reasons, in both languages.
func TestTransmissionIsCatalogData(t *testing.T) {
	t.Parallel()
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.TransmissibleRecordKinds(); !slices.Equal(got, []string{"USAGE", "PAYMENT", "BILLING"}) {
		t.Errorf("transmissible record kinds = %v", got)
	}
	for _, code := range []string{"IDENTITY_NOT_VERIFIED", "IMPERSONATION", "INFRINGES_OTHERS", RefusalRecipientNotAdmitted, RefusalNotTransmissible} {
		r, ok := c.TransmissionRefusal(code)
		if !ok || r.Text.Ko == "" || r.Text.En == "" || r.Staff == (code == RefusalRecipientNotAdmitted || code == RefusalNotTransmissible) {
			t.Errorf("refusal %s = %+v, %t", code, r, ok)
		}
	}
	if _, ok := c.TransmissionRefusal("NO_SUCH"); ok {
		t.Error("an unknown refusal reason was found")
	}
}
