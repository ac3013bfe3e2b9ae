package inventory

import (
	"context"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/retention"
)

// MaxSnapshotRecords bounds the records one snapshot assesses; a request's
// outcome lists at most this many records one by one.
const MaxSnapshotRecords = 100_000

// Snapshot is every item of a subscriber with its assessment, read through
// st so a caller can decide on it inside its own transaction. Values are
// not read.
type Snapshot struct {
	Subscriber *models.Subscriber
	Facts      retention.Subject
	Holdings   []AssessedHolding
	Records    []AssessedRecord
}

// AssessedHolding is a holding's id and category with its assessment.
type AssessedHolding struct {
	ID         string
	Category   string
	Assessment retention.Assessment
}

// AssessedRecord is a record's key with its assessment.
type AssessedRecord struct {
	ID         int64
	Kind       string
	Assessment retention.Assessment
}

// Snapshot assesses all of a subscriber's items at the current time.
func (s *Service) Snapshot(ctx context.Context, st Store, subscriberID string) (*Snapshot, error) {
	sub, err := st.GetSubscriber(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	issues, err := st.ListFeeIssues(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	f, err := s.loadFacts(ctx, st, sub, issues)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Subscriber: sub, Facts: f}
	now := s.clock.Now()
	// The subscriber's own items, kept apart ones included: a request
	// decides on every item, and tells which a statute keeps.
	holdings, err := st.ListAllHoldings(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	consents, err := st.ListConsents(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	withdrawn := withdrawals(consents)
	for _, h := range holdings {
		a, err := s.engine.Assess(snap.Facts, s.item(h, withdrawn), now)
		if err != nil {
			return nil, err
		}
		snap.Holdings = append(snap.Holdings, AssessedHolding{ID: h.ID, Category: h.Category, Assessment: a})
	}
	var after int64
	for len(snap.Records) < MaxSnapshotRecords {
		keys, err := st.RecordKeys(ctx, subscriberID, after, scheduleBatch)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			a, err := s.engine.Assess(snap.Facts, retention.Item{RecordKind: k.Kind, CollectedAt: k.OccurredAt}, now)
			if err != nil {
				return nil, err
			}
			snap.Records = append(snap.Records, AssessedRecord{ID: k.ID, Kind: k.Kind, Assessment: a})
			after = k.ID
		}
		if len(keys) < scheduleBatch {
			break
		}
	}
	return snap, nil
}
