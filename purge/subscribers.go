package purge

import (
	"context"
	"time"
)

// What the purge erases last: the subscriber (docs/POLICY.md §3, last rule;
// docs/LAW.md 법 21①). When nothing of a terminated subscriber is left under
// any clause or hold — no holding, no record, no active hold — the
// subscriber row goes too, with everything that only describes them:
// status, dates, birth date, guardian link, consents, fee history
// (fee_issues), released holds, requests and their correspondence,
// outbox notices, the record of what was erased for them, and their data
// key (package shred), whose destruction makes every copy of their values
// unreadable. The audit trail keeps only what it recorded, and is pruned
// after its own two years.
//
// Two kinds of rows outlive the items because they prove something, and
// keep the subscriber until their proof period ends:
//
//   - The consent history (consent_events) is the operator's evidence that
//     the consents it acted on were given, withdrawn or reconfirmed (법 22,
//     정보통신망법 50 and its 14-day result notices). A dispute about a
//     consent is a consumer complaint, and complaint and dispute records
//     are kept three years (전자상거래법 6조: the catalog's
//     COMPLAINT_RECORDS), so the history is kept until that clause's
//     period, counted from the latest consent event, has ended.
//   - The portal's own requests are complaint records too (docs/POLICY.md §3):
//     an open request keeps the subscriber, and a closed one until
//     COMPLAINT_RECORDS has run from its resolution.
//
// The subscribers of one walk batch are erased in one transaction, with
// the lock that found them bare still held: each subscriber's key and
// every row go together, or nothing of theirs does. A transaction a
// subscriber would cost a commit (a WAL flush) each, which at a thousand
// subscribers a run was most of the run's time.

// Bare is a terminated subscriber with no holding, record or active hold
// left, with the dates that decide whether their proof records may go.
type Bare struct {
	SubscriberID string
	// LastConsentEvent is the newest consent_events row; nil if none.
	LastConsentEvent *time.Time
	// LastRequestEnd is when the latest closed request was resolved or
	// withdrawn; nil if none.
	LastRequestEnd *time.Time
	// OpenRequests is true while a request is not resolved or withdrawn.
	OpenRequests bool
}

// SubscriberStore is what erasing subscribers needs; purge.Store embeds
// it. Each method runs inside the batch's transaction.
type SubscriberStore interface {
	// LockBare returns up to q.Limit bare subscribers, in id order,
	// locked against other purges (skipping any another transaction
	// holds).
	LockBare(ctx context.Context, q BareQuery) ([]Bare, error)
	// DeleteBareSubscribers deletes the rows of those of the subscribers
	// that are still bare (checked again in the statement), and with them,
	// by cascade, every row that refers to them and their data keys; it
	// returns the ids it deleted.
	DeleteBareSubscribers(ctx context.Context, subscriberIDs []string) ([]string, error)
	// DeleteConsentHistory deletes the consent history of subscribers
	// whose rows are gone (the history refuses it otherwise).
	DeleteConsentHistory(ctx context.Context, subscriberIDs []string) (int64, error)
	// DeleteErasures deletes the record of what was erased for subscribers
	// whose rows are gone: there is no one left to tell.
	DeleteErasures(ctx context.Context, subscriberIDs []string) (int64, error)
}

// BareQuery selects bare subscribers: those with ids after After, or the
// one with id ID.
type BareQuery struct {
	After string
	ID    string
	Limit int
}

// subscriberBatch is how many subscribers one transaction looks at.
const subscriberBatch = 500

// proofEnds is the end of the proof period that starts at t: the
// complaint-records clause as the retention calculus counts it (민법 157,
// 159: through the end of its last day in KST), the same end the copies of
// requests are erased at.
func (s *Service) proofEnds(t time.Time) (time.Time, error) {
	end, _, err := s.complaintEnd(t, t)
	return end, err
}

// erasable reports whether a bare subscriber may go at now: no open
// request, and the proof periods of their consent history and requests
// over.
func (s *Service) erasable(b Bare, now time.Time) (bool, error) {
	if b.OpenRequests {
		return false, nil
	}
	for _, t := range []*time.Time{b.LastConsentEvent, b.LastRequestEnd} {
		if t == nil {
			continue
		}
		end, err := s.proofEnds(*t)
		if err != nil {
			return false, err
		}
		if now.Before(end) {
			return false, nil
		}
	}
	return true, nil
}

// eraseSubscribers erases every bare subscriber whose proof periods are
// over (with dry, counts them), one transaction per batch of the walk, and
// returns how many.
func (s *Service) eraseSubscribers(ctx context.Context, now time.Time, dry bool) (int64, error) {
	var (
		n     int64
		after string
	)
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		var (
			bare []Bare
			gone int64
		)
		err := s.store.InTx(ctx, func(tx Store) error {
			var err error
			gone = 0
			if bare, err = tx.LockBare(ctx, BareQuery{After: after, Limit: subscriberBatch}); err != nil {
				return err
			}
			ids, err := s.erasableOf(bare, now)
			if err != nil || dry {
				gone = int64(len(ids))
				return err
			}
			gone, err = eraseBare(ctx, tx, ids)
			return err
		})
		if err != nil {
			return n, err
		}
		n += gone
		if len(bare) < subscriberBatch {
			return n, nil
		}
		after = bare[len(bare)-1].SubscriberID
	}
}

// erasableOf returns the ids of those of bare that may go at now.
func (s *Service) erasableOf(bare []Bare, now time.Time) ([]string, error) {
	ids := make([]string, 0, len(bare))
	for _, b := range bare {
		ok, err := s.erasable(b, now)
		if err != nil {
			return nil, err
		}
		if ok {
			ids = append(ids, b.SubscriberID)
		}
	}
	return ids, nil
}

// eraseBare erases, in tx, those of the subscribers ids (locked by
// LockBare in tx, and judged erasable) that are still bare, and returns
// how many it erased.
func eraseBare(ctx context.Context, tx Store, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	gone, err := tx.DeleteBareSubscribers(ctx, ids)
	if err != nil || len(gone) == 0 {
		return 0, err
	}
	if _, err := tx.DeleteConsentHistory(ctx, gone); err != nil {
		return 0, err
	}
	if _, err := tx.DeleteErasures(ctx, gone); err != nil {
		return 0, err
	}
	return int64(len(gone)), nil
}

// EraseSubscriber erases one subscriber and their data key in one
// transaction if they are bare and their proof periods are over at now,
// and reports whether it did. Interrupted at any point, it leaves the
// subscriber either whole or gone.
func (s *Service) EraseSubscriber(ctx context.Context, subscriberID string, now time.Time) (bool, error) {
	var erased bool
	err := s.store.InTx(ctx, func(tx Store) error {
		erased = false
		// Judged on what is committed now, under the lock: a request
		// filed or a record appended since keeps the subscriber.
		bare, err := tx.LockBare(ctx, BareQuery{ID: subscriberID, Limit: 1})
		if err != nil {
			return err
		}
		ids, err := s.erasableOf(bare, now)
		if err != nil {
			return err
		}
		n, err := eraseBare(ctx, tx, ids)
		erased = n == 1
		return err
	})
	if err != nil {
		return false, err
	}
	return erased, nil
}
