// Package usenotice sends the yearly notice of use and provision (이용·제공
// 내역 통지, 법 20조의2; 영 15조의3): a controller of a million subjects or
// more tells each subject, at least once a year, what of theirs was used for
// which purposes and to whom it was provided.
//
// The notice is generated from the portal's own records: the categories of
// profile items held, with the purposes the catalog gives each; the records
// of the year by kind, with theirs; marketing only where a marketing consent
// stood in the year; the processors of the catalog's outsourcing purpose;
// and the transmission recipients (package transmit) that received
// deliveries in the year. It carries codes, labels, counts and recipient
// names, never a value. It is queued through the outbox to the operator's
// gateway, recorded per subscriber and year (a unique key: a run is
// idempotent), and shown in `me` as the last notice.
//
// # Who is not sent one
//
//   - A subscriber with no contact channel (no applicant phone or e-mail, nor
//     a guardian's phone for a child): the notice is recorded as
//     SKIPPED_NO_CONTACT, counted, and shown in the portal.
//   - A terminated subscriber whose contact items are kept only because a
//     statute requires it, in use until the purge moves them or kept apart
//     already (SKIPPED_STATUTE_ONLY). docs/POLICY.md: data kept only
//     by statute is "kept apart, used for nothing else (no marketing, no
//     analysis, no notices other than about the data itself)". The usage
//     notice is about the data, but sending it means using the statute-kept
//     phone number or e-mail address to reach the person, which is a use
//     the statute does not keep them for (법 21③); and data kept apart is,
//     by definition, not being used or provided, so the notice would have
//     nothing to report but retention, which the portal already shows. So
//     no notice is sent: the row says why, and coverage counts it.
//
// # At scale
//
// Run walks the whole base in batches by subscriber id: each batch reads
// the facts of its subscribers in a few grouped statements, writes the
// notices and their outbox messages and moves the run's cursor in one
// transaction. A lease on the year's run row keeps replicas and commands
// from running the same year at once; a stopped run resumes from its
// cursor, and the unique (subscriber, year) key skips whoever was reached.
package usenotice

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// NoticeKind is the outbox kind of the yearly notice.
const NoticeKind = "USAGE_NOTICE"

// Audit actions.
const (
	ActionRun   = "usage_notice.run"
	ActionBatch = "usage_notice.batch"
)

// DefaultBatch is how many subscribers a batch takes.
const DefaultBatch = 500

// MaxBatch bounds a batch.
const MaxBatch = 5000

// ContactCategories are the items through which the gateway reaches a
// subscriber; a child is reached through the guardian's phone.
var ContactCategories = []string{"applicant.phone", "applicant.email", "guardian.phone"}

// Subject is a subscriber a batch takes.
type Subject struct {
	ID     string
	Status models.SubscriberStatus
}

// Delivery is a transmission a subscriber's recipient received in the
// year, grouped by recipient.
type Delivery struct {
	SubscriberID string
	Recipient    string
	Categories   []string
	Count        int
}

// Facts are what a batch's notices are made of.
type Facts struct {
	// Categories maps a subscriber to the categories held.
	Categories map[string][]string
	// Records maps a subscriber to record counts of the year by kind.
	Records map[string]map[string]int
	// Marketing lists the subscribers with a marketing consent that stood
	// in the year.
	Marketing map[string]bool
	// Deliveries lists the year's transmissions by subscriber.
	Deliveries map[string][]Delivery
	// ContactApart lists the subscribers with a contact item (one of
	// ContactCategories) kept apart because only a statute keeps it: that
	// it exists, never its value, which the notice may not use to send.
	ContactApart map[string]bool
}

// Store is what the notice run needs; the gorm store implements it
// (store.DB.ForUsageNotice).
type Store interface {
	audit.Store
	InTx(ctx context.Context, fn func(tx Store) error) error
	// StartNoticeRun takes the year's run lease for token until
	// leaseUntil, unless another holds it; it returns the cursor to
	// resume from.
	StartNoticeRun(ctx context.Context, year int, token string, now, leaseUntil time.Time) (cursor string, ok bool, err error)
	// AdvanceNoticeRun moves the cursor and renews the lease, while token
	// holds it.
	AdvanceNoticeRun(ctx context.Context, year int, token, cursor string, leaseUntil time.Time) (bool, error)
	// FinishNoticeRun ends the run and releases the lease.
	FinishNoticeRun(ctx context.Context, year int, token string, now time.Time) error
	// ReleaseNoticeRun releases token's lease and keeps the cursor, so
	// the next run resumes where this one stopped.
	ReleaseNoticeRun(ctx context.Context, year int, token string) error
	// NoticeBatch returns up to limit subscribers after cursor, by id,
	// signed up before to, with no notice for the year.
	NoticeBatch(ctx context.Context, year int, after string, to time.Time, limit int) ([]Subject, error)
	// NoticeFacts reads the facts of the subscribers for [from, to).
	NoticeFacts(ctx context.Context, ids []string, from, to time.Time) (*Facts, error)
	// SaveNotices writes notices, enqueueing the outbox message of each
	// one that has a non-nil entry in outbox (its id goes on the notice).
	SaveNotices(ctx context.Context, notices []*models.UsageNotice, outbox []*models.OutboxRow) error
	// NoticeCoverage counts the year's notices by outcome, and the
	// subscribers not reached yet.
	NoticeCoverage(ctx context.Context, year int, to time.Time) (*models.UsageNoticeCoverage, error)
	// LastNotice returns the subscriber's latest notice with its outcome,
	// or ErrNotFound.
	LastNotice(ctx context.Context, subscriberID string) (*models.UsageNotice, error)
}

// Service runs the yearly notice and reads its results.
type Service struct {
	store Store
	inv   *inventory.Service
	cat   *policy.Catalog
	clock clock.Clock
	rec   *audit.Recorder
}

// New returns the notice service.
func New(s Store, inv *inventory.Service, c clock.Clock) *Service {
	if c == nil {
		c = clock.Real{}
	}
	return &Service{store: s, inv: inv, cat: inv.Catalog(), clock: c, rec: audit.NewRecorder(c)}
}

// YearBounds is the calendar year in Korea: from its first instant to the
// first instant of the next.
func YearBounds(year int) (from, to time.Time) {
	return time.Date(year, 1, 1, 0, 0, 0, 0, clock.KST).UTC(), time.Date(year+1, 1, 1, 0, 0, 0, 0, clock.KST).UTC()
}

// Options tune a run.
type Options struct {
	// Batch is how many subscribers a batch takes (DefaultBatch).
	Batch int
	// Lease is how long the run's lease lasts between batches.
	Lease time.Duration
	// Progress, if set, is called after each batch with the totals so far.
	Progress func(Report)
}

// Report is what a run did.
type Report struct {
	Year    int
	Batches int
	// Queued notices went to the outbox; the skips were recorded only.
	Queued, SkippedNoContact, SkippedStatuteOnly int
}

// Run sends the year's notices to every subscriber not yet reached, batch
// by batch, until none is left or ctx ends. Another run of the same year
// holding the lease is a CONFLICT.
func (s *Service) Run(ctx context.Context, year int, opt Options) (Report, error) {
	rep := Report{Year: year}
	if year < 2000 || year > 9999 {
		return rep, apperr.BadInput("year", "year %d is out of range", year)
	}
	if opt.Batch <= 0 {
		opt.Batch = DefaultBatch
	}
	if opt.Batch > MaxBatch {
		return rep, apperr.BadInput("batch", "a batch takes at most %d subscribers", MaxBatch)
	}
	if opt.Lease <= 0 {
		opt.Lease = 5 * time.Minute
	}
	token, err := newToken()
	if err != nil {
		return rep, err
	}
	from, to := YearBounds(year)
	now := s.clock.Now()
	cursor, ok, err := s.store.StartNoticeRun(ctx, year, token, now, now.Add(opt.Lease))
	if err != nil {
		return rep, err
	}
	if !ok {
		return rep, apperr.Conflict("another notice run of %d is in progress", year)
	}
	actor := audit.System(ctx, "usage-notice")
	finished := false
	defer func() {
		if !finished {
			// Stopped or failed: the next run resumes at the cursor at
			// once instead of waiting for the lease to run out.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = s.store.ReleaseNoticeRun(rctx, year, token)
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		subs, err := s.store.NoticeBatch(ctx, year, cursor, to, opt.Batch)
		if err != nil {
			return rep, err
		}
		if len(subs) == 0 {
			break
		}
		b, err := s.batch(ctx, year, subs, from, to)
		if err != nil {
			return rep, err
		}
		cursor = subs[len(subs)-1].ID
		err = s.store.InTx(ctx, func(tx Store) error {
			ok, err := tx.AdvanceNoticeRun(ctx, year, token, cursor, s.clock.Now().Add(opt.Lease))
			if err != nil {
				return err
			}
			if !ok {
				return apperr.Conflict("the notice run of %d lost its lease", year)
			}
			if err := tx.SaveNotices(ctx, b.notices, b.outbox); err != nil {
				return err
			}
			return s.rec.Record(ctx, tx, audit.Event{Actor: actor, Action: ActionBatch, TargetType: "usage_notice_run", TargetID: fmt.Sprint(year),
				Details: map[string]any{"year": year, "queued": b.queued, "skipped": b.skipped + b.statute}})
		})
		if err != nil {
			return rep, err
		}
		rep.Batches++
		rep.Queued += b.queued
		rep.SkippedNoContact += b.skipped
		rep.SkippedStatuteOnly += b.statute
		if opt.Progress != nil {
			opt.Progress(rep)
		}
	}
	finished = true
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.FinishNoticeRun(ctx, year, token, s.clock.Now()); err != nil {
			return err
		}
		return s.rec.Record(ctx, tx, audit.Event{Actor: actor, Action: ActionRun, TargetType: "usage_notice_run", TargetID: fmt.Sprint(year),
			Details: map[string]any{"year": year, "queued": rep.Queued, "skipped": rep.SkippedNoContact + rep.SkippedStatuteOnly}})
	})
	return rep, err
}

type batchOut struct {
	notices                  []*models.UsageNotice
	outbox                   []*models.OutboxRow
	queued, skipped, statute int
}

// content is the notice as the subscriber receives it.
type content struct {
	Kind         string                         `json:"kind"`
	SubscriberID string                         `json:"subscriberId"`
	Year         int                            `json:"year"`
	From         time.Time                      `json:"from"`
	To           time.Time                      `json:"to"`
	Purposes     []*models.UsageNoticePurpose   `json:"purposes"`
	Recipients   []*models.UsageNoticeRecipient `json:"recipients"`
	Text         text                           `json:"text"`
	Sender       text                           `json:"sender"`
	PolicyURL    string                         `json:"policyUrl"`
	Skipped      string                         `json:"skipped,omitempty"`
}

type text struct {
	Ko string `json:"ko"`
	En string `json:"en"`
}

// batch builds the notices of one batch of subscribers.
func (s *Service) batch(ctx context.Context, year int, subs []Subject, from, to time.Time) (*batchOut, error) {
	ids := make([]string, len(subs))
	for i, sub := range subs {
		ids[i] = sub.ID
	}
	f, err := s.store.NoticeFacts(ctx, ids, from, to)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := &batchOut{}
	for _, sub := range subs {
		n := &models.UsageNotice{SubscriberID: sub.ID, Year: year, CreatedAt: now}
		cats := f.Categories[sub.ID]
		contact := slices.ContainsFunc(cats, func(c string) bool { return slices.Contains(ContactCategories, c) })
		// Contact items kept only by statute: still in use until the purge
		// moves them, or moved apart already (whose values the notice
		// never reads). Either way the notice is skipped for that reason,
		// not for want of contact.
		statuteOnly := !contact && f.ContactApart[sub.ID]
		if contact && sub.Status == models.StatusTerminated {
			usable, err := s.contactInUse(ctx, sub.ID)
			if err != nil {
				return nil, err
			}
			statuteOnly = !usable
		}
		if statuteOnly {
			n.Status = models.UsageNoticeSkippedStatuteOnly
			n.Content = mustJSON(content{Kind: NoticeKind, SubscriberID: sub.ID, Year: year, From: from, To: to, Skipped: string(n.Status),
				Purposes: []*models.UsageNoticePurpose{}, Recipients: []*models.UsageNoticeRecipient{}})
			out.notices, out.outbox = append(out.notices, n), append(out.outbox, nil)
			out.statute++
			continue
		}
		c := s.compose(sub.ID, year, from, to, cats, f)
		if !contact {
			n.Status = models.UsageNoticeSkippedNoContact
			c.Skipped = string(n.Status)
			n.Content = mustJSON(c)
			out.notices, out.outbox = append(out.notices, n), append(out.outbox, nil)
			out.skipped++
			continue
		}
		n.Status = models.UsageNoticeQueued
		n.Content = mustJSON(c)
		out.notices = append(out.notices, n)
		out.outbox = append(out.outbox, &models.OutboxRow{SubscriberID: sub.ID, Kind: NoticeKind, Payload: n.Content, DueBy: now.Add(30 * 24 * time.Hour), CreatedAt: now})
		out.queued++
	}
	return out, nil
}

// contactInUse reports whether a terminated subscriber has a contact item
// still in use (or held), rather than kept only by statute: the retention
// calculus decides, as everywhere.
func (s *Service) contactInUse(ctx context.Context, id string) (bool, error) {
	subj, err := s.inv.Load(ctx, id)
	if err != nil {
		return false, err
	}
	hs, err := s.inv.Holdings(ctx, subj, inventory.HoldingFilter{})
	if err != nil {
		return false, err
	}
	for _, h := range hs {
		if slices.Contains(ContactCategories, h.Category.Code) && h.Assessment.State.Usable() {
			return true, nil
		}
	}
	return false, nil
}

// compose writes the notice of one subscriber from the facts.
func (s *Service) compose(id string, year int, from, to time.Time, cats []string, f *Facts) content {
	c := content{Kind: NoticeKind, SubscriberID: id, Year: year, From: from, To: to, PolicyURL: s.cat.PolicyURL,
		Sender: text{Ko: s.cat.Controller.Ko, En: s.cat.Controller.En}, Purposes: []*models.UsageNoticePurpose{}, Recipients: []*models.UsageNoticeRecipient{}}
	recs := f.Records[id]
	for _, p := range s.cat.Purposes {
		if p.Code == "MARKETING" && !f.Marketing[id] {
			continue
		}
		up := &models.UsageNoticePurpose{Code: p.Code, LabelKo: p.Label.Ko, LabelEn: p.Label.En, Categories: []string{}, RecordKinds: []string{}}
		for _, code := range cats {
			if cat, ok := s.cat.Category(code); ok && slices.Contains(cat.Purposes, p.Code) {
				up.Categories = append(up.Categories, code)
			}
		}
		for _, k := range s.cat.RecordKinds {
			if n := recs[k.Code]; n > 0 && slices.Contains(k.Purposes, p.Code) {
				up.RecordKinds = append(up.RecordKinds, k.Code)
				up.Records += n
			}
		}
		if len(up.Categories)+len(up.RecordKinds) > 0 {
			c.Purposes = append(c.Purposes, up)
		}
	}
	for _, p := range c.Purposes {
		if p.Code == "OUTSOURCING" {
			pu, _ := s.cat.Purpose("OUTSOURCING")
			c.Recipients = append(c.Recipients, &models.UsageNoticeRecipient{Kind: "PROCESSOR",
				Name: pu.Label.Ko + " / " + pu.Label.En + " (" + s.cat.PolicyURL + ")", Categories: slices.Concat(p.Categories, p.RecordKinds)})
		}
	}
	for _, d := range f.Deliveries[id] {
		c.Recipients = append(c.Recipients, &models.UsageNoticeRecipient{Kind: "TRANSMISSION_RECIPIENT", Name: d.Recipient, Categories: d.Categories, Deliveries: d.Count})
	}
	var ko, en []string
	for _, p := range c.Purposes {
		ko = append(ko, p.LabelKo)
		en = append(en, p.LabelEn)
	}
	c.Text = text{
		Ko: fmt.Sprintf("%d년 고객님의 개인정보 이용·제공 내역을 알려드립니다 (개인정보 보호법 제20조의2). 이용 목적: %s. 제공받은 자: %d곳. 자세한 내용은 개인정보 포털에서 확인하실 수 있습니다.", year, strings.Join(ko, ", "), len(c.Recipients)),
		En: fmt.Sprintf("How your personal information was used and provided in %d (PIPA Art. 20-2). Purposes: %s. Recipients: %d. See the privacy portal for details.", year, strings.Join(en, ", "), len(c.Recipients)),
	}
	return c
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("usenotice: " + err.Error())
	}
	return string(b)
}

// Coverage reports how far the year's run reached. Admins only (the
// resolver's directive).
func (s *Service) Coverage(ctx context.Context, year int) (*models.UsageNoticeCoverage, error) {
	if year < 2000 || year > 9999 {
		return nil, apperr.BadInput("year", "year %d is out of range", year)
	}
	_, to := YearBounds(year)
	return s.store.NoticeCoverage(ctx, year, to)
}

// Last returns the subscriber's latest notice, decoded, or nil when none
// was made.
func (s *Service) Last(ctx context.Context, subscriberID string) (*models.UsageNotice, error) {
	n, err := s.store.LastNotice(ctx, subscriberID)
	if apperr.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c content
	if err := json.Unmarshal([]byte(n.Content), &c); err != nil {
		return nil, fmt.Errorf("usage notice %s/%d: %w", n.SubscriberID, n.Year, err)
	}
	n.Purposes, n.Recipients = c.Purposes, c.Recipients
	return n, nil
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
