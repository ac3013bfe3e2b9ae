package requests

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// MaxExportRecords bounds the records one export lists.
const MaxExportRecords = 10_000

// MaxExportConsentEvents bounds the consent history one export lists.
const MaxExportConsentEvents = 10_000

// ExportFormat names the export's JSON shape, for the clients that read it;
// ExportSchema is its JSON Schema (draft 2020-12), committed beside it.
const ExportFormat = "xroshot-privacy-portal/access-export/v2"

// ExportSchema is the JSON Schema of the access export document.
//
//go:embed export.schema.json
var ExportSchema []byte

// ErrNoExport means a request has no export its viewer may download: it is
// not a resolved access request, the viewer is not its subscriber or their
// guardian, or the export expired and was deleted.
var ErrNoExport = errors.New("requests: no export to download")

// ActionExportDownload is the audit action of every download of an export.
const ActionExportDownload = "request.export.download"

// The export document (법 35; 영 41): everything held about the subscriber,
// values in the clear — it is the subscriber's own data — with what each
// item is for, under which clause and law it is kept and until when, where
// it came from and when; consents with their history; the purposes and the
// processing the catalog names; holds and requests. Nothing of anyone else.
type exportDoc struct {
	Format           string                `json:"format"`
	GeneratedAt      time.Time             `json:"generatedAt"`
	ExpiresAt        time.Time             `json:"expiresAt"`
	Controller       text                  `json:"controller"`
	Policy           exportPolicy          `json:"policy"`
	Subscriber       exportSubscriber      `json:"subscriber"`
	Purposes         []exportPurpose       `json:"purposes"`
	Holdings         []exportItem          `json:"holdings"`
	Records          []exportItem          `json:"records"`
	RecordsCut       bool                  `json:"recordsTruncated"`
	Consents         []exportConsent       `json:"consents"`
	ConsentHistory   []exportConsentEvent  `json:"consentHistory"`
	Holds            []exportHold          `json:"holds"`
	Requests         []exportRequest       `json:"requests"`
	Statements       []text                `json:"statements"`
	CollectionMethod []exportCollectMethod `json:"collectionMethods"`
}

// text is a catalog text as the export writes it: lower-case keys.
type text struct {
	Ko string `json:"ko"`
	En string `json:"en"`
}

func txt(t policy.Text) text { return text(t) }

// In returns the text in l, falling back to Korean.
func (t text) In(l policy.Lang) string { return policy.Text(t).In(l) }

type exportPolicy struct {
	Version string `json:"version"`
	URL     string `json:"url"`
}

type exportSubscriber struct {
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	SignedUpAt   time.Time  `json:"signedUpAt"`
	TerminatedAt *time.Time `json:"terminatedAt"`
	BirthDate    *string    `json:"birthDate"`
	Minor        bool       `json:"minor"`
	BillingState string     `json:"billingState"`
}

// exportPurpose is a purpose of the catalog: what data is processed for,
// on which basis, and — for OUTSOURCING — the processors it is entrusted to
// as the catalog describes them.
type exportPurpose struct {
	Code        string `json:"code"`
	Label       text   `json:"label"`
	Description text   `json:"description"`
	Basis       string `json:"basis"`
	Required    bool   `json:"required"`
}

type exportCollectMethod struct {
	Code        string `json:"code"`
	Label       text   `json:"label"`
	Description text   `json:"description"`
}

type exportItem struct {
	ID          string         `json:"id"`
	Code        string         `json:"code"`
	Label       text           `json:"label"`
	Value       string         `json:"value"`
	Source      string         `json:"source,omitempty"`
	CollectedAt time.Time      `json:"collectedAt"`
	Purposes    []string       `json:"purposes"`
	State       string         `json:"state"`
	PurgeAfter  *time.Time     `json:"purgeAfter"`
	OpenReason  string         `json:"openReason,omitempty"`
	Clauses     []exportClause `json:"clauses"`
	Explanation text           `json:"explanation"`
}

type exportClause struct {
	Code   string     `json:"code"`
	Label  text       `json:"label"`
	Basis  string     `json:"basis"`
	Law    *text      `json:"law"`
	Until  *time.Time `json:"until"`
	Active bool       `json:"active"`
}

type exportConsent struct {
	Topic       string     `json:"topic"`
	Label       text       `json:"label"`
	Purpose     string     `json:"purpose"`
	State       string     `json:"state"`
	Since       time.Time  `json:"since"`
	ReconfirmBy *time.Time `json:"reconfirmBy"`
}

type exportConsentEvent struct {
	ReceiptID     string    `json:"receiptId"`
	Topic         string    `json:"topic"`
	Action        string    `json:"action"`
	From          string    `json:"from"`
	To            string    `json:"to"`
	Actor         string    `json:"actor"`
	Via           string    `json:"via"`
	Reason        *string   `json:"reason"`
	PolicyVersion string    `json:"policyVersion"`
	At            time.Time `json:"at"`
}

type exportHold struct {
	Reason     string     `json:"reason"`
	AllItems   bool       `json:"allItems"`
	PlacedAt   time.Time  `json:"placedAt"`
	ReleasedAt *time.Time `json:"releasedAt"`
}

type exportRequest struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Status     string     `json:"status"`
	FiledBy    string     `json:"filedBy"`
	FiledAt    time.Time  `json:"filedAt"`
	DueAt      time.Time  `json:"dueAt"`
	Resolution *string    `json:"resolution"`
	ResolvedAt *time.Time `json:"resolvedAt"`
}

// buildExport gathers the export of a subscriber at now.
func (s *Service) buildExport(ctx context.Context, subscriberID string, now, expires time.Time) (*exportDoc, error) {
	// The subscriber's own copy (법 35): what is kept apart under a
	// statute is theirs to see too.
	subj, err := s.inv.LoadOwnData(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	sub := subj.Subscriber
	doc := &exportDoc{
		Format: ExportFormat, GeneratedAt: now, ExpiresAt: expires, Controller: txt(s.cat.Controller),
		Policy: exportPolicy{Version: s.cat.Version, URL: s.cat.PolicyURL},
		Subscriber: exportSubscriber{ID: sub.ID, Status: string(sub.Status), SignedUpAt: sub.SignedUpAt, TerminatedAt: sub.TerminatedAt,
			BirthDate: sub.BirthDate, Minor: sub.IsMinorAt(now), BillingState: string(sub.BillingState)},
		Purposes: []exportPurpose{}, Holdings: []exportItem{}, Records: []exportItem{}, Consents: []exportConsent{},
		ConsentHistory: []exportConsentEvent{}, Holds: []exportHold{}, Requests: []exportRequest{},
		Statements: []text{}, CollectionMethod: []exportCollectMethod{},
	}
	for _, p := range s.cat.Purposes {
		doc.Purposes = append(doc.Purposes, exportPurpose{Code: p.Code, Label: txt(p.Label), Description: txt(p.Description), Basis: string(p.Basis), Required: p.Required})
	}
	for _, st := range s.cat.Statements {
		doc.Statements = append(doc.Statements, txt(st.Text))
	}
	for _, m := range s.cat.CollectionMethods {
		doc.CollectionMethod = append(doc.CollectionMethod, exportCollectMethod{Code: m.Code, Label: txt(m.Label), Description: txt(m.Description)})
	}
	holdings, err := s.inv.Holdings(ctx, subj, inventoryAll)
	if err != nil {
		return nil, err
	}
	for _, h := range holdings {
		value, err := s.inv.Reveal(subj, h.Holding)
		if err != nil {
			return nil, err
		}
		it := item(h.Category.Code, h.Category.Label, value, h.Holding.Source, h.Holding.CollectedAt, h.Assessment)
		it.ID, it.Purposes = h.Holding.ID, nonNilStrings(h.Category.Purposes)
		doc.Holdings = append(doc.Holdings, it)
	}
	var after *models.RecordKey
	for {
		page, err := s.inv.Records(ctx, subj, "", 100, after)
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			it := item(rec.Kind.Code, rec.Kind.Label, rec.Record.Summary, "", rec.Record.OccurredAt, rec.Assessment)
			it.ID, it.Purposes = strconv.FormatInt(rec.Record.ID, 10), nonNilStrings(rec.Kind.Purposes)
			doc.Records = append(doc.Records, it)
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
		ec := exportConsent{Topic: c.Topic, State: c.State, Since: c.DatedAt, ReconfirmBy: c.ReconfirmBy}
		if t, ok := s.cat.ConsentTopic(c.Topic); ok {
			ec.Label, ec.Purpose = txt(t.Label), t.Purpose
		}
		doc.Consents = append(doc.Consents, ec)
	}
	var evAfter *models.ConsentEventKey
	for len(doc.ConsentHistory) < MaxExportConsentEvents {
		evs, more, err := s.store.ListConsentEvents(ctx, models.ConsentEventPage{SubscriberID: sub.ID, After: evAfter, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			doc.ConsentHistory = append(doc.ConsentHistory, exportConsentEvent{ReceiptID: e.ReceiptID, Topic: e.Topic, Action: e.Action, From: e.FromState, To: e.ToState,
				Actor: e.ActorKind, Via: e.Via, Reason: e.Reason, PolicyVersion: e.PolicyVersion, At: e.OccurredAt})
		}
		if !more || len(evs) == 0 {
			break
		}
		last := evs[len(evs)-1]
		evAfter = &models.ConsentEventKey{OccurredAt: last.OccurredAt, ID: last.ID}
	}
	hs, err := s.store.ActiveHolds(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		doc.Holds = append(doc.Holds, exportHold{Reason: string(h.Reason), AllItems: h.AllItems, PlacedAt: h.PlacedAt, ReleasedAt: h.ReleasedAt})
	}
	var reqAfter *models.RequestKey
	for {
		reqs, more, err := s.store.ListSubscriberRequests(ctx, sub.ID, reqAfter, 100)
		if err != nil {
			return nil, err
		}
		for _, q := range reqs {
			e := exportRequest{ID: q.ID, Type: string(q.Type), Status: string(q.Status), FiledBy: string(q.FiledByKind), FiledAt: q.FiledAt, DueAt: q.DueAt, ResolvedAt: q.ResolvedAt}
			if q.Resolution != nil {
				res := string(*q.Resolution)
				e.Resolution = &res
			}
			doc.Requests = append(doc.Requests, e)
		}
		if !more || len(reqs) == 0 {
			break
		}
		last := reqs[len(reqs)-1]
		reqAfter = &models.RequestKey{FiledAt: last.FiledAt, ID: last.ID}
	}
	return doc, nil
}

// completeAccess builds the export of everything held about the subscriber,
// stores it for ExportTTL and resolves the request with it.
func (s *Service) completeAccess(ctx context.Context, r *models.Request) (*models.Request, error) {
	now := s.now()
	expires := now.Add(ExportTTL)
	doc, err := s.buildExport(ctx, r.SubscriberID, now, expires)
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(payload)
	system := actor.Staff("portal", actor.RoleAdmin)
	return s.change(ctx, system, audit.ActionRequestResolve, r.ID, func(*models.Request) error { return nil }, func(tx Store, q *models.Request) error {
		if !q.Status.Open() {
			return apperr.Conflict("the request is closed")
		}
		// The export copies every value in the clear: stored sealed with
		// the subscriber's data key, it goes with the key (package shred).
		sealed, err := s.inv.SealDocument(ctx, tx, q.SubscriberID, "export", q.ID, payload)
		if err != nil {
			return err
		}
		if err := tx.SaveExport(ctx, &models.RequestExport{RequestID: q.ID, SubscriberID: q.SubscriberID, TokenDigest: hex.EncodeToString(sum[:]), Payload: sealed, CreatedAt: now, ExpiresAt: expires}); err != nil {
			return err
		}
		res, code := models.ResolutionApproved, "ACCESS_EXPORTED"
		text := "요청하신 개인정보 열람 자료가 준비되었습니다 (" + models.DateOf(expires).String() + "까지 내려받기 가능). / Your access export is ready to download until " + models.DateOf(expires).String() + "."
		how := DefaultHowToObject
		from, to := q.Status, models.RequestResolved
		q.Status, q.Resolution, q.ResolvedAt, q.ReasonCode, q.ResolutionText, q.HowToObject = to, &res, &now, &code, &text, &how
		return s.event(ctx, tx, q, "RESOLVED", &from, &to, "SYSTEM", system.Subject, &text, true)
	})
}

func item(code string, label policy.Text, value, source string, at time.Time, a retentionAssessment) exportItem {
	it := exportItem{
		Code: code, Label: txt(label), Value: value, Source: source, CollectedAt: at,
		State: string(a.State), PurgeAfter: a.PurgeAfter, OpenReason: string(a.OpenReason),
		Explanation: text{Ko: a.Explain(policy.Ko), En: a.Explain(policy.En)},
		Clauses:     []exportClause{},
	}
	for _, c := range a.Clauses {
		ec := exportClause{Code: c.Clause.Code, Label: txt(c.Clause.Label), Basis: string(c.Clause.Basis), Until: c.End, Active: c.Active}
		if c.Clause.Law != nil {
			ec.Law = &text{Ko: c.Clause.Law.Citation(policy.Ko), En: c.Clause.Law.Citation(policy.En)}
		}
		it.Clauses = append(it.Clauses, ec)
	}
	return it
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Export is the download of an access request's export: only by its
// subscriber or, for a child under 14, the guardian; only until it
// expires; and every download is recorded in the audit trail before the
// document is handed out. Anyone else, and any request without a live
// export, gets ErrNoExport.
func (s *Service) Export(ctx context.Context, who actor.Actor, r *models.Request) (*models.RequestExport, error) {
	if r.Type != models.RequestAccess || r.Status != models.RequestResolved || !s.owner(ctx, who, r) {
		return nil, ErrNoExport
	}
	e, err := s.store.GetExport(ctx, r.ID)
	if err != nil {
		if apperr.IsNotFound(err) {
			return nil, ErrNoExport
		}
		return nil, err
	}
	if !s.now().Before(e.ExpiresAt) {
		return nil, ErrNoExport
	}
	if e.Payload, err = s.inv.OpenDocument(ctx, s.store, e.SubscriberID, "export", e.RequestID, e.Payload); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, s.store, who, ActionExportDownload, r, nil); err != nil {
		return nil, err
	}
	return e, nil
}

// PruneExports deletes every export past its expiry: a copy of the
// subscriber's data lives no longer than it can be downloaded.
func (s *Service) PruneExports(ctx context.Context) (int64, error) {
	return s.store.DeleteExpiredExports(ctx, s.now())
}
