package telemetry

import (
	"context"
	"database/sql"
	"log/slog"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/requests"
)

// Metrics are the series of the portal's background jobs, beside the HTTP
// edge's own. Every label takes values from a fixed set: outcomes, status
// classes, store names.
type Metrics struct {
	purgeRuns     *prometheus.CounterVec
	purgeErased   prometheus.Counter
	purgeHeld     prometheus.Counter
	purgeDeferred prometheus.Counter
	purgeDuration prometheus.Histogram
	purgeLastOK   prometheus.Gauge

	webhookAttempts *prometheus.CounterVec
	webhookLatency  *prometheus.HistogramVec
}

// Build describes the running binary for portal_build_info.
type Build struct {
	Version string
	Store   string // "postgres" or "sqlite"
}

// NewMetrics registers the jobs' series and portal_build_info in reg.
func NewMetrics(reg prometheus.Registerer, b Build) *Metrics {
	m := &Metrics{
		purgeRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_purge_runs_total", Help: "Scheduled purge runs on this replica by result (ok, failed, skipped: another replica held the purge lock).",
		}, []string{"result"}),
		purgeErased: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portal_purge_erased_total", Help: "Items and records erased by this replica's scheduled purge runs.",
		}),
		purgeHeld: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portal_purge_held_total", Help: "Due items and records a hold kept from erasure in this replica's scheduled purge runs.",
		}),
		purgeDeferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portal_purge_deferred_total", Help: "Due rows passed because a hold was being placed at that moment (a later run takes them).",
		}),
		purgeDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "portal_purge_run_duration_seconds", Help: "Duration of scheduled purge runs.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900},
		}),
		purgeLastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portal_purge_last_success_timestamp_seconds", Help: "When this replica's last scheduled purge run finished without error (Unix seconds).",
		}),
		webhookAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_webhook_attempts_total", Help: "Webhook posts by outcome (DELIVERED, RETRY, DEAD) and the gateway's status class (2xx … 5xx, or none when no answer came).",
		}, []string{"outcome", "status"}),
		webhookLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portal_webhook_duration_seconds", Help: "Webhook post latency by outcome.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"outcome"}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "portal_build_info", Help: "The running build: always 1, its labels say which.",
		ConstLabels: prometheus.Labels{"version": b.Version, "goversion": runtime.Version(), "store": b.Store},
	})
	info.Set(1)
	reg.MustRegister(m.purgeRuns, m.purgeErased, m.purgeHeld, m.purgeDeferred, m.purgeDuration, m.purgeLastOK,
		m.webhookAttempts, m.webhookLatency, info)
	return m
}

// ObservePurge records one scheduled purge run: its report, or the error
// that ended it.
func (m *Metrics) ObservePurge(rep *purge.Report, err error) {
	if err != nil || rep == nil {
		m.purgeRuns.WithLabelValues("failed").Inc()
		return
	}
	m.purgeRuns.WithLabelValues("ok").Inc()
	m.purgeErased.Add(float64(rep.Erased))
	m.purgeHeld.Add(float64(rep.SkippedHeld))
	m.purgeDeferred.Add(float64(rep.Deferred))
	m.purgeDuration.Observe(rep.FinishedAt.Sub(rep.StartedAt).Seconds())
	m.purgeLastOK.Set(float64(rep.FinishedAt.Unix()))
}

// ObservePurgeSkipped records a tick on which another replica was purging.
func (m *Metrics) ObservePurgeSkipped() { m.purgeRuns.WithLabelValues("skipped").Inc() }

// ObserveAttempt implements notify.Observer.
func (m *Metrics) ObserveAttempt(outcome models.DeliveryOutcome, status int, took time.Duration) {
	class := "none"
	if status >= 100 && status < 600 {
		class = strconv.Itoa(status/100) + "xx"
	}
	o := string(outcome)
	switch outcome {
	case models.DeliveryDelivered, models.DeliveryRetry, models.DeliveryDead:
	default:
		o = "OTHER"
	}
	m.webhookAttempts.WithLabelValues(o, class).Inc()
	m.webhookLatency.WithLabelValues(o).Observe(took.Seconds())
}

var _ notify.Observer = (*Metrics)(nil)

// BacklogSource reads the outbox's state: the store.
type BacklogSource interface {
	OutboxBacklog(ctx context.Context, now time.Time) (notify.Backlog, error)
}

// RegisterStore registers the database's series in reg: the connection
// pool's statistics (database/sql's DBStats) and the outbox backlog, read
// at scrape time with a short timeout. The backlog is the database's, the
// same on every replica: aggregate it with max, not sum.
func RegisterStore(reg prometheus.Registerer, pool *sql.DB, store string, backlog BacklogSource, log *slog.Logger) {
	reg.MustRegister(collectors.NewDBStatsCollector(pool, store))
	if backlog != nil {
		reg.MustRegister(&backlogCollector{src: backlog, log: log})
	}
}

var (
	descPending = prometheus.NewDesc("portal_outbox_pending", "Notices neither delivered nor given up on.", nil, nil)
	descOverdue = prometheus.NewDesc("portal_outbox_overdue", "Pending notices past the time the law allows for telling the subscriber.", nil, nil)
	descDead    = prometheus.NewDesc("portal_outbox_dead", "Notices given up on, waiting for an admin (portal notify dead).", nil, nil)
	descOldest  = prometheus.NewDesc("portal_outbox_oldest_pending_age_seconds", "Age of the oldest pending notice; 0 when none is pending.", nil, nil)
	descUp      = prometheus.NewDesc("portal_outbox_backlog_up", "1 if the outbox backlog could be read at this scrape.", nil, nil)
)

type backlogCollector struct {
	src BacklogSource
	log *slog.Logger
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descPending
	ch <- descOverdue
	ch <- descDead
	ch <- descOldest
	ch <- descUp
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := time.Now()
	b, err := c.src.OutboxBacklog(ctx, now)
	if err != nil {
		if c.log != nil {
			c.log.Warn("metrics: outbox backlog unreadable", "err", err)
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	age := 0.0
	if !b.OldestPending.IsZero() {
		age = max(now.Sub(b.OldestPending).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(b.Pending))
	ch <- prometheus.MustNewConstMetric(descOverdue, prometheus.GaugeValue, float64(b.Overdue))
	ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(b.Dead))
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age)
}

// RequestsSource reads the desk's backlog: the requests service.
type RequestsSource interface {
	Backlog(ctx context.Context) ([]requests.Backlog, error)
}

// RegisterRequests registers the desk's series in reg, read at scrape time:
// open requests and overdue ones per type. An overdue request stays in
// portal_requests_overdue until it is answered (it cannot be extended).
// The counts are the database's: aggregate replicas with max, not sum.
func RegisterRequests(reg prometheus.Registerer, src RequestsSource, log *slog.Logger) {
	reg.MustRegister(&requestsCollector{src: src, log: log})
}

var (
	descRequestsOpen    = prometheus.NewDesc("portal_requests_open", "Open data-subject requests, by type.", []string{"type"}, nil)
	descRequestsOverdue = prometheus.NewDesc("portal_requests_overdue", "Open data-subject requests past their statutory due date, by type.", []string{"type"}, nil)
	descRequestsUp      = prometheus.NewDesc("portal_requests_backlog_up", "1 if the request backlog could be read at this scrape.", nil, nil)
)

type requestsCollector struct {
	src RequestsSource
	log *slog.Logger
}

func (c *requestsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descRequestsOpen
	ch <- descRequestsOverdue
	ch <- descRequestsUp
}

func (c *requestsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	bs, err := c.src.Backlog(ctx)
	if err != nil {
		if c.log != nil {
			c.log.Warn("metrics: request backlog unreadable", "err", err)
		}
		ch <- prometheus.MustNewConstMetric(descRequestsUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descRequestsUp, prometheus.GaugeValue, 1)
	for _, b := range bs {
		ch <- prometheus.MustNewConstMetric(descRequestsOpen, prometheus.GaugeValue, float64(b.Open), string(b.Type))
		ch <- prometheus.MustNewConstMetric(descRequestsOverdue, prometheus.GaugeValue, float64(b.Overdue), string(b.Type))
	}
}

// RegisterLive registers the live-update gauges: subscriptions and
// WebSocket connections open on this replica, and whether its relay
// listener is connected (absent on SQLite, which has none).
func RegisterLive(reg prometheus.Registerer, subscriptions func() int, sockets func() int, listening func() bool) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "portal_live_subscriptions", Help: "requestUpdated subscriptions open on this replica.",
	}, func() float64 { return float64(subscriptions()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "portal_live_websockets", Help: "WebSocket connections open on this replica.",
	}, func() float64 { return float64(sockets()) }))
	if listening != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "portal_live_relay_listening", Help: "1 while this replica's LISTEN connection for cross-replica updates is up.",
		}, func() float64 {
			if listening() {
				return 1
			}
			return 0
		}))
	}
}
