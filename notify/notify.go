package notify

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
)

// Defaults of Config.
const (
	DefaultInterval    = 30 * time.Second
	DefaultBatchSize   = 50
	DefaultConcurrency = 4
	DefaultTimeout     = 10 * time.Second
	DefaultBaseDelay   = 30 * time.Second
	DefaultMaxDelay    = time.Hour
	DefaultMaxAttempts = 20
)

// MaxBatchSize bounds a batch, and so the memory of a pass.
const MaxBatchSize = 500

// jitterFraction is the largest share of a delay the jitter takes off: a
// delay is between 80% and 100% of the nominal one, so consecutive delays
// still grow and none exceeds the cap.
const jitterFraction = 0.2

// Actions the deliverer and admins record in the audit trail.
const (
	ActionDelivered = "notify.delivered"
	ActionDead      = "notify.dead"
	ActionRequeue   = "notify.requeue"
)

// auditJob names the deliverer in the audit trail: "portal:notify".
const auditJob = "notify"

// Key identifies an outbox message: the id is the message id the gateway
// sees; the subscriber id is the row's shard key.
type Key struct {
	SubscriberID string
	ID           int64
}

// Claim asks the store for the next due messages.
type Claim struct {
	// Now judges due-ness: messages whose next attempt (or, before the
	// first, whose creation) is at or before Now.
	Now time.Time
	// Limit is the batch size.
	Limit int
	// Token names this claim; LeaseUntil is when the messages fall due
	// again if no outcome is recorded.
	Token      string
	LeaseUntil time.Time
}

// Store is what delivery needs from the database. The gorm store
// implements it (store.DB.ForNotify).
type Store interface {
	// Store records audit events inside the outcome's transaction.
	audit.Store
	// ClaimOutbox takes up to c.Limit messages due at c.Now, undelivered
	// and not dead, in the order they fell due, skipping rows another
	// claim holds at this moment; it counts an attempt on each (the
	// returned Attempts is this attempt's number) and leases each to
	// c.Token until c.LeaseUntil.
	ClaimOutbox(ctx context.Context, c Claim) ([]*models.OutboxRow, error)
	// ReleaseOutbox gives back messages of a claim that were never posted:
	// due at now, the attempt uncounted, provided token still holds them.
	ReleaseOutbox(ctx context.Context, token string, keys []Key, now time.Time) error
	// RecordOutboxDelivery records one attempt.
	RecordOutboxDelivery(ctx context.Context, d *models.OutboxDelivery) error
	// MarkOutboxDelivered marks a message delivered at at, whoever holds
	// it, unless it already is; it reports whether it changed the row.
	MarkOutboxDelivered(ctx context.Context, k Key, at time.Time) (bool, error)
	// RescheduleOutbox makes a message due at next, provided token still
	// holds it; it reports whether it did.
	RescheduleOutbox(ctx context.Context, k Key, token string, next time.Time) (bool, error)
	// MarkOutboxDead marks a message dead at at, provided token still
	// holds it; it reports whether it did.
	MarkOutboxDead(ctx context.Context, k Key, token string, at time.Time) (bool, error)
	// GetOutboxStatus returns a message's delivery state, or NOT_FOUND.
	GetOutboxStatus(ctx context.Context, k Key) (*models.OutboxStatus, error)
	// ListDeadOutbox returns up to limit dead messages, most recently given
	// up first, and whether more follow.
	ListDeadOutbox(ctx context.Context, limit int) ([]*models.OutboxStatus, bool, error)
	// ListOutboxDeliveries returns up to limit attempts of a message, in
	// the order made.
	ListOutboxDeliveries(ctx context.Context, k Key, limit int) ([]*models.OutboxDelivery, error)
	// RequeueOutbox makes a dead message due at now with a fresh count of
	// attempts; it reports whether the message was dead.
	RequeueOutbox(ctx context.Context, k Key, now time.Time) (bool, error)
	// InTx runs fn in one transaction.
	InTx(ctx context.Context, fn func(tx Store) error) error
}

// Config configures a Deliverer. URL and Secret are required; zero values
// elsewhere select the defaults.
type Config struct {
	// URL is the gateway's webhook: http or https.
	URL string
	// Secret keys the HMAC-SHA256 signature of every request: the key
	// bytes (ParseSecret turns a configured "whsec_…" secret into them).
	Secret []byte
	// LegacyHeaders also sends the portal's earlier X-Portal-Message-Id,
	// X-Portal-Timestamp and X-Portal-Signature headers, for a gateway not
	// yet verifying the Standard Webhooks ones.
	LegacyHeaders bool
	// Interval is how often Run starts a pass (DefaultInterval).
	Interval time.Duration
	// BatchSize is the number of messages claimed at once
	// (DefaultBatchSize, at most MaxBatchSize).
	BatchSize int
	// Concurrency is how many posts of a batch run at once
	// (DefaultConcurrency).
	Concurrency int
	// Timeout bounds one post, from connecting to the end of the answer's
	// headers (DefaultTimeout).
	Timeout time.Duration
	// BaseDelay is the delay after the first failed attempt; each further
	// failure doubles it, up to MaxDelay (DefaultBaseDelay,
	// DefaultMaxDelay). Jitter takes up to a fifth off each delay.
	BaseDelay, MaxDelay time.Duration
	// MaxAttempts is the number of attempts after which a message is
	// marked dead (DefaultMaxAttempts).
	MaxAttempts int
	// Lease is how long a claimed message is reserved for its attempt
	// before another pass may take it: longer than a batch can take. The
	// default is Timeout for every round of Concurrency posts in a batch,
	// plus a minute.
	Lease time.Duration
	// Clock schedules attempts and stamps signatures (clock.Real).
	Clock clock.Clock
	// Client posts the requests; the default follows no redirects.
	Client *http.Client
	// Logger receives failed attempts and pass totals; nil discards them.
	// It never receives payloads or subscriber ids.
	Logger *slog.Logger
	// Jitter returns a number in [0, 1) choosing how much of a delay's
	// jitter to apply; nil draws at random. Tests fix it.
	Jitter func() float64
	// Observer is told of every attempt made, for metrics; nil for none.
	Observer Observer
}

// Observer watches the deliverer's attempts: the metrics of webhook latency
// and failures.
type Observer interface {
	// ObserveAttempt reports one post: its outcome, the gateway's status
	// (0 when no answer came) and how long it took.
	ObserveAttempt(outcome models.DeliveryOutcome, status int, took time.Duration)
}

// Deliverer posts due outbox messages to the webhook. Several may run at
// once, in one process or on several replicas.
type Deliverer struct {
	store  Store
	cfg    Config
	sign   *Signer
	client *http.Client
	log    *slog.Logger
	rec    *audit.Recorder
}

// New checks cfg, fills in its defaults and returns a Deliverer over s.
func New(s Store, cfg Config) (*Deliverer, error) {
	if s == nil {
		return nil, errors.New("notify: no store")
	}
	if err := CheckURL(cfg.URL); err != nil {
		return nil, err
	}
	if len(cfg.Secret) == 0 {
		return nil, errors.New("notify: a webhook secret is required")
	}
	var errs []error
	positive := func(name string, v *time.Duration, def time.Duration) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			errs = append(errs, fmt.Errorf("notify: %s must be positive, got %s", name, *v))
		}
	}
	positive("Interval", &cfg.Interval, DefaultInterval)
	positive("Timeout", &cfg.Timeout, DefaultTimeout)
	positive("BaseDelay", &cfg.BaseDelay, DefaultBaseDelay)
	positive("MaxDelay", &cfg.MaxDelay, DefaultMaxDelay)
	switch {
	case cfg.BatchSize == 0:
		cfg.BatchSize = DefaultBatchSize
	case cfg.BatchSize < 0 || cfg.BatchSize > MaxBatchSize:
		errs = append(errs, fmt.Errorf("notify: BatchSize must be between 1 and %d, got %d", MaxBatchSize, cfg.BatchSize))
	}
	switch {
	case cfg.Concurrency == 0:
		cfg.Concurrency = DefaultConcurrency
	case cfg.Concurrency < 0:
		errs = append(errs, fmt.Errorf("notify: Concurrency must be positive, got %d", cfg.Concurrency))
	}
	switch {
	case cfg.MaxAttempts == 0:
		cfg.MaxAttempts = DefaultMaxAttempts
	case cfg.MaxAttempts < 0:
		errs = append(errs, fmt.Errorf("notify: MaxAttempts must be positive, got %d", cfg.MaxAttempts))
	}
	if cfg.MaxDelay < cfg.BaseDelay {
		errs = append(errs, fmt.Errorf("notify: MaxDelay %s is shorter than BaseDelay %s", cfg.MaxDelay, cfg.BaseDelay))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.Concurrency = min(cfg.Concurrency, cfg.BatchSize)
	if cfg.Lease <= 0 {
		rounds := (cfg.BatchSize + cfg.Concurrency - 1) / cfg.Concurrency
		cfg.Lease = time.Duration(rounds)*cfg.Timeout + time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	cfg.Secret = bytes.Clone(cfg.Secret)
	client := cfg.Client
	if client == nil {
		client = defaultClient()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sg, err := NewSigner(cfg.Secret, cfg.LegacyHeaders)
	if err != nil {
		return nil, err
	}
	return &Deliverer{store: s, cfg: cfg, sign: sg, client: client, log: log, rec: audit.NewRecorder(cfg.Clock)}, nil
}

// CheckURL reports whether u can be a webhook: an absolute http or https URL
// with a host.
func CheckURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return errors.New("notify: the webhook URL does not parse")
	}
	if p.Scheme != "http" && p.Scheme != "https" {
		return fmt.Errorf("notify: the webhook URL must be http or https, not %q", p.Scheme)
	}
	if p.Host == "" {
		return errors.New("notify: the webhook URL has no host")
	}
	return nil
}

// defaultClient bounds connecting and waiting for answers on its own, in
// case a caller's context has no deadline, and follows no redirects: a
// signed notice goes to the configured URL or nowhere.
func defaultClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 5 * time.Second
	tr.ResponseHeaderTimeout = time.Minute
	tr.MaxIdleConnsPerHost = 16
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Report is what a pass did.
type Report struct {
	// Batches is the number of claims that returned messages.
	Batches int
	// Claimed counts the messages claimed; each ends in one of the other
	// counts, or in none when the outcome could not be recorded (the lease
	// then brings the message back).
	Claimed int
	// Delivered, Retried and Dead count the outcomes recorded.
	Delivered, Retried, Dead int
	// Released counts messages claimed but not posted because the pass was
	// stopped: due again at once.
	Released int
}

func (r *Report) merge(b Report) {
	r.Batches += b.Batches
	r.Claimed += b.Claimed
	r.Delivered += b.Delivered
	r.Retried += b.Retried
	r.Dead += b.Dead
	r.Released += b.Released
}

func (r *Report) add(o models.DeliveryOutcome) {
	switch o {
	case models.DeliveryDelivered:
		r.Delivered++
	case models.DeliveryRetry:
		r.Retried++
	case models.DeliveryDead:
		r.Dead++
	}
}

// Run delivers at once and then every Interval until ctx is done, when it
// returns nil. A failed pass is logged and the next one tries again.
func (d *Deliverer) Run(ctx context.Context) error {
	clock.Every(ctx, d.cfg.Interval, func(ctx context.Context) {
		rep, err := d.DeliverOnce(ctx)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			d.log.ErrorContext(ctx, "notification pass failed", slog.Any("error", err))
		case rep.Claimed > 0:
			d.log.InfoContext(ctx, "notification pass finished", slog.Int("claimed", rep.Claimed),
				slog.Int("delivered", rep.Delivered), slog.Int("retried", rep.Retried), slog.Int("dead", rep.Dead))
		}
	})
	return nil
}

// DeliverOnce posts every message due now, batch by batch, until a claim
// comes back short. Messages that fail are scheduled later, so a pass ends
// even when the gateway is down; and a batch in which every post failed
// ends the pass at once: the gateway looks down, and the next pass probes
// it with one batch instead of timing out on the whole backlog. When ctx
// ends, posts in flight are
// abandoned (and recorded as interrupted, due again at once), claimed
// messages not yet posted are released, and DeliverOnce returns the report
// so far with ctx's error.
func (d *Deliverer) DeliverOnce(ctx context.Context) (Report, error) {
	var rep Report
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		var b Report
		err := d.batch(ctx, &b)
		rep.merge(b)
		if err != nil {
			return rep, err
		}
		if b.Claimed < d.cfg.BatchSize || (b.Retried > 0 && b.Delivered == 0) {
			return rep, ctx.Err()
		}
	}
}

// batch claims one batch and delivers it, counting in rep.
func (d *Deliverer) batch(ctx context.Context, rep *Report) error {
	now := d.cfg.Clock.Now()
	token, err := newToken()
	if err != nil {
		return err
	}
	msgs, err := d.store.ClaimOutbox(ctx, Claim{Now: now, Limit: d.cfg.BatchSize, Token: token, LeaseUntil: now.Add(d.cfg.Lease)})
	if err != nil {
		return fmt.Errorf("notify: claim: %w", err)
	}
	if len(msgs) == 0 {
		return nil
	}
	rep.Batches++
	rep.Claimed += len(msgs)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		unposted []Key
		errs     []error
	)
	sem := make(chan struct{}, d.cfg.Concurrency)
	for i, m := range msgs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			for _, r := range msgs[i:] {
				unposted = append(unposted, Key{SubscriberID: r.SubscriberID, ID: r.ID})
			}
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			outcome, err := d.deliver(ctx, token, m)
			mu.Lock()
			defer mu.Unlock()
			rep.add(outcome)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(unposted) > 0 {
		rctx, cancel := outcomeContext(ctx)
		defer cancel()
		if err := d.store.ReleaseOutbox(rctx, token, unposted, d.cfg.Clock.Now()); err != nil {
			errs = append(errs, fmt.Errorf("notify: release unposted messages: %w", err))
		} else {
			rep.Released += len(unposted)
		}
	}
	return errors.Join(errs...)
}

// outcomeContext outlives ctx's cancellation for a few seconds: an outcome
// learnt just before shutdown is still written, or the message would be
// posted again needlessly.
func outcomeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := crand.Read(b); err != nil {
		return "", fmt.Errorf("notify: claim token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Envelope is the JSON body of a webhook request: the outbox row as the
// gateway needs it to tell the subscriber. Message is the notice exactly as
// the portal wrote it; its shape depends on Kind.
type Envelope struct {
	// ID is the outbox id, as in X-Portal-Message-Id.
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	SubscriberID string `json:"subscriberId"`
	// CreatedAt is when the message was written; DueBy the latest time the
	// law allows for telling the subscriber.
	CreatedAt time.Time       `json:"createdAt"`
	DueBy     time.Time       `json:"dueBy"`
	Message   json.RawMessage `json:"message"`
}

// envelope renders m's body: the same bytes on every attempt.
func envelope(m *models.OutboxRow) ([]byte, error) {
	if !json.Valid([]byte(m.Payload)) {
		return nil, errors.New("the stored payload is not JSON")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(Envelope{
		ID: strconv.FormatInt(m.ID, 10), Kind: m.Kind, SubscriberID: m.SubscriberID,
		CreatedAt: m.CreatedAt.UTC(), DueBy: m.DueBy.UTC(), Message: json.RawMessage(m.Payload),
	})
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// attempt is what one post produced.
type attempt struct {
	at         time.Time
	status     int // 0 when no answer came
	err        string
	took       time.Duration
	retryAfter time.Duration
	// interrupted is set when ctx ended during the post: the deliverer is
	// stopping, which says nothing about the gateway.
	interrupted bool
}

// deliver makes one attempt at m and records its outcome.
func (d *Deliverer) deliver(ctx context.Context, token string, m *models.OutboxRow) (models.DeliveryOutcome, error) {
	k := Key{SubscriberID: m.SubscriberID, ID: m.ID}
	if m.Attempts > d.cfg.MaxAttempts {
		// The last allowed attempt was claimed but its outcome never
		// recorded (the deliverer died): give up without another.
		return d.finish(ctx, token, m, nil, models.DeliveryDead, time.Time{})
	}
	body, err := envelope(m)
	var a attempt
	if err != nil {
		// A payload the portal wrote badly will not get better: no post.
		a = attempt{at: d.cfg.Clock.Now(), err: err.Error()}
		return d.finish(ctx, token, m, &a, models.DeliveryDead, time.Time{})
	}
	a = d.post(ctx, m, body)
	now := d.cfg.Clock.Now()
	switch {
	case a.err == "" && a.status >= 200 && a.status < 300:
		return d.finish(ctx, token, m, &a, models.DeliveryDelivered, time.Time{})
	case a.interrupted:
		return d.finish(ctx, token, m, &a, models.DeliveryRetry, now)
	case m.Attempts >= d.cfg.MaxAttempts:
		d.log.WarnContext(ctx, "notification given up", slog.Int64("outbox_id", k.ID), slog.String("kind", m.Kind),
			slog.Int("attempt", m.Attempts), slog.Int("status", a.status), slog.String("error", a.err))
		return d.finish(ctx, token, m, &a, models.DeliveryDead, time.Time{})
	default:
		delay := max(d.Backoff(m.Attempts), min(a.retryAfter, d.cfg.MaxDelay))
		d.log.InfoContext(ctx, "notification attempt failed", slog.Int64("outbox_id", k.ID), slog.String("kind", m.Kind),
			slog.Int("attempt", m.Attempts), slog.Int("status", a.status), slog.String("error", a.err), slog.Duration("retry_in", delay))
		return d.finish(ctx, token, m, &a, models.DeliveryRetry, now.Add(delay))
	}
}

// Backoff is the delay after the given failed attempt (from 1): BaseDelay
// doubled for each earlier attempt, capped at MaxDelay, less up to a fifth
// by jitter so replicas and messages failing together spread out.
func (d *Deliverer) Backoff(attempt int) time.Duration {
	delay := d.cfg.BaseDelay
	for i := 1; i < attempt && delay < d.cfg.MaxDelay; i++ {
		delay *= 2
	}
	delay = min(delay, d.cfg.MaxDelay)
	j := min(max(d.cfg.Jitter(), 0), 1)
	return delay - time.Duration(float64(delay)*jitterFraction*j)
}

// maxErrorLen bounds the error text recorded for an attempt.
const maxErrorLen = 300

// post sends one signed request and reads the status of the answer.
func (d *Deliverer) post(ctx context.Context, m *models.OutboxRow, body []byte) attempt {
	a := attempt{at: d.cfg.Clock.Now()}
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, d.cfg.URL, bytes.NewReader(body))
	if err != nil {
		a.err = "cannot build the request"
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "xroshot-portal-notify")
	req.Header.Set(HeaderAttempt, strconv.Itoa(m.Attempts))
	if err := d.sign.Sign(req.Header, strconv.FormatInt(m.ID, 10), a.at, body); err != nil {
		a.err = "cannot sign the request"
		return a
	}
	resp, err := d.client.Do(req)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			a.interrupted, a.err = true, "interrupted: the deliverer stopped"
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			a.err = fmt.Sprintf("timeout after %s", d.cfg.Timeout)
		default:
			a.err = transportError(err)
		}
		a.took = time.Since(start)
		return a
	}
	// Drained a little so the connection can be reused; never kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	a.status = resp.StatusCode
	if a.status < 200 || a.status > 299 {
		a.err = "gateway answered " + resp.Status
		if len(a.err) > maxErrorLen {
			a.err = a.err[:maxErrorLen]
		}
		a.retryAfter = retryAfter(resp.Header.Get("Retry-After"), d.cfg.Clock.Now())
	}
	a.took = time.Since(start)
	return a
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// transportError describes a failed post without the URL, which may carry a
// token the operator put in its path or query.
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	if len(s) > maxErrorLen {
		s = s[:maxErrorLen]
	}
	return strings.ToValidUTF8(s, "?")
}

// retryAfter reads a Retry-After header: seconds or an HTTP date; zero when
// absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// finish records an attempt (a is nil when none was made) and its outcome in
// one transaction, with the audit event of a terminal outcome. next is the
// retry time of a RETRY. A claim that lost its lease records the attempt
// but leaves the message to the claim that holds it, unless the attempt
// delivered it.
func (d *Deliverer) finish(ctx context.Context, token string, m *models.OutboxRow, a *attempt, outcome models.DeliveryOutcome, next time.Time) (models.DeliveryOutcome, error) {
	k := Key{SubscriberID: m.SubscriberID, ID: m.ID}
	if a != nil && d.cfg.Observer != nil {
		d.cfg.Observer.ObserveAttempt(outcome, a.status, a.took)
	}
	fctx, cancel := outcomeContext(ctx)
	defer cancel()
	var changed bool
	err := d.store.InTx(fctx, func(tx Store) error {
		if a != nil {
			rec := &models.OutboxDelivery{
				SubscriberID: m.SubscriberID, OutboxID: m.ID, Attempt: m.Attempts, AttemptedAt: a.at,
				DurationMS: a.took.Milliseconds(), Outcome: outcome,
			}
			if a.status != 0 {
				rec.StatusCode = &a.status
			}
			if a.err != "" {
				rec.Error = &a.err
			}
			if err := tx.RecordOutboxDelivery(fctx, rec); err != nil {
				return err
			}
		}
		var err error
		now := d.cfg.Clock.Now()
		switch outcome {
		case models.DeliveryDelivered:
			changed, err = tx.MarkOutboxDelivered(fctx, k, now)
		case models.DeliveryRetry:
			changed, err = tx.RescheduleOutbox(fctx, k, token, next)
		case models.DeliveryDead:
			changed, err = tx.MarkOutboxDead(fctx, k, token, now)
		}
		if err != nil || !changed || outcome == models.DeliveryRetry {
			return err
		}
		action, details := ActionDelivered, map[string]any{"kind": m.Kind, "attempt": m.Attempts}
		if outcome == models.DeliveryDead {
			action = ActionDead
		}
		if a != nil && a.status != 0 {
			details["statusCode"] = a.status
		}
		return d.rec.Record(fctx, tx, audit.Event{
			Actor: audit.System(ctx, auditJob), Action: action, Subject: m.SubscriberID,
			TargetType: "outbox", TargetID: strconv.FormatInt(m.ID, 10), Details: details,
		})
	})
	if err != nil {
		return "", fmt.Errorf("notify: record the outcome of message %d: %w", m.ID, err)
	}
	if !changed {
		msg := "notification lease lost: another deliverer holds the message"
		if outcome == models.DeliveryDelivered {
			msg = "notification already marked delivered"
		}
		d.log.WarnContext(ctx, msg, slog.Int64("outbox_id", m.ID), slog.Int("attempt", m.Attempts))
		return "", nil
	}
	return outcome, nil
}
