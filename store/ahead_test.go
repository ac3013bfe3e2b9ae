package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/reqctx"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// ownView is every read of a subscriber's own view, as the services make
// them.
type ownView struct {
	Sub      *models.Subscriber
	Key      *models.SubscriberKey
	Issues   []*models.FeeIssue
	Holds    []*models.Hold
	Holdings []*models.Holding
	Consents []*models.ConsentRow
	Records  []*models.Record
	MoreRecs bool
	Requests []*models.Request
	MoreReqs bool
}

func readOwnView(t *testing.T, ctx context.Context, db *store.DB, id string, recs models.RecordPage, reqs models.RequestPage) ownView {
	t.Helper()
	var v ownView
	var err error
	check := func(e error) {
		if e != nil && err == nil {
			err = e
		}
	}
	v.Sub, v.Key, err = db.GetSubscriberWithKey(ctx, id)
	v.Issues, err = db.ListFeeIssues(ctx, id)
	check(err)
	v.Holds, err = db.ActiveHolds(ctx, id)
	check(err)
	v.Holdings, err = db.ListAllHoldings(ctx, id)
	check(err)
	v.Consents, err = db.ListConsents(ctx, id)
	check(err)
	v.Records, v.MoreRecs, err = db.ListRecords(ctx, recs)
	check(err)
	v.Requests, v.MoreReqs, err = db.ListSubscriberRequests(ctx, id, reqs.After, reqs.Limit)
	check(err)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Reading a subscriber's own view ahead gives every read what it reads
// alone, in one round trip on PostgreSQL; SQLite reads nothing ahead.
func TestReadAheadGivesWhatEachReadGives(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const id = "sub-ahead"
		seedSubscriber(t, db, id)
		seedSubscriber(t, db, "sub-other")
		seedOwnView(t, db, id)
		recs := models.RecordPage{SubscriberID: id, Limit: 3, Apart: true}
		reqs := models.RequestPage{Limit: 1}
		want := readOwnView(t, ctx, db, id, recs, reqs)
		if want.Key == nil || len(want.Holdings) != 2 || len(want.Records) != 3 || !want.MoreRecs || len(want.Holds) != 1 || len(want.Holds[0].Items) != 2 || !want.MoreReqs {
			t.Fatalf("the seed is not what the test needs: %+v", want)
		}
		reads := models.Reads{
			SubscriberID: id, SubscriberWithKey: true, FeeIssues: true, ActiveHolds: true, AllHoldings: true, Consents: true,
			Records: []models.RecordPage{recs}, Requests: []models.RequestPage{reqs},
		}
		ctx = reqctx.WithMemo(ctx)
		trips, stmts := db.RoundTrips(), db.Statements()
		db.ReadAhead(ctx, reads)
		got := readOwnView(t, ctx, db, id, recs, reqs)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("read ahead (-alone +ahead):\n%s", diff)
		}
		wantTrips, wantStmts := int64(7), int64(7)
		if db.Dialect() == "postgres" {
			wantTrips = 1
		}
		if n, s := db.RoundTrips()-trips, db.Statements()-stmts; n != wantTrips || s != wantStmts {
			t.Errorf("%d round trips and %d statements, want %d and %d", n, s, wantTrips, wantStmts)
		}
		// A value read ahead goes to one caller; the next reads for itself,
		// and gets the same.
		trips = db.RoundTrips()
		if again := readOwnView(t, ctx, db, id, recs, reqs); !cmp.Equal(want, again) {
			t.Errorf("read again after the read ahead: %s", cmp.Diff(want, again))
		}
		if n := db.RoundTrips() - trips; n != 6 {
			t.Errorf("read again: %d round trips, want 6 (the consents are shared)", n)
		}

		// An unknown subscriber is not found, read ahead or not.
		ctx = reqctx.WithMemo(context.Background())
		reads.SubscriberID = "no-such-subscriber"
		db.ReadAhead(ctx, reads)
		if _, _, err := db.GetSubscriberWithKey(ctx, "no-such-subscriber"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown subscriber read ahead: %v, want ErrNotFound", err)
		}
		if hs, err := db.ListAllHoldings(ctx, "no-such-subscriber"); err != nil || len(hs) != 0 {
			t.Errorf("unknown subscriber's holdings read ahead: %v, %v; want none", hs, err)
		}
	})
}

// seedOwnView gives the subscriber a data key, a fee issue, two holdings
// (one sealed), five records, a hold on a holding and a record, a consent
// and two requests.
func seedOwnView(t *testing.T, db *store.DB, id string) {
	t.Helper()
	ctx := context.Background()
	at := consentT0.AddDate(0, -6, 0)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := db.CreateSubscriberKey(ctx, &models.SubscriberKey{SubscriberID: id, MasterKeyID: "m1", Wrapped: []byte{1, 2, 3}, CreatedAt: at})
	must(err)
	_, err = db.OpenFeeIssue(ctx, &models.FeeIssue{SubscriberID: id, Kind: models.FeeUnpaid, Since: at})
	must(err)
	plain, keyID := "홍길동", "k1"
	must(db.UpsertHoldings(ctx, []*models.Holding{
		{ID: id + "-name", SubscriberID: id, Category: "applicant.name", ValueText: &plain, Source: "FEED", CollectedAt: at},
		{ID: id + "-phone", SubscriberID: id, Category: "applicant.phone", ValueCipher: []byte{9, 8, 7}, KeyID: &keyID, Source: "FEED", CollectedAt: at.Add(time.Hour)},
	}))
	var recs []*models.Record
	for i := range 5 {
		recs = append(recs, &models.Record{SubscriberID: id, Kind: "USAGE", OccurredAt: at.Add(time.Duration(i) * 24 * time.Hour), ExternalID: string(rune('a' + i)), Summary: "요약", PurgeClause: "c"})
	}
	_, err = db.AppendRecords(ctx, recs)
	must(err)
	holding := id + "-phone"
	must(db.CreateHold(ctx, &models.Hold{ID: id + "-hold", SubscriberID: id, Reason: models.HoldDispute, SourceRef: "r1", PlacedBy: id, PlacedAt: at,
		Items: []models.HoldItem{{HoldingID: &holding}, {RecordID: &recs[0].ID}}}))
	must(db.SaveConsent(ctx, &models.ConsentRow{SubscriberID: id, Topic: "marketing.sms", State: "GRANTED", Seq: 1, DatedAt: at, PolicyVersion: "v1", ReceiptID: "r1", Digest: "d1"}, 0))
	for i, key := range []string{"i1", "i2"} {
		filed := at.Add(time.Duration(i) * time.Hour)
		must(db.CreateRequest(ctx, &models.Request{ID: id + "-" + key, SubscriberID: id, Type: models.RequestDispute, Status: models.RequestSubmitted,
			FiledByKind: models.FiledBySubscriber, FiledByID: id, Via: "APP", Scope: `{"all":true}`, Reason: "이유", IdempotencyKey: key, BodyDigest: key,
			FiledAt: filed, DueAt: filed.AddDate(0, 0, 10)}))
	}
}
