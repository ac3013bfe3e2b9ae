package audit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

func TestChainVerifiesAfterManyAppends(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tr, c := newTrail(t, db)
		appendN(t, tr, c, 240)
		// Ten more inside a caller's transaction, as a service records a
		// change together with the change itself.
		err := db.InTx(ctx, func(tx *store.DB) error {
			for i := range 10 {
				e := audit.Event{Action: audit.ActionConsentSet, Subject: "sub-1", TargetType: "consent", TargetID: fmt.Sprint(i), Details: map[string]any{"changes": []string{"marketing.sms:GRANTED"}, "consents": i}}
				if err := tr.Recorder().Record(staffCtx("sub-1", actor.RoleSubscriber), tx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			from  int64
			batch int
			want  audit.Report
		}{
			{name: "whole chain, default batch", from: 0, batch: 0, want: audit.Report{From: 1, Checked: 250}},
			{name: "whole chain, one at a time", from: 1, batch: 1, want: audit.Report{From: 1, Checked: 250}},
			{name: "whole chain, odd batch", from: 0, batch: 7, want: audit.Report{From: 1, Checked: 250}},
			{name: "resumed from a seq", from: 201, batch: 16, want: audit.Report{From: 201, Checked: 50}},
			{name: "from the tail", from: 250, batch: 16, want: audit.Report{From: 250, Checked: 1}},
			{name: "just past the tail", from: 251, batch: 16, want: audit.Report{From: 251}},
			{name: "far past the tail", from: 900, batch: 16, want: audit.Report{From: 900}},
		}
		tail, err := db.AuditEvent(ctx, 250)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := tr.Verify(ctx, tc.from, tc.batch)
				if err != nil {
					t.Fatal(err)
				}
				if tc.want.Checked > 0 {
					tc.want.Head = models.AuditLink{Seq: 250, Hash: tail.Hash}
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("Verify(%d, %d) (-want +got):\n%s", tc.from, tc.batch, diff)
				}
			})
		}
	})
}

func TestRecordedEventReadsBack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr, _ := newTrail(t, db)
		guardian := actor.With(context.Background(), actor.GuardianOf("minor-1", "guardian-1"))
		e := audit.Event{Action: audit.ActionConsentSet, Subject: "minor-1", TargetType: "consent", TargetID: "MARKETING_SMS", Details: map[string]any{"changes": []string{"marketing.sms:WITHDRAWN"}, "via": "web"}}
		if err := tr.Record(guardian, e); err != nil {
			t.Fatal(err)
		}
		if err := tr.Record(context.Background(), audit.Event{Actor: audit.System(context.Background(), "purge"), Action: audit.ActionPurgeRun, TargetType: "purge_run", TargetID: "7", Details: map[string]any{"erased": 3}}); err != nil {
			t.Fatal(err)
		}
		page, err := tr.List(adminCtx, actorOf(adminCtx), audit.Filter{}, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		minor := "minor-1"
		want := []*models.AuditEvent{
			{Seq: 2, OccurredAt: start, ActorID: "portal:purge", ActorRoles: "system", Action: "purge.run", TargetType: "purge_run", TargetID: "7", Details: `{"erased":3}`},
			{Seq: 1, OccurredAt: start, ActorID: "guardian-1", ActorRoles: "subscriber", ActingFor: &minor, Action: "consent.set", SubjectID: &minor, TargetType: "consent", TargetID: "MARKETING_SMS", Details: `{"changes":["marketing.sms:WITHDRAWN"],"via":"web"}`, PrevHash: audit.GenesisHash},
		}
		ignoreHashes := cmp.FilterPath(func(p cmp.Path) bool {
			n := p.Last().String()
			return n == ".Hash" || (n == ".PrevHash" && p.Index(-2).String() != "[1]")
		}, cmp.Ignore())
		if diff := cmp.Diff(want, page.Events, ignoreHashes, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		if page.Events[0].PrevHash != page.Events[1].Hash {
			t.Errorf("event 2 links to %s, want event 1's hash %s", page.Events[0].PrevHash, page.Events[1].Hash)
		}
	})
}

func TestTamperingIsDetected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		attack func(t *testing.T, db *store.DB)
		want   *audit.Break
	}{
		{
			name: "a field altered",
			attack: func(t *testing.T, db *store.DB) {
				tamper(t, db, "UPDATE audit_events SET subject_id = 'sub-99' WHERE seq = 7")
			},
			want: &audit.Break{Seq: 7, Reason: audit.ReasonHashMismatch},
		},
		{
			name: "the first event's time altered",
			attack: func(t *testing.T, db *store.DB) {
				earlier := "'2019-12-31 09:00:00+00'"
				if db.Dialect() == "sqlite" {
					earlier = "'2019-12-31 09:00:00+00:00'"
				}
				tamper(t, db, "UPDATE audit_events SET occurred_at = "+earlier+" WHERE seq = 1")
			},
			want: &audit.Break{Seq: 1, Reason: audit.ReasonHashMismatch},
		},
		{
			name: "a field altered and its hash recomputed",
			attack: func(t *testing.T, db *store.DB) {
				e, err := db.AuditEvent(context.Background(), 7)
				if err != nil {
					t.Fatal(err)
				}
				e.ActorID = "agent-8"
				tamper(t, db, fmt.Sprintf("UPDATE audit_events SET actor_id = 'agent-8', hash = '%s' WHERE seq = 7", audit.Hash(e)))
			},
			want: &audit.Break{Seq: 8, Reason: audit.ReasonPrevLink},
		},
		{
			name: "a link forged",
			attack: func(t *testing.T, db *store.DB) {
				tamper(t, db, "UPDATE audit_events SET prev_hash = hash WHERE seq = 12")
			},
			want: &audit.Break{Seq: 12, Reason: audit.ReasonPrevLink},
		},
		{
			name:   "a row deleted",
			attack: func(t *testing.T, db *store.DB) { tamper(t, db, "DELETE FROM audit_events WHERE seq = 7") },
			want:   &audit.Break{Seq: 7, Reason: audit.ReasonGap},
		},
		{
			name:   "the first row deleted",
			attack: func(t *testing.T, db *store.DB) { tamper(t, db, "DELETE FROM audit_events WHERE seq = 1") },
			want:   &audit.Break{Seq: 1, Reason: audit.ReasonGap},
		},
		{
			name: "a row deleted and the next renumbered",
			attack: func(t *testing.T, db *store.DB) {
				tamper(t, db, "DELETE FROM audit_events WHERE seq = 7", "UPDATE audit_events SET seq = 7 WHERE seq = 8")
			},
			want: &audit.Break{Seq: 7, Reason: audit.ReasonPrevLink},
		},
		{
			name:   "every row deleted",
			attack: func(t *testing.T, db *store.DB) { tamper(t, db, "DELETE FROM audit_events") },
			// The chain's head, kept apart from the events, still says 20
			// were appended.
			want: &audit.Break{Seq: 20, Reason: audit.ReasonEmpty},
		},
		{
			name:   "the tail cut",
			attack: func(t *testing.T, db *store.DB) { tamper(t, db, "DELETE FROM audit_events WHERE seq >= 18") },
			want:   &audit.Break{Seq: 20, Reason: audit.ReasonTruncated},
		},
		{
			name:   "the last event deleted",
			attack: func(t *testing.T, db *store.DB) { tamper(t, db, "DELETE FROM audit_events WHERE seq = 20") },
			want:   &audit.Break{Seq: 20, Reason: audit.ReasonTruncated},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				tr, c := newTrail(t, db)
				appendN(t, tr, c, 20)
				before, err := tr.Verify(ctx, 0, 5)
				if err != nil || !before.OK() {
					t.Fatalf("before the attack: %+v, %v", before, err)
				}
				tc.attack(t, db)
				got, err := tr.Verify(ctx, 0, 5)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, got.Break); diff != "" {
					t.Errorf("break (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestCheckpointDetectsRewrittenOrCutTail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		attack func(t *testing.T, db *store.DB)
		want   *audit.Break
	}{
		{
			name:   "tail cut",
			attack: func(t *testing.T, db *store.DB) { tamper(t, db, "DELETE FROM audit_events WHERE seq >= 18") },
			want:   &audit.Break{Seq: 20, Reason: audit.ReasonCheckpoint},
		},
		{
			name: "tail rewritten with valid hashes",
			attack: func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				prev := ""
				for seq := int64(15); seq <= 20; seq++ {
					e, err := db.AuditEvent(ctx, seq)
					if err != nil {
						t.Fatal(err)
					}
					if prev != "" {
						e.PrevHash = prev
					}
					e.TargetID = "someone-else"
					e.Hash = audit.Hash(e)
					prev = e.Hash
					tamper(t, db, fmt.Sprintf("UPDATE audit_events SET target_id = '%s', prev_hash = '%s', hash = '%s' WHERE seq = %d", e.TargetID, e.PrevHash, e.Hash, seq))
				}
			},
			want: &audit.Break{Seq: 20, Reason: audit.ReasonCheckpoint},
		},
		{
			name:   "every event deleted",
			attack: func(t *testing.T, db *store.DB) { tamper(t, db, "DELETE FROM audit_events") },
			want:   &audit.Break{Seq: 20, Reason: audit.ReasonCheckpoint},
		},
		{
			name:   "nothing",
			attack: func(*testing.T, *store.DB) {},
			want:   nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				tr, c := newTrail(t, db)
				appendN(t, tr, c, 20)
				cp, err := tr.Verify(ctx, 0, 0)
				if err != nil || !cp.OK() {
					t.Fatalf("before the attack: %+v, %v", cp, err)
				}
				tc.attack(t, db)
				if rep, err := tr.Verify(ctx, 0, 0); err != nil || !rep.OK() {
					t.Logf("plain verification: %+v, %v", rep, err)
				}
				appendN(t, tr, c, 3) // the chain goes on after the attack
				got, err := tr.VerifySince(ctx, cp.Head, 4)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, got.Break); diff != "" {
					t.Errorf("break (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestChangeAndEventCommitTogether(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := staffCtx("agent-7", actor.RoleAgent)
		tr, _ := newTrail(t, db)
		boom := errors.New("the change failed")
		err := db.InTx(ctx, func(tx *store.DB) error {
			if err := tr.Recorder().Record(ctx, tx, readEvent("sub-1")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want the change's error", err)
		}
		if _, err := db.AuditEvent(ctx, 1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("event of a rolled-back change: %v, want ErrNotFound", err)
		}
		if err := tr.Record(ctx, readEvent("sub-2")); err != nil {
			t.Fatal(err)
		}
		rep, err := tr.Verify(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Checked != 1 || rep.Head.Seq != 1 {
			t.Errorf("after a rollback the chain is %+v, want one event at seq 1 and no gap", rep)
		}
	})
}

func TestConcurrentAppendersKeepTheChainWhole(t *testing.T) {
	t.Parallel()
	const replicas, perReplica = 5, 10
	tests := []struct {
		name    string
		dialect string
		open    func(t *testing.T) []*store.DB
	}{
		{name: "postgres, five replicas", dialect: "postgres", open: func(t *testing.T) []*store.DB {
			url := storetest.PostgresURL(t)
			dbs := make([]*store.DB, replicas)
			for i := range dbs {
				db, err := store.Open(context.Background(), store.Options{URL: url, MaxOpenConns: 4})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
				dbs[i] = db
			}
			return dbs
		}},
		{name: "sqlite, one process", dialect: "sqlite", open: func(t *testing.T) []*store.DB {
			db := storetest.Open(t, "sqlite")
			return []*store.DB{db, db, db, db, db}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dbs := tc.open(t)
			var wg sync.WaitGroup
			errs := make(chan error, replicas*perReplica)
			for r, db := range dbs {
				// Each replica is the portal assembled over its own connection.
				tr := apptest.On(t, db, start).Audit
				for i := range perReplica {
					wg.Go(func() {
						ctx := staffCtx(fmt.Sprintf("agent-%d", r), actor.RoleAgent)
						// A change and its event, in one transaction.
						errs <- db.InTx(ctx, func(tx *store.DB) error {
							if _, err := tx.CountSubscribers(ctx); err != nil {
								return err
							}
							return tr.Recorder().Record(ctx, tx, readEvent(fmt.Sprintf("sub-%d-%d", r, i)))
						})
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("append: %v", err)
				}
			}
			tr := apptest.On(t, dbs[0], start).Audit
			rep, err := tr.Verify(context.Background(), 0, 8)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(audit.Report{From: 1, Checked: replicas * perReplica, Head: rep.Head}, rep); diff != "" {
				t.Errorf("Verify (-want +got):\n%s", diff)
			}
			events, err := dbs[0].AuditChain(context.Background(), 1, 1000)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for i, e := range events {
				if e.Seq != int64(i+1) {
					t.Fatalf("event %d has seq %d", i, e.Seq)
				}
				seen[*e.SubjectID] = true
			}
			if len(seen) != replicas*perReplica {
				t.Errorf("%d distinct events, want %d", len(seen), replicas*perReplica)
			}
		})
	}
}

func TestPruneKeepsTheChainVerifiable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tr, c := newTrail(t, db)
		// Thirty events a day apart, from 2020-01-01.
		for i := range 30 {
			if err := tr.Record(staffCtx("agent-7", actor.RoleAgent), readEvent(fmt.Sprintf("sub-%d", i))); err != nil {
				t.Fatal(err)
			}
			c.Advance(24 * time.Hour)
		}
		c.Set(start.AddDate(2, 0, 10)) // 2022-01-11: ten days of events are due
		if _, err := tr.Prune(ctx, start.AddDate(0, 0, 11)); !errors.Is(err, apperr.ErrBadInput) {
			t.Fatalf("pruning events younger than two years = %v, want BAD_USER_INPUT", err)
		}
		n, err := tr.PruneExpired(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 10 {
			t.Errorf("pruned %d events, want 10", n)
		}
		anchor, err := db.AuditAnchor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tenth, err := db.AuditEvent(ctx, 11)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(models.AuditLink{Seq: 11, Hash: tenth.PrevHash}, models.AuditLink{Seq: anchor.Seq, Hash: anchor.PrevHash}); diff != "" {
			t.Errorf("anchor (-want +got):\n%s", diff)
		}
		rep, err := tr.Verify(ctx, 0, 4)
		if err != nil {
			t.Fatal(err)
		}
		// Twenty kept, plus the prune's own event.
		if !rep.OK() || rep.From != 11 || rep.Checked != 21 || rep.Head.Seq != 31 {
			t.Errorf("after pruning, Verify = %+v, want 21 sound events from seq 11 to 31", rep)
		}
		last, err := db.AuditEvent(ctx, 31)
		if err != nil {
			t.Fatal(err)
		}
		if last.Action != audit.ActionAuditPrune || last.ActorID != "portal:retention" || last.Details != `{"anchorSeq":11,"before":"2020-01-11T09:00:00Z","removed":10}` {
			t.Errorf("prune event = %+v", last)
		}
		// Pruning again with nothing due changes nothing and records nothing.
		if n, err := tr.PruneExpired(ctx); err != nil || n != 0 {
			t.Errorf("second prune = %d, %v; want 0, nil", n, err)
		}
		// Years later everything is due, but the newest event is kept so
		// the anchor always stands on a stored one.
		c.Set(start.AddDate(6, 0, 0))
		if n, err := tr.PruneExpired(ctx); err != nil || n != 20 {
			t.Fatalf("pruning everything = %d, %v; want 20 (all but the newest)", n, err)
		}
		rep, err = tr.Verify(ctx, 0, 0)
		if err != nil || !rep.OK() || rep.From != 31 || rep.Checked != 2 {
			t.Errorf("Verify after pruning everything = %+v, %v; want seqs 31 and 32 sound", rep, err)
		}
		if err := tr.Record(staffCtx("agent-7", actor.RoleAgent), readEvent("sub-1")); err != nil {
			t.Fatal(err)
		}
		rep, err = tr.Verify(ctx, 0, 0)
		if err != nil || !rep.OK() {
			t.Errorf("Verify after appending to a pruned chain = %+v, %v", rep, err)
		}
	})
}

func TestPruneRefusesABrokenChain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tr, c := newTrail(t, db)
		appendN(t, tr, c, 10)
		tamper(t, db, "UPDATE audit_events SET target_id = 'x' WHERE seq = 3")
		c.Set(start.AddDate(3, 0, 0))
		_, err := tr.PruneExpired(ctx)
		if !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("pruning a broken chain = %v, want CONFLICT", err)
		}
		if e, err := db.AuditEvent(ctx, 3); err != nil || e.TargetID != "x" {
			t.Errorf("the evidence is gone: %v, %v", e, err)
		}
	})
}

func TestListFiltersAndPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tr, c := newTrail(t, db)
		// seq: actor, action, subject — an hour apart from 09:00.
		seed := []struct {
			actor   string
			action  string
			subject string
		}{
			{"agent-1", audit.ActionSubscriberRead, "sub-a"}, // 1
			{"agent-2", audit.ActionSubscriberRead, "sub-b"}, // 2
			{"agent-1", audit.ActionRequestResolve, "sub-a"}, // 3
			{"feed", audit.ActionFeedUpsertSub, "sub-c"},     // 4
			{"agent-1", audit.ActionSubscriberRead, "sub-c"}, // 5
			{"admin-1", audit.ActionPurgeRun, ""},            // 6
			{"agent-2", audit.ActionSubscriberRead, "sub-a"}, // 7
			{"agent-1", audit.ActionSubscriberRead, "sub-b"}, // 8
			{"feed", audit.ActionFeedUpsertSub, "sub-a"},     // 9
			{"agent-1", audit.ActionRequestResolve, "sub-b"}, // 10
			{"agent-1", audit.ActionSubscriberRead, "sub-a"}, // 11
			{"agent-2", audit.ActionRequestResolve, "sub-c"}, // 12
		}
		for _, s := range seed {
			e := audit.Event{Actor: audit.Actor{ID: s.actor, Roles: []string{"agent"}}, Action: s.action, Subject: s.subject, TargetType: "thing"}
			if err := tr.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
			c.Advance(time.Hour)
		}
		at := func(seq int) *time.Time { t := start.Add(time.Duration(seq-1) * time.Hour); return &t }
		tests := []struct {
			name   string
			filter audit.Filter
			want   []int64
		}{
			{name: "everything, newest first", want: []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
			{name: "whose data: one subscriber", filter: audit.Filter{Subject: "sub-a"}, want: []int64{11, 9, 7, 3, 1}},
			{name: "what one account did", filter: audit.Filter{Actor: "agent-1"}, want: []int64{11, 10, 8, 5, 3, 1}},
			{name: "one action", filter: audit.Filter{Action: audit.ActionRequestResolve}, want: []int64{12, 10, 3}},
			{name: "which staff read one subscriber", filter: audit.Filter{Subject: "sub-a", Action: audit.ActionSubscriberRead}, want: []int64{11, 7, 1}},
			{name: "one account on one subscriber", filter: audit.Filter{Actor: "agent-1", Subject: "sub-b"}, want: []int64{10, 8}},
			{name: "a period, from inclusive to exclusive", filter: audit.Filter{From: at(4), To: at(8)}, want: []int64{7, 6, 5, 4}},
			{name: "from only", filter: audit.Filter{From: at(11)}, want: []int64{12, 11}},
			{name: "to only", filter: audit.Filter{To: at(3)}, want: []int64{2, 1}},
			{name: "an actor in a period", filter: audit.Filter{Actor: "agent-1", From: at(4), To: at(11)}, want: []int64{10, 8, 5}},
			{name: "no match", filter: audit.Filter{Subject: "sub-z"}, want: []int64{}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				for _, size := range []int{100, 1, 2, 5} {
					got := []int64{}
					after := ""
					for pages := 0; ; pages++ {
						if pages > len(seed) {
							t.Fatalf("page size %d: paging does not end", size)
						}
						page, err := tr.List(adminCtx, actorOf(adminCtx), tc.filter, size, after)
						if err != nil {
							t.Fatal(err)
						}
						if len(page.Events) > size {
							t.Fatalf("page size %d: got %d events", size, len(page.Events))
						}
						got = append(got, seqs(page.Events)...)
						if !page.HasNextPage {
							break
						}
						after = page.EndCursor()
					}
					if diff := cmp.Diff(tc.want, got); diff != "" {
						t.Errorf("page size %d (-want +got):\n%s", size, diff)
					}
				}
			})
		}
	})
}

func TestListRefusesWhatItMust(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr, c := newTrail(t, db)
		appendN(t, tr, c, 3)
		tests := []struct {
			name  string
			ctx   context.Context
			first int
			after string
			want  error
		}{
			{name: "no token", ctx: context.Background(), want: apperr.ErrUnauthenticated},
			{name: "an agent", ctx: staffCtx("agent-7", actor.RoleAgent), want: apperr.ErrForbidden},
			{name: "a subscriber", ctx: staffCtx("sub-1", actor.RoleSubscriber), want: apperr.ErrForbidden},
			{name: "a negative page", ctx: adminCtx, first: -1, want: apperr.ErrBadInput},
			{name: "a cursor of another list", ctx: adminCtx, after: "cmVjOjE6Mg", want: apperr.ErrBadInput},
			{name: "garbage cursor", ctx: adminCtx, after: "!!", want: apperr.ErrBadInput},
			{name: "an admin", ctx: adminCtx, want: nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				_, err := tr.List(tc.ctx, actorOf(tc.ctx), audit.Filter{}, tc.first, tc.after)
				if !errors.Is(err, tc.want) {
					t.Errorf("List = %v, want %v", err, tc.want)
				}
			})
		}
	})
}

func TestListCapsThePage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr, c := newTrail(t, db)
		appendN(t, tr, c, audit.MaxPageSize+5)
		tests := []struct {
			name     string
			first    int
			wantLen  int
			wantNext bool
		}{
			{name: "default", first: 0, wantLen: audit.DefaultPageSize, wantNext: true},
			{name: "over the cap", first: 1000, wantLen: audit.MaxPageSize, wantNext: true},
			{name: "the cap", first: audit.MaxPageSize, wantLen: audit.MaxPageSize, wantNext: true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				page, err := tr.List(adminCtx, actorOf(adminCtx), audit.Filter{}, tc.first, "")
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Events) != tc.wantLen || page.HasNextPage != tc.wantNext {
					t.Errorf("List(first=%d) = %d events, next %v; want %d, %v", tc.first, len(page.Events), page.HasNextPage, tc.wantLen, tc.wantNext)
				}
			})
		}
	})
}

// moveAnchor moves the chain's anchor to seq and deletes the events before
// it, as pruning would, but by hand: with the guards of both tables off.
func moveAnchor(t testing.TB, db *store.DB, seq int64) {
	t.Helper()
	var off []string
	switch db.Dialect() {
	case "postgres":
		off = []string{"ALTER TABLE audit_chain_anchor DISABLE TRIGGER USER"}
	default:
		off = []string{"DROP TRIGGER IF EXISTS audit_chain_anchor_forward_only"}
	}
	tamper(t, db, append(off,
		fmt.Sprintf("UPDATE audit_chain_anchor SET seq = %d, prev_hash = (SELECT prev_hash FROM audit_events WHERE seq = %d) WHERE id = 1", seq, seq),
		fmt.Sprintf("DELETE FROM audit_events WHERE seq < %d", seq))...)
}

// TestAnchorMovedByHandIsDetected moves the anchor forward and deletes the
// events before it — on a chain never pruned, past a pruning, and past
// events younger than the retention — and expects both Verify and
// VerifySince (from a checkpoint before and after the new anchor) to fail.
func TestAnchorMovedByHandIsDetected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// setup builds the chain and returns a checkpoint before the new
		// anchor and one after.
		setup  func(t *testing.T, tr *audit.Trail, c *clock.Manual) (early, late models.AuditLink)
		anchor int64
	}{
		{
			name: "a chain never pruned",
			setup: func(t *testing.T, tr *audit.Trail, c *clock.Manual) (models.AuditLink, models.AuditLink) {
				appendN(t, tr, c, 5)
				early := head(t, tr)
				appendN(t, tr, c, 15)
				return early, head(t, tr)
			},
			anchor: 10,
		},
		{
			name: "further than the last pruning moved it",
			setup: func(t *testing.T, tr *audit.Trail, c *clock.Manual) (models.AuditLink, models.AuditLink) {
				for range 20 {
					appendN(t, tr, c, 1)
					c.Advance(24 * time.Hour)
				}
				c.Set(start.AddDate(2, 0, 10))
				if n, err := tr.PruneExpired(context.Background()); err != nil || n != 10 {
					t.Fatalf("prune = %d, %v; want 10", n, err)
				}
				early := head(t, tr)
				appendN(t, tr, c, 5)
				return early, head(t, tr)
			},
			anchor: 15,
		},
		{
			name: "past events younger than the retention",
			setup: func(t *testing.T, tr *audit.Trail, c *clock.Manual) (models.AuditLink, models.AuditLink) {
				c.Set(time.Now().Add(-time.Hour))
				appendN(t, tr, c, 5)
				early := head(t, tr)
				c.Set(time.Now().Add(-time.Minute))
				appendN(t, tr, c, 15)
				return early, head(t, tr)
			},
			anchor: 10,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				tr, c := newTrail(t, db)
				early, late := tc.setup(t, tr, c)
				if rep, err := tr.Verify(ctx, 0, 0); err != nil || !rep.OK() {
					t.Fatalf("before the attack: %+v, %v", rep, err)
				}
				moveAnchor(t, db, tc.anchor)
				want := &audit.Break{Seq: tc.anchor, Reason: audit.ReasonAnchor}
				for _, v := range []struct {
					name string
					run  func() (audit.Report, error)
				}{
					{"verify", func() (audit.Report, error) { return tr.Verify(ctx, 0, 4) }},
					{"verify --from past the anchor", func() (audit.Report, error) { return tr.Verify(ctx, tc.anchor+2, 4) }},
					{"verify --since a checkpoint before the anchor", func() (audit.Report, error) { return tr.VerifySince(ctx, early, 4) }},
					{"verify --since a checkpoint after the anchor", func() (audit.Report, error) { return tr.VerifySince(ctx, late, 4) }},
				} {
					got, err := v.run()
					if err != nil {
						t.Fatalf("%s: %v", v.name, err)
					}
					if diff := cmp.Diff(want, got.Break); diff != "" {
						t.Errorf("%s: break (-want +got):\n%s", v.name, diff)
					}
				}
			})
		})
	}
}

// head verifies the chain and returns its head, as an operator writes it
// down outside the database.
func head(t testing.TB, tr *audit.Trail) models.AuditLink {
	t.Helper()
	rep, err := tr.Verify(context.Background(), 0, 0)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	return rep.Head
}
