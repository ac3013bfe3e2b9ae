package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/requests"
)

// Counter tells whether the database is empty.
type Counter interface {
	CountSubscribers(ctx context.Context) (int64, error)
}

// Seed fills an empty database with the demo subscribers through the same
// feed the operator's systems use, so the demo obeys every rule real data
// does. Dates are relative to now, so the demo stays realistic whenever it
// runs. It reports whether it seeded anything.
func Seed(ctx context.Context, c Counter, f *feed.Service, cs *consent.Service, rs *requests.Service, now time.Time) (bool, error) {
	n, err := c.CountSubscribers(ctx)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	for _, s := range subscribers(now) {
		if _, err := f.UpsertSubscriber(ctx, s.in); err != nil {
			return false, fmt.Errorf("demo subscriber %s: %w", s.in.ID, err)
		}
		if len(s.records) > 0 {
			if _, err := f.AppendRecords(ctx, s.in.ID, s.records); err != nil {
				return false, fmt.Errorf("demo records of %s: %w", s.in.ID, err)
			}
		}
		if s.terminatedAt != nil {
			if _, err := f.Terminate(ctx, s.in.ID, *s.terminatedAt); err != nil {
				return false, fmt.Errorf("demo termination of %s: %w", s.in.ID, err)
			}
		}
		if s.unpaidSince != nil {
			if _, err := f.SetBillingState(ctx, s.in.ID, models.BillingUnpaid, *s.unpaidSince); err != nil {
				return false, fmt.Errorf("demo billing of %s: %w", s.in.ID, err)
			}
		}
	}
	if err := seedConsents(ctx, cs); err != nil {
		return false, err
	}
	if err := seedRequests(ctx, rs); err != nil {
		return false, err
	}
	return true, nil
}

// seedConsents gives the active subscriber some marketing consents, and the
// minor's guardian the optional item consent, through the consent history.
func seedConsents(ctx context.Context, cs *consent.Service) error {
	changes := func(granted map[string]bool) []consent.Change {
		var out []consent.Change
		for _, t := range []string{"optional.number_info_service", "optional.discount_certificate", "marketing.sms", "marketing.email", "marketing.phone", "marketing.push", "marketing.night"} {
			if g, ok := granted[t]; ok {
				out = append(out, consent.Change{Topic: t, Granted: g})
			}
		}
		return out
	}
	if _, err := cs.Set(ctx, actor.Subscriber(ActiveID), consent.Request{Via: consent.ViaWeb, Changes: changes(map[string]bool{
		"optional.number_info_service": true, "optional.discount_certificate": true,
		"marketing.sms": true, "marketing.email": true, "marketing.phone": false, "marketing.push": true, "marketing.night": false,
	})}); err != nil {
		return fmt.Errorf("demo consents of %s: %w", ActiveID, err)
	}
	if _, err := cs.Set(ctx, actor.GuardianOf(MinorID, GuardianID), consent.Request{Via: consent.ViaApp, Changes: changes(map[string]bool{
		"marketing.sms": false, "marketing.push": false,
	})}); err != nil {
		return fmt.Errorf("demo consents of %s: %w", MinorID, err)
	}
	return nil
}

// seedRequests files an open fee dispute for the terminated subscriber, the
// agent's to work, so the desk and the holds have something to show.
func seedRequests(ctx context.Context, rs *requests.Service) error {
	_, err := rs.File(ctx, actor.Subscriber(TerminatedID), requests.FileInput{
		Type: models.RequestDispute, FeeRelated: true, Via: "WEB",
		Scope:          requests.Scope{RecordKinds: []string{"BILLING", "PAYMENT"}},
		Reason:         "해지 후 마지막 달 요금이 이중으로 청구되었습니다. 확인 부탁드립니다.",
		IdempotencyKey: "demo-dispute-terminated",
	})
	if err != nil {
		return fmt.Errorf("demo request: %w", err)
	}
	return nil
}

type demoSubscriber struct {
	in           feed.SubscriberInput
	records      []feed.RecordInput
	terminatedAt *time.Time
	unpaidSince  *time.Time
}

func item(category, value string, at time.Time) feed.ItemInput {
	return feed.ItemInput{Category: category, Value: value, CollectedAt: &at, Source: "APPLICATION_FORM"}
}

func subscribers(now time.Time) []demoSubscriber {
	day := 24 * time.Hour
	activeSignUp := now.AddDate(-5, -8, 0).Truncate(day)
	termSignUp := now.AddDate(-7, -5, 0).Truncate(day)
	termAt := now.AddDate(0, -7, 0).Truncate(day)
	minorSignUp := now.AddDate(-1, -2, 0).Truncate(day)

	active := demoSubscriber{in: feed.SubscriberInput{
		ID: ActiveID, Status: models.StatusActive, SignedUpAt: activeSignUp, BirthDate: new("1988-04-17"),
		Items: []feed.ItemInput{
			item("applicant.name", "김민준", activeSignUp),
			item("applicant.birth_date", "1988-04-17", activeSignUp),
			item("applicant.passport_number", "M12345678", activeSignUp),
			item("applicant.billing_address", "서울특별시 중구 세종대로 110 3층", activeSignUp),
			item("applicant.phone", "010-2345-6789", activeSignUp),
			item("applicant.email", "minjun.kim@example.com", activeSignUp),
			item("applicant.payment_account", "110-123-456789", activeSignUp),
			item("optional.discount_certificate", "복지할인증명 제2024-117호", activeSignUp.AddDate(1, 0, 0)),
			item("optional.number_info_service", "번호안내 등록: 상호 표시", activeSignUp.AddDate(0, 6, 0)),
		},
	}}
	active.records = activityRecords(ActiveID, activeSignUp, now)

	terminated := demoSubscriber{in: feed.SubscriberInput{
		ID: TerminatedID, Status: models.StatusActive, SignedUpAt: termSignUp, BirthDate: new("1975-11-02"),
		Items: []feed.ItemInput{
			item("applicant.name", "이서연", termSignUp),
			item("applicant.birth_date", "1975-11-02", termSignUp),
			item("applicant.alien_registration_number", "7511026123456", termSignUp),
			item("applicant.billing_address", "부산광역시 해운대구 센텀중앙로 79", termSignUp),
			item("applicant.phone", "010-9876-5432", termSignUp),
			item("applicant.email", "seoyeon.lee@example.com", termSignUp),
			item("applicant.payment_account", "4518-4211-0098-7765", termSignUp),
			item("payer.name", "이준호", termSignUp),
			item("payer.relationship", "배우자", termSignUp),
			item("payer.phone", "010-5555-0142", termSignUp),
			item("payer.payment_account", "302-0451-2231-81", termSignUp),
		},
	}, terminatedAt: &termAt, unpaidSince: &termAt}
	terminated.records = activityRecords(TerminatedID, termSignUp, termAt)

	minor := demoSubscriber{in: feed.SubscriberInput{
		ID: MinorID, Status: models.StatusActive, SignedUpAt: minorSignUp,
		BirthDate: new(now.AddDate(-11, -3, 0).Format(time.DateOnly)), GuardianID: new(GuardianID),
		Items: []feed.ItemInput{
			item("applicant.name", "박지우", minorSignUp),
			item("applicant.birth_date", now.AddDate(-11, -3, 0).Format(time.DateOnly), minorSignUp),
			item("applicant.phone", "010-3141-5926", minorSignUp),
			item("guardian.name", "박소연", minorSignUp),
			item("guardian.birth_date", "1984-02-29", minorSignUp),
			item("guardian.address", "경기도 성남시 분당구 판교역로 235", minorSignUp),
			item("guardian.phone", "010-2718-2818", minorSignUp),
			item("guardian.relationship", "모", minorSignUp),
		},
	}}
	minor.records = activityRecords(MinorID, minorSignUp, now)[:12]
	return []demoSubscriber{active, terminated, minor}
}

// activityRecords makes a plausible history: monthly bills and payments,
// usage, access logs, calls and messages, with recent messages still
// inside their 28 days.
func activityRecords(id string, from, to time.Time) []feed.RecordInput {
	var out []feed.RecordInput
	add := func(kind string, at time.Time, summary string) {
		out = append(out, feed.RecordInput{Kind: kind, OccurredAt: at, ExternalID: fmt.Sprintf("%s-%s-%d", id, kind, at.Unix()), Summary: summary})
	}
	add("CONTRACT", from, "서비스 이용계약 체결 (기업형메시지 스탠다드)")
	for i, m := 0, to.AddDate(0, -1, 0); i < 14 && m.After(from); i, m = i+1, m.AddDate(0, -1, 0) {
		add("BILLING", m, fmt.Sprintf("청구 %d원, 부가세 %d원, 납부일 %s", 33000+i*100, 3300+i*10, m.AddDate(0, 0, 20).Format(time.DateOnly)))
		add("PAYMENT", m.AddDate(0, 0, 20), fmt.Sprintf("자동이체 %d원", 36300+i*110))
		add("USAGE", m.AddDate(0, 0, 3), fmt.Sprintf("문자 발송 %d건, 이용 콘텐츠: 단체문자", 120+i*7))
	}
	for d := 1; d <= 40; d += 3 {
		at := to.Add(-time.Duration(d) * 24 * time.Hour)
		if at.Before(from) {
			break
		}
		add("MESSAGE_CONTENT", at, "[Web발신] 이번 주 정기 점검 안내드립니다")
		add("ACCESS_LOG", at.Add(2*time.Hour), fmt.Sprintf("203.0.113.%d 로그인", 10+d))
		add("CALL_DETAIL", at.Add(3*time.Hour), "발신 010-2345-6789 → 착신 02-123-4567, 3분 12초")
	}
	if to.Sub(from) > 400*24*time.Hour {
		add("COMPLAINT", to.AddDate(-1, 0, 0), "요금 문의 상담 및 처리 완료")
		add("ADVERTISING", to.AddDate(0, -2, 0), "할인 요금제 안내 광고 표시")
	}
	return out
}
