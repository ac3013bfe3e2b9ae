package purge_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/retention"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// The time-travel test walks generated subscribers through six years —
// sign-ups, use, terminations, unpaid and overpaid fees, disputes opened and
// resolved, consents withdrawn — on a simulated clock, running the purge
// every simulated day. It keeps its own model of every item: the facts the
// calculus reads, hence each item's purge date, and the holds on it. After
// each day's run it checks that the run erased exactly what the model says
// was due and not held, per subscriber, category or kind and clause (so
// nothing due survives and nothing not yet due or held is gone), and counted
// what was due but held; every month, and at the end, it compares every
// surviving row with the model.
const (
	simSubscribers = 200
	simYears       = 6
	// simRecordEvery is how often an active subscriber's systems feed a
	// batch of records, in days.
	simRecordEvery = 180
	simFullCheck   = 90
)

// simStart is noon in Korea on the first simulated day; the purge runs at
// noon every day. The six years end before the real clock's today, so the
// purge's clock-skew check sees a clock behind the database's, as after a
// back-fill.
var simStart = time.Date(2019, 1, 1, 12, 0, 0, 0, clock.KST)

func TestSixYearsOfSubscribersPurgedEveryDay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		fastCommits(t, db)
		s := newSim(t, db)
		days := int(simStart.AddDate(simYears, 0, 0).Sub(simStart) / (24 * time.Hour))
		for d := 0; d < days; d++ {
			now := simStart.AddDate(0, 0, d)
			s.clock.Set(now)
			for _, ev := range s.events[d] {
				ev.apply(t, s, now)
			}
			s.purgeAndCheck(t, d, now)
			if d%simFullCheck == 0 || d == days-1 {
				s.checkAll(t, now)
			}
			if t.Failed() {
				t.Fatalf("stopped on day %d (%s)", d, now.Format(time.DateOnly))
			}
		}
		t.Logf("%d subscribers, %d items fed, %d erased, %d due but held, %d moved apart over the walk", len(s.subs), s.fed, s.erased, s.skipped, s.moved)
		if s.erased == 0 || s.skipped == 0 || s.moved == 0 {
			t.Errorf("the walk erased %d, skipped %d held and moved %d apart: it exercised nothing", s.erased, s.skipped, s.moved)
		}
	})
}

// fastCommits turns off waiting for the disk at commit on a PostgreSQL test
// database: thousands of simulated days commit thousands of transactions,
// and their durability is not what is tested.
func fastCommits(t *testing.T, db *store.DB) {
	t.Helper()
	if db.Dialect() != "postgres" {
		return
	}
	if _, err := db.SQL().Exec("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit TO off', current_database()); END $$"); err != nil {
		t.Fatal(err)
	}
	// Connections opened before take the setting only when reopened.
	db.SQL().SetMaxIdleConns(0)
	db.SQL().SetMaxIdleConns(8)
}

// sim is the world and its model.
type sim struct {
	*env
	consent *consent.Service
	engine  *retention.Engine
	subs    []*simSub
	events  map[int][]simEvent
	// items are the model's items not yet erased.
	items []*simItem
	// nextExt numbers records: external ids are numeric, globally unique.
	nextExt int64
	fed     int
	erased  int64
	skipped int64
	// moved counts the rows moved apart over the walk.
	moved int64
}

type simSub struct {
	id    string
	facts retention.Subject
	// withdrawnAt is when the optional item's consent was withdrawn.
	withdrawnAt *time.Time
	// billing is the billing state while fees are not settled, or "": it
	// stops the post-termination clock and holds nothing.
	billing models.BillingState
	// dispute is the active dispute hold's id, and whether it is on
	// everything.
	dispute    string
	disputeAll bool
}

type simItem struct {
	sub  *simSub
	typ  models.ItemType
	code string
	at   time.Time
	ext  string // records: the external id
	// purgeAfter and clause are the model's schedule of the item.
	purgeAfter *time.Time
	clause     string
	// held is set while a dispute hold names this record.
	held bool
}

type simEvent struct {
	sub   int
	what  string
	extra int
}

var simItems = []feed.ItemInput{
	{Category: "applicant.name", Value: "김민준"},
	{Category: "applicant.email", Value: "minjun@example.com"},
	{Category: "applicant.phone", Value: "010-2345-6789"},
	{Category: "optional.discount_certificate", Value: "복지할인증명 제2019-117호"},
}

// newSim generates the subscribers' lives, deterministically.
func newSim(t *testing.T, db *store.DB) *sim {
	e := newEnv(t, db, simStart)
	s := &sim{
		env: e, consent: e.consent, engine: retention.New(e.cat),
		events: map[int][]simEvent{}, nextExt: 1_000_000,
	}
	rng := rand.New(rand.NewPCG(6, 2025))
	days := int(simStart.AddDate(simYears, 0, 0).Sub(simStart) / (24 * time.Hour))
	add := func(d int, ev simEvent) {
		if d >= 0 && d < days {
			s.events[d] = append(s.events[d], ev)
		}
	}
	for i := range simSubscribers {
		s.subs = append(s.subs, &simSub{id: strconv.Itoa(7_000_000 + i)})
		signUp := rng.IntN(days * 2 / 3)
		add(signUp, simEvent{sub: i, what: "signUp"})
		end := days
		if rng.IntN(100) < 65 {
			end = signUp + 150 + rng.IntN(1400)
			add(end, simEvent{sub: i, what: "terminate"})
			switch r := rng.IntN(100); {
			case r < 25:
				add(end, simEvent{sub: i, what: "unpaid"})
				add(end+20+rng.IntN(500), simEvent{sub: i, what: "settled"})
			case r < 35:
				add(end, simEvent{sub: i, what: "overpaid"})
				add(end+20+rng.IntN(300), simEvent{sub: i, what: "settled"})
			}
		}
		for d := signUp + 1 + rng.IntN(simRecordEvery); d < min(end, days); d += simRecordEvery {
			add(d, simEvent{sub: i, what: "records", extra: 4 + rng.IntN(7)})
		}
		if rng.IntN(100) < 20 && end-signUp > 10 {
			add(signUp+1+rng.IntN(end-signUp-1), simEvent{sub: i, what: "withdraw"})
		}
		if rng.IntN(100) < 20 {
			open := signUp + 30 + rng.IntN(max(1, end+300-signUp))
			add(open, simEvent{sub: i, what: "dispute", extra: rng.IntN(2)})
			add(open+5+rng.IntN(300), simEvent{sub: i, what: "resolve"})
		}
	}
	return s
}

var simKinds = []string{"USAGE", "MESSAGE_CONTENT", "MESSAGE_CONTENT", "PAYMENT", "BILLING", "ACCESS_LOG", "COMPLAINT", "CALL_DETAIL"}

// apply plays one event through the services, and on the model.
func (ev simEvent) apply(t *testing.T, s *sim, now time.Time) {
	t.Helper()
	ctx := context.Background()
	sub := s.subs[ev.sub]
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s %s on %s: %v", ev.what, sub.id, now.Format(time.DateOnly), err)
		}
	}
	signedUp := sub.facts.SignedUpAt
	switch ev.what {
	case "signUp":
		_, err := s.feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: sub.id, Status: models.StatusActive, SignedUpAt: now, BirthDate: new("1980-05-05"), Items: simItems})
		must(err)
		sub.facts.SignedUpAt = now
		for _, it := range simItems {
			s.items = append(s.items, &simItem{sub: sub, typ: models.ItemHolding, code: it.Category, at: now})
		}
		s.fed += len(simItems)
	case "records":
		if signedUp.IsZero() || sub.facts.TerminatedAt != nil {
			return
		}
		recs := make([]feed.RecordInput, ev.extra)
		for i := range recs {
			s.nextExt++
			ext := strconv.FormatInt(s.nextExt, 10)
			kind := simKinds[int(s.nextExt)%len(simKinds)]
			at := now.Add(-time.Duration(i+1) * time.Hour)
			recs[i] = feed.RecordInput{Kind: kind, OccurredAt: at, ExternalID: ext, Summary: "발신 010-2345-6789"}
			s.items = append(s.items, &simItem{sub: sub, typ: models.ItemRecord, code: kind, at: at, ext: ext})
		}
		_, err := s.feed.AppendRecords(ctx, sub.id, recs)
		must(err)
		s.fed += len(recs)
	case "terminate":
		if signedUp.IsZero() || sub.facts.TerminatedAt != nil {
			return
		}
		_, err := s.feed.Terminate(ctx, sub.id, now)
		must(err)
		sub.facts.TerminatedAt = &now
	case "unpaid", "overpaid", "settled":
		if signedUp.IsZero() {
			return
		}
		state := map[string]models.BillingState{"unpaid": models.BillingUnpaid, "overpaid": models.BillingOverpaid, "settled": models.BillingSettled}[ev.what]
		_, err := s.feed.SetBillingState(ctx, sub.id, state, now)
		must(err)
		sub.setBilling(state, now)
	case "withdraw":
		if signedUp.IsZero() || sub.withdrawnAt != nil {
			return
		}
		_, err := s.consent.Set(ctx, actor.Subscriber(sub.id), consent.Request{Changes: []consent.Change{{Topic: "optional.discount_certificate", Granted: false}}})
		must(err)
		sub.withdrawnAt = &now
	case "dispute":
		if signedUp.IsZero() || sub.dispute != "" {
			return
		}
		p := holds.Placement{SubscriberID: sub.id, Reason: models.HoldDispute, SourceRef: "dispute-" + sub.id, PlacedBy: "agent-7"}
		var named []*simItem
		if ev.extra == 0 {
			// Records kept apart too: a hold names them as well.
			rs, _, err := s.db.ListRecords(ctx, models.RecordPage{SubscriberID: sub.id, Limit: 3, Apart: true})
			must(err)
			for _, r := range rs {
				p.Records = append(p.Records, r.ID)
				named = append(named, s.record(r.ExternalID))
			}
		}
		p.AllItems = len(p.Records) == 0
		h, err := s.holds.Place(ctx, p)
		must(err)
		sub.dispute, sub.disputeAll = h.ID, p.AllItems
		for _, it := range named {
			it.held = true
		}
	case "resolve":
		if sub.dispute == "" {
			return
		}
		_, err := s.holds.Release(ctx, sub.dispute, now)
		must(err)
		for _, it := range s.items {
			if it.sub == sub {
				it.held = false
			}
		}
		sub.dispute, sub.disputeAll = "", false
	default:
		t.Fatalf("unknown event %q", ev.what)
	}
	s.schedule(t, sub, now)
}

// setBilling mirrors the billing feed: fee issues opened and resolved. Fees
// place no hold (docs/POLICY.md "until resolved").
func (sub *simSub) setBilling(state models.BillingState, at time.Time) {
	resolve := func(kinds ...string) {
		for i := range sub.facts.FeeIssues {
			fi := &sub.facts.FeeIssues[i]
			if fi.ResolvedAt == nil && slices.Contains(kinds, string(fi.Kind)) {
				fi.ResolvedAt = &at
			}
		}
	}
	open := func(kind string) {
		for _, fi := range sub.facts.FeeIssues {
			if fi.ResolvedAt == nil && string(fi.Kind) == kind {
				return
			}
		}
		sub.facts.FeeIssues = append(sub.facts.FeeIssues, retention.FeeIssue{Kind: policy.Condition(kind), Since: at})
	}
	switch state {
	case models.BillingSettled:
		resolve("UNPAID_FEES", "OVERPAID_FEES")
		sub.billing = ""
	case models.BillingUnpaid:
		resolve("OVERPAID_FEES")
		open("UNPAID_FEES")
		sub.billing = state
	case models.BillingOverpaid:
		resolve("UNPAID_FEES")
		open("OVERPAID_FEES")
		sub.billing = state
	}
}

// record finds the model's record with an external id.
func (s *sim) record(ext string) *simItem {
	for _, it := range s.items {
		if it.ext == ext {
			return it
		}
	}
	return nil
}

// schedule recomputes the model's purge dates of a subscriber's items.
func (s *sim) schedule(t *testing.T, sub *simSub, now time.Time) {
	t.Helper()
	// The tax clause counts a terminated customer's listed fields from
	// their last fee record still held.
	sub.facts.LastFeeRecordAt = nil
	if sub.facts.TerminatedAt != nil {
		for _, it := range s.items {
			if it.sub == sub && it.typ == models.ItemRecord && (it.code == "BILLING" || it.code == "PAYMENT") &&
				(sub.facts.LastFeeRecordAt == nil || it.at.After(*sub.facts.LastFeeRecordAt)) {
				at := it.at
				sub.facts.LastFeeRecordAt = &at
			}
		}
	}
	for _, it := range s.items {
		if it.sub != sub {
			continue
		}
		ri := retention.Item{CollectedAt: it.at}
		if it.typ == models.ItemHolding {
			ri.Category = it.code
			if it.code == "optional.discount_certificate" {
				ri.ConsentWithdrawnAt = sub.withdrawnAt
			}
		} else {
			ri.RecordKind = it.code
		}
		a, err := s.engine.Assess(sub.facts, ri, now)
		if err != nil {
			t.Fatal(err)
		}
		it.purgeAfter, it.clause = a.PurgeAfter, a.Governing.Clause.Code
	}
}

func (it *simItem) isHeld() bool {
	return it.held || it.sub.disputeAll
}

// erasureKey is one line of what a run erased.
type erasureKey struct {
	sub, typ, code, clause string
}

// purgeAndCheck runs the day's purge and checks it against the model.
func (s *sim) purgeAndCheck(t *testing.T, day int, now time.Time) {
	t.Helper()
	ctx := context.Background()
	batch := 500
	if day%30 == 3 {
		batch = 3 // some days in small batches, resuming after held rows
	}
	rep, err := s.purge.Run(ctx, purge.Options{Actor: purge.SchedulerActor, BatchSize: batch})
	if err != nil {
		t.Fatalf("day %d: %v", day, err)
	}
	want := map[erasureKey]int64{}
	var wantErased, wantHeld int64
	kept := s.items[:0]
	for _, it := range s.items {
		due := it.purgeAfter != nil && !now.Before(*it.purgeAfter)
		switch {
		case due && it.isHeld():
			wantHeld++
		case due:
			wantErased++
			want[erasureKey{it.sub.id, string(it.typ), it.code, it.clause}]++
			continue
		}
		kept = append(kept, it)
	}
	s.items = kept
	s.erased += wantErased
	s.skipped += wantHeld
	s.moved += rep.MovedApart
	if rep.Erased != wantErased || rep.SkippedHeld != wantHeld {
		t.Errorf("day %d (%s): run erased %d and skipped %d held; the model says %d and %d", day, now.Format(time.DateOnly), rep.Erased, rep.SkippedHeld, wantErased, wantHeld)
	}
	if wantErased == 0 && rep.Erased == 0 {
		return
	}
	got := map[erasureKey]int64{}
	rows, err := s.db.SQL().QueryContext(ctx, "SELECT subscriber_id, item_type, code, clause, SUM(count) FROM erasures WHERE run_id = $1 GROUP BY subscriber_id, item_type, code, clause", rep.RunID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k erasureKey
		var n int64
		if err := rows.Scan(&k.sub, &k.typ, &k.code, &k.clause, &n); err != nil {
			t.Fatal(err)
		}
		got[k] = n
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("day %d (%s): erased (-model +run):\n%s", day, now.Format(time.DateOnly), diff)
	}
}

// checkAll compares every surviving row with the model.
func (s *sim) checkAll(t *testing.T, now time.Time) {
	t.Helper()
	ctx := context.Background()
	var want, got []string
	for _, it := range s.items {
		if it.typ == models.ItemHolding {
			want = append(want, it.sub.id+" "+it.code)
		} else {
			want = append(want, it.sub.id+" "+it.code+" "+it.ext)
		}
	}
	// In use or kept apart, each row in exactly one place: a row in both
	// would show twice, one lost not at all.
	for _, q := range []string{
		"SELECT subscriber_id || ' ' || category FROM holdings",
		"SELECT subscriber_id || ' ' || kind || ' ' || external_id FROM records",
		"SELECT subscriber_id || ' ' || category FROM " + apartTable(s.db, "holdings"),
		"SELECT subscriber_id || ' ' || kind || ' ' || external_id FROM " + apartTable(s.db, "records"),
	} {
		rows, err := s.db.SQL().QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			got = append(got, k)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: rows (-model +store):\n%s", now.Format(time.DateOnly), diff)
	}
}
