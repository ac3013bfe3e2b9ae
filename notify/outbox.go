package notify

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
)

// MaxListLimit bounds the lists Outbox returns.
const MaxListLimit = 500

// Outbox is the delivery state of the outbox as admins see it: dead
// messages, the attempts at a message, and requeueing a dead one. It needs
// no webhook configured.
type Outbox struct {
	store Store
	clock clock.Clock
	rec   *audit.Recorder
}

// NewOutbox returns the admin view of the outbox in s, with clock c.
func NewOutbox(s Store, c clock.Clock) *Outbox {
	if c == nil {
		c = clock.Real{}
	}
	return &Outbox{store: s, clock: c, rec: audit.NewRecorder(c)}
}

func clampLimit(limit int) int {
	if limit <= 0 || limit > MaxListLimit {
		return MaxListLimit
	}
	return limit
}

// Dead returns up to limit messages the deliverer gave up on, most recent
// first, and whether more follow.
func (o *Outbox) Dead(ctx context.Context, limit int) ([]*models.OutboxStatus, bool, error) {
	return o.store.ListDeadOutbox(ctx, clampLimit(limit))
}

// Status returns where a message stands, or a NOT_FOUND error.
func (o *Outbox) Status(ctx context.Context, k Key) (*models.OutboxStatus, error) {
	return o.store.GetOutboxStatus(ctx, k)
}

// Deliveries returns up to limit recorded attempts at a message, in the
// order made.
func (o *Outbox) Deliveries(ctx context.Context, k Key, limit int) ([]*models.OutboxDelivery, error) {
	return o.store.ListOutboxDeliveries(ctx, k, clampLimit(limit))
}

// Requeue sends a dead message again: due at once, with a fresh count of
// attempts (its earlier attempts stay recorded). by is who asks; zero takes
// the principal of ctx. A message that is not dead is a NOT_FOUND error.
// The requeue is audited (ActionRequeue).
func (o *Outbox) Requeue(ctx context.Context, k Key, by audit.Actor) error {
	return o.store.InTx(ctx, func(tx Store) error {
		ok, err := tx.RequeueOutbox(ctx, k, o.clock.Now())
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: no dead message %d of that subscriber", apperr.ErrNotFound, k.ID)
		}
		return o.rec.Record(ctx, tx, audit.Event{
			Actor: by, Action: ActionRequeue, Subject: k.SubscriberID,
			TargetType: "outbox", TargetID: strconv.FormatInt(k.ID, 10),
		})
	})
}

// Backlog is the outbox's state at a moment, for monitoring.
type Backlog struct {
	// Pending counts messages neither delivered nor given up on.
	Pending int64
	// Overdue counts pending messages past their legal due-by time.
	Overdue int64
	// Dead counts messages given up on, waiting for an admin.
	Dead int64
	// OldestPending is when the oldest pending message was written; zero
	// when none is pending.
	OldestPending time.Time
}
