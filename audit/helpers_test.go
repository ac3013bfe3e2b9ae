package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/reqctx"
	"github.com/xroshot/portal/store"
)

// start is well over two years before the database's own clock, so that
// the retention guards let tests prune what the manual clock stamped.
var start = time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)

// newTrail is the trail of the portal assembled over db, and its clock.
func newTrail(t testing.TB, db *store.DB) (*audit.Trail, *clock.Manual) {
	t.Helper()
	e := apptest.On(t, db, start)
	return e.Audit, e.Clock
}

// staffCtx is a request by a staff member with the given roles.
func staffCtx(id string, roles ...actor.Role) context.Context {
	ctx := actor.With(context.Background(), actor.Staff(id, roles...))
	ctx = reqctx.WithRequestID(ctx, "req-"+id)
	return reqctx.WithClientAddr(ctx, "10.0.0.7")
}

var adminCtx = staffCtx("admin-1", actor.RoleAdmin)

// actorOf is the actor of ctx (the zero actor when there is none), as the
// HTTP edge would pass it to List.
func actorOf(ctx context.Context) actor.Actor {
	a, _ := actor.From(ctx)
	return a
}

// readEvent is agent-7 reading subscriber sub's profile.
func readEvent(sub string) audit.Event {
	return audit.Event{Action: audit.ActionSubscriberRead, Subject: sub, TargetType: "subscriber", TargetID: sub}
}

// appendN records n reads by an agent, each in its own transaction, the
// clock moving an hour between them.
func appendN(t testing.TB, tr *audit.Trail, c *clock.Manual, n int) {
	t.Helper()
	ctx := staffCtx("agent-7", actor.RoleAgent)
	for i := range n {
		if err := tr.Record(ctx, readEvent(fmt.Sprintf("sub-%d", i%5))); err != nil {
			t.Fatalf("record event %d: %v", i+1, err)
		}
		c.Advance(time.Hour)
	}
}

// seqs lists the seqs of events.
func seqs(es []*models.AuditEvent) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

// tamper runs statements as an attacker with the database owner's rights
// would: first switching the append-only triggers off, then changing rows.
func tamper(t testing.TB, db *store.DB, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	var off []string
	switch db.Dialect() {
	case "postgres":
		off = []string{"ALTER TABLE audit_events DISABLE TRIGGER USER"}
	default:
		off = []string{"DROP TRIGGER IF EXISTS audit_events_no_update", "DROP TRIGGER IF EXISTS audit_events_no_delete", "DROP TRIGGER IF EXISTS audit_events_extend", "DROP TRIGGER IF EXISTS audit_events_head"}
	}
	for _, s := range append(off, stmts...) {
		if _, err := db.SQL().ExecContext(ctx, s); err != nil {
			t.Fatalf("tamper %q: %v", s, err)
		}
	}
}
