package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/protect"
)

// StartNotifier, as serve runs it: the deliverer posts what is due at once,
// and the wait it returns ends once ctx has stopped it.
func TestStartNotifierDeliversInTheBackground(t *testing.T) {
	t.Parallel()
	const secret = "a-webhook-secret-of-at-least-32-bytes!!"
	hits := make(chan string, 10)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verifyStandard(secret, r.Header, body); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		hits <- r.Header.Get(notify.HeaderWebhookID)
	}))
	defer gw.Close()
	cfg, err := LoadConfig(envOf(map[string]string{"PORTAL_WEBHOOK_URL": gw.URL, "PORTAL_WEBHOOK_SECRET": secret}), protect.DevelopmentKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg.SQLitePath = filepath.Join(t.TempDir(), "portal.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	now := time.Now().UTC()
	if err := a.DB.UpsertSubscriber(ctx, &models.Subscriber{ID: "sub-1", Status: models.StatusActive, SignedUpAt: now.AddDate(-1, 0, 0), BillingState: models.BillingSettled}); err != nil {
		t.Fatal(err)
	}
	m := &models.OutboxRow{SubscriberID: "sub-1", Kind: "REQUEST_STATUS", Payload: `{"n":1}`, DueBy: now.AddDate(0, 0, 14), CreatedAt: now.Add(-time.Second)}
	if err := a.DB.EnqueueOutbox(ctx, m); err != nil {
		t.Fatal(err)
	}
	wait, err := a.StartNotifier(ctx)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-hits:
		if id != strconv.FormatInt(m.ID, 10) {
			t.Errorf("posted message %s, want %d", id, m.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing posted")
	}
	cancel()
	wait()
}
