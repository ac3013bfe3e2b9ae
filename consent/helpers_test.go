package consent_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/store"
)

// start is noon in Korea on a Thursday, far from any date boundary.
var start = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

// env is the consent service over a fresh embedded store, with a clock the
// test moves.
type env struct {
	db      *store.DB
	clock   *clock.Manual
	cat     *policy.Catalog
	inv     *inventory.Service
	feed    *feed.Service
	consent *consent.Service
}

func newEnv(t *testing.T, dialect string) *env {
	t.Helper()
	a := apptest.New(t, dialect, start)
	return &env{db: a.DB, clock: a.Clock, cat: a.Catalog, inv: a.Inventory, feed: a.Feed, consent: a.Consent}
}

// eachStore runs test in parallel once per store, each with a fresh env.
func eachStore(t *testing.T, test func(t *testing.T, e *env)) {
	t.Helper()
	t.Parallel()
	for _, d := range apptest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			test(t, newEnv(t, d))
		})
	}
}

// adult feeds an active adult subscriber holding both optional items.
func (e *env) adult(t *testing.T, id string) {
	t.Helper()
	e.subscriber(t, feed.SubscriberInput{ID: id, BirthDate: new("1988-04-17")})
}

// minor feeds a ten-year-old whose recorded guardian is guardianID.
func (e *env) minor(t *testing.T, id, guardianID string) {
	t.Helper()
	birth := start.AddDate(-10, 0, 0).Format(time.DateOnly)
	e.subscriber(t, feed.SubscriberInput{ID: id, BirthDate: &birth, GuardianID: &guardianID})
}

func (e *env) subscriber(t *testing.T, in feed.SubscriberInput) {
	t.Helper()
	in.Status = models.StatusActive
	in.SignedUpAt = start.AddDate(-3, 0, 0)
	in.Items = []feed.ItemInput{
		{Category: "applicant.name", Value: "김민준"},
		{Category: "applicant.phone", Value: "010-2345-6789"},
		{Category: "optional.discount_certificate", Value: "복지할인증명 제2024-117호"},
		{Category: "optional.number_info_service", Value: "번호안내 등록"},
	}
	if _, err := e.feed.UpsertSubscriber(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

// set asks for one change as the subscriber themselves, on the web.
func (e *env) set(t *testing.T, sub, topic string, granted bool) consent.Outcome {
	t.Helper()
	res, err := e.consent.Set(context.Background(), self(sub), consent.Request{Changes: []consent.Change{{Topic: topic, Granted: granted}}})
	if err != nil {
		t.Fatalf("set %s=%v for %s: %v", topic, granted, sub, err)
	}
	return res.Outcomes[0]
}

// current returns where each topic stands for sub, by topic code.
func (e *env) current(t *testing.T, sub string) map[string]consent.Consent {
	t.Helper()
	cs, err := e.consent.Current(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]consent.Consent{}
	for _, c := range cs {
		out[c.Topic.Code] = c
	}
	return out
}

// history returns every event of sub, oldest first.
func (e *env) history(t *testing.T, sub string) []*models.ConsentEventRow {
	t.Helper()
	rows, _, err := e.db.ListConsentEvents(context.Background(), models.ConsentEventPage{SubscriberID: sub, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows
}

// outbox returns sub's queued notices.
func (e *env) outbox(t *testing.T, sub string) []*models.OutboxRow {
	t.Helper()
	rows, err := e.db.ListOutbox(context.Background(), sub, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// holding returns sub's holding of a category as the inventory assesses it.
func (e *env) holding(t *testing.T, sub, category string) inventory.Holding {
	t.Helper()
	ctx := context.Background()
	subj, err := e.inv.Load(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := e.inv.Holdings(ctx, subj, inventory.HoldingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		if h.Holding.Category == category {
			return h
		}
	}
	t.Fatalf("%s holds no %s", sub, category)
	return inventory.Holding{}
}

func self(sub string) actor.Actor { return actor.Subscriber(sub) }

// code is the API code of err, or "" for nil.
func code(err error) apperr.Code {
	if err == nil {
		return ""
	}
	c, _ := apperr.CodeOf(err)
	return c
}

func message(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
