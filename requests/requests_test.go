package requests_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

func at(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 3, 0, 0, 0, time.UTC) }

type env struct {
	db   *store.DB
	clk  *clock.Manual
	feed *feed.Service
	inv  *inventory.Service
	reqs *requests.Service
	// audit is the trail every change is recorded in.
	audit *audit.Trail
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	a := apptest.On(t, db, at(2026, 11, 26))
	return &env{db: db, clk: a.Clock, inv: a.Inventory, feed: a.Feed, reqs: a.Requests, audit: a.Audit}
}

var (
	sub    = actor.Subscriber("sub-1")
	agent  = actor.Staff("agent-1", actor.RoleAgent)
	agent2 = actor.Staff("agent-2", actor.RoleAgent)
	admin  = actor.Staff("admin-1", actor.RoleAdmin)
)

// seed feeds sub-1: signed up 2020, a profile with an optional item, and
// records of several kinds; terminated if term is set, fees settled.
func (e *env) seed(t *testing.T, terminated bool) {
	t.Helper()
	ctx := context.Background()
	e.clk.Set(at(2026, 1, 1))
	if _, err := e.feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: "sub-1", Status: models.StatusActive, SignedUpAt: at(2020, 1, 15), Items: []feed.ItemInput{
		{Category: "applicant.name", Value: "홍길동"},
		{Category: "applicant.email", Value: "gildong@example.com"},
		{Category: "optional.discount_certificate", Value: "복지할인증명 제2024-117호"},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.feed.AppendRecords(ctx, "sub-1", []feed.RecordInput{
		{Kind: "PAYMENT", OccurredAt: at(2025, 6, 1), ExternalID: "pay-1"},
		{Kind: "USAGE", OccurredAt: at(2025, 6, 3), ExternalID: "use-1"},
		{Kind: "USAGE", OccurredAt: at(2025, 7, 3), ExternalID: "use-2"},
	}); err != nil {
		t.Fatal(err)
	}
	if terminated {
		if _, err := e.feed.Terminate(ctx, "sub-1", at(2026, 1, 1)); err != nil {
			t.Fatal(err)
		}
	}
	e.clk.Set(at(2026, 11, 26))
}

func file(t *testing.T, e *env, who actor.Actor, in requests.FileInput) *models.Request {
	t.Helper()
	f, err := e.reqs.File(context.Background(), who, in)
	if err != nil {
		t.Fatalf("file: %v", err)
	}
	return f.Request
}

func code(err error) string {
	if err == nil {
		return ""
	}
	c, _ := apperr.CodeOf(err)
	return string(c)
}

func TestFilingIsIdempotentAndHoldsTheScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.seed(t, false)
		in := requests.FileInput{Type: models.RequestDispute, Scope: requests.Scope{RecordKinds: []string{"PAYMENT"}}, Reason: "이 결제는 제가 한 것이 아닙니다", IdempotencyKey: "key-000001"}
		r1 := file(t, e, sub, in)
		if r1.Status != models.RequestSubmitted || r1.FiledByKind != models.FiledBySubscriber || !r1.DueAt.Equal(r1.FiledAt.Add(10*24*time.Hour)) {
			t.Errorf("filed = %+v", r1)
		}
		again, err := e.reqs.File(ctx, sub, in)
		if err != nil || again.Created || again.Request.ID != r1.ID {
			t.Errorf("retry = %+v, %v; want the same request", again, err)
		}
		in.Reason = "something else"
		if _, err := e.reqs.File(ctx, sub, in); code(err) != "CONFLICT" {
			t.Errorf("same key, other body: %v, want CONFLICT", err)
		}
		hs, err := db.ActiveHolds(ctx, "sub-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 1 || hs[0].SourceRef != r1.ID || hs[0].Reason != models.HoldDispute || len(hs[0].Items) != 1 {
			t.Fatalf("holds = %+v, want one dispute hold on the one payment record", hs)
		}
	})
}

func TestConcurrentFilingWithOneKeyCreatesOneRequest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.seed(t, false)
		in := requests.FileInput{Type: models.RequestDeletion, Scope: requests.Scope{Categories: []string{"applicant.email"}}, Reason: "delete my e-mail", IdempotencyKey: "same-key-1"}
		var wg sync.WaitGroup
		ids := make(chan string, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f, err := e.reqs.File(context.Background(), sub, in)
				if err != nil {
					t.Errorf("file: %v", err)
					return
				}
				ids <- f.Request.ID
			}()
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			seen[id] = true
		}
		if len(seen) != 1 {
			t.Errorf("%d distinct requests for one key, want 1", len(seen))
		}
	})
}

func TestBadFilingsAndActions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.seed(t, false)
		r := file(t, e, sub, requests.FileInput{Type: models.RequestDeletion, Scope: requests.Scope{All: true}, Reason: "delete everything", IdempotencyKey: "key-000002"})
		stranger := actor.Subscriber("sub-2")
		tests := []struct {
			name string
			do   func() error
			want string
		}{
			{"filing for someone else", func() error {
				_, err := e.reqs.File(ctx, sub, requests.FileInput{SubscriberID: "sub-2", Type: models.RequestDeletion, Scope: requests.Scope{All: true}, Reason: "x", IdempotencyKey: "key-000003"})
				return err
			}, "FORBIDDEN"},
			{"an unknown record in scope", func() error {
				_, err := e.reqs.File(ctx, sub, requests.FileInput{Type: models.RequestDispute, Scope: requests.Scope{RecordIDs: []int64{999999}}, Reason: "x", IdempotencyKey: "key-000004"})
				return err
			}, "BAD_USER_INPUT"},
			{"an unknown category in scope", func() error {
				_, err := e.reqs.File(ctx, sub, requests.FileInput{Type: models.RequestDeletion, Scope: requests.Scope{Categories: []string{"applicant.shoe_size"}}, Reason: "x", IdempotencyKey: "key-000005"})
				return err
			}, "BAD_USER_INPUT"},
			{"an empty scope", func() error {
				_, err := e.reqs.File(ctx, sub, requests.FileInput{Type: models.RequestDeletion, Reason: "x", IdempotencyKey: "key-000006"})
				return err
			}, "BAD_USER_INPUT"},
			{"no idempotency key", func() error {
				_, err := e.reqs.File(ctx, sub, requests.FileInput{Type: models.RequestDeletion, Scope: requests.Scope{All: true}, Reason: "x"})
				return err
			}, "BAD_USER_INPUT"},
			{"withdrawing someone else's request", func() error { _, err := e.reqs.Withdraw(ctx, stranger, r.ID); return err }, "NOT_FOUND"},
			{"reading someone else's request", func() error { _, err := e.reqs.Get(ctx, stranger, r.ID); return err }, "NOT_FOUND"},
			{"an agent reading an unassigned request", func() error { _, err := e.reqs.Get(ctx, agent, r.ID); return err }, "NOT_FOUND"},
			{"resolving without a reason code", func() error {
				_, err := e.reqs.Resolve(ctx, admin, r.ID, requests.ResolveInput{Resolution: models.ResolutionRejected, Text: "no"})
				return err
			}, "BAD_USER_INPUT"},
			{"resolving without a text", func() error {
				_, err := e.reqs.Resolve(ctx, admin, r.ID, requests.ResolveInput{Resolution: models.ResolutionRejected, ReasonCode: "NO"})
				return err
			}, "BAD_USER_INPUT"},
			{"an agent resolving a request not assigned to them", func() error {
				_, err := e.reqs.Resolve(ctx, agent, r.ID, requests.ResolveInput{Resolution: models.ResolutionRejected, ReasonCode: "NO", Text: "no"})
				return err
			}, "FORBIDDEN"},
			{"the subscriber resolving their own request", func() error {
				_, err := e.reqs.Resolve(ctx, sub, r.ID, requests.ResolveInput{Resolution: models.ResolutionApproved, ReasonCode: "OK", Text: "ok"})
				return err
			}, "FORBIDDEN"},
			{"an agent assigning to someone else", func() error { _, err := e.reqs.Assign(ctx, agent, r.ID, "agent-2"); return err }, "FORBIDDEN"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if got := code(tc.do()); got != tc.want {
					t.Errorf("code = %q, want %q", got, tc.want)
				}
			})
		}
		// None of that changed the request.
		got, err := e.reqs.Get(ctx, sub, r.ID)
		if err != nil || got.Version != r.Version || got.Status != models.RequestSubmitted {
			t.Errorf("request after refused actions = %+v, %v", got, err)
		}
	})
}

func TestTheDeskLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.seed(t, false)
		r := file(t, e, sub, requests.FileInput{Type: models.RequestDispute, Scope: requests.Scope{RecordKinds: []string{"USAGE"}}, Reason: "사용량이 이상합니다", IdempotencyKey: "key-000010"})
		must := func(_ *models.Request, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(e.reqs.Assign(ctx, agent, r.ID, agent.Subject))
		if _, err := e.reqs.Get(ctx, agent, r.ID); err != nil {
			t.Errorf("the assigned agent cannot read it: %v", err)
		}
		if ok, _ := e.reqs.Agency().MayActFor(ctx, agent.Subject, "sub-1"); !ok {
			t.Errorf("the assigned agent may not see the subscriber")
		}
		if ok, _ := e.reqs.Agency().MayActFor(ctx, agent2.Subject, "sub-1"); ok {
			t.Errorf("another agent may see the subscriber")
		}
		must(e.reqs.Comment(ctx, agent, r.ID, "확인 중: 내부 메모", true))
		must(e.reqs.Comment(ctx, agent, r.ID, "확인 중입니다", false))
		must(e.reqs.Comment(ctx, sub, r.ID, "감사합니다", true)) // a subscriber's comment is always visible
		// Only access may be postponed (영 42); a dispute is answered in 10 days.
		if _, err := e.reqs.Extend(ctx, agent, r.ID, "통신사 자료 확인에 시간이 필요합니다"); code(err) != "CONFLICT" {
			t.Errorf("extending a dispute: %v, want CONFLICT", err)
		}
		res, err := e.reqs.Resolve(ctx, agent, r.ID, requests.ResolveInput{Resolution: models.ResolutionRejected, ReasonCode: "USAGE_VERIFIED", Text: "사용 기록이 정확합니다"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != models.RequestResolved || *res.Resolution != models.ResolutionRejected || res.HowToObject == nil || *res.HowToObject == "" {
			t.Errorf("resolved = %+v", res)
		}
		if _, err := e.reqs.Resolve(ctx, admin, r.ID, requests.ResolveInput{Resolution: models.ResolutionApproved, ReasonCode: "X", Text: "x"}); code(err) != "CONFLICT" {
			t.Errorf("resolving a closed request: %v, want CONFLICT", err)
		}
		if _, err := e.reqs.Withdraw(ctx, sub, r.ID); code(err) != "CONFLICT" {
			t.Errorf("withdrawing a resolved request: %v, want CONFLICT", err)
		}
		if hs, _ := db.ActiveHolds(ctx, "sub-1"); len(hs) != 0 {
			t.Errorf("holds after resolution = %+v, want none", hs)
		}
		if ok, _ := e.reqs.Agency().MayActFor(ctx, agent.Subject, "sub-1"); ok {
			t.Errorf("the agent still sees the subscriber after the request closed")
		}
		kinds := func(withInternal bool) []string {
			evs, err := e.reqs.Events(ctx, []string{r.ID}, withInternal)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, ev := range evs[r.ID] {
				out = append(out, ev.Kind)
			}
			return out
		}
		if diff := cmp.Diff([]string{"FILED", "ASSIGNED", "COMMENTED", "COMMENTED", "RESOLVED"}, kinds(false)); diff != "" {
			t.Errorf("events the subscriber sees (-want +got):\n%s", diff)
		}
		if n := len(kinds(true)); n != 6 {
			t.Errorf("staff see %d events, want 6", n)
		}
		// Every change is an audit event, and the chain verifies.
		trail := e.audit
		rep, err := trail.Verify(ctx, 0, 0)
		if err != nil || !rep.OK() {
			t.Fatalf("audit chain: %+v, %v", rep, err)
		}
		if rep.Checked != 8 {
			t.Errorf("audit events = %d, want 8: the feed's upsert and append, then file, assign, 3 comments, resolve", rep.Checked)
		}
	})
}

func TestTwoAgentsResolvingAtOnceOneWins(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.seed(t, true)
		ctx := context.Background()
		r := file(t, e, sub, requests.FileInput{Type: models.RequestDeletion, Scope: requests.Scope{All: true}, Reason: "delete all", IdempotencyKey: "key-000020"})
		if _, err := e.reqs.Assign(ctx, admin, r.ID, agent.Subject); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, who := range []actor.Actor{agent, admin} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.reqs.Resolve(ctx, who, r.ID, requests.ResolveInput{Resolution: models.ResolutionApproved, ReasonCode: "OK", Text: fmt.Sprintf("resolved by %s", who.Subject)})
			}()
		}
		wg.Wait()
		wins, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, apperr.ErrConflict):
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if wins != 1 || conflicts != 1 {
			t.Fatalf("wins %d, conflicts %d; want one of each (%v)", wins, conflicts, errs)
		}
		outs, _ := e.reqs.Outcomes(ctx, []string{r.ID})
		n := 0
		for _, o := range outs[r.ID] {
			if o.ItemType != "CONSENT" {
				n++
			}
		}
		if n != 6 {
			t.Errorf("%d item outcomes, want 6: recorded once", n)
		}
	})
}

type outcome struct{ Outcome, Clause, Until string }

func outcomesOf(t *testing.T, e *env, id string) map[string]outcome {
	t.Helper()
	outs, err := e.reqs.Outcomes(context.Background(), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]outcome{}
	for _, o := range outs[id] {
		k := o.Category
		switch o.ItemType {
		case "RECORD":
			k += "#" + o.ItemRef
		case "CONSENT":
			k = "consent:" + k
		}
		v := outcome{Outcome: o.Outcome}
		if o.Clause != nil {
			v.Clause = *o.Clause
		}
		if o.UntilAt != nil {
			// The last day kept: the stored end is the first instant the
			// item may go (midnight KST after it).
			v.Until = models.DateOf(o.UntilAt.Add(-time.Nanosecond)).String()
		}
		m[k] = v
	}
	return m
}

// A deletion answers item by item: erased now, or kept under the law that
// keeps it until its date, or held by a dispute.
func TestDeletionOutcomesItemByItem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.seed(t, true) // terminated 2026-01-01, fees settled: post-termination ended 2026-07-01
		// A dispute about one usage record, still open.
		keys, _ := db.RecordKeys(ctx, "sub-1", 0, 10)
		var use2 int64
		for _, k := range keys {
			if k.Kind == "USAGE" && k.OccurredAt.Equal(at(2025, 7, 3)) {
				use2 = k.ID
			}
		}
		file(t, e, sub, requests.FileInput{Type: models.RequestDispute, Scope: requests.Scope{RecordIDs: []int64{use2}}, Reason: "이 사용 기록은 틀렸습니다", IdempotencyKey: "key-000030"})

		del := file(t, e, sub, requests.FileInput{Type: models.RequestDeletion, Scope: requests.Scope{All: true}, Reason: "모두 삭제해 주세요", IdempotencyKey: "key-000031"})
		if _, err := e.reqs.Assign(ctx, agent, del.ID, agent.Subject); err != nil {
			t.Fatal(err)
		}
		res, err := e.reqs.Resolve(ctx, agent, del.ID, requests.ResolveInput{Resolution: models.ResolutionApproved, ReasonCode: "DELETED", Text: "삭제했습니다"})
		if err != nil {
			t.Fatal(err)
		}
		if *res.Resolution != models.ResolutionPartiallyApproved {
			t.Errorf("resolution = %s, want PARTIALLY_APPROVED: the law kept part of it", *res.Resolution)
		}
		got := outcomesOf(t, e, del.ID)
		var use1 int64
		var pay int64
		for _, k := range keys {
			switch {
			case k.Kind == "USAGE" && k.ID != use2:
				use1 = k.ID
			case k.Kind == "PAYMENT":
				pay = k.ID
			}
		}
		want := map[string]outcome{
			// Tax: the last fee record is the payment of 2025-06-01. Its VAT
			// return (first half of 2025) was due 2025-07-25, a Friday; its
			// corporate tax return (fiscal 2025) 2026-03-31, a Tuesday. The
			// later governs: five years from 2026-04-01, through 2031-03-31,
			// for the payment and for the name of the terminated customer.
			"applicant.name":                {Outcome: "RETAINED", Clause: "TAX_RECORDS", Until: "2031-03-31"},
			"applicant.email":               {Outcome: "ERASED", Clause: "POST_TERMINATION"},
			"optional.discount_certificate": {Outcome: "ERASED", Clause: "POST_TERMINATION"},
			fmt.Sprintf("PAYMENT#%d", pay):  {Outcome: "RETAINED", Clause: "TAX_RECORDS", Until: "2031-03-31"},
			fmt.Sprintf("USAGE#%d", use1):   {Outcome: "ERASED", Clause: "POST_TERMINATION"},
			fmt.Sprintf("USAGE#%d", use2):   {Outcome: "HELD"},
		}
		for _, topic := range []string{"optional.number_info_service", "optional.discount_certificate", "marketing.sms", "marketing.email", "marketing.phone", "marketing.push", "marketing.night"} {
			want["consent:"+topic] = outcome{Outcome: "WITHDRAWN"}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
		hs, _ := db.ListHoldings(ctx, "sub-1")
		if len(hs) != 1 || hs[0].Category != "applicant.name" {
			t.Errorf("holdings left = %d, want only the name the tax law keeps", len(hs))
		}
	})
}

func TestDeletionKeepsWhatARunningContractNeeds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.seed(t, false)
		del := file(t, e, sub, requests.FileInput{Type: models.RequestDeletion, Scope: requests.Scope{Categories: []string{"applicant.email", "optional.discount_certificate"}}, Reason: "지워 주세요", IdempotencyKey: "key-000040"})
		if _, err := e.reqs.Assign(ctx, admin, del.ID, admin.Subject); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reqs.Resolve(ctx, admin, del.ID, requests.ResolveInput{Resolution: models.ResolutionApproved, ReasonCode: "DONE", Text: "처리했습니다"}); err != nil {
			t.Fatal(err)
		}
		got := outcomesOf(t, e, del.ID)
		want := map[string]outcome{
			"applicant.email":                       {Outcome: "RETAINED", Clause: "SERVICE_PERIOD"},
			"optional.discount_certificate":         {Outcome: "ERASED", Clause: "SERVICE_PERIOD"},
			"consent:optional.discount_certificate": {Outcome: "WITHDRAWN"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
		hs, _ := db.ListHoldings(ctx, "sub-1")
		for _, h := range hs {
			if h.Category == "optional.discount_certificate" {
				t.Errorf("the optional item survived its deletion")
			}
		}
	})
}

func TestAccessRequestCompletesWithAnExport(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.seed(t, false)
		r := file(t, e, sub, requests.FileInput{Type: models.RequestAccess, IdempotencyKey: "key-000050"})
		if r.Status != models.RequestResolved || *r.Resolution != models.ResolutionApproved {
			t.Fatalf("access request = %+v, want resolved at once", r)
		}
		ex, err := e.reqs.Export(ctx, sub, r)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Format   string
			Holdings []struct{ Code, Value string }
			Records  []struct{ Code string }
			Requests []struct{ ID string }
		}
		if err := json.Unmarshal(ex.Payload, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Format != requests.ExportFormat || len(doc.Holdings) != 3 || len(doc.Records) != 3 || len(doc.Requests) != 1 {
			t.Errorf("export = %+v", doc)
		}
		// The subscriber's own data, in the clear (법 35).
		clear := map[string]bool{}
		for _, h := range doc.Holdings {
			clear[h.Value] = true
		}
		if !clear["홍길동"] || !clear["gildong@example.com"] {
			t.Errorf("export values = %+v, want them in the clear", doc.Holdings)
		}
		for _, who := range []actor.Actor{actor.Subscriber("sub-2"), agent, admin} {
			if _, err := e.reqs.Export(ctx, who, r); !errors.Is(err, requests.ErrNoExport) {
				t.Errorf("download by %+v: %v, want ErrNoExport", who, err)
			}
		}
		e.clk.Advance(requests.ExportTTL + time.Hour)
		if _, err := e.reqs.Export(ctx, sub, r); !errors.Is(err, requests.ErrNoExport) {
			t.Errorf("expired download: %v, want ErrNoExport", err)
		}
		if n, err := e.reqs.PruneExports(ctx); err != nil || n != 1 {
			t.Errorf("pruned %d exports, %v; want the expired one", n, err)
		}
		if _, err := db.GetExport(ctx, r.ID); !apperr.IsNotFound(err) {
			t.Errorf("the expired export is still stored: %v", err)
		}
	})
}

// A deletion's intent survives its holds: the usage record a dispute held
// when the deletion was decided is erased when the dispute ends, the
// outcome says so and the subscriber is told (issue 12, finding 5).
func TestADeletionPausedByADisputeIsCarriedOutWhenItEnds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.seed(t, true)
		keys, _ := db.RecordKeys(ctx, "sub-1", 0, 10)
		var use2 int64
		for _, k := range keys {
			if k.Kind == "USAGE" && k.OccurredAt.Equal(at(2025, 7, 3)) {
				use2 = k.ID
			}
		}
		dispute := file(t, e, sub, requests.FileInput{Type: models.RequestDispute, Scope: requests.Scope{RecordIDs: []int64{use2}}, Reason: "이 사용 기록은 틀렸습니다", IdempotencyKey: "key-000070"})
		del := file(t, e, sub, requests.FileInput{Type: models.RequestDeletion, Scope: requests.Scope{All: true}, Reason: "모두 삭제해 주세요", IdempotencyKey: "key-000071"})
		for _, id := range []string{dispute.ID, del.ID} {
			if _, err := e.reqs.Assign(ctx, agent, id, agent.Subject); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.reqs.Resolve(ctx, agent, del.ID, requests.ResolveInput{Resolution: models.ResolutionApproved, ReasonCode: "DELETED", Text: "삭제했습니다"}); err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("USAGE#%d", use2)
		if got := outcomesOf(t, e, del.ID)[key]; got.Outcome != "HELD" {
			t.Fatalf("while the dispute is open: %+v, want HELD", got)
		}
		e.clk.Set(at(2026, 11, 28))
		if _, err := e.reqs.Resolve(ctx, agent, dispute.ID, requests.ResolveInput{Resolution: models.ResolutionRejected, ReasonCode: "CORRECT", Text: "기록이 맞습니다"}); err != nil {
			t.Fatal(err)
		}
		if got, want := outcomesOf(t, e, del.ID)[key], (outcome{Outcome: "ERASED", Clause: "POST_TERMINATION"}); got != want {
			t.Errorf("after the dispute: %+v, want %+v", got, want)
		}
		keys, _ = db.RecordKeys(ctx, "sub-1", 0, 10)
		for _, k := range keys {
			if k.ID == use2 {
				t.Errorf("the usage record survived the end of the dispute")
			}
		}
		var n int
		if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox WHERE kind = '"+requests.NoticeOutcomes+"' AND subscriber_id = 'sub-1'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d outcome notices, want 1", n)
		}
	})
}

// Fee records are kept under the tax law whatever the subscriber's status:
// a deletion by an active subscriber refuses them, citing the law, until
// the date it gives (issue 12, finding 3).
func TestADeletionKeepsAnActiveSubscribersFeeRecords(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.seed(t, false)
		if _, err := e.feed.AppendRecords(ctx, "sub-1", []feed.RecordInput{{Kind: "BILLING", OccurredAt: at(2025, 12, 20), ExternalID: "bill-1"}}); err != nil {
			t.Fatal(err)
		}
		del := file(t, e, sub, requests.FileInput{Type: models.RequestDeletion, Scope: requests.Scope{RecordKinds: []string{"BILLING", "PAYMENT", "USAGE"}}, Reason: "기록을 삭제해 주세요", IdempotencyKey: "key-000080"})
		if _, err := e.reqs.Assign(ctx, agent, del.ID, agent.Subject); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reqs.Resolve(ctx, agent, del.ID, requests.ResolveInput{Resolution: models.ResolutionApproved, ReasonCode: "DELETED", Text: "삭제했습니다"}); err != nil {
			t.Fatal(err)
		}
		// The bill of 2025-12-20: VAT (second half of 2025) due
		// 2026-01-25, a Sunday, moved to 01-26; corporate tax (fiscal 2025)
		// 2026-03-31, a Tuesday: kept through 2031-03-31. The payment of
		// 2025-06-01 falls under the same corporate tax return.
		got := outcomesOf(t, e, del.ID)
		for k, o := range got {
			switch {
			case strings.HasPrefix(k, "BILLING#"), strings.HasPrefix(k, "PAYMENT#"):
				if o != (outcome{Outcome: "RETAINED", Clause: "TAX_RECORDS", Until: "2031-03-31"}) {
					t.Errorf("%s: %+v, want retained under the tax law through 2031-03-31", k, o)
				}
			case strings.HasPrefix(k, "USAGE#"):
				// The subscription still runs, but usage records are not
				// required items: erased.
				if o.Outcome != "ERASED" {
					t.Errorf("%s: %+v, want erased", k, o)
				}
			}
		}
		keys, _ := db.RecordKeys(ctx, "sub-1", 0, 10)
		kinds := map[string]int{}
		for _, k := range keys {
			kinds[k.Kind]++
		}
		if kinds["BILLING"] != 1 || kinds["PAYMENT"] != 1 || kinds["USAGE"] != 0 {
			t.Errorf("records left %v, want the bill and the payment only", kinds)
		}
	})
}

// A fee dispute stops the post-termination clock until it is resolved.
func TestFeeDisputeStopsThePostTerminationClock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.seed(t, false)
		e.clk.Set(at(2026, 3, 1))
		if _, err := e.feed.Terminate(ctx, "sub-1", at(2026, 3, 1)); err != nil {
			t.Fatal(err)
		}
		e.clk.Set(at(2026, 5, 1))
		r := file(t, e, sub, requests.FileInput{Type: models.RequestDispute, FeeRelated: true, Scope: requests.Scope{RecordKinds: []string{"PAYMENT"}}, Reason: "마지막 달 요금이 잘못되었습니다", IdempotencyKey: "key-000060"})
		emailDate := func() *time.Time {
			hs, _ := db.ListHoldings(ctx, "sub-1")
			for _, h := range hs {
				if h.Category == "applicant.email" {
					return h.PurgeAfter
				}
			}
			t.Fatal("no email")
			return nil
		}
		if d := emailDate(); d != nil {
			t.Errorf("e-mail purge date during a fee dispute = %v, want none (until resolved)", d)
		}
		e.clk.Set(at(2026, 12, 10))
		if _, err := e.reqs.Assign(ctx, admin, r.ID, admin.Subject); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reqs.Resolve(ctx, admin, r.ID, requests.ResolveInput{Resolution: models.ResolutionApproved, ReasonCode: "REFUNDED", Text: "환불했습니다"}); err != nil {
			t.Fatal(err)
		}
		// Kept through the day of resolution: erasable from the next
		// midnight in Korea.
		if d := emailDate(); d == nil || !d.Equal(time.Date(2026, 12, 11, 0, 0, 0, 0, clock.KST)) {
			t.Errorf("e-mail purge date after the dispute = %v, want 2026-12-11 00:00 KST (kept through the resolution day, past termination + 6 months)", d)
		}
	})
}

func TestEveryStatusChangeQueuesANotice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.seed(t, false)
		r := file(t, e, sub, requests.FileInput{Type: models.RequestDispute, Scope: requests.Scope{RecordKinds: []string{"USAGE"}}, Reason: "이상합니다", IdempotencyKey: "key-000070"})
		if _, err := e.reqs.Assign(ctx, admin, r.ID, admin.Subject); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reqs.Comment(ctx, admin, r.ID, "내부 메모", true); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reqs.Resolve(ctx, admin, r.ID, requests.ResolveInput{Resolution: models.ResolutionRejected, ReasonCode: "OK", Text: "정상입니다"}); err != nil {
			t.Fatal(err)
		}
		var events []string
		rows, err := db.SQL().QueryContext(ctx, "SELECT payload FROM outbox WHERE kind = 'REQUEST_STATUS' ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				t.Fatal(err)
			}
			var n struct{ Event, RequestID string }
			if err := json.Unmarshal([]byte(p), &n); err != nil || n.RequestID != r.ID {
				t.Fatalf("notice %s: %v", p, err)
			}
			events = append(events, n.Event)
		}
		if diff := cmp.Diff([]string{"FILED", "ASSIGNED", "RESOLVED"}, events); diff != "" {
			t.Errorf("notices (-want +got):\n%s", diff)
		}
	})
}

// The default answer on how to object invents no time limit: PIPA sets
// none (issue 12, finding 7).
func TestDefaultObjectionInventsNoTimeLimit(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"90", "일 이내", "within"} {
		if strings.Contains(requests.DefaultHowToObject, s) {
			t.Errorf("DefaultHowToObject says %q: %s", s, requests.DefaultHowToObject)
		}
	}
}
