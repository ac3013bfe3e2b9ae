package transmit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/policy"
)

// Worker defaults.
const (
	DefaultInterval    = time.Minute
	DefaultBatchSize   = 50
	DefaultTimeout     = 10 * time.Second
	DefaultBaseDelay   = 30 * time.Second
	DefaultMaxDelay    = time.Hour
	DefaultMaxAttempts = 8
	// MaxBatchSize bounds a batch, and so the memory of a pass: a
	// document holds up to MaxRecords records.
	MaxBatchSize = 200
	// MaxRecords is the most records one document carries by default; a
	// period with more continues in further documents.
	MaxRecords = 10_000
)

// auditJob names the worker in the audit trail: "portal:transmit".
const auditJob = "transmit"

// WorkerConfig configures the delivery worker; zero values select the
// defaults.
type WorkerConfig struct {
	// Interval is how often Run starts a pass.
	Interval time.Duration
	// BatchSize is how many requests or deliveries one claim takes.
	BatchSize int
	// Timeout bounds one post.
	Timeout time.Duration
	// BaseDelay is the delay after the first failed attempt, doubled after
	// each further one up to MaxDelay, less up to a fifth by jitter.
	BaseDelay, MaxDelay time.Duration
	// MaxAttempts is the number of attempts after which a delivery FAILED.
	MaxAttempts int
	// MaxRecords caps the records of one document (MaxRecords if zero): a
	// period with more records in scope continues in the next document,
	// made at once.
	MaxRecords int
	// Lease is how long a claim reserves what it took.
	Lease time.Duration
	// Client posts deliveries; the default follows no redirects. Tests
	// give the client of an httptest TLS server, which trusts its
	// certificate.
	Client *http.Client
	// Logger receives failures and pass totals, never payloads.
	Logger *slog.Logger
	// Jitter returns a number in [0, 1); nil draws at random.
	Jitter func() float64
}

// Worker makes the deliveries of transmission requests: it schedules each
// period's delivery, posts deliveries to recipients and expires downloads.
// Several may run at once, on several replicas: claims skip what another
// holds, and leases bring back what a dead worker held.
type Worker struct {
	svc *Service
	cfg WorkerConfig
	log *slog.Logger
}

// NewWorker returns the worker of s.
func NewWorker(s *Service, cfg WorkerConfig) (*Worker, error) {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Interval, DefaultInterval)
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.BaseDelay, DefaultBaseDelay)
	def(&cfg.MaxDelay, DefaultMaxDelay)
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.BatchSize > MaxBatchSize {
		return nil, fmt.Errorf("transmit: BatchSize must be at most %d", MaxBatchSize)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MaxRecords <= 0 {
		cfg.MaxRecords = MaxRecords
	}
	if cfg.MaxDelay < cfg.BaseDelay {
		return nil, errors.New("transmit: MaxDelay is shorter than BaseDelay")
	}
	def(&cfg.Lease, time.Duration(cfg.BatchSize)*cfg.Timeout+time.Minute)
	if cfg.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second}).DialContext
		cfg.Client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{svc: s, cfg: cfg, log: log}, nil
}

// Report is what a pass did.
type Report struct {
	// Scheduled deliveries made, of which Continued continue a period
	// whose records did not fit one document; Completed and Expired
	// requests ended; Refused requests whose recipient is no longer
	// admitted.
	Scheduled, Continued, Completed, Expired, Refused int
	// Delivered, Retried, Failed and Cancelled delivery outcomes.
	Delivered, Retried, Failed, Cancelled int
	// DownloadsExpired downloads whose payload was removed.
	DownloadsExpired int64
}

// Run passes at once and then every Interval until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	clock.Every(ctx, w.cfg.Interval, func(ctx context.Context) {
		rep, err := w.RunOnce(ctx)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			w.log.ErrorContext(ctx, "transmission pass failed", slog.Any("error", err))
		case rep != Report{}:
			w.log.InfoContext(ctx, "transmission pass finished", slog.Int("scheduled", rep.Scheduled), slog.Int("delivered", rep.Delivered),
				slog.Int("retried", rep.Retried), slog.Int("failed", rep.Failed), slog.Int("refused", rep.Refused))
		}
	})
	return nil
}

// RunOnce makes every delivery due now, posts every pending delivery due
// now, and expires downloads past their time.
func (w *Worker) RunOnce(ctx context.Context) (Report, error) {
	var rep Report
	if err := w.schedule(ctx, &rep); err != nil {
		return rep, err
	}
	if err := w.deliver(ctx, &rep); err != nil {
		return rep, err
	}
	n, err := w.svc.store.ExpireDownloads(ctx, w.svc.clock.Now())
	rep.DownloadsExpired = n
	return rep, err
}

// scheduleAt is when period n (from 1) of r is due: the start plus n-1
// calendar months, the day falling back to the month's last (민법 160③).
func scheduleAt(r *models.TransmissionRequest, n int) time.Time {
	return policy.Period{Months: n - 1}.AddTo(r.StartsAt)
}

// end is the last instant a delivery of r may be made at.
func end(r *models.TransmissionRequest) time.Time {
	e := r.ExpiresAt
	if r.Until != nil && r.Until.Before(e) {
		e = *r.Until
	}
	return e
}

func (w *Worker) schedule(ctx context.Context, rep *Report) error {
	for {
		now := w.svc.clock.Now()
		token, err := newToken()
		if err != nil {
			return err
		}
		rs, err := w.svc.store.ClaimDueTransmissions(ctx, now, w.cfg.BatchSize, token, now.Add(w.cfg.Lease))
		if err != nil {
			return fmt.Errorf("transmit: claim requests: %w", err)
		}
		var errs []error
		continued := rep.Continued
		for _, r := range rs {
			if err := w.advance(ctx, r, token, now, rep); err != nil {
				// The lease brings the request back at the next pass.
				errs = append(errs, fmt.Errorf("request %s: %w", r.ID, err))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
		// A period left records for its next document, due at once: the
		// pass makes it too. Each document takes what no earlier one did,
		// so this ends.
		if len(rs) < w.cfg.BatchSize && rep.Continued == continued {
			return nil
		}
	}
}

// advance makes r's next document: the next part of the current period
// when its records did not fit the last one, else the next period's first;
// or ends r when no period is left.
func (w *Worker) advance(ctx context.Context, r *models.TransmissionRequest, token string, now time.Time, rep *Report) error {
	s := w.svc
	period, part := r.Periods+1, 1
	if r.MoreRecords {
		period = r.Periods
		prev, err := s.store.ListDeliveries(ctx, r.SubscriberID, []string{r.ID})
		if err != nil {
			return err
		}
		if n := len(prev); n > 0 && prev[n-1].Period == period {
			part = prev[n-1].Part + 1
		}
	}
	at := scheduleAt(r, period)
	if !r.MoreRecords && (at.After(end(r)) || now.After(r.ExpiresAt)) {
		// Past its last date after at least one period: complete.
		// Otherwise the request ran past its own expiry before its
		// delivery could be made.
		r.NextDeliveryAt, r.Status = nil, models.TransmissionExpired
		if at.After(end(r)) && r.Periods > 0 {
			r.Status = models.TransmissionCompleted
			rep.Completed++
		} else {
			rep.Expired++
		}
		return s.store.InTx(ctx, func(tx Store) error {
			_, err := tx.AdvanceTransmission(ctx, r, token)
			return err
		})
	}
	var rc *models.TransmissionRecipient
	if r.Destination == models.DestinationRecipient {
		var err error
		rc, err = s.store.GetRecipient(ctx, *r.RecipientID)
		if err != nil {
			return err
		}
		if reason := admitted(rc, r); reason != "" {
			rep.Refused++
			return w.refuse(ctx, r, token, reason, now)
		}
	}
	d := &models.TransmissionDelivery{ID: uuid.NewString(), SubscriberID: r.SubscriberID, RequestID: r.ID, Sequence: r.Deliveries + 1,
		Period: period, Part: part, ScheduledFor: at, CreatedAt: now}
	doc, err := s.build(ctx, r, rc, d, w.cfg.MaxRecords, now)
	if err != nil {
		return err
	}
	body, err := encode(doc)
	if err != nil {
		return err
	}
	if err := s.seal(ctx, s.store, d, body); err != nil {
		return err
	}
	d.Items, d.Records = len(doc.Profile), len(doc.Records)
	if r.Destination == models.DestinationSelf {
		exp := now.Add(DownloadTTL)
		d.Status, d.ExpiresAt = models.DeliveryReady, &exp
	} else {
		d.Status = models.DeliveryPending
	}
	carried := make([]models.TransmissionSent, len(doc.Records))
	for i, rec := range doc.Records {
		carried[i] = models.TransmissionSent{SubscriberID: r.SubscriberID, RequestID: r.ID, RecordID: rec.id, DeliveryID: d.ID}
	}
	r.Deliveries, r.Periods, r.MoreRecords = d.Sequence, period, doc.MoreRecords
	completed := false
	if doc.MoreRecords {
		// The rest of the period's records go in the next document, now.
		r.NextDeliveryAt = &now
	} else if next := scheduleAt(r, period+1); r.Schedule == models.ScheduleOnce || next.After(end(r)) {
		r.NextDeliveryAt, r.Status, completed = nil, models.TransmissionCompleted, true
	} else {
		r.NextDeliveryAt = &next
	}
	return s.store.InTx(ctx, func(tx Store) error {
		ok, err := tx.AdvanceTransmission(ctx, r, token)
		if err != nil || !ok {
			// Withdrawn, refused, or taken over after the lease ran out: no
			// delivery.
			return err
		}
		if err := tx.CreateDelivery(ctx, d); err != nil {
			return err
		}
		if err := tx.MarkSent(ctx, carried); err != nil {
			return err
		}
		rep.Scheduled++
		if doc.MoreRecords {
			rep.Continued++
		}
		if completed {
			rep.Completed++
		}
		return nil
	})
}

// admitted returns why rc may no longer receive r's scope, or "".
func admitted(rc *models.TransmissionRecipient, r *models.TransmissionRequest) string {
	if rc.Status != models.RecipientActive || CheckEndpoint("endpoint", rc.Endpoint) != nil {
		return ReasonRecipientNotAdmitted
	}
	for _, c := range scopeCodes(r) {
		if !slices.Contains(rc.Categories, c) {
			return ReasonNotTransmissible
		}
	}
	return ""
}

// refuse ends r with reason, tells the subscriber and audits it.
func (w *Worker) refuse(ctx context.Context, r *models.TransmissionRequest, token, code string, now time.Time) error {
	s := w.svc
	reason, ok := s.cat.TransmissionRefusal(code)
	if !ok {
		return fmt.Errorf("transmit: refusal reason %s is not in policy %s", code, s.cat.Version)
	}
	r.Status, r.ReasonCode, r.NextDeliveryAt, r.MoreRecords = models.TransmissionRefused, &reason.Code, nil, false
	return s.store.InTx(ctx, func(tx Store) error {
		ok, err := tx.AdvanceTransmission(ctx, r, token)
		if err != nil || !ok {
			return err
		}
		return s.tellRefused(ctx, tx, r, reason, audit.System(ctx, auditJob), now)
	})
}

func (w *Worker) deliver(ctx context.Context, rep *Report) error {
	recipients := map[string]*models.TransmissionRecipient{}
	for {
		now := w.svc.clock.Now()
		token, err := newToken()
		if err != nil {
			return err
		}
		ds, err := w.svc.store.ClaimDeliveries(ctx, now, w.cfg.BatchSize, token, now.Add(w.cfg.Lease))
		if err != nil {
			return fmt.Errorf("transmit: claim deliveries: %w", err)
		}
		var errs []error
		delivered := 0
		for _, d := range ds {
			st, err := w.attempt(ctx, d, token, recipients)
			if err != nil {
				errs = append(errs, fmt.Errorf("delivery %s: %w", d.ID, err))
				continue
			}
			switch st {
			case models.DeliveryDone:
				rep.Delivered++
				delivered++
			case models.DeliveryPending:
				rep.Retried++
			case models.DeliveryFailed:
				rep.Failed++
			case models.DeliveryCancelled:
				rep.Cancelled++
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
		// A batch in which nothing went through ends the pass: the
		// recipients look down, and the next pass tries again.
		if len(ds) < w.cfg.BatchSize || delivered == 0 {
			return nil
		}
	}
}

// attempt posts d once and records the attempt and its outcome.
func (w *Worker) attempt(ctx context.Context, d *models.TransmissionDelivery, token string, recipients map[string]*models.TransmissionRecipient) (models.DeliveryStatus, error) {
	s := w.svc
	r, err := s.store.GetTransmission(ctx, d.RequestID)
	if err != nil {
		return "", err
	}
	if r.Status != models.TransmissionActive && r.Status != models.TransmissionCompleted {
		// Withdrawn, refused or expired since: nothing more is sent.
		ok, err := s.store.FinishDelivery(ctx, d, token, models.DeliveryCancelled, s.clock.Now(), time.Time{})
		if err != nil || !ok {
			return "", err
		}
		return models.DeliveryCancelled, nil
	}
	rc, ok := recipients[*r.RecipientID]
	if !ok {
		rc, err = s.store.GetRecipient(ctx, *r.RecipientID)
		if err != nil {
			return "", err
		}
		recipients[rc.ID] = rc
	}
	at := s.clock.Now()
	start := time.Now()
	status, errText := 0, ""
	if reason := admitted(rc, r); reason != "" {
		errText = "not posted: " + reason
	} else {
		status, errText = w.post(ctx, d, rc, at)
	}
	took := time.Since(start)
	now := s.clock.Now()
	outcome, st, next := models.DeliveryRetry, models.DeliveryPending, time.Time{}
	switch {
	case errText == "" && status >= 200 && status < 300:
		outcome, st = models.DeliveryDelivered, models.DeliveryDone
	case d.Attempts >= w.cfg.MaxAttempts:
		outcome, st = models.DeliveryDead, models.DeliveryFailed
	default:
		next = now.Add(w.Backoff(d.Attempts))
	}
	a := &models.TransmissionAttempt{SubscriberID: d.SubscriberID, DeliveryID: d.ID, Attempt: d.Attempts, AttemptedAt: at, DurationMS: took.Milliseconds(), Outcome: outcome}
	if status != 0 {
		a.StatusCode = &status
	}
	if errText != "" {
		a.Error = &errText
		w.log.InfoContext(ctx, "transmission attempt failed", slog.String("delivery_id", d.ID), slog.Int("attempt", d.Attempts), slog.Int("status", status), slog.String("error", errText))
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var changed bool
	err = s.store.InTx(fctx, func(tx Store) error {
		if err := tx.RecordAttempt(fctx, a); err != nil {
			return err
		}
		var err error
		changed, err = tx.FinishDelivery(fctx, d, token, st, now, next)
		if err != nil || !changed {
			return err
		}
		details := map[string]any{"attempt": d.Attempts, "outcome": string(outcome)}
		if status != 0 {
			details["statusCode"] = status
		}
		if err := s.rec.Record(fctx, tx, audit.Event{Actor: audit.System(ctx, auditJob), Action: ActionDelivery, Subject: d.SubscriberID,
			TargetType: "transmission_delivery", TargetID: d.ID, Details: details}); err != nil {
			return err
		}
		if st != models.DeliveryFailed {
			return nil
		}
		return w.told(fctx, tx, r, rc, d, now)
	})
	if err != nil || !changed {
		return "", err
	}
	return st, nil
}

// requestsHowToObject is how to object to a refusal or failure.
var requestsHowToObject = Text{
	Ko: "이의가 있으시면 개인정보 보호책임자 또는 개인정보침해 신고센터(국번없이 118)에 이의를 제기하실 수 있습니다.",
	En: "To object, contact the privacy officer or the Personal Information Infringement Report Center (118).",
}

// told queues the notice telling the subscriber that a delivery failed,
// and audits the failure, in the outcome's transaction.
func (w *Worker) told(ctx context.Context, tx Store, r *models.TransmissionRequest, rc *models.TransmissionRecipient, d *models.TransmissionDelivery, now time.Time) error {
	s := w.svc
	msg, err := json.Marshal(map[string]any{
		"kind": NoticeFailed, "subscriberId": r.SubscriberID, "requestId": r.ID, "deliveryId": d.ID, "sequence": d.Sequence,
		"recipient": rc.Name, "attempts": d.Attempts, "at": now, "sender": text(s.cat.Controller),
		"text": Text{
			Ko: fmt.Sprintf("%s(으)로의 %d회차 개인정보 전송이 %d회 시도 후 실패했습니다. 다시 요구하시거나 수신자에게 문의하실 수 있습니다.", rc.Name, d.Sequence, d.Attempts),
			En: fmt.Sprintf("Transmission no. %d of your data to %s failed after %d attempts. You may file the request again or contact the recipient.", d.Sequence, rc.Name, d.Attempts),
		},
		"howToObject": requestsHowToObject,
	})
	if err != nil {
		return err
	}
	if err := tx.EnqueueOutbox(ctx, &models.OutboxRow{SubscriberID: r.SubscriberID, Kind: NoticeFailed, Payload: string(msg), DueBy: now, CreatedAt: now}); err != nil {
		return err
	}
	return s.rec.Record(ctx, tx, audit.Event{Actor: audit.System(ctx, auditJob), Action: ActionFailed, Subject: d.SubscriberID,
		TargetType: "transmission_delivery", TargetID: d.ID, Details: map[string]any{"attempt": d.Attempts, "kind": NoticeFailed}})
}

// post sends the delivery's document, signed on the Standard Webhooks
// scheme with the recipient's secret, and returns the status of the answer
// or why none came.
func (w *Worker) post(ctx context.Context, d *models.TransmissionDelivery, rc *models.TransmissionRecipient, at time.Time) (int, string) {
	s := w.svc
	body, err := s.open(ctx, d)
	if err != nil {
		return 0, "cannot open the payload"
	}
	key, err := s.secret(rc)
	if err != nil {
		return 0, "cannot open the recipient's secret"
	}
	sg, err := notify.NewSigner(key, false)
	if err != nil {
		return 0, "bad recipient secret"
	}
	pctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, rc.Endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, "cannot build the request"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "xroshot-portal-transmit")
	if err := sg.Sign(req.Header, d.ID, at, body); err != nil {
		return 0, "cannot sign"
	}
	req.Header.Set(notify.HeaderAttempt, strconv.Itoa(d.Attempts))
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		if pctx.Err() != nil {
			return 0, fmt.Sprintf("timeout after %s", w.cfg.Timeout)
		}
		return 0, "transport error"
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, "recipient answered " + strconv.Itoa(resp.StatusCode)
	}
	return resp.StatusCode, ""
}

// Backoff is the delay after the given failed attempt (from 1): BaseDelay
// doubled per earlier attempt, capped at MaxDelay, less up to a fifth.
func (w *Worker) Backoff(attempt int) time.Duration {
	delay := w.cfg.BaseDelay
	for i := 1; i < attempt && delay < w.cfg.MaxDelay; i++ {
		delay *= 2
	}
	delay = min(delay, w.cfg.MaxDelay)
	j := min(max(w.cfg.Jitter(), 0), 1)
	return delay - time.Duration(float64(delay)*0.2*j)
}
