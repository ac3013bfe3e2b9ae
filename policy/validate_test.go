package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// mutated returns the embedded notice with one change made to it.
func mutated(t *testing.T, change func(d *document)) []byte {
	t.Helper()
	var d document
	if err := yaml.Unmarshal(xroshot, &d); err != nil {
		t.Fatal(err)
	}
	change(&d)
	src, err := yaml.Marshal(&d)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func category(d *document, code string) *Category {
	i := slices.IndexFunc(d.Categories, func(c Category) bool { return c.Code == code })
	return &d.Categories[i]
}

func recordKind(d *document, code string) *RecordKind {
	i := slices.IndexFunc(d.RecordKinds, func(r RecordKind) bool { return r.Code == code })
	return &d.RecordKinds[i]
}

func clause(d *document, code string) *clauseDoc {
	i := slices.IndexFunc(d.Clauses, func(c clauseDoc) bool { return c.Code == code })
	return &d.Clauses[i]
}

func topic(d *document, code string) *topicDoc {
	i := slices.IndexFunc(d.ConsentTopics, func(c topicDoc) bool { return c.Code == code })
	return &d.ConsentTopics[i]
}

func TestRoundTripLoads(t *testing.T) {
	t.Parallel()
	if _, err := Load(mutated(t, func(*document) {})); err != nil {
		t.Fatalf("the notice, re-encoded: %v", err)
	}
}

func TestLoadRefusesABadCatalog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(d *document)
		want   []string // each must be one of the problems reported
	}{
		{
			name: "unknown clause",
			change: func(d *document) {
				category(d, "applicant.email").Clauses = []string{"SERVICE_PERIOD", "POST_TERMINATION", "FOO"}
			},
			want: []string{"category applicant.email: unknown clause FOO"},
		},
		{
			name:   "unknown purpose",
			change: func(d *document) { recordKind(d, "USAGE").Purposes = []string{"SERVICE", "SPYING"} },
			want:   []string{"record kind USAGE: unknown purpose SPYING"},
		},
		{
			name:   "transmissible record kind processed only on legitimate interest",
			change: func(d *document) { recordKind(d, "USAGE").Purposes = []string{"OPERATIONS"} },
			want:   []string{"record kind USAGE: transmissible, but none of its purposes rests on consent or the contract (PIPA 35-2(1))"},
		},
		{
			name: "the portal's own transmission refusal missing or given to staff",
			change: func(d *document) {
				d.Refusals = slices.DeleteFunc(d.Refusals, func(r TransmissionRefusal) bool { return r.Code == RefusalNotTransmissible })
				i := slices.IndexFunc(d.Refusals, func(r TransmissionRefusal) bool { return r.Code == RefusalRecipientNotAdmitted })
				d.Refusals[i].Staff = true
			},
			want: []string{
				"catalog: transmission refusal CATEGORY_NOT_TRANSMISSIBLE is missing (the portal gives it when a recipient is no longer admitted)",
				"transmission refusal RECIPIENT_NOT_ADMITTED: the portal gives it itself, so staff must be false",
			},
		},
		{
			name: "transmission refusal without English text",
			change: func(d *document) {
				d.Refusals[0].Text.En = ""
			},
			want: []string{"transmission refusal IDENTITY_NOT_VERIFIED: missing en text"},
		},
		{
			name:   "unknown consent topic",
			change: func(d *document) { category(d, "optional.discount_certificate").ConsentTopic = "optional.nope" },
			want:   []string{"category optional.discount_certificate: unknown consent topic optional.nope"},
		},
		{
			name:   "topic covers an unknown category",
			change: func(d *document) { topic(d, "optional.number_info_service").Category = "optional.nope" },
			want: []string{
				"consent topic optional.number_info_service: unknown category optional.nope",
				`category optional.number_info_service: consent topic optional.number_info_service covers "optional.nope", not this category`,
			},
		},
		{
			name:   "clause keeps an unknown record kind",
			change: func(d *document) { clause(d, "TAX_RECORDS").Keeps.RecordKinds = []string{"BILLING", "RECEIPT"} },
			want:   []string{"clause TAX_RECORDS: keeps unknown record kind RECEIPT"},
		},
		{
			name:   "duplicate code",
			change: func(d *document) { d.Purposes = append(d.Purposes, d.Purposes[0]) },
			want:   []string{"purpose SERVICE: duplicate code"},
		},
		{
			name: "same clause twice",
			change: func(d *document) {
				recordKind(d, "CREDIT").Clauses = append(recordKind(d, "CREDIT").Clauses, "CREDIT_RECORDS")
			},
			want: []string{"record kind CREDIT: clause CREDIT_RECORDS listed twice"},
		},
		{
			name:   "bad period",
			change: func(d *document) { clause(d, "POST_TERMINATION").Duration = "6 months" },
			want:   []string{`clause POST_TERMINATION: bad duration: period "6 months": want an ISO 8601 period such as P6M or P5Y`},
		},
		{
			name:   "bad reconfirm period",
			change: func(d *document) { topic(d, "marketing.sms").Reconfirm = "P2W" },
			want:   []string{`consent topic marketing.sms: bad reconfirm period: period "P2W": unit 'W' not allowed (want Y, M or D, in that order)`},
		},
		{
			name:   "missing duration",
			change: func(d *document) { clause(d, "CREDIT_RECORDS").Duration = "" },
			want:   []string{"clause CREDIT_RECORDS: needs a duration"},
		},
		{
			name:   "missing en label",
			change: func(d *document) { category(d, "applicant.phone").Label.En = "" },
			want:   []string{"category applicant.phone: missing en label"},
		},
		{
			name:   "missing ko description",
			change: func(d *document) { clause(d, "TAX_RECORDS").Description.Ko = "" },
			want:   []string{"clause TAX_RECORDS: missing ko description"},
		},
		{
			name: "missing law article",
			change: func(d *document) {
				clause(d, "CREDIT_RECORDS").Law = &Law{Name: Text{Ko: "신용정보법", En: "Credit Information Act"}}
			},
			want: []string{"clause CREDIT_RECORDS: missing ko law article", "clause CREDIT_RECORDS: missing en law article"},
		},
		{
			name:   "sensitive but shown in full",
			change: func(d *document) { category(d, "applicant.passport_number").Mask = MaskName },
			want:   []string{`category applicant.passport_number: sensitive but masked as "name" (want identifier or account)`},
		},
		{
			name:   "unknown mask and format",
			change: func(d *document) { c := category(d, "applicant.email"); c.Mask, c.Format = "blur", "" },
			want:   []string{"category applicant.email: unknown mask blur", "category applicant.email: missing format"},
		},
		{
			name:   "night-time consent for e-mail",
			change: func(d *document) { topic(d, "marketing.night").AppliesTo = []Channel{ChannelSMS, ChannelEmail} },
			want:   []string{"consent topic marketing.night: channel EMAIL needs no night-time consent"},
		},
		{
			name:   "marketing channel without a channel",
			change: func(d *document) { topic(d, "marketing.push").Channel = "" },
			want: []string{
				"consent topic marketing.push: missing channel",
				"consent topic marketing.night: channel PUSH has no MARKETING_CHANNEL topic",
			},
		},
		{
			name:   "optional item with a channel",
			change: func(d *document) { topic(d, "optional.number_info_service").Channel = ChannelSMS },
			want:   []string{"consent topic optional.number_info_service: kind OPTIONAL_ITEM takes no channel"},
		},
		{
			name:   "two topics for one channel",
			change: func(d *document) { topic(d, "marketing.phone").Channel = ChannelSMS },
			want: []string{
				"consent topic marketing.sms: channel SMS is already covered by marketing.phone",
				"consent topic marketing.night: channel PHONE has no MARKETING_CHANNEL topic",
			},
		},
		{
			name:   "marketing consent without reconfirmation",
			change: func(d *document) { topic(d, "marketing.email").Reconfirm = "" },
			want:   []string{"consent topic marketing.email: marketing consent needs a reconfirm period"},
		},
		{
			name:   "optional item without consent",
			change: func(d *document) { category(d, "optional.number_info_service").ConsentTopic = "" },
			want: []string{
				"category optional.number_info_service: optional but no consent_topic",
			},
		},
		{
			name:   "required item with consent",
			change: func(d *document) { category(d, "applicant.email").ConsentTopic = "marketing.email" },
			want:   []string{"category applicant.email: consent_topic marketing.email given for a REQUIRED item"},
		},
		{
			name: "no tax clause",
			change: func(d *document) {
				d.Clauses = slices.DeleteFunc(d.Clauses, func(c clauseDoc) bool { return c.Role == RoleTax })
			},
			want: []string{
				"catalog: no clause with role TAX (the retention engine needs one)",
				"category applicant.name: unknown clause TAX_RECORDS",
			},
		},
		{
			name:   "role counted from the wrong anchor",
			change: func(d *document) { clause(d, "PAYMENT_RECORDS").Anchor = AnchorTermination },
			want:   []string{`clause PAYMENT_RECORDS: role STATUTE counts from RECORD_DATE, not "TERMINATION"`},
		},
		{
			name:   "statute not kept apart",
			change: func(d *document) { clause(d, "COMPLAINT_RECORDS").StatuteOnly = false },
			want:   []string{"clause COMPLAINT_RECORDS: statute_only must be true for role STATUTE"},
		},
		{
			name:   "until resolved on a statute",
			change: func(d *document) { clause(d, "CONTRACT_RECORDS").UntilResolved = []Condition{ConditionFeeDispute} },
			want:   []string{"clause CONTRACT_RECORDS: until_resolved is only for role POST_TERMINATION"},
		},
		{
			name: "tax clause and item disagree",
			change: func(d *document) {
				category(d, "applicant.name").Clauses = []string{"SERVICE_PERIOD", "POST_TERMINATION"}
			},
			want: []string{"category applicant.name: clause TAX_RECORDS keeps it but it does not list the clause"},
		},
		{
			name: "item claims a clause that does not keep it",
			change: func(d *document) {
				category(d, "applicant.email").Clauses = append(category(d, "applicant.email").Clauses, "TAX_RECORDS")
			},
			want: []string{"category applicant.email: lists clause TAX_RECORDS, which does not keep it"},
		},
		{
			name: "message content kept by another clause",
			change: func(d *document) {
				recordKind(d, "MESSAGE_CONTENT").Clauses = []string{"SERVICE_PERIOD", "MESSAGE_CONTENT"}
			},
			want: []string{"record kind MESSAGE_CONTENT: clause MESSAGE_CONTENT (role MESSAGE) must be its only clause"},
		},
		{
			name:   "optional purpose without consent",
			change: func(d *document) { d.Purposes[2].Basis = BasisLegitimate },
			want: []string{
				"purpose MARKETING: basis LEGITIMATE does not fit required: false (only consent-based purposes are optional)",
				"consent topic marketing.sms: marketing consent for purpose MARKETING, whose basis is LEGITIMATE, not CONSENT",
			},
		},
		{
			name:   "bad fideslang key",
			change: func(d *document) { category(d, "applicant.email").DataCategory = "User Email" },
			want:   []string{`category applicant.email: data_category "User Email" is not a fideslang key`},
		},
		{
			name:   "unsupported language",
			change: func(d *document) { d.Languages = []Lang{Ko, "ja"} },
			want:   []string{"catalog: languages must include en", "catalog: unsupported language ja"},
		},
		{
			name:   "policy URL",
			change: func(d *document) { d.Controller.PolicyURL = "www.xroshot.com" },
			want:   []string{`controller: policy_url "www.xroshot.com" is not an https URL`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(mutated(t, tt.change))
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Load = %v, want a *ValidationError", err)
			}
			for _, w := range tt.want {
				if !slices.Contains(verr.Problems, w) {
					t.Errorf("missing problem %q; got:\n  %s", w, strings.Join(verr.Problems, "\n  "))
				}
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Load(mutated(t, func(d *document) {
		category(d, "applicant.email").Label.Ko = ""
		clause(d, "MESSAGE_CONTENT").Duration = "one month"
		topic(d, "marketing.night").AppliesTo = []Channel{ChannelEmail}
	}))
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 3 {
		t.Fatalf("Load = %v, want exactly three problems", err)
	}
	for _, entry := range []string{"category applicant.email", "clause MESSAGE_CONTENT", "consent topic marketing.night"} {
		if !strings.Contains(err.Error(), entry+":") {
			t.Errorf("error does not name %s:\n%v", entry, err)
		}
	}
}

func TestLoadRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"unknown field", "version: x\nretention_days: 3\n", "field retention_days not found"},
		{"not YAML", "version: [", "policy: parse catalog"},
		{"two documents", "version: a\n---\nversion: b\n", "more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
