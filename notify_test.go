package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/store/storetest"
)

// The notify command delivers what is due, then lists and requeues what the
// deliverer gave up on, on both stores.
func TestNotifyCommand(t *testing.T) {
	t.Parallel()
	const secret = "a-webhook-secret-of-at-least-32-bytes!!"
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := map[string]string{}
			if dialect == "postgres" {
				env["PORTAL_DATABASE_URL"] = storetest.PostgresURL(t)
			} else {
				env["PORTAL_SQLITE_PATH"] = filepath.Join(t.TempDir(), "portal.db")
			}
			cfg, err := app.LoadConfig(envOf(env), "")
			if err != nil {
				t.Fatal(err)
			}
			db, err := app.OpenStore(ctx, cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			now := time.Now().UTC()
			if err := db.UpsertSubscriber(ctx, &models.Subscriber{ID: "sub-1", Status: models.StatusActive, SignedUpAt: now.AddDate(-1, 0, 0), BillingState: models.BillingSettled}); err != nil {
				t.Fatal(err)
			}
			m := &models.OutboxRow{SubscriberID: "sub-1", Kind: "CONSENT_RESULT", Payload: `{"n":1}`, DueBy: now.AddDate(0, 0, 14), CreatedAt: now.Add(-time.Minute)}
			if err := db.EnqueueOutbox(ctx, m); err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(m.ID, 10)

			var failing atomic.Bool
			failing.Store(true)
			gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if err := verifyStandard(secret, r.Header, body); err != nil {
					http.Error(w, err.Error(), http.StatusUnauthorized)
					return
				}
				if failing.Load() {
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			defer gw.Close()

			run := func(args ...string) (string, error) {
				var out bytes.Buffer
				err := realMain(ctx, append([]string{"notify"}, args...), envOf(env), &out, io.Discard)
				return out.String(), err
			}
			if _, err := run("once"); err == nil || !strings.Contains(err.Error(), "PORTAL_WEBHOOK_URL is not set") {
				t.Errorf("once without a webhook = %v", err)
			}
			if _, err := run("frobnicate"); exitCode(err) != exitUsage {
				t.Errorf("an unknown subcommand: %v, want a usage error", err)
			}
			if out, err := run("dead"); err != nil || !strings.Contains(out, "no dead notices") {
				t.Errorf("dead with none = %q, %v", out, err)
			}

			// A deliverer allowed a single attempt gives up at once; the
			// command lists it and requeues it, and the next pass delivers.
			// Not wiring: one deliverer pointed at the test gateway, allowed one attempt.
			d, err := notify.New(db.ForNotify(), notify.Config{URL: gw.URL, Secret: []byte(secret), MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			if rep, err := d.DeliverOnce(ctx); err != nil || rep.Dead != 1 {
				t.Fatalf("DeliverOnce() = %+v, %v; want one dead", rep, err)
			}
			out, err := run("dead")
			if err != nil || !strings.Contains(out, "sub-1\t"+id+"\tCONSENT_RESULT\tattempts 1") {
				t.Errorf("dead = %q, %v", out, err)
			}
			if out, err := run("requeue", "sub-1", id); err != nil || !strings.Contains(out, "requeued") {
				t.Errorf("requeue = %q, %v", out, err)
			}
			failing.Store(false)
			env["PORTAL_WEBHOOK_URL"], env["PORTAL_WEBHOOK_SECRET"] = gw.URL, secret
			if out, err := run("once"); err != nil || !strings.Contains(out, "delivered 1") {
				t.Errorf("once = %q, %v", out, err)
			}
			out, err = run("attempts", "sub-1", id)
			if err != nil || strings.Count(out, "attempt 1\t") != 2 || !strings.Contains(out, "\t500\t") || !strings.Contains(out, "\t204\t") {
				t.Errorf("attempts = %q, %v", out, err)
			}
			if out, _ := run("dead"); !strings.Contains(out, "no dead notices") {
				t.Errorf("dead after delivery = %q, want none", out)
			}
		})
	}
}
