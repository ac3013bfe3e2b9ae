package purge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/models"
)

// Statute-kept data stored apart (법 21③: what is kept only because another
// law requires it is stored separately and used for nothing else). A
// holding or record whose clauses that are not statute-only have all ended,
// while a statute-only one still keeps it (retention.Assessment
// StatuteFrom, stored on the row as statute_from by the reschedule), and
// that no hold covers, is moved out of the tables in use before a run
// erases anything. The store keeps it apart (a schema with its own grants
// on PostgreSQL, tables of their own on SQLite) where only the
// subscriber's own view, the purge and audits read it; the run erases it
// there when its clause ends, unless a hold covers it — holds link items
// by id, which a move keeps.
//
// The move walks those rows in (statute_from, subscriber, id) order, in
// batches, each one transaction of three statements: lock the rows, copy
// them apart (a row already there is left as it is), delete from the
// tables in use those whose copy is there. A run interrupted between any
// two of them leaves every row where it was; a row found in both places
// with the same content (copied by a move that stopped before deleting) is
// finished by the next run, which deletes the one in use; one already due
// is erased by the walk of the rows in use, from both places, and counted
// once (the walk of the rows kept apart passes it).

// MoveQuery selects rows in use of one type that only a statute keeps at
// Now and no active hold covers.
type MoveQuery struct {
	Type models.ItemType
	Now  time.Time
	// After resumes the walk after this row's (StatuteFrom, SubscriberID,
	// id); nil from the start.
	After *Item
	Limit int
}

// StatuteStore moves statute-kept rows apart. Call its methods in one
// transaction per batch.
type StatuteStore interface {
	// LockStatuteKept returns up to q.Limit such rows after q.After,
	// locked for the transaction against other runs.
	LockStatuteKept(ctx context.Context, q MoveQuery) ([]Item, error)
	// CopyApart copies the locked items apart, leaving any already there,
	// and returns how many it copied.
	CopyApart(ctx context.Context, typ models.ItemType, items []Item) (int64, error)
	// DropMoved deletes from the tables in use those of the items that are
	// kept apart, and returns how many.
	DropMoved(ctx context.Context, typ models.ItemType, items []Item) (int64, error)
	// StatuteUndated returns up to limit subscribers, after after in id
	// order, with a row in use not yet due at now whose governing clause
	// is one of clauses and that has no statute_from.
	StatuteUndated(ctx context.Context, clauses []string, now time.Time, after string, limit int) ([]string, error)
	// StatuteDated reports whether a run has dated every row scheduled
	// before statute_from was stored; MarkStatuteDated records that one
	// has, at at.
	StatuteDated(ctx context.Context) (bool, error)
	MarkStatuteDated(ctx context.Context, at time.Time) error
}

// Rescheduler stores a subscriber's purge dates again from the retention
// calculus, in a transaction of its own (inventory's Reschedule).
type Rescheduler func(ctx context.Context, subscriberID string) error

// SetRescheduler gives the purge the calculus' reschedule, which dates the
// rows scheduled before statute_from was stored. Call it before the first
// run.
func (s *Service) SetRescheduler(r Rescheduler) { s.reschedule = r }

// dateStatute reschedules the subscribers with a row in use that a
// statute-only clause governs and that has no statute_from: rows scheduled
// before migration 00014, which the reschedule had not reached since. The
// calculus, not a guess from the stored date and clause, decides when only
// the statute keeps them, so the move that follows finds them. Once a run
// has dated them all it records so, and later runs skip the pass: every
// row written or rescheduled since 00014 is dated by the calculus.
func (s *Service) dateStatute(ctx context.Context, now time.Time, batch int) error {
	if done, err := s.store.StatuteDated(ctx); err != nil || done {
		return err
	}
	var clauses []string
	for _, c := range s.cat.Clauses {
		if c.StatuteOnly {
			clauses = append(clauses, c.Code)
		}
	}
	after := ""
	for len(clauses) > 0 {
		ids, err := s.store.StatuteUndated(ctx, clauses, now, after, batch)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			break
		}
		if s.reschedule == nil {
			return errors.New("purge: rows a statute governs have no statute_from, and the purge has no rescheduler to date them")
		}
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return err
			}
			// A subscriber erased since is no longer there to date.
			if err := s.reschedule(ctx, id); err != nil && !apperr.IsNotFound(err) {
				return fmt.Errorf("purge: date the rows of a subscriber scheduled before statute_from: %w", err)
			}
		}
		if len(ids) < batch {
			break
		}
		after = ids[len(ids)-1]
	}
	return s.store.MarkStatuteDated(ctx, now)
}

// moveApart moves apart every row that only a statute keeps at now, and
// returns how many rows it moved.
func (s *Service) moveApart(ctx context.Context, now time.Time, batch int) (int64, error) {
	var moved int64
	if err := s.dateStatute(ctx, now, batch); err != nil {
		return 0, err
	}
	for _, typ := range []models.ItemType{models.ItemHolding, models.ItemRecord} {
		var after *Item
		for {
			if err := ctx.Err(); err != nil {
				return moved, err
			}
			var (
				n     int64
				items []Item
			)
			err := s.store.InTx(ctx, func(tx Store) error {
				var err error
				if items, err = tx.LockStatuteKept(ctx, MoveQuery{Type: typ, Now: now, After: after, Limit: batch}); err != nil || len(items) == 0 {
					return err
				}
				if _, err = tx.CopyApart(ctx, typ, items); err != nil {
					return err
				}
				n, err = tx.DropMoved(ctx, typ, items)
				return err
			})
			if err != nil {
				return moved, err
			}
			moved += n
			if len(items) < batch {
				break
			}
			after = &items[len(items)-1]
		}
	}
	return moved, nil
}
