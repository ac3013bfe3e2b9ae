package store

import (
	"context"

	"github.com/xroshot/portal/purge"
)

// bareSubscriber is true for a subscriber (alias t) that nothing of is
// left under any clause or hold: terminated, with no holding, no record
// (in use or kept apart) and no active hold. Each probe is an index lookup
// (holdings_subscriber_category, records_subscriber_time and their twins
// apart, holds_active).
func (db *DB) bareSubscriber() string {
	return "t.status = 'TERMINATED'" +
		" AND NOT EXISTS (SELECT 1 FROM holdings h WHERE h.subscriber_id = t.id)" +
		" AND NOT EXISTS (SELECT 1 FROM records r WHERE r.subscriber_id = t.id)" +
		" AND NOT EXISTS (SELECT 1 FROM " + db.dialect.apart("holdings") + " h WHERE h.subscriber_id = t.id)" +
		" AND NOT EXISTS (SELECT 1 FROM " + db.dialect.apart("records") + " r WHERE r.subscriber_id = t.id)" +
		" AND NOT EXISTS (SELECT 1 FROM holds d WHERE d.subscriber_id = t.id AND d.released_at IS NULL)"
}

// closedRequest is a request that is no longer being handled.
const closedRequest = "q.status IN ('RESOLVED', 'WITHDRAWN')"

// LockBare returns bare subscribers with the dates of their proof records,
// locked for the transaction (skipping those another one holds).
func (db *DB) LockBare(ctx context.Context, q purge.BareQuery) ([]purge.Bare, error) {
	where, arg := "t.id > ?", q.After
	if q.ID != "" {
		where, arg = "t.id = ?", q.ID
	}
	rows, err := db.q(ctx).Raw("SELECT t.id"+
		", (SELECT MAX(c.occurred_at) FROM consent_events c WHERE c.subscriber_id = t.id)"+
		", (SELECT MAX(COALESCE(q.resolved_at, q.updated_at)) FROM requests q WHERE q.subscriber_id = t.id AND "+closedRequest+")"+
		", EXISTS (SELECT 1 FROM requests q WHERE q.subscriber_id = t.id AND NOT ("+closedRequest+"))"+
		" FROM subscribers t WHERE "+where+" AND "+db.bareSubscriber()+
		" ORDER BY t.id LIMIT ?"+db.dialect.lockDue(), arg, q.Limit).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []purge.Bare
	for rows.Next() {
		var (
			b                purge.Bare
			consent, request any
		)
		if err := rows.Scan(&b.SubscriberID, &consent, &request, &b.OpenRequests); err != nil {
			return nil, translate(err)
		}
		if consent != nil {
			t, err := asTime(consent)
			if err != nil {
				return nil, err
			}
			b.LastConsentEvent = &t
		}
		if request != nil {
			t, err := asTime(request)
			if err != nil {
				return nil, err
			}
			b.LastRequestEnd = &t
		}
		out = append(out, b)
	}
	return out, translate(rows.Err())
}

// DeleteBareSubscribers deletes those of the subscribers that are still
// bare and returns their ids; the foreign keys cascade to every row that
// refers to them (fee issues, consents, holds and their links, requests
// and their events, outcomes and exports, outbox notices and their
// deliveries) and to their data keys in the key store.
func (db *DB) DeleteBareSubscribers(ctx context.Context, subscriberIDs []string) ([]string, error) {
	if len(subscriberIDs) == 0 {
		return nil, nil
	}
	var gone []string
	err := db.q(ctx).Raw("DELETE FROM subscribers AS t WHERE t.id IN ? AND "+db.bareSubscriber()+" RETURNING id", subscriberIDs).Scan(&gone).Error
	return gone, translate(err)
}

// DeleteConsentHistory deletes gone subscribers' consent history.
func (db *DB) DeleteConsentHistory(ctx context.Context, subscriberIDs []string) (int64, error) {
	res := db.q(ctx).Exec("DELETE FROM consent_events WHERE subscriber_id IN ?", subscriberIDs)
	return res.RowsAffected, translate(res.Error)
}

// DeleteErasures deletes the record of what was erased for gone
// subscribers.
func (db *DB) DeleteErasures(ctx context.Context, subscriberIDs []string) (int64, error) {
	res := db.q(ctx).Exec("DELETE FROM erasures WHERE subscriber_id IN ?", subscriberIDs)
	return res.RowsAffected, translate(res.Error)
}
