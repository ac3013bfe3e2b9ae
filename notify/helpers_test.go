package notify_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/store"
)

var t0 = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

const testSecret = "a-test-webhook-secret-of-32-bytes-or-more"

// gateway is the operator's messaging gateway as the tests see it: it
// checks every request the way the webhook contract tells a gateway to,
// counts the hits per message id, and answers what respond says.
type gateway struct {
	t     *testing.T
	srv   *httptest.Server
	clock clock.Clock

	mu        sync.Mutex
	hits      map[string]int
	envelopes map[string]notify.Envelope
	attempts  map[string][]string
	rejected  []string

	// respond answers the n-th hit (from 1) of message id; nil answers 200.
	respond func(w http.ResponseWriter, r *http.Request, id string, n int)
}

func newGateway(t *testing.T, c clock.Clock) *gateway {
	t.Helper()
	g := &gateway{t: t, clock: c, hits: map[string]int{}, envelopes: map[string]notify.Envelope{}, attempts: map[string][]string{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

// verify checks a request as a gateway would, with the official Standard
// Webhooks library given the "whsec_" form of the secret, independently of
// the package's own signing: the contract is what is tested, not the
// package against itself. The library checks the timestamp against the
// wall clock, so its tolerance is checked here against the test's clock.
func (g *gateway) verify(r *http.Request, body []byte) string {
	switch {
	case r.Method != http.MethodPost:
		return "method " + r.Method
	case r.Header.Get("Content-Type") != "application/json":
		return "content type " + r.Header.Get("Content-Type")
	case r.Header.Get("webhook-id") == "":
		return "no message id"
	}
	ts := r.Header.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "timestamp " + ts
	}
	if d := g.clock.Now().Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return "stale timestamp " + ts
	}
	wh, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte(testSecret)))
	if err != nil {
		return err.Error()
	}
	if err := wh.VerifyIgnoringTimestamp(body, r.Header); err != nil {
		return "bad signature: " + err.Error()
	}
	return ""
}

func (g *gateway) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	if why := g.verify(r, body); why != "" {
		g.mu.Lock()
		g.rejected = append(g.rejected, why)
		g.mu.Unlock()
		http.Error(w, why, http.StatusUnauthorized)
		return
	}
	var env notify.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		http.Error(w, "json", http.StatusBadRequest)
		return
	}
	id := r.Header.Get("webhook-id")
	g.mu.Lock()
	g.hits[id]++
	n := g.hits[id]
	g.envelopes[id] = env
	g.attempts[id] = append(g.attempts[id], r.Header.Get("X-Portal-Attempt"))
	respond := g.respond
	g.mu.Unlock()
	if env.ID != id {
		http.Error(w, "body id differs from header", http.StatusBadRequest)
		return
	}
	if respond != nil {
		respond(w, r, id, n)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (g *gateway) hitsOf(k notify.Key) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hits[strconv.FormatInt(k.ID, 10)]
}

func (g *gateway) check() {
	g.t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.rejected) > 0 {
		g.t.Errorf("the gateway rejected requests: %v", g.rejected)
	}
}

// seed creates the subscribers and queues n messages for each, all written
// at t0, and returns their keys in the order queued.
func seed(t *testing.T, db *store.DB, subs []string, n int) []notify.Key {
	t.Helper()
	ctx := context.Background()
	var keys []notify.Key
	for _, s := range subs {
		err := db.UpsertSubscriber(ctx, &models.Subscriber{ID: s, Status: models.StatusActive, SignedUpAt: t0.AddDate(-1, 0, 0), BillingState: models.BillingSettled})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		for _, s := range subs {
			keys = append(keys, enqueue(t, db, s, fmt.Sprintf(`{"kind":"CONSENT_RESULT","subscriberId":%q,"n":%d,"note":"<동의 결과>"}`, s, i)))
		}
	}
	return keys
}

func enqueue(t *testing.T, db *store.DB, sub, payload string) notify.Key {
	t.Helper()
	m := &models.OutboxRow{SubscriberID: sub, Kind: "CONSENT_RESULT", Payload: payload, DueBy: t0.AddDate(0, 0, 14), CreatedAt: t0}
	if err := db.EnqueueOutbox(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return notify.Key{SubscriberID: sub, ID: m.ID}
}

// newDeliverer returns a deliverer posting to g with fixed jitter (none),
// after applying adjust to its configuration.
func newDeliverer(t *testing.T, db *store.DB, g *gateway, c clock.Clock, adjust func(*notify.Config)) *notify.Deliverer {
	t.Helper()
	cfg := notify.Config{URL: g.srv.URL + "/hooks/portal", Secret: []byte(testSecret), Clock: c, Timeout: 2 * time.Second, Jitter: func() float64 { return 0 }}
	if adjust != nil {
		adjust(&cfg)
	}
	// Not wiring: the deliverer under test, pointed at the test gateway.
	d, err := notify.New(db.ForNotify(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func status(t *testing.T, db *store.DB, k notify.Key) *models.OutboxStatus {
	t.Helper()
	s, err := db.GetOutboxStatus(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func deliveries(t *testing.T, db *store.DB, k notify.Key) []*models.OutboxDelivery {
	t.Helper()
	ds, err := db.ListOutboxDeliveries(context.Background(), k, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// attemptView is a recorded attempt without what varies from run to run.
type attemptView struct {
	Attempt     int
	AttemptedAt time.Time
	Status      int
	Error       string
	Outcome     models.DeliveryOutcome
}

func viewAttempts(ds []*models.OutboxDelivery) []attemptView {
	out := make([]attemptView, 0, len(ds))
	for _, d := range ds {
		v := attemptView{Attempt: d.Attempt, AttemptedAt: d.AttemptedAt.UTC(), Outcome: d.Outcome}
		if d.StatusCode != nil {
			v.Status = *d.StatusCode
		}
		if d.Error != nil {
			v.Error = *d.Error
		}
		out = append(out, v)
	}
	return out
}

var cmpInstants = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
