package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

var consentT0 = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func seedSubscriber(t *testing.T, db *store.DB, id string) {
	t.Helper()
	s := &models.Subscriber{ID: id, Status: models.StatusActive, SignedUpAt: consentT0.AddDate(-1, 0, 0), BillingState: models.BillingSettled}
	if err := db.UpsertSubscriber(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

func consentEvent(sub, topic string, seq int64, at time.Time) *models.ConsentEventRow {
	ev := &models.ConsentEventRow{
		ReceiptID: fmt.Sprintf("%s-%s-%d", sub, topic, seq), SubscriberID: sub, Topic: topic, Seq: seq,
		Action: "GRANT", FromState: "NOT_RECORDED", ToState: "GRANTED", ActorKind: "SUBSCRIBER", ActorID: sub,
		Via: "WEB", PolicyVersion: "v1", OccurredAt: at, Receipt: "{}", ReceiptDigest: fmt.Sprintf("d%d", seq),
	}
	if seq > 1 {
		d := fmt.Sprintf("d%d", seq-1)
		ev.PrevDigest, ev.FromState = &d, "GRANTED"
	}
	return ev
}

// A topic's current state is replaced only by a writer that read the
// latest one: of two concurrent changes, the second gets ErrConflict.
func TestSaveConsentIsGuardedBySequence(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSubscriber(t, db, "sub-1")
		row := func(seq int64, state string) *models.ConsentRow {
			return &models.ConsentRow{SubscriberID: "sub-1", Topic: "marketing.sms", State: state, Seq: seq, DatedAt: consentT0, PolicyVersion: "v1", ReceiptID: fmt.Sprint("r", seq), Digest: fmt.Sprint("d", seq)}
		}
		if err := db.SaveConsent(ctx, row(1, "GRANTED"), 0); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			row     *models.ConsentRow
			readSeq int64
			wantErr error
		}{
			{name: "a second first row", row: row(1, "WITHDRAWN"), readSeq: 0, wantErr: store.ErrConflict},
			{name: "from the latest", row: row(2, "WITHDRAWN"), readSeq: 1},
			{name: "from a stale read", row: row(2, "GRANTED"), readSeq: 1, wantErr: store.ErrConflict},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if err := db.SaveConsent(ctx, tc.row, tc.readSeq); !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
					t.Errorf("SaveConsent() = %v, want %v", err, tc.wantErr)
				}
			})
		}
		got, err := db.ListConsents(ctx, "sub-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].State != "WITHDRAWN" || got[0].Seq != 2 {
			t.Errorf("current = %+v, want WITHDRAWN at seq 2", got)
		}
	})
}

// The history is append-only in the database itself: updates and deletes
// are refused whoever sends them.
func TestConsentHistoryCannotBeRewritten(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSubscriber(t, db, "sub-1")
		if err := db.AppendConsentEvents(ctx, []*models.ConsentEventRow{consentEvent("sub-1", "marketing.sms", 1, consentT0)}); err != nil {
			t.Fatal(err)
		}
		stmts := []string{
			"UPDATE consent_events SET to_state = 'WITHDRAWN'",
			"DELETE FROM consent_events",
		}
		if db.Dialect() == "postgres" {
			stmts = append(stmts, "TRUNCATE consent_events")
		}
		for _, s := range stmts {
			if _, err := db.SQL().ExecContext(ctx, s); err == nil {
				t.Errorf("%s: accepted, want refused", s)
			}
		}
		evs, _, err := db.ListConsentEvents(ctx, models.ConsentEventPage{SubscriberID: "sub-1", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].ToState != "GRANTED" {
			t.Errorf("history after the attempts = %+v", evs)
		}
		// Two events with one sequence number are refused too.
		if err := db.AppendConsentEvents(ctx, []*models.ConsentEventRow{consentEvent("sub-1", "marketing.sms", 1, consentT0)}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a second event at seq 1: %v, want ErrConflict", err)
		}
	})
}

// The history pages newest first, every event exactly once, per subscriber.
func TestConsentHistoryPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSubscriber(t, db, "sub-1")
		seedSubscriber(t, db, "sub-2")
		var evs []*models.ConsentEventRow
		for i := int64(1); i <= 7; i++ {
			// Pairs share an instant, so the id breaks ties.
			evs = append(evs, consentEvent("sub-1", "marketing.sms", i, consentT0.Add(time.Duration(i/2)*time.Minute)))
		}
		evs = append(evs, consentEvent("sub-2", "marketing.sms", 1, consentT0))
		if err := db.AppendConsentEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		var got []int64
		var after *models.ConsentEventKey
		for range 10 {
			page, more, err := db.ListConsentEvents(ctx, models.ConsentEventPage{SubscriberID: "sub-1", After: after, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				got = append(got, e.Seq)
			}
			if !more {
				break
			}
			last := page[len(page)-1]
			after = &models.ConsentEventKey{OccurredAt: last.OccurredAt, ID: last.ID}
		}
		if diff := cmp.Diff([]int64{7, 6, 5, 4, 3, 2, 1}, got); diff != "" {
			t.Errorf("pages (-want +got):\n%s", diff)
		}
		byReq, err := db.GetConsentEvents(ctx, "sub-2", []string{evs[0].ReceiptID, evs[7].ReceiptID})
		if err != nil {
			t.Fatal(err)
		}
		if len(byReq) != 1 || byReq[0].SubscriberID != "sub-2" {
			t.Errorf("GetConsentEvents across subscribers = %+v, want only sub-2's", byReq)
		}
	})
}

// The reconfirmation queue lists granted consents by date up to a bound,
// in pages; recording a notice moves a consent on, once.
func TestReconfirmationQueue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		by := func(days int) *time.Time { t := consentT0.AddDate(0, 0, days); return &t }
		rows := []*models.ConsentRow{
			{SubscriberID: "b", Topic: "marketing.sms", ReconfirmBy: by(1)},
			{SubscriberID: "a", Topic: "marketing.sms", ReconfirmBy: by(1)},
			{SubscriberID: "a", Topic: "marketing.email", ReconfirmBy: by(1)},
			{SubscriberID: "c", Topic: "marketing.push", ReconfirmBy: by(0)},
			{SubscriberID: "c", Topic: "marketing.phone", ReconfirmBy: by(40)},
			{SubscriberID: "d", Topic: "optional.discount_certificate", State: "WITHDRAWN"},
		}
		for _, r := range rows {
			seedSubscriber(t, db, r.SubscriberID)
			if r.State == "" {
				r.State = "GRANTED"
			}
			r.Seq, r.DatedAt, r.PolicyVersion, r.ReceiptID, r.Digest = 1, consentT0, "v1", r.SubscriberID+r.Topic, "d"
			if err := db.SaveConsent(ctx, r, 0); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		var after *models.ReconfirmKey
		for range 10 {
			page, more, err := db.ListReconfirmationsDue(ctx, models.ReconfirmPage{Until: *by(30), After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page {
				got = append(got, r.SubscriberID+" "+r.Topic)
			}
			if !more {
				break
			}
			last := page[len(page)-1]
			after = &models.ReconfirmKey{ReconfirmBy: *last.ReconfirmBy, SubscriberID: last.SubscriberID, Topic: last.Topic}
		}
		want := []string{"c marketing.push", "a marketing.email", "a marketing.sms", "b marketing.sms"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("queue (-want +got):\n%s", diff)
		}

		next := consentT0.AddDate(2, 0, 1)
		if err := db.NoteReconfirmNotice(ctx, "a", "marketing.sms", 1, *by(1), next, consentT0); err != nil {
			t.Fatal(err)
		}
		if err := db.NoteReconfirmNotice(ctx, "a", "marketing.sms", 1, *by(1), next, consentT0); !errors.Is(err, store.ErrConflict) {
			t.Errorf("noting the same notice twice: %v, want ErrConflict", err)
		}
		cur, err := db.ListConsents(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cur {
			if c.Topic == "marketing.sms" && (!c.ReconfirmBy.Equal(next) || c.ReconfirmNoticeAt == nil || !c.ReconfirmNoticeAt.Equal(consentT0)) {
				t.Errorf("after the notice: %+v", c)
			}
		}
	})
}

// A client request id is recorded once per subscriber.
func TestConsentRequestIDsAreUniquePerSubscriber(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSubscriber(t, db, "sub-1")
		seedSubscriber(t, db, "sub-2")
		req := func(sub string) *models.ConsentRequestRow {
			return &models.ConsentRequestRow{SubscriberID: sub, ClientRequestID: "r-1", RequestHash: "h", CreatedAt: consentT0}
		}
		if err := db.CreateConsentRequest(ctx, req("sub-1")); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateConsentRequest(ctx, req("sub-1")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("the same id twice: %v, want ErrConflict", err)
		}
		if err := db.CreateConsentRequest(ctx, req("sub-2")); err != nil {
			t.Errorf("the same id for another subscriber: %v", err)
		}
		if _, err := db.GetConsentRequest(ctx, "sub-1", "r-2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an unknown id: %v, want ErrNotFound", err)
		}
	})
}

// Notices wait in the outbox, undelivered, in the order queued.
func TestOutboxKeepsNoticesInOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSubscriber(t, db, "sub-1")
		for i := range 3 {
			m := &models.OutboxRow{SubscriberID: "sub-1", Kind: "CONSENT_RESULT", Payload: fmt.Sprintf(`{"n":%d}`, i), DueBy: consentT0.AddDate(0, 0, 14), CreatedAt: consentT0}
			if err := db.EnqueueOutbox(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.ListOutbox(ctx, "sub-1", 10)
		if err != nil {
			t.Fatal(err)
		}
		var payloads []string
		for _, m := range got {
			payloads = append(payloads, m.Payload)
			if m.DeliveredAt != nil || m.Attempts != 0 || !m.DueBy.Equal(consentT0.AddDate(0, 0, 14)) {
				t.Errorf("message = %+v", m)
			}
		}
		if diff := cmp.Diff([]string{`{"n":0}`, `{"n":1}`, `{"n":2}`}, payloads); diff != "" {
			t.Errorf("outbox (-want +got):\n%s", diff)
		}
	})
}
