package telemetry_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
	"github.com/xroshot/portal/telemetry"
)

// The outbox series count what the outbox holds, on both stores: pending
// messages (one of them past its legal due-by time) and one given up on;
// the webhook series count the attempts that gave it up; the pool series
// are there; build_info names the build.
func TestOutboxWebhookAndPoolSeries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		if err := db.UpsertSubscriber(ctx, &models.Subscriber{ID: "sub-m", Status: models.StatusActive, SignedUpAt: now.AddDate(-1, 0, 0), BillingState: models.BillingSettled}); err != nil {
			t.Fatal(err)
		}
		enqueue := func(created, due time.Time) {
			m := &models.OutboxRow{SubscriberID: "sub-m", Kind: "CONSENT_RESULT", Payload: `{"n":1}`, CreatedAt: created, DueBy: due}
			if err := db.EnqueueOutbox(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		// The first is posted (and given up on) by the deliverer below;
		// the other two are written after, so stay pending.
		enqueue(now.Add(-time.Hour), now.AddDate(0, 0, 14))

		reg := prometheus.NewRegistry()
		m := telemetry.NewMetrics(reg, telemetry.Build{Version: "v1.2.3", Store: db.Dialect()})
		telemetry.RegisterStore(reg, db.SQL(), db.Dialect(), db, nil)

		gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
		defer gw.Close()
		// Not wiring: one deliverer pointed at a test gateway, reporting to the metrics under test.
		d, err := notify.New(db.ForNotify(), notify.Config{URL: gw.URL, Secret: []byte("a-test-webhook-secret-of-32-bytes-or-more"), MaxAttempts: 1, Clock: clock.Real{}, Observer: m})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
		enqueue(now.Add(-3*time.Hour), now.AddDate(0, 0, 14))
		enqueue(now.Add(-20*24*time.Hour), now.Add(-6*24*time.Hour)) // overdue

		want := `
# HELP portal_outbox_dead Notices given up on, waiting for an admin (portal notify dead).
# TYPE portal_outbox_dead gauge
portal_outbox_dead 1
# HELP portal_outbox_overdue Pending notices past the time the law allows for telling the subscriber.
# TYPE portal_outbox_overdue gauge
portal_outbox_overdue 1
# HELP portal_outbox_pending Notices neither delivered nor given up on.
# TYPE portal_outbox_pending gauge
portal_outbox_pending 2
# HELP portal_webhook_attempts_total Webhook posts by outcome (DELIVERED, RETRY, DEAD) and the gateway's status class (2xx … 5xx, or none when no answer came).
# TYPE portal_webhook_attempts_total counter
portal_webhook_attempts_total{outcome="DEAD",status="5xx"} 1
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "portal_outbox_dead", "portal_outbox_overdue", "portal_outbox_pending", "portal_webhook_attempts_total"); err != nil {
			t.Error(err)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, mf := range mfs {
			seen[mf.GetName()] = true
			if mf.GetName() == "portal_outbox_oldest_pending_age_seconds" {
				// The oldest pending notice was written 20 days ago.
				if age := mf.GetMetric()[0].GetGauge().GetValue(); age < 20*24*3600 || age > 20*24*3600+600 {
					t.Errorf("oldest pending age = %vs, want about 20 days", age)
				}
			}
			if mf.GetName() == "portal_build_info" {
				got := map[string]string{}
				for _, l := range mf.GetMetric()[0].GetLabel() {
					got[l.GetName()] = l.GetValue()
				}
				if got["version"] != "v1.2.3" || got["store"] != db.Dialect() || got["goversion"] == "" {
					t.Errorf("build_info labels = %v", got)
				}
			}
		}
		for _, name := range []string{"go_sql_open_connections", "go_sql_max_open_connections", "portal_webhook_duration_seconds", "portal_build_info", "portal_outbox_oldest_pending_age_seconds"} {
			if !seen[name] {
				t.Errorf("series %s missing", name)
			}
		}
	})
}

// Purge runs are counted with what they erased and what holds kept.
func TestPurgeSeries(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := telemetry.NewMetrics(reg, telemetry.Build{Version: "dev", Store: "sqlite"})
	start := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	m.ObservePurge(&purge.Report{StartedAt: start, FinishedAt: start.Add(1500 * time.Millisecond), Erased: 7, SkippedHeld: 3, Deferred: 1}, nil)
	m.ObservePurge(nil, context.DeadlineExceeded)
	m.ObservePurgeSkipped()
	want := `
# HELP portal_purge_erased_total Items and records erased by this replica's scheduled purge runs.
# TYPE portal_purge_erased_total counter
portal_purge_erased_total 7
# HELP portal_purge_held_total Due items and records a hold kept from erasure in this replica's scheduled purge runs.
# TYPE portal_purge_held_total counter
portal_purge_held_total 3
# HELP portal_purge_last_success_timestamp_seconds When this replica's last scheduled purge run finished without error (Unix seconds).
# TYPE portal_purge_last_success_timestamp_seconds gauge
portal_purge_last_success_timestamp_seconds 1.795705201e+09
# HELP portal_purge_runs_total Scheduled purge runs on this replica by result (ok, failed, skipped: another replica held the purge lock).
# TYPE portal_purge_runs_total counter
portal_purge_runs_total{result="failed"} 1
portal_purge_runs_total{result="ok"} 1
portal_purge_runs_total{result="skipped"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "portal_purge_erased_total", "portal_purge_held_total", "portal_purge_runs_total", "portal_purge_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
}

// Durations are logged as text, also inside groups, by the JSON handler
// production uses.
func TestDurationsAreLoggedAsText(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: telemetry.ReplaceAttr}))
	log.Info("request", "duration", 1200*time.Millisecond, slog.Group("job", slog.Duration("took", 350*time.Microsecond)), "count", 3)
	got := buf.String()
	for _, want := range []string{`"duration":"1.2s"`, `"took":"350µs"`, `"count":3`} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %s lacks %s", got, want)
		}
	}
}
