package retention_test

import (
	"testing"
	"time"

	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

func TestExplain(t *testing.T) {
	t.Parallel()
	e := engine(t)
	active := retention.Subject{SignedUpAt: at(2022, 1, 1)}
	terminated := retention.Subject{SignedUpAt: at(2022, 1, 1), TerminatedAt: new(at(2026, 3, 10))}
	withHold := func(it retention.Item, reason string) retention.Item {
		it.Holds = []retention.Hold{{ID: "h", Reason: reason}}
		return it
	}
	tests := []struct {
		name   string
		sub    retention.Subject
		item   retention.Item
		now    time.Time
		en, ko string
	}{
		{
			name: "active, kept longer by a running statute",
			sub:  active, item: record("PAYMENT", at(2025, 1, 1)), now: at(2026, 1, 1),
			en: "In use for the service while your subscription is active; erased 6 months after termination, unless kept longer under E-Commerce Act Art. 6, National Tax Basic Act Art. 85-3",
			ko: "가입 기간 동안 서비스에 이용 중; 해지 후 6개월이 지나면 파기, 단 전자상거래 등에서의 소비자보호에 관한 법률 제6조, 국세기본법 제85조의3에 따라 더 오래 보관될 수 있음",
		},
		{
			name: "active, the statute has run out",
			// Tax: 2019's corporate tax return was due 2020-03-31 (a
			// Tuesday), so kept through 2025-03-31; E-Commerce through
			// 2024-01-01.
			sub: active, item: record("PAYMENT", at(2019, 1, 1)), now: at(2026, 1, 1),
			en: "In use for the service while your subscription is active; erased 6 months after termination",
			ko: "가입 기간 동안 서비스에 이용 중; 해지 후 6개월이 지나면 파기",
		},
		{
			// Advertising records serve marketing, not the service (issue
			// 12, finding 7).
			name: "advertising records of an active subscriber",
			sub:  active, item: record("ADVERTISING", at(2026, 1, 1)), now: at(2026, 2, 1),
			en: "In use for marketing and customer management while your subscription is active; erased 6 months after termination, unless kept longer under E-Commerce Act Art. 6",
			ko: "가입 기간 동안 마케팅 및 고객관리에 이용 중; 해지 후 6개월이 지나면 파기, 단 전자상거래 등에서의 소비자보호에 관한 법률 제6조에 따라 더 오래 보관될 수 있음",
		},
		{
			name: "message content, active subscriber",
			sub:  active, item: record("MESSAGE_CONTENT", at(2026, 1, 1)), now: at(2026, 1, 2),
			en: "Kept until 2026-01-29: message content and similar service records",
			ko: "2026-01-29까지 보관: 메시지 내용 등 서비스 관련 기록",
		},
		{
			name: "credit records, kept apart",
			sub:  terminated, item: record("CREDIT", at(2026, 2, 1)), now: at(2027, 1, 1),
			en: "Kept until 2029-02-01 under Credit Information Act Art. 20(2): records of collecting and using credit information",
			ko: "신용정보의 이용 및 보호에 관한 법률 제20조제2항에 따라 2029-02-01까지 보관: 신용정보의 수집·처리 및 이용 등에 관한 기록",
		},
		{
			name: "a statute ended last",
			sub:  terminated, item: record("COMPLAINT", at(2026, 2, 1)), now: at(2029, 3, 1),
			en: "Due for erasure after 2029-02-01 (records of consumer complaints and disputes under E-Commerce Act Art. 6)",
			ko: "2029-02-01 이후 파기 대상 (소비자의 불만 또는 분쟁처리에 관한 기록, 전자상거래 등에서의 소비자보호에 관한 법률 제6조)",
		},
		{
			name: "held by a deletion request",
			sub:  terminated, item: withHold(holding("applicant.email", at(2022, 1, 1)), retention.HoldDeletionRequest), now: at(2026, 4, 1),
			en: "Held by a deletion request: erasure paused until it is decided",
			ko: "삭제 요청으로 보류: 처리될 때까지 파기 중지",
		},
		{
			name: "held by overpaid fees",
			sub:  terminated, item: withHold(holding("applicant.email", at(2022, 1, 1)), retention.HoldOverpaidFees), now: at(2026, 4, 1),
			en: "Held by overpaid fees: erasure paused until they are refunded",
			ko: "요금 과납으로 보류: 환급될 때까지 파기 중지",
		},
		{
			name: "held by a fee dispute",
			sub:  terminated, item: withHold(holding("applicant.email", at(2022, 1, 1)), retention.HoldFeeDispute), now: at(2026, 4, 1),
			en: "Held by a fee dispute: erasure paused until it is resolved",
			ko: "요금 관련 분쟁으로 보류: 해결될 때까지 파기 중지",
		},
		{
			name: "held by a legal claim",
			sub:  terminated, item: withHold(holding("applicant.email", at(2022, 1, 1)), retention.HoldLegal), now: at(2026, 4, 1),
			en: "Held by a legal claim: erasure paused until it is resolved",
			ko: "법적 청구로 보류: 해결될 때까지 파기 중지",
		},
		{
			name: "held for a reason the portal does not name",
			sub:  terminated, item: withHold(holding("applicant.email", at(2022, 1, 1)), "LITIGATION"), now: at(2026, 4, 1),
			en: "Held by a hold: erasure paused until it is released",
			ko: "보류됨: 해제될 때까지 파기 중지",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := e.Assess(tt.sub, tt.item, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Explain(policy.En); got != tt.en {
				t.Errorf("Explain(En) = %q\nwant             %q", got, tt.en)
			}
			if got := a.Explain(policy.Ko); got != tt.ko {
				t.Errorf("Explain(Ko) = %q\nwant             %q", got, tt.ko)
			}
		})
	}
}
