package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// captured is one request as a gateway received it.
type captured struct {
	header http.Header
	body   []byte
}

// capture posts one real message with the deliverer configured by adjust
// and returns the request the gateway received; the deliverer runs on the
// wall clock so that the library's own timestamp tolerance applies.
func capture(t *testing.T, db *store.DB, adjust func(*notify.Config)) (captured, notify.Key) {
	t.Helper()
	var (
		mu  sync.Mutex
		got []captured
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{header: r.Header.Clone(), body: b})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	keys := seed(t, db, []string{"sub-std"}, 1)
	cfg := notify.Config{URL: srv.URL, Secret: []byte(testSecret), Clock: clock.Real{}}
	if adjust != nil {
		adjust(&cfg)
	}
	// Not wiring: the deliverer under test, pointed at a test gateway.
	d, err := notify.New(db.ForNotify(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("gateway got %d requests, want 1", len(got))
	}
	return got[0], keys[0]
}

// Every request carries the Standard Webhooks headers, verified here by the
// official Go library as any gateway would, with the "whsec_" form of the
// configured secret; a changed body, id or secret fails; the legacy headers
// are absent unless asked for.
func TestRequestsFollowStandardWebhooks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		req, key := capture(t, db, nil)
		id := strconv.FormatInt(key.ID, 10)
		if got := req.header.Get("webhook-id"); got != id {
			t.Errorf("webhook-id = %q, want the outbox id %q", got, id)
		}
		if sig := req.header.Get("webhook-signature"); !strings.HasPrefix(sig, "v1,") {
			t.Errorf("webhook-signature = %q, want v1,<base64>", sig)
		}
		whsec := "whsec_" + base64.StdEncoding.EncodeToString([]byte(testSecret))
		wh, err := standardwebhooks.NewWebhook(whsec)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(req.body, req.header); err != nil {
			t.Fatalf("the standard verifier refused the request: %v", err)
		}
		tampered := bytes.Replace(req.body, []byte("sub-std"), []byte("sub-xxx"), 1)
		if err := wh.Verify(tampered, req.header); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
			t.Errorf("tampered body: %v, want no matching signature", err)
		}
		otherID := req.header.Clone()
		otherID.Set("webhook-id", id+"0")
		if err := wh.Verify(req.body, otherID); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
			t.Errorf("changed id: %v, want no matching signature", err)
		}
		other, _ := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte("another-secret-of-32-bytes-or-more!")))
		if err := other.Verify(req.body, req.header); err == nil {
			t.Error("a verifier with another secret accepted the request")
		}
		for _, h := range []string{"X-Portal-Signature", "X-Portal-Timestamp", "X-Portal-Message-Id"} {
			if v := req.header.Get(h); v != "" {
				t.Errorf("legacy header %s = %q sent without LegacyHeaders", h, v)
			}
		}
	})
}

// A "whsec_" secret configures the key it encodes: the gateway verifies
// with the same string.
func TestWhsecSecretSignsWithItsKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		whsec := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
		key, err := notify.ParseSecret(whsec)
		if err != nil {
			t.Fatal(err)
		}
		if string(key) != "0123456789abcdef0123456789abcdef" {
			t.Fatalf("ParseSecret(%q) = %q", whsec, key)
		}
		req, _ := capture(t, db, func(c *notify.Config) { c.Secret = key })
		wh, err := standardwebhooks.NewWebhook(whsec)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(req.body, req.header); err != nil {
			t.Fatalf("verify with the configured whsec_ secret: %v", err)
		}
		if got := notify.EncodeSecret([]byte(testSecret)); got != "whsec_"+base64.StdEncoding.EncodeToString([]byte(testSecret)) {
			t.Errorf("EncodeSecret = %q", got)
		}
		for _, bad := range []string{"whsec_", "whsec_not base64!"} {
			if _, err := notify.ParseSecret(bad); err == nil {
				t.Errorf("ParseSecret(%q) accepted", bad)
			}
		}
	})
}

// With LegacyHeaders the old X-Portal-* headers are sent too, and still
// verify under the old scheme.
func TestLegacyHeadersBehindTheSwitch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		req, key := capture(t, db, func(c *notify.Config) { c.LegacyHeaders = true })
		if got := req.header.Get(notify.HeaderMessageID); got != strconv.FormatInt(key.ID, 10) {
			t.Errorf("X-Portal-Message-Id = %q", got)
		}
		if err := notify.Verify([]byte(testSecret), req.header, req.body, clock.Real{}.Now(), 0); err != nil {
			t.Errorf("legacy verification: %v", err)
		}
		wh, _ := standardwebhooks.NewWebhookRaw([]byte(testSecret))
		if err := wh.Verify(req.body, req.header); err != nil {
			t.Errorf("standard verification beside the legacy headers: %v", err)
		}
	})
}
