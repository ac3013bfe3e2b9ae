package inventory

import (
	"context"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/retention"
)

// scheduleBatch is how many records Reschedule reads at a time, so a
// subscriber with years of records costs bounded memory.
const scheduleBatch = 1000

// Reschedule recomputes the purge date stored on each of a subscriber's
// holdings and records, after anything the calculus reads has changed
// (termination, billing, consent). The purge finds due items by those
// stored dates, so every change of facts must end here, in the same
// transaction as the change.
func (s *Service) Reschedule(ctx context.Context, st Store, subscriberID string) error {
	sub, err := st.GetSubscriber(ctx, subscriberID)
	if err != nil {
		return err
	}
	issues, err := st.ListFeeIssues(ctx, subscriberID)
	if err != nil {
		return err
	}
	f, err := s.loadFacts(ctx, st, sub, issues)
	if err != nil {
		return err
	}
	now := s.clock.Now()

	// Every item, in use or kept apart: a change of facts may move the
	// purge date of either.
	holdings, err := st.ListAllHoldings(ctx, subscriberID)
	if err != nil {
		return err
	}
	consents, err := st.ListConsents(ctx, subscriberID)
	if err != nil {
		return err
	}
	withdrawn := withdrawals(consents)
	hd := make(map[string]models.Schedule)
	for _, h := range holdings {
		a, err := s.engine.Assess(f, s.item(h, withdrawn), now)
		if err != nil {
			return err
		}
		if sch := scheduleOf(a, h.CollectedAt); !sameSchedule(h.PurgeAfter, h.StatuteFrom, h.PurgeClause, sch) {
			hd[h.ID] = sch
		}
	}
	if len(hd) > 0 {
		if err := st.SetHoldingSchedules(ctx, subscriberID, hd); err != nil {
			return err
		}
	}

	var after int64
	for {
		keys, err := st.RecordKeys(ctx, subscriberID, after, scheduleBatch)
		if err != nil {
			return err
		}
		rd := make(map[int64]models.Schedule)
		for _, k := range keys {
			a, err := s.engine.Assess(f, retention.Item{RecordKind: k.Kind, CollectedAt: k.OccurredAt}, now)
			if err != nil {
				return err
			}
			if sch := scheduleOf(a, k.OccurredAt); !sameSchedule(k.PurgeAfter, k.StatuteFrom, k.PurgeClause, sch) {
				rd[k.ID] = sch
			}
			after = k.ID
		}
		if len(rd) > 0 {
			if err := st.SetRecordSchedules(ctx, subscriberID, rd); err != nil {
				return err
			}
		}
		if len(keys) < scheduleBatch {
			return nil
		}
	}
}

// ScheduleForRecord is the purge date and clause a new record gets when it
// is appended, so appending needs no second pass.
func (s *Service) ScheduleForRecord(subj retention.Subject, kind string, occurredAt time.Time) (models.Schedule, error) {
	a, err := s.engine.Assess(subj, retention.Item{RecordKind: kind, CollectedAt: occurredAt}, s.clock.Now())
	if err != nil {
		return models.Schedule{}, err
	}
	return scheduleOf(a, occurredAt), nil
}

// scheduleOf is what is stored of an assessment: its purge date, the
// governing clause, the one the item is erased under, and when only a
// statute keeps it (the purge moves it apart from then on).
func scheduleOf(a retention.Assessment, collected time.Time) models.Schedule {
	sch := models.Schedule{PurgeAfter: a.PurgeAfter, StatuteFrom: a.StatuteFrom(collected)}
	if a.Governing != nil {
		sch.Clause = a.Governing.Clause.Code
	}
	return sch
}

func sameSchedule(at, statute *time.Time, clause string, sch models.Schedule) bool {
	return clause == sch.Clause && sameInstant(at, sch.PurgeAfter) && sameInstant(statute, sch.StatuteFrom)
}

// Facts is the calculus' input for a stored subscriber and their fee issues.
func Facts(sub *models.Subscriber, issues []*models.FeeIssue) retention.Subject {
	return facts(sub, issues)
}

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}
