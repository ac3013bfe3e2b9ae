package requests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// MaxExportRecords bounds the records one export lists.
const MaxExportRecords = 10_000

// ExportFormat names the export's JSON shape, for the clients that read it.
const ExportFormat = "xroshot-privacy-portal/access-export/v1"

type exportDoc struct {
	Format      string           `json:"format"`
	GeneratedAt time.Time        `json:"generatedAt"`
	Policy      exportPolicy     `json:"policy"`
	Subscriber  exportSubscriber `json:"subscriber"`
	Holdings    []exportItem     `json:"holdings"`
	Records     []exportItem     `json:"records"`
	RecordsCut  bool             `json:"recordsTruncated,omitempty"`
	Consents    []exportConsent  `json:"consents"`
	Requests    []exportRequest  `json:"requests"`
}

type exportPolicy struct {
	Version string `json:"version"`
	URL     string `json:"url"`
}

type exportSubscriber struct {
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	SignedUpAt   time.Time  `json:"signedUpAt"`
	TerminatedAt *time.Time `json:"terminatedAt,omitempty"`
	BillingState string     `json:"billingState"`
}

type exportItem struct {
	Category    string         `json:"category"`
	Label       policy.Text    `json:"label"`
	Value       string         `json:"value"`
	Source      string         `json:"source,omitempty"`
	CollectedAt time.Time      `json:"collectedAt"`
	State       string         `json:"state"`
	PurgeAfter  *time.Time     `json:"purgeAfter"`
	OpenReason  string         `json:"openReason,omitempty"`
	Clauses     []exportClause `json:"clauses"`
	Explanation policy.Text    `json:"explanation"`
}

type exportClause struct {
	Code   string      `json:"code"`
	Law    policy.Text `json:"law"`
	Until  *time.Time  `json:"until"`
	Active bool        `json:"active"`
}

type exportConsent struct {
	Topic string    `json:"topic"`
	State string    `json:"state"`
	Since time.Time `json:"since"`
}

type exportRequest struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Status     string     `json:"status"`
	FiledAt    time.Time  `json:"filedAt"`
	Resolution *string    `json:"resolution,omitempty"`
	ResolvedAt *time.Time `json:"resolvedAt,omitempty"`
}

// completeAccess builds the machine-readable export of everything held about
// the subscriber — profile, items with their clauses and dates, records,
// consents, requests — with values masked as everywhere else, stores it for
// ExportTTL and resolves the request with it.
func (s *Service) completeAccess(ctx context.Context, r *models.Request) (*models.Request, error) {
	now := s.now()
	subj, err := s.inv.Load(ctx, r.SubscriberID)
	if err != nil {
		return nil, err
	}
	sub := subj.Subscriber
	doc := exportDoc{
		Format: ExportFormat, GeneratedAt: now,
		Policy:     exportPolicy{Version: s.cat.Version, URL: s.cat.PolicyURL},
		Subscriber: exportSubscriber{ID: sub.ID, Status: string(sub.Status), SignedUpAt: sub.SignedUpAt, TerminatedAt: sub.TerminatedAt, BillingState: string(sub.BillingState)},
		Holdings:   []exportItem{}, Records: []exportItem{}, Consents: []exportConsent{}, Requests: []exportRequest{},
	}
	holdings, err := s.inv.Holdings(ctx, subj, inventoryAll)
	if err != nil {
		return nil, err
	}
	for _, h := range holdings {
		doc.Holdings = append(doc.Holdings, item(h.Category.Code, h.Category.Label, h.Masked, h.Holding.Source, h.Holding.CollectedAt, h.Assessment))
	}
	var after *models.RecordKey
	for {
		page, err := s.inv.Records(ctx, subj, "", 100, after)
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			doc.Records = append(doc.Records, item(rec.Kind.Code, rec.Kind.Label, rec.Masked, "", rec.Record.OccurredAt, rec.Assessment))
		}
		if !page.HasNext || len(page.Records) == 0 {
			break
		}
		if len(doc.Records) >= MaxExportRecords {
			doc.RecordsCut = true
			break
		}
		last := page.Records[len(page.Records)-1].Record
		after = &models.RecordKey{OccurredAt: last.OccurredAt, ID: last.ID}
	}
	consents, err := s.store.ListConsents(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range consents {
		doc.Consents = append(doc.Consents, exportConsent{Topic: c.Topic, State: c.State, Since: c.DatedAt})
	}
	reqs, _, err := s.store.ListSubscriberRequests(ctx, sub.ID, nil, 100)
	if err != nil {
		return nil, err
	}
	for _, q := range reqs {
		e := exportRequest{ID: q.ID, Type: string(q.Type), Status: string(q.Status), FiledAt: q.FiledAt, ResolvedAt: q.ResolvedAt}
		if q.Resolution != nil {
			res := string(*q.Resolution)
			e.Resolution = &res
		}
		doc.Requests = append(doc.Requests, e)
	}
	payload, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(payload)
	expires := now.Add(ExportTTL)
	system := Actor{ID: "portal", Admin: true}
	return s.change(ctx, system, audit.ActionRequestResolve, r.ID, func(*models.Request) error { return nil }, func(tx Store, q *models.Request) error {
		if !q.Status.Open() {
			return apperr.Conflict("the request is closed")
		}
		if err := tx.SaveExport(ctx, &models.RequestExport{RequestID: q.ID, SubscriberID: q.SubscriberID, TokenDigest: hex.EncodeToString(sum[:]), Payload: payload, CreatedAt: now, ExpiresAt: expires}); err != nil {
			return err
		}
		res, code := models.ResolutionApproved, "ACCESS_EXPORTED"
		text := "요청하신 개인정보 열람 자료가 준비되었습니다 (" + models.DateOf(expires).String() + "까지 내려받기 가능). / Your access export is ready to download until " + models.DateOf(expires).String() + "."
		how := DefaultHowToObject
		from, to := q.Status, models.RequestResolved
		q.Status, q.Resolution, q.ResolvedAt, q.ReasonCode, q.ResolutionText, q.HowToObject = to, &res, &now, &code, &text, &how
		return s.event(ctx, tx, q, "RESOLVED", &from, &to, "SYSTEM", system.ID, &text, true)
	})
}

func item(code string, label policy.Text, value, source string, at time.Time, a retentionAssessment) exportItem {
	it := exportItem{
		Category: code, Label: label, Value: value, Source: source, CollectedAt: at,
		State: string(a.State), PurgeAfter: a.PurgeAfter, OpenReason: string(a.OpenReason),
		Explanation: policy.Text{Ko: a.Explain(policy.Ko), En: a.Explain(policy.En)},
		Clauses:     []exportClause{},
	}
	for _, c := range a.Clauses {
		ec := exportClause{Code: c.Clause.Code, Until: c.End, Active: c.Active}
		if c.Clause.Law != nil {
			ec.Law = policy.Text{Ko: c.Clause.Law.Citation(policy.Ko), En: c.Clause.Law.Citation(policy.En)}
		}
		it.Clauses = append(it.Clauses, ec)
	}
	return it
}

// Export returns a resolved access request's export to its subscriber while
// it has not expired.
func (s *Service) Export(ctx context.Context, who Actor, requestID string) (*models.RequestExport, error) {
	r, err := s.Get(ctx, who, requestID)
	if err != nil {
		return nil, err
	}
	if !s.owner(ctx, who, r) {
		return nil, apperr.Forbidden("only the subscriber downloads their export")
	}
	e, err := s.store.GetExport(ctx, requestID)
	if err != nil {
		if apperr.IsNotFound(err) {
			return nil, apperr.NotFound("this request has no export")
		}
		return nil, err
	}
	if !s.now().Before(e.ExpiresAt) {
		return nil, apperr.NotFound("the export expired on %s; file a new access request", models.DateOf(e.ExpiresAt))
	}
	return e, nil
}
