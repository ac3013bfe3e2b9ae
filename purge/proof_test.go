package purge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// tallyLines renders counts as the audit trail records them.
func tallyLines(cs []purge.Count) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s:%s:%s:%d:%d", c.Clause, c.Type, c.Code, c.Erased, c.SkippedHeld))
	}
	return out
}

// runEvents returns the audit events about purge run id, oldest first.
func runEvents(t testing.TB, db *store.DB, id int64) []*models.AuditEvent {
	t.Helper()
	var out []*models.AuditEvent
	for seq := int64(1); ; seq += 500 {
		es, err := db.AuditChain(context.Background(), seq, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.TargetType == "purge_run" && e.TargetID == strconv.FormatInt(id, 10) {
				out = append(out, e)
			}
		}
		if len(es) < 500 {
			return out
		}
	}
}

func TestRunsAreAuditedWithTheirTally(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, fixtureNow)
		fixture(t, e)
		dry, err := e.purge.Run(ctx, purge.Options{Actor: "cli:purge", DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := e.purge.Run(ctx, purge.Options{Actor: "scheduler"})
		if err != nil {
			t.Fatal(err)
		}
		// The tally is computed here from the fixture, not from the run.
		lines := tallyLines(allDueCounts)
		tests := []struct {
			name   string
			run    int64
			dry    bool
			erased int64
			// moved is what the run moved apart: what only a statute
			// keeps of the terminated subscriber, which stays after the
			// erasure (the name, the BILLING and PAYMENT records); a dry
			// run moves nothing.
			moved int
		}{
			{name: "dry run", run: dry.RunID, dry: true, erased: 9},
			{name: "run", run: rep.RunID, erased: 9, moved: len(allDueErased["gone"])},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				es := runEvents(t, db, tc.run)
				var got []string
				for _, ev := range es {
					got = append(got, ev.Action+" "+ev.Details)
				}
				want := []string{
					fmt.Sprintf(`%s {"dryRun":%t,"run":%d}`, purge.ActionRunStarted, tc.dry, tc.run),
					fmt.Sprintf(`%s {"auditPruned":0,"counts":["%s"],"deferred":0,"dryRun":%t,"erased":%d,"exports":0,"movedApart":%d,"outcome":"FINISHED","run":%d,"skippedHeld":0}`,
						purge.ActionRunFinished, strings.Join(lines, `","`), tc.dry, tc.erased, tc.moved, tc.run),
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("audit events of the run (-want +got):\n%s", diff)
				}
				for _, ev := range es {
					if ev.SubjectID != nil || ev.ActorID != "portal:purge" {
						t.Errorf("event %d: subject %v, actor %q; want none and portal:purge", ev.Seq, ev.SubjectID, ev.ActorID)
					}
				}
			})
		}
		if rep, err := e.audit.Verify(ctx, 0, 0); err != nil || !rep.OK() {
			t.Errorf("chain after the runs: %+v, %v", rep, err)
		}
	})
}

func TestALongTallyContinuesInMoreEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, fixtureNow)
		// Forty dead runs' worth of lines: the tally of one aborted run
		// with erasures in forty codes.
		run := &models.PurgeRun{StartedAt: fixtureNow, Outcome: models.PurgeRunning, Actor: "scheduler", BatchSize: 10}
		if err := db.CreatePurgeRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := range 40 {
			code := fmt.Sprintf("kind.number_%02d", i)
			if _, err := db.SQL().ExecContext(ctx, "INSERT INTO erasures (subscriber_id, run_id, item_type, code, clause, count, erased_at) VALUES ('s-1', $1, 'RECORD', $2, 'POST_TERMINATION', 2, $3)", run.ID, code, fixtureNow); err != nil {
				t.Fatal(err)
			}
			want = append(want, "POST_TERMINATION:RECORD:"+code+":2:0")
		}
		if _, err := e.purge.Run(ctx, purge.Options{Actor: "scheduler"}); err != nil {
			t.Fatal(err)
		}
		es := runEvents(t, db, run.ID)
		var got []string
		parts := 0
		for i, ev := range es {
			wantAction := purge.ActionRunCounts
			if i == 0 {
				wantAction = purge.ActionRunAborted
			}
			if ev.Action != wantAction || !strings.Contains(ev.Details, fmt.Sprintf(`"part":%d,"parts":%d`, i+1, len(es))) {
				t.Errorf("event %d: %s %s", i, ev.Action, ev.Details)
			}
			var d struct{ Counts []string }
			if err := jsonUnmarshal(ev.Details, &d); err != nil {
				t.Fatal(err)
			}
			got = append(got, d.Counts...)
			parts++
		}
		if parts < 2 {
			t.Errorf("the tally took %d events; want it split", parts)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("tally across the events (-want +got):\n%s", diff)
		}
	})
}

// dyingStore is a purge whose process dies after its last batch: nothing
// after the batches reaches the database — not the run's end, not its
// heartbeats.
type dyingStore struct{ purge.Store }

var errKilled = errors.New("killed")

func (d dyingStore) InTx(ctx context.Context, fn func(purge.Store) error) error {
	return d.Store.InTx(ctx, func(tx purge.Store) error { return fn(dyingStore{tx}) })
}
func (dyingStore) FinishPurgeRun(context.Context, *models.PurgeRun, []models.PurgeRunCount) error {
	return errKilled
}
func (dyingStore) RenewPurgeLease(context.Context, int64, time.Time) error { return errKilled }

func TestARunWhoseProcessDiedIsAborted(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, fixtureNow)
		fixture(t, e)
		// Not wiring: one purge over a store whose process dies after its last batch.
		dying := purge.New(dyingStore{db.ForPurge()}, e.cat, e.clock)
		died, err := dying.Run(ctx, purge.Options{Actor: "scheduler", BatchSize: 2})
		if !errors.Is(err, errKilled) {
			t.Fatalf("dying run = %v, want it killed", err)
		}
		// A run still alive, started by another replica a moment ago.
		live := &models.PurgeRun{StartedAt: fixtureNow, Outcome: models.PurgeRunning, Actor: "scheduler", BatchSize: 10, HeartbeatAt: new(time.Now())}
		if err := db.CreatePurgeRun(ctx, live); err != nil {
			t.Fatal(err)
		}
		// Within its lease the dead run is not yet known dead.
		if _, err := e.purge.Run(ctx, purge.Options{Actor: "scheduler"}); err != nil {
			t.Fatal(err)
		}
		if r, _, err := db.GetPurgeRun(ctx, died.RunID); err != nil || r.Outcome != models.PurgeRunning {
			t.Fatalf("run within its lease = %+v, %v; want still RUNNING", r, err)
		}
		// Its lease runs out: its last heartbeat was longer ago than the
		// lease.
		stale := time.Now().Add(-purge.LeaseTTL - time.Minute).UTC()
		if _, err := db.SQL().ExecContext(ctx, "UPDATE purge_runs SET heartbeat_at = $1 WHERE id = $2", stale, died.RunID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		if _, err := e.purge.Run(ctx, purge.Options{Actor: "scheduler"}); err != nil {
			t.Fatal(err)
		}
		r, counts, err := db.GetPurgeRun(ctx, died.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != models.PurgeAborted || r.FinishedAt == nil || r.Erased != 9 {
			t.Errorf("dead run = %+v; want ABORTED, finished, 9 erased", r)
		}
		var gotCounts []purge.Count
		for _, c := range counts {
			gotCounts = append(gotCounts, purge.Count{Clause: c.Clause, Type: c.ItemType, Code: c.Code, Erased: c.Erased, SkippedHeld: c.SkippedHeld})
		}
		if diff := cmp.Diff(allDueCounts, gotCounts); diff != "" {
			t.Errorf("the dead run's tally, from its recorded erasures (-want +got):\n%s", diff)
		}
		if r, _, err := db.GetPurgeRun(ctx, live.ID); err != nil || r.Outcome != models.PurgeRunning {
			t.Errorf("live run = %+v, %v; want still RUNNING", r, err)
		}
		var got []string
		for _, ev := range runEvents(t, db, died.RunID) {
			got = append(got, ev.Action)
		}
		want := []string{purge.ActionRunStarted, purge.ActionRunAborted}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("audit events of the dead run (-want +got):\n%s", diff)
		}
		// Marked once: a later run finds nothing more to abort.
		if _, err := e.purge.Run(ctx, purge.Options{Actor: "scheduler"}); err != nil {
			t.Fatal(err)
		}
		if n := len(runEvents(t, db, died.RunID)); n != 2 {
			t.Errorf("the dead run has %d audit events after another run, want 2", n)
		}
	})
}

func TestRunsPruneTheAuditTrailPastItsRetention(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, fixtureNow)
		// Staff reads on 2021-06-01 and 2022-03-01; the run is on
		// 2024-01-10, so the trail keeps what happened on or after
		// 2022-01-10: the first read goes, the second stays.
		past := apptest.On(t, db, time.Date(2021, 6, 1, 3, 0, 0, 0, time.UTC))
		old, tr := past.Clock, past.Audit
		agent := actor.With(ctx, actor.Staff("agent-1", actor.RoleAgent))
		read := audit.Event{Action: audit.ActionSubscriberRead, Subject: "s-1", TargetType: "subscriber", TargetID: "s-1"}
		if err := tr.Record(agent, read); err != nil {
			t.Fatal(err)
		}
		old.Set(time.Date(2022, 3, 1, 3, 0, 0, 0, time.UTC))
		if err := tr.Record(agent, read); err != nil {
			t.Fatal(err)
		}
		dry, err := e.purge.Run(ctx, purge.Options{Actor: "cli:purge", DryRun: true})
		if err != nil || dry.AuditPruned != 0 {
			t.Fatalf("dry run = %+v, %v; want nothing pruned", dry, err)
		}
		if _, err := db.AuditEvent(ctx, 1); err != nil {
			t.Fatalf("a dry run pruned the trail: %v", err)
		}
		rep, err := e.purge.Run(ctx, purge.Options{Actor: "scheduler"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.AuditPruned != 1 {
			t.Errorf("pruned %d audit events, want 1", rep.AuditPruned)
		}
		if _, err := db.AuditEvent(ctx, 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the 2021 read: %v, want pruned", err)
		}
		if _, err := db.AuditEvent(ctx, 2); err != nil {
			t.Errorf("the 2022 read: %v, want kept", err)
		}
		es := runEvents(t, db, rep.RunID)
		if len(es) == 0 || !strings.Contains(es[len(es)-1].Details, `"auditPruned":1`) {
			t.Errorf("the run's end does not record the pruning: %+v", es)
		}
		v, err := e.audit.Verify(ctx, 0, 0)
		if err != nil || !v.OK() || v.From != 2 {
			t.Errorf("chain after the run's pruning = %+v, %v; want sound from seq 2", v, err)
		}
	})
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
