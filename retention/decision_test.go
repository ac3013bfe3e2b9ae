package retention_test

import (
	"testing"

	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

// The structured outcome of a decision names, in both languages, the law
// and last day that keep an item, the hold that pauses one (never "fees":
// fees hold nothing), and how to object to any refusal; an approval invites
// no objection.
func TestExplainDecision(t *testing.T) {
	t.Parallel()
	cat, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	tax, ok := cat.Clause("TAX_RECORDS")
	if !ok {
		t.Fatal("no TAX_RECORDS clause")
	}
	// Kept by the tax law through 2032-03-31: the stored end is the first
	// instant it may go, 2032-04-01 00:00 KST.
	end := midnight(2032, 4, 1)
	kept := retention.Outcome{Kind: retention.OutcomeRetained, Category: "BILLING", Clause: tax, Until: &end}
	held := retention.Outcome{Kind: retention.OutcomeHeld, Category: "MESSAGE_CONTENT", HoldReason: retention.HoldDispute}
	tests := []struct {
		name   string
		d      retention.Decision
		en, ko string
	}{
		{
			name: "partial deletion",
			d:    retention.Decision{Resolution: retention.DecisionPartiallyApproved, Deletion: true, Erased: 3, Withdrawn: 1, Kept: []retention.Outcome{kept, held}},
			en:   "Decision: partially approved. Erased: 3 item(s); consents withdrawn: 1; kept: 2 item(s). BILLING: kept under National Tax Basic Act Art. 85-3 (" + tax.Label.In(policy.En) + ") until 2032-03-31. MESSAGE_CONTENT: held by a dispute: erasure paused until it is resolved. You may object as the resolution of your request says.",
			ko:   "결정: 일부 승인. 삭제 3건, 동의 철회 1건, 보관 2건. BILLING: 국세기본법 제85조의3 (" + tax.Label.In(policy.Ko) + ")에 따라 2032-03-31까지 보관. MESSAGE_CONTENT: 분쟁으로 보류: 해결될 때까지 파기 중지. 이 결정에 이의가 있으시면 요청의 처리 결과에 안내된 방법으로 이의를 제기하실 수 있습니다.",
		},
		{
			name: "approved deletion",
			d:    retention.Decision{Resolution: retention.DecisionApproved, Deletion: true, Erased: 2},
			en:   "Decision: approved. Erased: 2 item(s); consents withdrawn: 0; kept: 0 item(s).",
			ko:   "결정: 승인. 삭제 2건, 동의 철회 0건, 보관 0건.",
		},
		{
			name: "refused suspension with its ground",
			d:    retention.Decision{Resolution: retention.DecisionRejected, Ground: tax},
			en:   "Decision: refused. Legal ground: National Tax Basic Act Art. 85-3 (" + tax.Label.In(policy.En) + "). You may object as the resolution of your request says.",
			ko:   "결정: 거절. 법적 근거: 국세기본법 제85조의3 (" + tax.Label.In(policy.Ko) + "). 이 결정에 이의가 있으시면 요청의 처리 결과에 안내된 방법으로 이의를 제기하실 수 있습니다.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := retention.ExplainDecision(tt.d, policy.En); got != tt.en {
				t.Errorf("en:\n got %q\nwant %q", got, tt.en)
			}
			if got := retention.ExplainDecision(tt.d, policy.Ko); got != tt.ko {
				t.Errorf("ko:\n got %q\nwant %q", got, tt.ko)
			}
		})
	}
}
