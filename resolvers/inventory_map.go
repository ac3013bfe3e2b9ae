package resolvers

import (
	"time"

	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
	"github.com/xroshot/portal/views"
)

// The mapping from the inventory's domain results to the API's nodes.

func (r *Resolver) meNode(subj *inventory.Subject, guardian string, l policy.Lang) *views.MeNode {
	s := subj.Subscriber
	n := &views.MeNode{
		ID: s.ID, Language: languageOf(l), Status: models.SubscriberStatus(s.Status),
		SignedUpAt: s.SignedUpAt, TerminatedAt: s.TerminatedAt,
		Minor: subj.Profile.Minor, BirthDate: subj.Profile.BirthDate, BillingState: models.BillingState(s.BillingState),
		Subject: subj,
	}
	if guardian != "" {
		n.ActingGuardianID = &guardian
	}
	return n
}

func (r *Resolver) holdingNode(h inventory.Holding, l policy.Lang) *models.HoldingNode {
	cv := &models.CategoryView{C: h.Category, Cat: r.Catalog, Lang: l}
	return &models.HoldingNode{
		ID: h.Holding.ID, SubscriberID: h.Holding.SubscriberID, Category: cv, Value: h.Masked, Encrypted: len(h.Holding.ValueCipher) > 0,
		Source: h.Holding.Source, CollectedAt: h.Holding.CollectedAt,
		Purposes: cv.Purposes(), Retention: retentionNode(h.Assessment, l),
	}
}

func (r *Resolver) recordConnection(p inventory.RecordsPage, hasPrev bool, l policy.Lang) *models.RecordConnection {
	conn := &models.RecordConnection{Edges: make([]*models.RecordEdge, len(p.Records)), PageInfo: &models.PageInfo{HasNextPage: p.HasNext, HasPreviousPage: hasPrev}}
	for i, rec := range p.Records {
		c := encodeRecordCursor(rec.Record)
		conn.Edges[i] = &models.RecordEdge{Cursor: c, Node: &models.RecordNode{
			ID: encodeRecordID(rec.Record), Kind: &models.RecordKindView{K: rec.Kind, Cat: r.Catalog, Lang: l},
			OccurredAt: rec.Record.OccurredAt, Summary: rec.Masked, Retention: retentionNode(rec.Assessment, l),
		}}
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &conn.Edges[0].Cursor, &conn.Edges[n-1].Cursor
	}
	return conn
}

func retentionNode(a retention.Assessment, l policy.Lang) *models.Retention {
	out := &models.Retention{
		State: models.RetentionState(a.State), PurgeAfter: lastDay(a.PurgeAfter),
		OpenReason: openReason(a.OpenReason), Explanation: a.Explain(l),
		Clauses: make([]*models.AppliedClause, len(a.Clauses)),
	}
	for i, c := range a.Clauses {
		out.Clauses[i] = &models.AppliedClause{
			Clause: &models.ClauseView{C: c.Clause, Lang: l}, Since: instantPtr(c.Start), Until: lastDay(c.End),
			OpenReason: openReason(c.OpenReason), Active: c.Active,
		}
	}
	if a.Governing != nil {
		out.GoverningClause = &models.ClauseView{C: a.Governing.Clause, Lang: l}
	}
	return out
}

// lastDay is the "kept until" date of an end the calculus counts as the
// first instant an item may go.
func lastDay(end *time.Time) *models.Date {
	if end == nil {
		return nil
	}
	d := models.DateOf(policy.LastDay(*end))
	return &d
}

func openReason(r retention.Reason) *models.OpenReason {
	if r == "" {
		return nil
	}
	o := models.OpenReason(r)
	return &o
}

func holdingFilter(f *models.HoldingFilter) (inventory.HoldingFilter, error) {
	var out inventory.HoldingFilter
	if f == nil {
		return out, nil
	}
	if f.Purpose != nil {
		out.Purpose = *f.Purpose
	}
	if f.Class != nil {
		out.Class = policy.CategoryClass(*f.Class)
	}
	if f.State != nil {
		out.State = retention.State(*f.State)
	}
	return out, nil
}

func encodeRecordID(r *models.Record) string { return "Record:" + itoa(r.ID) }

func langOf(l models.Language) policy.Lang {
	if l == models.LanguageEn {
		return policy.En
	}
	return policy.Ko
}

func languageOf(l policy.Lang) models.Language {
	if l == policy.En {
		return models.LanguageEn
	}
	return models.LanguageKo
}

func instantPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
