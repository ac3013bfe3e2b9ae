package transmit_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/retention"
	"github.com/xroshot/portal/transmit"
)

// The domain rules of transmission requests (법 35조의2), through the
// service's own API on both stores; apitest covers the same through
// GraphQL.

func kst(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 3, 0, 0, 0, time.UTC) }

var admin = actor.With(context.Background(), actor.Staff("admin-1", actor.RoleAdmin))

// gateway is a recipient on a loopback TLS server: it answers each post
// with answer(n), n counting posts from 1, and records the webhook-id and
// answer of each.
type gateway struct {
	srv    *httptest.Server
	secret string
	answer func(n int) int
	mu     sync.Mutex
	posts  []post
}

type post struct {
	ID     string
	Status int
}

func newGateway(t *testing.T, answer func(n int) int) *gateway {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	g := &gateway{secret: "whsec_" + base64.StdEncoding.EncodeToString(key), answer: answer}
	g.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		n := len(g.posts) + 1
		code := g.answer(n)
		g.posts = append(g.posts, post{ID: r.Header.Get("webhook-id"), Status: code})
		g.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) received() []post {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]post(nil), g.posts...)
}

// admit admits a recipient at the gateway for the codes.
func admit(t *testing.T, e *apptest.Env, g *gateway, name string, codes ...string) string {
	t.Helper()
	rc, err := e.Transmit.SaveRecipient(admin, "", transmit.RecipientInput{Name: name, Endpoint: g.srv.URL + "/inbox", Secret: g.secret, Categories: codes})
	if err != nil {
		t.Fatal(err)
	}
	return rc.ID
}

// subscriber feeds an active subscriber with profile items and records.
func subscriber(t *testing.T, e *apptest.Env, id string) actor.Actor {
	t.Helper()
	ctx := context.Background()
	if _, err := e.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: id, Status: models.StatusActive, SignedUpAt: kst(2022, 5, 2), BirthDate: new("1988-04-17"),
		Items: []feed.ItemInput{
			{Category: "applicant.name", Value: "김민준"},
			{Category: "applicant.email", Value: "minjun@example.com"},
		}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Feed.AppendRecords(ctx, id, []feed.RecordInput{
		{Kind: "USAGE", OccurredAt: kst(2026, 11, 20), ExternalID: "u-1", Summary: "데이터 1.2GB"},
		{Kind: "PAYMENT", OccurredAt: kst(2026, 11, 21), ExternalID: "p-1", Summary: "카드 결제 33,000원"},
	}); err != nil {
		t.Fatal(err)
	}
	return actor.Subscriber(id)
}

// as is a request by who, as the HTTP edge makes it: the audit trail
// records its actor from the context.
func as(who actor.Actor) context.Context { return actor.With(context.Background(), who) }

func newWorker(t *testing.T, e *apptest.Env, g *gateway, batch int) *transmit.Worker {
	t.Helper()
	w, err := transmit.NewWorker(e.Transmit, transmit.WorkerConfig{Client: g.srv.Client(), BatchSize: batch,
		BaseDelay: time.Minute, MaxDelay: 10 * time.Minute, MaxAttempts: 3, Jitter: func() float64 { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func pass(t *testing.T, w *transmit.Worker) transmit.Report {
	t.Helper()
	rep, err := w.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func wantBadInput(t *testing.T, err error, field string) {
	t.Helper()
	if code, _ := apperr.CodeOf(err); code != apperr.CodeBadUserInput || apperr.FieldOf(err) != field {
		t.Errorf("error = %v (code %s, field %q), want BAD_USER_INPUT on %q", err, code, apperr.FieldOf(err), field)
	}
}

// Filing refuses what the law or the registry does not allow, naming the
// field at fault, and files nothing; the same input made valid is filed.
func TestFilingRefusesBadInputNamingTheField(t *testing.T) {
	t.Parallel()
	apptest.Each(t, time.Time{}, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		g := newGateway(t, func(int) int { return http.StatusOK })
		who := subscriber(t, e, "tx-1")
		rid := admit(t, e, g, "수신자", "applicant.name", "USAGE")
		suspended := admit(t, e, g, "정지된 수신자", "applicant.name")
		if _, err := e.Transmit.SetRecipientStatus(admin, suspended, models.RecipientSuspended); err != nil {
			t.Fatal(err)
		}

		// Terminated over six months ago with a fee record: the tax clause
		// alone keeps the name.
		term := kst(2025, 9, 30)
		if _, err := e.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: "tx-2", Status: models.StatusTerminated, SignedUpAt: kst(2020, 1, 2), TerminatedAt: &term, BirthDate: new("1970-01-01"),
			Items: []feed.ItemInput{{Category: "applicant.name", Value: "이서연"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Feed.AppendRecords(ctx, "tx-2", []feed.RecordInput{{Kind: "BILLING", OccurredAt: term, ExternalID: "b-1", Summary: "청구 33,000원"}}); err != nil {
			t.Fatal(err)
		}
		subj, err := e.Inventory.Load(ctx, "tx-2")
		if err != nil {
			t.Fatal(err)
		}
		hs, err := e.Inventory.Holdings(ctx, subj, inventory.HoldingFilter{})
		if err != nil || len(hs) != 1 || hs[0].Assessment.State != retention.StateRetainedByStatute {
			t.Fatalf("setup: holdings of tx-2 = %+v, %v; want applicant.name RETAINED_BY_STATUTE", hs, err)
		}

		valid := func() transmit.FileInput {
			return transmit.FileInput{Destination: models.DestinationRecipient, RecipientID: rid, Schedule: models.ScheduleOnce,
				Categories: []string{"applicant.name"}, IdempotencyKey: "bad-input-key"}
		}
		for _, tc := range []struct {
			name, field string
			who         actor.Actor
			mut         func(*transmit.FileInput)
		}{
			{"unknown recipient", "input.recipientId", who, func(in *transmit.FileInput) { in.RecipientID = "no-such" }},
			{"suspended recipient", "input.recipientId", who, func(in *transmit.FileInput) { in.RecipientID = suspended }},
			{"category the recipient may not receive", "input.scope.categories", who, func(in *transmit.FileInput) { in.Categories = []string{"applicant.email"} }},
			{"record kind the recipient may not receive", "input.scope.recordKinds", who, func(in *transmit.FileInput) {
				in.Categories, in.RecordKinds = nil, []string{"PAYMENT"}
			}},
			{"record kind never transmissible", "input.scope.recordKinds", who, func(in *transmit.FileInput) {
				in.Categories, in.RecordKinds = nil, []string{"MESSAGE_CONTENT"}
			}},
			{"no scope", "input.scope", who, func(in *transmit.FileInput) { in.Categories = nil }},
			{"period ending before it starts", "input.until", who, func(in *transmit.FileInput) {
				starts, until := kst(2026, 12, 1), kst(2026, 11, 30)
				in.Schedule, in.StartsAt, in.Until = models.ScheduleMonthly, &starts, &until
			}},
			{"monthly without an end", "input.until", who, func(in *transmit.FileInput) { in.Schedule = models.ScheduleMonthly }},
			{"statute-kept only", "input.scope.categories", actor.Subscriber("tx-2"), func(in *transmit.FileInput) {
				in.Destination, in.RecipientID = models.DestinationSelf, ""
			}},
		} {
			in := valid()
			// A key of its own, so that one wrongly filed does not answer the next.
			in.IdempotencyKey = "bad-input-" + tc.name
			tc.mut(&in)
			r, err := e.Transmit.File(as(tc.who), tc.who, in)
			if r != nil {
				t.Errorf("%s: filed %+v", tc.name, r)
			}
			wantBadInput(t, err, tc.field)
		}
		for _, id := range []string{"tx-1", "tx-2"} {
			if rs, err := e.Transmit.List(ctx, id); err != nil || len(rs) != 0 {
				t.Errorf("requests of %s after refusals: %d, %v; want none", id, len(rs), err)
			}
		}

		// An endpoint that is not https is refused at admission.
		_, err = e.Transmit.SaveRecipient(admin, "", transmit.RecipientInput{Name: "평문", Endpoint: "http://example.com/inbox", Secret: g.secret, Categories: []string{"applicant.name"}})
		wantBadInput(t, err, "input.endpoint")

		r, err := e.Transmit.File(as(who), who, valid())
		if err != nil || r.Status != models.TransmissionActive || r.RecipientID == nil || *r.RecipientID != rid {
			t.Fatalf("valid filing: %+v, %v", r, err)
		}
	})
}

// Withdrawing a monthly request stops what is to come at once: the
// delivery being retried is cancelled, no further period is made, and the
// recipient is posted nothing more.
func TestWithdrawalStopsFutureDeliveries(t *testing.T) {
	t.Parallel()
	apptest.Each(t, time.Time{}, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		// The first period is delivered; every later post fails.
		g := newGateway(t, func(n int) int {
			if n == 1 {
				return http.StatusOK
			}
			return http.StatusServiceUnavailable
		})
		who := subscriber(t, e, "tx-3")
		rid := admit(t, e, g, "수신자", "applicant.name", "USAGE")
		until := e.Clock.Now().AddDate(0, 6, 0)
		r, err := e.Transmit.File(as(who), who, transmit.FileInput{Destination: models.DestinationRecipient, RecipientID: rid, Schedule: models.ScheduleMonthly,
			Categories: []string{"applicant.name"}, RecordKinds: []string{"USAGE"}, Until: &until, IdempotencyKey: "withdraw-key"})
		if err != nil {
			t.Fatal(err)
		}
		w := newWorker(t, e, g, 0)
		if rep := pass(t, w); rep.Scheduled != 1 || rep.Delivered != 1 {
			t.Fatalf("first month: %+v", rep)
		}
		e.Clock.Advance(31 * 24 * time.Hour)
		if rep := pass(t, w); rep.Scheduled != 1 || rep.Retried != 1 {
			t.Fatalf("second month: %+v", rep)
		}

		// Someone else cannot withdraw it.
		other := subscriber(t, e, "tx-4")
		if _, err := e.Transmit.Withdraw(as(other), other, r.ID); !apperr.IsNotFound(err) {
			t.Errorf("another subscriber's withdrawal: %v, want NOT_FOUND", err)
		}
		got, err := e.Transmit.Withdraw(as(who), who, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != models.TransmissionWithdrawn || got.NextDeliveryAt != nil || got.WithdrawnAt == nil {
			t.Errorf("withdrawn request: status %s, next %v, withdrawn %v", got.Status, got.NextDeliveryAt, got.WithdrawnAt)
		}
		ds, err := e.Transmit.Deliveries(ctx, "tx-3", []string{r.ID})
		if err != nil {
			t.Fatal(err)
		}
		var statuses []models.DeliveryStatus
		for _, d := range ds[r.ID] {
			statuses = append(statuses, d.Status)
			if d.Status == models.DeliveryCancelled && len(d.PayloadCipher) != 0 {
				t.Errorf("cancelled delivery %d keeps its payload", d.Sequence)
			}
		}
		if len(statuses) != 2 || !slices.Contains(statuses, models.DeliveryDone) || !slices.Contains(statuses, models.DeliveryCancelled) {
			t.Errorf("deliveries after withdrawal: %v, want one DELIVERED and one CANCELLED", statuses)
		}
		if _, err := e.Transmit.Withdraw(as(who), who, r.ID); !apperr.IsConflict(err) {
			t.Errorf("second withdrawal: %v, want CONFLICT", err)
		}

		// Past the retry and two more months: nothing is made or posted.
		before := len(g.received())
		for range 3 {
			e.Clock.Advance(31 * 24 * time.Hour)
			if rep := pass(t, w); rep.Scheduled+rep.Delivered+rep.Retried+rep.Failed != 0 {
				t.Errorf("pass after withdrawal: %+v", rep)
			}
		}
		if n := len(g.received()); n != before {
			t.Errorf("recipient posted %d times after withdrawal", n-before)
		}
	})
}

// Two workers passing at once, as on two replicas, deliver each delivery
// once under its one id: a post that fails is retried under the same
// webhook-id, and nothing delivered is posted again.
func TestWorkersDeliverEachIDOnce(t *testing.T) {
	t.Parallel()
	apptest.Each(t, time.Time{}, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		// The first post of all fails; the rest are accepted.
		g := newGateway(t, func(n int) int {
			if n == 1 {
				return http.StatusBadGateway
			}
			return http.StatusOK
		})
		rid := admit(t, e, g, "수신자", "applicant.name")
		const n = 8
		for i := range n {
			id := "tw-" + strconv.Itoa(i)
			who := subscriber(t, e, id)
			if _, err := e.Transmit.File(as(who), who, transmit.FileInput{Destination: models.DestinationRecipient, RecipientID: rid,
				Schedule: models.ScheduleOnce, Categories: []string{"applicant.name"}, IdempotencyKey: "two-workers-" + id}); err != nil {
				t.Fatal(err)
			}
		}
		// Batches of two, so the workers' claims interleave.
		ws := []*transmit.Worker{newWorker(t, e, g, 2), newWorker(t, e, g, 2)}
		run := func() transmit.Report {
			var wg sync.WaitGroup
			reps, errs := make([]transmit.Report, len(ws)), make([]error, len(ws))
			for i, w := range ws {
				wg.Go(func() { reps[i], errs[i] = w.RunOnce(ctx) })
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			return transmit.Report{Scheduled: reps[0].Scheduled + reps[1].Scheduled, Delivered: reps[0].Delivered + reps[1].Delivered,
				Retried: reps[0].Retried + reps[1].Retried, Completed: reps[0].Completed + reps[1].Completed}
		}
		if rep := run(); rep.Scheduled != n || rep.Delivered != n-1 || rep.Retried != 1 {
			t.Fatalf("first passes: %+v, want %d scheduled, %d delivered, 1 retried", rep, n, n-1)
		}
		e.Clock.Advance(time.Minute)
		if rep := run(); rep.Scheduled != 0 || rep.Delivered != 1 {
			t.Fatalf("after the backoff: %+v, want the retried one delivered", rep)
		}
		e.Clock.Advance(time.Hour)
		if rep := run(); rep.Scheduled+rep.Delivered+rep.Retried != 0 {
			t.Fatalf("later passes: %+v, want nothing", rep)
		}

		posts, accepted := map[string]int{}, map[string]int{}
		for _, p := range g.received() {
			if p.ID == "" {
				t.Fatal("a post without webhook-id")
			}
			posts[p.ID]++
			if p.Status == http.StatusOK {
				accepted[p.ID]++
			}
		}
		if len(posts) != n || len(accepted) != n {
			t.Fatalf("recipient saw %d ids, accepted %d; want %d each", len(posts), len(accepted), n)
		}
		retried := 0
		for id, k := range accepted {
			if k != 1 {
				t.Errorf("delivery %s accepted %d times", id, k)
			}
			if posts[id] == 2 {
				retried++
			} else if posts[id] != 1 {
				t.Errorf("delivery %s posted %d times", id, posts[id])
			}
		}
		if retried != 1 {
			t.Errorf("%d deliveries posted twice, want the one refused once", retried)
		}
	})
}
