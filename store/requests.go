package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/requests"
)

// CreateRequest stores a new request; a second request with the same
// idempotency key for the subscriber is ErrConflict.
func (db *DB) CreateRequest(ctx context.Context, r *models.Request) error {
	normalizeTimes(&r.FiledAt, &r.DueAt)
	return translate(db.q(ctx).Create(r).Error)
}

// GetRequest returns a request by id.
func (db *DB) GetRequest(ctx context.Context, id string) (*models.Request, error) {
	var r models.Request
	if err := db.q(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, translate(err)
	}
	return &r, nil
}

// GetRequestByKey returns the subscriber's request filed under an
// idempotency key.
func (db *DB) GetRequestByKey(ctx context.Context, subscriberID, key string) (*models.Request, error) {
	var r models.Request
	if err := db.q(ctx).Where("subscriber_id = ? AND idempotency_key = ?", subscriberID, key).Take(&r).Error; err != nil {
		return nil, translate(err)
	}
	return &r, nil
}

// ClaimRequest bumps the version of a request still at version; it is
// ErrConflict if someone changed it meanwhile. On PostgreSQL the update
// holds the row lock until the transaction ends, so a concurrent claim waits
// and then finds the version moved.
func (db *DB) ClaimRequest(ctx context.Context, id string, version int) error {
	res := db.q(ctx).Model(&models.Request{}).Where("id = ? AND version = ?", id, version).
		Updates(map[string]any{"version": gorm.Expr("version + 1"), "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return errorf(ErrConflict, "request %s changed meanwhile", id)
	}
	return nil
}

// SaveRequest writes every field of a claimed request.
func (db *DB) SaveRequest(ctx context.Context, r *models.Request) error {
	normalizeTimes(&r.DueAt, r.ResolvedAt, r.ExtendedAt)
	return translate(db.q(ctx).Select("*").Omit("created_at").Where("id = ?", r.ID).Updates(r).Error)
}

// AppendRequestEvent adds one step to a request's history.
func (db *DB) AppendRequestEvent(ctx context.Context, e *models.RequestEvent) error {
	normalizeTimes(&e.OccurredAt)
	return translate(db.q(ctx).Create(e).Error)
}

// MaxEventsPerRequest bounds the history read for one request.
const MaxEventsPerRequest = 500

// ListRequestEvents returns the history of requests, oldest first, with or
// without the internal events.
func (db *DB) ListRequestEvents(ctx context.Context, requestIDs []string, withInternal bool) ([]*models.RequestEvent, error) {
	if len(requestIDs) == 0 {
		return nil, nil
	}
	q := db.q(ctx).Where("request_id IN ?", requestIDs)
	if !withInternal {
		q = q.Where("visible = ?", true)
	}
	var rows []*models.RequestEvent
	err := q.Order("request_id, occurred_at, id").Limit(MaxEventsPerRequest * len(requestIDs)).Find(&rows).Error
	return rows, translate(err)
}

// ListSubscriberRequests pages through a subscriber's requests, newest
// first.
func (db *DB) ListSubscriberRequests(ctx context.Context, subscriberID string, after *models.RequestKey, limit int) ([]*models.Request, bool, error) {
	v, err := once[requestsPage](ctx, db, db.subscriberRequestsRead(subscriberID, after, limit))
	return v.rows, v.more, err
}

// requestsPage is ListSubscriberRequests' result.
type requestsPage struct {
	rows []*models.Request
	more bool
}

// subscriberRequestsKey names ListSubscriberRequests' read of a page, with
// its cursor by value.
type subscriberRequestsKey struct {
	db           *DB
	subscriberID string
	after        bool
	afterAt      int64
	afterID      string
	limit        int
}

func (db *DB) subscriberRequestsRead(subscriberID string, after *models.RequestKey, limit int) read {
	k := subscriberRequestsKey{db: db, subscriberID: subscriberID, limit: limit}
	if after != nil {
		k.after, k.afterAt, k.afterID = true, after.FiledAt.UnixNano(), after.ID
	}
	var rows []*models.Request
	return read{
		key: k,
		find: func(q *gorm.DB) *gorm.DB {
			q = q.Where("subscriber_id = ?", subscriberID)
			if after != nil {
				t := clock.Stored(after.FiledAt)
				q = q.Where("(filed_at < ? OR (filed_at = ? AND id < ?))", t, t, after.ID)
			}
			return q.Order("filed_at DESC, id DESC").Limit(limit + 1).Find(&rows)
		},
		value: func(res *gorm.DB) (any, error) {
			if res.Error != nil {
				return requestsPage{}, translate(res.Error)
			}
			rs, more, _ := page(rows, limit)
			return requestsPage{rs, more}, nil
		},
	}
}

// QueueRequests pages through the desk's queue, oldest due first, on the
// requests_queue* indexes.
func (db *DB) QueueRequests(ctx context.Context, f models.QueueFilter, after *models.QueueKey, limit int) ([]*models.Request, bool, error) {
	q := db.q(ctx).Model(&models.Request{})
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", f.Statuses)
	}
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	unassigned := "assignee_id IS NULL"
	if f.UnassignedOpenOnly {
		unassigned = "(assignee_id IS NULL AND status IN ('SUBMITTED', 'IN_REVIEW'))"
	}
	switch {
	case f.Assignee != "" && f.Unassigned:
		q = q.Where("(assignee_id = ? OR "+unassigned+")", f.Assignee)
	case f.Assignee != "":
		q = q.Where("assignee_id = ?", f.Assignee)
	case f.Unassigned:
		q = q.Where(unassigned)
	}
	if f.OverdueAt != nil {
		q = q.Where("due_at < ?", clock.Stored(*f.OverdueAt))
	}
	if after != nil {
		t := clock.Stored(after.DueAt)
		q = q.Where("(due_at > ? OR (due_at = ? AND id > ?))", t, t, after.ID)
	}
	var rows []*models.Request
	if err := q.Order("due_at, id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, false, translate(err)
	}
	return page(rows, limit)
}

func page[T any](rows []T, limit int) ([]T, bool, error) {
	if len(rows) > limit {
		return rows[:limit], true, nil
	}
	return rows, false, nil
}

// AddOutcomes records what a resolution did, item by item.
func (db *DB) AddOutcomes(ctx context.Context, out []*models.RequestOutcome) error {
	if len(out) == 0 {
		return nil
	}
	return translate(db.q(ctx).CreateInBatches(out, 500).Error)
}

// MaxOutcomesPerRequest bounds the outcomes read for one request.
const MaxOutcomesPerRequest = 10_000

// ListOutcomes returns the outcomes of requests.
func (db *DB) ListOutcomes(ctx context.Context, requestIDs []string) ([]*models.RequestOutcome, error) {
	if len(requestIDs) == 0 {
		return nil, nil
	}
	var rows []*models.RequestOutcome
	err := db.q(ctx).Where("request_id IN ?", requestIDs).Order("request_id, id").Limit(MaxOutcomesPerRequest).Find(&rows).Error
	return rows, translate(err)
}

// SaveExport stores an access request's export.
func (db *DB) SaveExport(ctx context.Context, e *models.RequestExport) error {
	normalizeTimes(&e.CreatedAt, &e.ExpiresAt)
	return translate(db.q(ctx).Create(e).Error)
}

// GetExport returns an access request's export.
func (db *DB) GetExport(ctx context.Context, requestID string) (*models.RequestExport, error) {
	var e models.RequestExport
	if err := db.q(ctx).Where("request_id = ?", requestID).Take(&e).Error; err != nil {
		return nil, translate(err)
	}
	return &e, nil
}

// DeleteExpiredExports deletes every access export that expired by now.
func (db *DB) DeleteExpiredExports(ctx context.Context, now time.Time) (int64, error) {
	normalizeTimes(&now)
	res := db.q(ctx).Where("expires_at <= ?", now).Delete(&models.RequestExport{})
	return res.RowsAffected, translate(res.Error)
}

// HasAssignedRequest reports whether the agent has an open request of the
// subscriber assigned to them.
func (db *DB) HasAssignedRequest(ctx context.Context, agentID, subscriberID string) (bool, error) {
	var n int64
	err := db.q(ctx).Model(&models.Request{}).
		Where("subscriber_id = ? AND assignee_id = ? AND status IN ?", subscriberID, agentID, []models.RequestStatus{models.RequestSubmitted, models.RequestInReview}).
		Limit(1).Count(&n).Error
	return n > 0, translate(err)
}

// activeSuspension selects the suspension requests in force: filed and not
// withdrawn, refused or lifted (requests.SuspensionActive).
const activeSuspension = "requests.type = 'SUSPENSION' AND requests.lifted_at IS NULL AND (requests.status IN ('SUBMITTED', 'IN_REVIEW') OR (requests.status = 'RESOLVED' AND requests.resolution <> 'REJECTED'))"

// notSuspendedFor is the condition on a table with a subscriber_id column
// that its subscriber has not suspended processing for purpose (a catalog
// code, never user input).
func notSuspendedFor(table, purpose string) string {
	return "NOT EXISTS (SELECT 1 FROM requests WHERE requests.subscriber_id = " + table + ".subscriber_id AND " + activeSuspension +
		" AND requests.suspended_purposes LIKE '%\"" + purpose + "\"%')"
}

// ListActiveSuspensions pages by id through the suspensions in force, of
// one subscriber or, with "", of all.
func (db *DB) ListActiveSuspensions(ctx context.Context, subscriberID, afterID string, limit int) ([]*models.Request, bool, error) {
	q := db.q(ctx).Table("requests").Where(activeSuspension)
	if subscriberID != "" {
		q = q.Where("subscriber_id = ?", subscriberID)
	}
	if afterID != "" {
		q = q.Where("id > ?", afterID)
	}
	var rows []*models.Request
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, false, translate(err)
	}
	return page(rows, limit)
}

// RequestBacklog counts open requests per type, and those due before now
// (requests.Overdue), on requests_queue_type.
func (db *DB) RequestBacklog(ctx context.Context, now time.Time) ([]requests.Backlog, error) {
	normalizeTimes(&now)
	var rows []struct {
		Type    models.RequestType
		Open    int64
		Overdue int64
	}
	err := db.q(ctx).Model(&models.Request{}).
		Select("type, COUNT(*) AS open, SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END) AS overdue", now).
		Where("status IN ?", []models.RequestStatus{models.RequestSubmitted, models.RequestInReview}).
		Group("type").Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]requests.Backlog, len(rows))
	for i, r := range rows {
		out[i] = requests.Backlog{Type: r.Type, Open: r.Open, Overdue: r.Overdue}
	}
	return out, nil
}

// ListOpenOfType pages by id through the open requests of a type, of one
// subscriber or, with "", of all (on requests_open_type).
func (db *DB) ListOpenOfType(ctx context.Context, t models.RequestType, subscriberID, afterID string, limit int) ([]*models.Request, bool, error) {
	q := db.q(ctx).Where("type = ? AND status IN ?", t, []models.RequestStatus{models.RequestSubmitted, models.RequestInReview})
	if subscriberID != "" {
		q = q.Where("subscriber_id = ?", subscriberID)
	}
	if afterID != "" {
		q = q.Where("id > ?", afterID)
	}
	var rows []*models.Request
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, false, translate(err)
	}
	return page(rows, limit)
}

// ProcessingSuspended reports whether the subscriber suspended processing
// for purpose: the portal then sends nothing under it.
func (db *DB) ProcessingSuspended(ctx context.Context, subscriberID, purpose string) (bool, error) {
	var n int64
	err := db.q(ctx).Model(&models.Request{}).
		Where("subscriber_id = ? AND "+activeSuspension+" AND suspended_purposes LIKE ?", subscriberID, `%"`+purpose+`"%`).
		Limit(1).Count(&n).Error
	return n > 0, translate(err)
}

// ResolveFeeIssueBySource resolves the open fee issue a request opened.
func (db *DB) ResolveFeeIssueBySource(ctx context.Context, subscriberID, sourceRef string, at time.Time) (int64, error) {
	normalizeTimes(&at)
	res := db.q(ctx).Model(&models.FeeIssue{}).
		Where("subscriber_id = ? AND source_ref = ? AND resolved_at IS NULL", subscriberID, sourceRef).
		Update("resolved_at", at)
	return res.RowsAffected, translate(res.Error)
}

// DeleteHoldingsByID erases a subscriber's holdings now, wherever they
// are: in use or kept apart.
func (db *DB) DeleteHoldingsByID(ctx context.Context, subscriberID string, ids []string) (int64, error) {
	return deleteByID(ctx, db, &models.Holding{}, "holdings", subscriberID, ids)
}

// DeleteRecordsByID erases a subscriber's records now, wherever they are,
// in chunks.
func (db *DB) DeleteRecordsByID(ctx context.Context, subscriberID string, ids []int64) (int64, error) {
	return deleteByID(ctx, db, &models.Record{}, "records", subscriberID, ids)
}

func deleteByID[ID any](ctx context.Context, db *DB, model any, table, subscriberID string, ids []ID) (int64, error) {
	var n int64
	for start := 0; start < len(ids); start += 1000 {
		for _, t := range []string{table, db.dialect.apart(table)} {
			res := db.q(ctx).Table(t).Where("subscriber_id = ? AND id IN ?", subscriberID, ids[start:min(start+1000, len(ids))]).Delete(model)
			if res.Error != nil {
				return n, translate(res.Error)
			}
			n += res.RowsAffected
		}
	}
	return n, nil
}

type requestsStore struct{ *DB }

func (r requestsStore) InTx(ctx context.Context, fn func(requests.Store) error) error {
	return r.DB.InTx(ctx, func(tx *DB) error { return fn(requestsStore{tx}) })
}

// ForRequests returns the store as the requests service needs it.
func (db *DB) ForRequests() requests.Store { return requestsStore{db} }
