package apitest_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/transmit"
)

// The tests of issue 18 (transmission requests, 법 35조의2), through the API
// on both stores, with a recipient on a loopback TLS server that verifies
// every request with the Standard Webhooks library.

// received is one request the test recipient accepted or refused.
type received struct {
	ID, Attempt string
	Timestamp   int64
	Body        []byte
	Verified    bool
}

// recipient is a test recipient: an https server on loopback whose answer
// the test chooses per request number.
type recipient struct {
	srv    *httptest.Server
	secret string
	clk    *clock.Manual
	answer func(n int) int
	mu     sync.Mutex
	got    []received
}

func newRecipient(t *testing.T, clk *clock.Manual, answer func(n int) int) *recipient {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	rc := &recipient{secret: "whsec_" + base64.StdEncoding.EncodeToString(key), clk: clk, answer: answer}
	wh, err := standardwebhooks.NewWebhook(rc.secret)
	if err != nil {
		t.Fatal(err)
	}
	rc.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// The portal's clock is walked, so the timestamp is checked against
		// it here; the signature by the stock verifier.
		err := wh.VerifyIgnoringTimestamp(body, r.Header)
		ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		if d := rc.clk.Now().Unix() - ts; d > 300 || d < -300 {
			err = io.ErrUnexpectedEOF
		}
		rc.mu.Lock()
		rc.got = append(rc.got, received{ID: r.Header.Get("webhook-id"), Attempt: r.Header.Get("X-Portal-Attempt"), Timestamp: ts, Body: body, Verified: err == nil})
		n := len(rc.got)
		rc.mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(rc.answer(n))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *recipient) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func always(code int) func(int) int { return func(int) int { return code } }

// worker is the transmission worker over the env, trusting the test
// recipient's certificate; backoff 1m, 2m, capped at 10m, no jitter, three
// attempts.
func worker(t *testing.T, env *apitest.Env, rc *recipient) *transmit.Worker {
	t.Helper()
	w, err := transmit.NewWorker(env.App.Transmit, transmit.WorkerConfig{
		Client: rc.srv.Client(), BaseDelay: time.Minute, MaxDelay: 10 * time.Minute, MaxAttempts: 3, Jitter: func() float64 { return 0 },
	})
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

const createRecipientMut = `mutation($in: TransmissionRecipientInput!) { createTransmissionRecipient(input: $in) { id name endpoint categories status } }`

func admitRecipient(t *testing.T, env *apitest.Env, rc *recipient, name string, cats ...string) string {
	t.Helper()
	var out struct{ CreateTransmissionRecipient struct{ ID, Status string } }
	do(t, env, env.Token(t, "admin-1", "", auth.RoleAdmin), createRecipientMut,
		map[string]any{"in": map[string]any{"name": name, "endpoint": rc.srv.URL + "/inbox", "secret": rc.secret, "categories": cats}}, &out)
	if out.CreateTransmissionRecipient.Status != "ACTIVE" {
		t.Fatalf("recipient = %+v", out)
	}
	return out.CreateTransmissionRecipient.ID
}

// transmitSubscriber feeds an active subscriber with profile items and
// records of several kinds.
func transmitSubscriber(t *testing.T, env *apitest.Env, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := env.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: id, Status: models.StatusActive, SignedUpAt: kst(2022, 5, 2), BirthDate: new("1988-04-17"),
		Items: []feed.ItemInput{
			{Category: "applicant.name", Value: "김민준"},
			{Category: "applicant.phone", Value: "010-2345-6789"},
			{Category: "applicant.email", Value: "minjun@example.com"},
			{Category: "applicant.passport_number", Value: "M12345678"},
		}}); err != nil {
		t.Fatal(err)
	}
	appendRecords(t, env, id, []feed.RecordInput{
		{Kind: "USAGE", OccurredAt: kst(2026, 11, 20), ExternalID: "u-1", Summary: "데이터 1.2GB"},
		{Kind: "PAYMENT", OccurredAt: kst(2026, 11, 21), ExternalID: "p-1", Summary: "카드 결제 33,000원"},
		{Kind: "CALL_DETAIL", OccurredAt: kst(2026, 11, 22), ExternalID: "c-1", Summary: "발신 010-2345-6789 → 02-123-4567"},
	})
}

func appendRecords(t *testing.T, env *apitest.Env, id string, recs []feed.RecordInput) {
	t.Helper()
	if _, err := env.Feed.AppendRecords(context.Background(), id, recs); err != nil {
		t.Fatal(err)
	}
}

const fileTransmissionMut = `mutation($in: FileTransmissionInput!) { fileTransmissionRequest(input: $in) { id status schedule startsAt until expiresAt dueAt answeredAt nextDeliveryAt filedBy categories recordKinds recipient { id name } } }`

type transmissionView struct {
	ID, Status, Schedule, FiledBy string
	StartsAt, DueAt               time.Time
	Until, AnsweredAt             *time.Time
	NextDeliveryAt, WithdrawnAt   *time.Time
	Categories, RecordKinds       []string
	Deliveries                    []deliveryView
}

type deliveryView struct {
	ID, Status            string
	Sequence, Attempts    int
	Items, Records        int
	ScheduledFor          time.Time
	DeliveredAt, FailedAt *time.Time
	ExpiresAt             *time.Time
}

const meTransmissionsQ = `{ me { transmissionRequests { id status nextDeliveryAt withdrawnAt deliveries { id sequence status attempts items records scheduledFor deliveredAt failedAt expiresAt } } } }`

func myTransmissions(t *testing.T, env *apitest.Env, token string) []transmissionView {
	t.Helper()
	var out struct {
		Me struct{ TransmissionRequests []transmissionView }
	}
	do(t, env, token, meTransmissionsQ, nil, &out)
	return out.Me.TransmissionRequests
}

// validate checks a transmission document against the published schema.
func validate(t *testing.T, env *apitest.Env, doc []byte) {
	t.Helper()
	var s struct{ TransmissionSchema string }
	do(t, env, "", `{ transmissionSchema }`, nil, &s)
	sch, err := jsonschema.UnmarshalJSON(strings.NewReader(s.TransmissionSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("transmission.v1.json", sch); err != nil {
		t.Fatal(err)
	}
	compiled, err := c.Compile("transmission.v1.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(doc)))
	if err != nil {
		t.Fatal(err)
	}
	if err := compiled.Validate(inst); err != nil {
		t.Fatalf("the document does not match the transmission schema: %v\n%s", err, doc)
	}
}

type docView struct {
	Format, DeliveryID, RequestID string
	Sequence, Period, Part        int
	MoreRecords                   bool
	Profile                       []struct{ Category, Value string }
	Records                       []struct{ Kind, ExternalID, Summary string }
}

// A monthly transmission to an admitted recipient across three months,
// with the clock walked: each month's delivery arrives signed, verified by
// the stock Standard Webhooks verifier, carries the profile items in scope
// in the clear and the records since the previous delivery, and matches
// the published schema; withdrawing mid-way stops the deliveries to come.
// Each month carries the records no earlier month did.
func TestMonthlyTransmissionAcrossThreeMonthsThenWithdrawn(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		transmitSubscriber(t, env, "tx-1")
		rc := newRecipient(t, env.Clock, always(http.StatusOK))
		rid := admitRecipient(t, env, rc, "마이데이터 주식회사", "applicant.name", "applicant.email", "USAGE", "PAYMENT")
		w := worker(t, env, rc)
		// Tokens live an hour: one is minted wherever the clock moved.
		tok := env.Token(t, "tx-1", "", auth.RoleSubscriber)

		// 2026-11-26 10:00 KST; monthly until 2027-02-26 23:59 KST.
		until := time.Date(2027, 2, 26, 14, 59, 0, 0, time.UTC)
		var filed struct{ FileTransmissionRequest transmissionView }
		in := map[string]any{"destination": "RECIPIENT", "recipientId": rid, "schedule": "MONTHLY", "until": until.Format(time.RFC3339),
			"scope": map[string]any{"categories": []string{"applicant.name", "applicant.email"}, "recordKinds": []string{"USAGE"}}, "idempotencyKey": "monthly-tx-1"}
		do(t, env, tok, fileTransmissionMut, map[string]any{"in": in}, &filed)
		r := filed.FileTransmissionRequest
		start := apitest.Start
		if r.Status != "ACTIVE" || r.Schedule != "MONTHLY" || r.FiledBy != "SUBSCRIBER" || r.AnsweredAt == nil || !r.AnsweredAt.Equal(start) ||
			!r.DueAt.Equal(start.Add(10*24*time.Hour)) || r.NextDeliveryAt == nil || !r.NextDeliveryAt.Equal(start) {
			t.Fatalf("filed = %+v", r)
		}
		// Idempotent on the key.
		var again struct{ FileTransmissionRequest transmissionView }
		do(t, env, tok, fileTransmissionMut, map[string]any{"in": in}, &again)
		if again.FileTransmissionRequest.ID != r.ID {
			t.Fatalf("refiling made %s, want %s", again.FileTransmissionRequest.ID, r.ID)
		}

		// Month 1: delivered at once.
		if rep := pass(t, w); rep.Scheduled != 1 || rep.Delivered != 1 {
			t.Fatalf("first pass = %+v", rep)
		}
		got := rc.requests()
		if len(got) != 1 || !got[0].Verified || got[0].Attempt != "1" {
			t.Fatalf("recipient got %+v", got)
		}
		validate(t, env, got[0].Body)
		var d1 docView
		if err := json.Unmarshal(got[0].Body, &d1); err != nil {
			t.Fatal(err)
		}
		wantProfile := []struct{ Category, Value string }{{"applicant.email", "minjun@example.com"}, {"applicant.name", "김민준"}}
		if diff := cmp.Diff(wantProfile, sortedProfile(d1.Profile)); diff != "" {
			t.Errorf("profile (-want +got):\n%s", diff)
		}
		if len(d1.Records) != 1 || d1.Records[0].ExternalID != "u-1" || d1.MoreRecords || d1.Period != 1 || d1.Part != 1 || d1.Sequence != 1 || d1.DeliveryID != got[0].ID || d1.Format != transmit.Format {
			t.Fatalf("first document = %+v", d1)
		}

		// Nothing more before the next month's day.
		env.Clock.Set(time.Date(2026, 12, 26, 0, 59, 0, 0, time.UTC))
		appendRecords(t, env, "tx-1", []feed.RecordInput{{Kind: "USAGE", OccurredAt: kst(2026, 12, 10), ExternalID: "u-2", Summary: "데이터 0.8GB"}})
		if rep := pass(t, w); rep.Scheduled != 0 || len(rc.requests()) != 1 {
			t.Fatalf("a pass before 2026-12-26 10:00 KST made %+v", rep)
		}
		// Month 2, 2026-12-26 10:00 KST: only the record since.
		env.Clock.Set(time.Date(2026, 12, 26, 1, 0, 0, 0, time.UTC))
		pass(t, w)
		// Month 3, 2027-01-26 10:00 KST.
		env.Clock.Set(time.Date(2027, 1, 26, 1, 0, 0, 0, time.UTC))
		appendRecords(t, env, "tx-1", []feed.RecordInput{{Kind: "USAGE", OccurredAt: kst(2027, 1, 5), ExternalID: "u-3", Summary: "데이터 2.0GB"}})
		pass(t, w)
		tok = env.Token(t, "tx-1", "", auth.RoleSubscriber)
		got = rc.requests()
		if len(got) != 3 {
			t.Fatalf("recipient got %d requests, want 3", len(got))
		}
		for i, g := range got {
			validate(t, env, g.Body)
			var d docView
			if err := json.Unmarshal(g.Body, &d); err != nil {
				t.Fatal(err)
			}
			if !g.Verified || d.Sequence != i+1 || d.DeliveryID != g.ID {
				t.Fatalf("request %d = %+v / %+v", i, g, d)
			}
			if i > 0 {
				want := []string{"", "u-2", "u-3"}[i]
				if len(d.Records) != 1 || d.Records[0].ExternalID != want || d.Period != i+1 || d.Part != 1 || d.MoreRecords {
					t.Fatalf("delivery %d records = %+v, want only %s", i+1, d.Records, want)
				}
			}
		}
		if got[0].ID == got[1].ID || got[1].ID == got[2].ID {
			t.Fatal("two months' deliveries share an id")
		}

		mine := myTransmissions(t, env, tok)
		if len(mine) != 1 || len(mine[0].Deliveries) != 3 || mine[0].NextDeliveryAt == nil || !mine[0].NextDeliveryAt.Equal(time.Date(2027, 2, 26, 1, 0, 0, 0, time.UTC)) {
			t.Fatalf("me = %+v", mine)
		}
		wantSched := []time.Time{start, time.Date(2026, 12, 26, 1, 0, 0, 0, time.UTC), time.Date(2027, 1, 26, 1, 0, 0, 0, time.UTC)}
		for i, d := range mine[0].Deliveries {
			if d.Status != "DELIVERED" || d.Attempts != 1 || d.Sequence != i+1 || !d.ScheduledFor.Equal(wantSched[i]) || d.ID != got[i].ID {
				t.Errorf("delivery %d = %+v", i+1, d)
			}
		}

		// Withdrawn before month 4: nothing more is sent.
		var wd struct{ WithdrawTransmissionRequest transmissionView }
		do(t, env, tok, `mutation($id: ID!) { withdrawTransmissionRequest(id: $id) { id status nextDeliveryAt withdrawnAt } }`, map[string]any{"id": r.ID}, &wd)
		if wd.WithdrawTransmissionRequest.Status != "WITHDRAWN" || wd.WithdrawTransmissionRequest.NextDeliveryAt != nil || wd.WithdrawTransmissionRequest.WithdrawnAt == nil {
			t.Fatalf("withdrawn = %+v", wd)
		}
		env.Clock.Set(time.Date(2027, 2, 26, 2, 0, 0, 0, time.UTC))
		tok = env.Token(t, "tx-1", "", auth.RoleSubscriber)
		if rep := pass(t, w); rep.Scheduled != 0 || len(rc.requests()) != 3 {
			t.Fatalf("after withdrawal a pass made %+v and the recipient has %d", rep, len(rc.requests()))
		}
		res := env.Query(t, tok, `mutation($id: ID!) { withdrawTransmissionRequest(id: $id) { id } }`, map[string]any{"id": r.ID})
		wantCode(t, res, "CONFLICT", "")

		// Every attempt is audited, with ids and codes only.
		var audits struct {
			AuditEvents struct {
				Edges []struct {
					Node struct{ TargetID, Details string }
				}
			}
		}
		do(t, env, env.Token(t, "admin-1", "", auth.RoleAdmin), `query($f: AuditFilter) { auditEvents(filter: $f, first: 50) { edges { node { targetId details } } } }`,
			map[string]any{"f": map[string]any{"subjectId": "tx-1", "action": transmit.ActionDelivery}}, &audits)
		if len(audits.AuditEvents.Edges) != 3 {
			t.Fatalf("audited attempts = %+v", audits)
		}
		for _, e := range audits.AuditEvents.Edges {
			if strings.Contains(e.Node.Details, "김민준") || !strings.Contains(e.Node.Details, `"outcome":"DELIVERED"`) {
				t.Errorf("audit details = %s", e.Node.Details)
			}
		}
	})
}

func sortedProfile(p []struct{ Category, Value string }) []struct{ Category, Value string } {
	out := append(p[:0:0], p...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Category < out[i].Category {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// A recipient that answers errors: the delivery is retried with backoff
// under the same id, then marked failed and the subscriber told.
func TestFailingRecipientRetriedThenFailedAndSubscriberTold(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		transmitSubscriber(t, env, "tx-2")
		rc := newRecipient(t, env.Clock, always(http.StatusServiceUnavailable))
		rid := admitRecipient(t, env, rc, "고장난 수신자", "applicant.name", "PAYMENT")
		w := worker(t, env, rc)
		tok := env.Token(t, "tx-2", "", auth.RoleSubscriber)
		do(t, env, tok, fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "RECIPIENT", "recipientId": rid, "schedule": "ONCE",
			"scope": map[string]any{"categories": []string{"applicant.name"}, "recordKinds": []string{"PAYMENT"}}, "idempotencyKey": "once-tx-2"}}, nil)

		if rep := pass(t, w); rep.Scheduled != 1 || rep.Retried != 1 || rep.Completed != 1 {
			t.Fatalf("first pass = %+v", rep)
		}
		// Backoff: the second attempt waits a minute, the third two.
		env.Clock.Advance(59 * time.Second)
		if rep := pass(t, w); rep.Retried+rep.Failed != 0 {
			t.Fatalf("retried before the backoff ended: %+v", rep)
		}
		env.Clock.Advance(time.Second)
		if rep := pass(t, w); rep.Retried != 1 {
			t.Fatalf("second attempt = %+v", rep)
		}
		env.Clock.Advance(2 * time.Minute)
		if rep := pass(t, w); rep.Failed != 1 {
			t.Fatalf("third attempt = %+v", rep)
		}
		env.Clock.Advance(time.Hour)
		pass(t, w)
		tok = env.Token(t, "tx-2", "", auth.RoleSubscriber)
		got := rc.requests()
		if len(got) != 3 {
			t.Fatalf("recipient got %d requests, want 3", len(got))
		}
		for i, g := range got {
			if g.ID != got[0].ID || g.Attempt != strconv.Itoa(i+1) || !g.Verified {
				t.Fatalf("attempt %d = %+v: nothing is sent twice under a different id", i+1, g)
			}
		}
		mine := myTransmissions(t, env, tok)
		if len(mine) != 1 || len(mine[0].Deliveries) != 1 {
			t.Fatalf("me = %+v", mine)
		}
		d := mine[0].Deliveries[0]
		if d.Status != "FAILED" || d.Attempts != 3 || d.FailedAt == nil || d.ID != got[0].ID {
			t.Fatalf("delivery = %+v", d)
		}
		msgs, err := env.DB.ListOutbox(context.Background(), "tx-2", 50)
		if err != nil {
			t.Fatal(err)
		}
		told := 0
		for _, m := range msgs {
			if m.Kind == transmit.NoticeFailed {
				told++
				if !strings.Contains(m.Payload, d.ID) || strings.Contains(m.Payload, "김민준") {
					t.Errorf("notice = %s", m.Payload)
				}
			}
		}
		if told != 1 {
			t.Fatalf("failure notices = %d, want 1", told)
		}
	})
}

// A transmission to oneself: a download in the transmission schema for
// seven days, each download audited, then gone.
func TestTransmissionToOneselfIsADownloadThatExpires(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		transmitSubscriber(t, env, "tx-3")
		rc := newRecipient(t, env.Clock, always(http.StatusOK))
		w := worker(t, env, rc)
		tok := env.Token(t, "tx-3", "", auth.RoleSubscriber)
		do(t, env, tok, fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "SELF", "schedule": "ONCE",
			"scope": map[string]any{"categories": []string{"applicant.passport_number"}, "recordKinds": []string{"USAGE", "PAYMENT"}}, "idempotencyKey": "self-tx-3"}}, nil)
		pass(t, w)
		mine := myTransmissions(t, env, tok)
		d := mine[0].Deliveries[0]
		if mine[0].Status != "COMPLETED" || d.Status != "READY" || d.Items != 1 || d.Records != 2 || d.ExpiresAt == nil || !d.ExpiresAt.Equal(apitest.Start.Add(7*24*time.Hour)) {
			t.Fatalf("me = %+v", mine)
		}
		const dl = `query($id: ID!) { transmissionDownload(deliveryId: $id) { deliveryId format expiresAt payload } }`
		var out struct {
			TransmissionDownload struct{ DeliveryID, Format, Payload string }
		}
		do(t, env, tok, dl, map[string]any{"id": d.ID}, &out)
		validate(t, env, []byte(out.TransmissionDownload.Payload))
		if !strings.Contains(out.TransmissionDownload.Payload, "M12345678") {
			t.Fatalf("the download does not carry the passport number in the clear: %s", out.TransmissionDownload.Payload)
		}
		// Someone else's token cannot download it.
		transmitSubscriber(t, env, "tx-4")
		wantCode(t, env.Query(t, env.Token(t, "tx-4", "", auth.RoleSubscriber), dl, map[string]any{"id": d.ID}), "NOT_FOUND", "")

		env.Clock.Advance(7*24*time.Hour + time.Second)
		tok = env.Token(t, "tx-3", "", auth.RoleSubscriber)
		if rep := pass(t, w); rep.DownloadsExpired != 1 {
			t.Fatalf("expiry pass = %+v", rep)
		}
		wantCode(t, env.Query(t, tok, dl, map[string]any{"id": d.ID}), "NOT_FOUND", "")
		if got := myTransmissions(t, env, tok)[0].Deliveries[0].Status; got != "EXPIRED" {
			t.Fatalf("status = %s", got)
		}
	})
}

// Bad input is BAD_USER_INPUT naming the field.
func TestTransmissionBadInputNamesTheField(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		transmitSubscriber(t, env, "tx-5")
		rc := newRecipient(t, env.Clock, always(http.StatusOK))
		rid := admitRecipient(t, env, rc, "수신자", "applicant.name", "USAGE")
		suspended := admitRecipient(t, env, rc, "정지된 수신자", "applicant.name")
		admin := env.Token(t, "admin-1", "", auth.RoleAdmin)
		do(t, env, admin, `mutation($id: ID!) { setTransmissionRecipientStatus(id: $id, status: SUSPENDED) { id status } }`, map[string]any{"id": suspended}, nil)

		// A statute-kept-only subscriber: terminated over six months ago with
		// a fee record, so the tax clause alone keeps the name.
		ctx := context.Background()
		term := kst(2025, 9, 30)
		if _, err := env.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: "tx-6", Status: models.StatusTerminated, SignedUpAt: kst(2020, 1, 2), TerminatedAt: &term, BirthDate: new("1970-01-01"),
			Items: []feed.ItemInput{{Category: "applicant.name", Value: "이서연"}}}); err != nil {
			t.Fatal(err)
		}
		appendRecords(t, env, "tx-6", []feed.RecordInput{{Kind: "BILLING", OccurredAt: kst(2025, 9, 30), ExternalID: "b-1", Summary: "청구 33,000원"}})
		statute := env.Token(t, "tx-6", "", auth.RoleSubscriber)
		if st := inventoryAt(t, env, "tx-6")["applicant.name"].State; st != "RETAINED_BY_STATUTE" {
			t.Fatalf("setup: applicant.name of tx-6 is %s", st)
		}

		tok := env.Token(t, "tx-5", "", auth.RoleSubscriber)
		base := func(mut func(map[string]any)) map[string]any {
			in := map[string]any{"destination": "RECIPIENT", "recipientId": rid, "schedule": "ONCE",
				"scope": map[string]any{"categories": []string{"applicant.name"}}, "idempotencyKey": "bad-input-key"}
			mut(in)
			return map[string]any{"in": in}
		}
		for _, tc := range []struct {
			name, token, field string
			mut                func(map[string]any)
		}{
			{"unknown recipient", tok, "input.recipientId", func(in map[string]any) { in["recipientId"] = "no-such" }},
			{"suspended recipient", tok, "input.recipientId", func(in map[string]any) { in["recipientId"] = suspended }},
			{"category the recipient may not receive", tok, "input.scope.categories", func(in map[string]any) {
				in["scope"] = map[string]any{"categories": []string{"applicant.email"}}
			}},
			{"record kind the recipient may not receive", tok, "input.scope.recordKinds", func(in map[string]any) {
				in["scope"] = map[string]any{"recordKinds": []string{"PAYMENT"}}
			}},
			{"record kind never transmissible", tok, "input.scope.recordKinds", func(in map[string]any) {
				in["scope"] = map[string]any{"recordKinds": []string{"MESSAGE_CONTENT"}}
			}},
			{"period ending before it starts", tok, "input.until", func(in map[string]any) {
				in["schedule"], in["startsAt"], in["until"] = "MONTHLY", "2026-12-01T00:00:00Z", "2026-11-30T00:00:00Z"
			}},
			{"statute-kept only", statute, "input.scope.categories", func(in map[string]any) {
				in["destination"], in["recipientId"] = "SELF", nil
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantCode(t, env.Query(t, tc.token, fileTransmissionMut, base(tc.mut)), "BAD_USER_INPUT", tc.field)
			})
		}

		// A recipient endpoint that is not https is refused at admission.
		res := env.Query(t, admin, createRecipientMut, map[string]any{"in": map[string]any{"name": "평문", "endpoint": "http://example.com/inbox", "secret": rc.secret, "categories": []string{"applicant.name"}}})
		wantCode(t, res, "BAD_USER_INPUT", "input.endpoint")
		// Subscribers cannot manage the registry.
		wantCode(t, env.Query(t, tok, createRecipientMut, map[string]any{"in": map[string]any{"name": "x", "endpoint": "https://x.test", "secret": rc.secret, "categories": []string{"applicant.name"}}}), "FORBIDDEN", "")
	})
}

// Two workers passing at once, as on two replicas, never post a delivery
// twice: their claims skip what the other holds.
func TestTwoWorkersPostEachDeliveryOnce(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "postgres")
	rc := newRecipient(t, env.Clock, always(http.StatusOK))
	rid := admitRecipient(t, env, rc, "수신자", "applicant.name", "USAGE")
	const n = 12
	for i := range n {
		id := "tw-" + strconv.Itoa(i)
		transmitSubscriber(t, env, id)
		do(t, env, env.Token(t, id, "", auth.RoleSubscriber), fileTransmissionMut, map[string]any{"in": map[string]any{"destination": "RECIPIENT", "recipientId": rid, "schedule": "ONCE",
			"scope": map[string]any{"categories": []string{"applicant.name"}}, "idempotencyKey": "two-workers-" + id}}, nil)
	}
	// Batches of two, so the workers' claims interleave.
	newW := func() *transmit.Worker {
		w, err := transmit.NewWorker(env.App.Transmit, transmit.WorkerConfig{Client: rc.srv.Client(), BatchSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	w1, w2 := newW(), newW()
	var wg sync.WaitGroup
	reps, errs := make([]transmit.Report, 2), make([]error, 2)
	for i, w := range []*transmit.Worker{w1, w2} {
		wg.Go(func() { reps[i], errs[i] = w.RunOnce(context.Background()) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if s, d := reps[0].Scheduled+reps[1].Scheduled, reps[0].Delivered+reps[1].Delivered; s != n || d != n {
		t.Fatalf("scheduled %d, delivered %d, want %d each: %+v", s, d, n, reps)
	}
	seen := map[string]int{}
	for _, g := range rc.requests() {
		seen[g.ID]++
	}
	if len(seen) != n {
		t.Fatalf("recipient saw %d deliveries, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("delivery %s posted %d times", id, k)
		}
	}
}

// The guardian of a child under 14 files for the child; anyone else acting
// for the child is refused.
func TestGuardianFilesTransmissionForAMinor(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		minorWithGuardian(t, env, "tx-minor", "guardian-1")
		in := map[string]any{"in": map[string]any{"destination": "SELF", "schedule": "ONCE",
			"scope": map[string]any{"categories": []string{"applicant.name"}}, "idempotencyKey": "minor-self-1"}}
		var out struct{ FileTransmissionRequest transmissionView }
		do(t, env, env.Token(t, "tx-minor", "guardian-1", auth.RoleSubscriber), fileTransmissionMut, in, &out)
		if out.FileTransmissionRequest.FiledBy != "GUARDIAN" || out.FileTransmissionRequest.Status != "ACTIVE" {
			t.Fatalf("filed = %+v", out.FileTransmissionRequest)
		}
		wantCode(t, env.Query(t, env.Token(t, "tx-minor", "stranger", auth.RoleSubscriber), fileTransmissionMut, in), "FORBIDDEN", "")
	})
}
