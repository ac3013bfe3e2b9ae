package inventory

import (
	"slices"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/retention"
)

// ScheduleNew sets the purge date and clause of a new subscriber's holdings
// and records from the subscriber's facts f, as Reschedule stores them, without
// a store: for rows computed ahead of a bulk insert (feed.Service.Prepare),
// whose subscriber is not stored yet and so has no consents. It must stay
// in step with Reschedule; the seedgen tests compare a bulk load with an
// import to hold it there.
func (s *Service) ScheduleNew(f retention.Subject, holdings []*models.Holding, records []*models.Record) error {
	items := make([]retention.Item, 0, len(holdings)+len(records))
	for _, h := range holdings {
		items = append(items, s.item(h, nil))
	}
	fee := s.engine.FeeRecordKinds()
	for _, r := range records {
		items = append(items, retention.Item{RecordKind: r.Kind, CollectedAt: r.OccurredAt})
		// A batch with the subscriber's fee records dates their last one.
		if slices.Contains(fee, r.Kind) && (f.LastFeeRecordAt == nil || r.OccurredAt.After(*f.LastFeeRecordAt)) {
			at := r.OccurredAt
			f.LastFeeRecordAt = &at
		}
	}
	as, err := s.engine.AssessAll(f, items, s.clock.Now())
	if err != nil {
		return err
	}
	for i, h := range holdings {
		sch := scheduleOf(as[i], h.CollectedAt)
		h.PurgeAfter, h.PurgeClause, h.StatuteFrom = copyTime(sch.PurgeAfter), sch.Clause, sch.StatuteFrom
	}
	for i, r := range records {
		sch := scheduleOf(as[len(holdings)+i], r.OccurredAt)
		r.PurgeAfter, r.PurgeClause, r.StatuteFrom = copyTime(sch.PurgeAfter), sch.Clause, sch.StatuteFrom
	}
	return nil
}

// copyTime detaches a date from the assessment's shared backing array, so
// the store may normalise it in place.
func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
