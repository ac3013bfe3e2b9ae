package resolvers

import (
	"strings"

	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/paging"
	"github.com/xroshot/portal/policy"
)

// The mapping between the API's consent types and the consent service.

func consentRequest(via *models.ChangeChannel, clientRequestID, reason, subscriberID *string) consent.Request {
	var req consent.Request
	if via != nil {
		req.Via = consent.Via(*via)
	}
	if clientRequestID != nil {
		req.ClientRequestID = *clientRequestID
	}
	if reason != nil {
		req.Reason = strings.TrimSpace(*reason)
	}
	if subscriberID != nil {
		req.SubscriberID = *subscriberID
	}
	return req
}

func consentChange(topic string, granted bool, ch *models.MarketingChannel) consent.Change {
	c := consent.Change{Topic: topic, Granted: granted}
	if ch != nil {
		c.Channel = policy.Channel(*ch)
	}
	return c
}

func (r *Resolver) consentNode(c consent.Consent, l policy.Lang) *models.Consent {
	n := &models.Consent{
		Topic: &models.ConsentTopicView{T: c.Topic, Cat: r.Catalog, Lang: l}, State: models.ConsentState(c.State),
		Granted: c.Granted(), Since: c.Since, ReconfirmBy: models.DatePtr(c.ReconfirmBy), ReconfirmNoticeAt: c.ReconfirmNoticeAt,
	}
	if c.PolicyVersion != "" {
		v := c.PolicyVersion
		n.PolicyVersion = &v
	}
	if c.ReceiptID != "" {
		id := c.ReceiptID
		n.ReceiptID = &id
	}
	return n
}

// requiredProcessing lists the purposes the service needs, each with its
// basis: shown apart from the consents (PIPA art. 22(3)).
func (r *Resolver) requiredProcessing(l policy.Lang) []*models.PurposeView {
	var out []*models.PurposeView
	for i := range r.Catalog.Purposes {
		if p := &r.Catalog.Purposes[i]; p.Required {
			out = append(out, &models.PurposeView{P: p, Lang: l})
		}
	}
	return out
}

func receiptNode(rc *consent.Receipt) *models.ConsentReceipt {
	if rc == nil {
		return nil
	}
	n := &models.ConsentReceipt{
		ID: rc.ID, Version: rc.Version, Timestamp: rc.Timestamp, Jurisdiction: rc.Jurisdiction,
		Controller: rc.Controller, PolicyURL: rc.PolicyURL, PolicyVersion: rc.PolicyVersion,
		Subject: rc.Subject, Topic: rc.Topic, Purpose: rc.Purpose, PurposeDescription: rc.PurposeDescription,
		PurposeCategory: rc.PurposeCategory, PiiCategories: rc.PIICategories, ConsentType: rc.ConsentType,
		Action: models.ConsentAction(rc.Action), PreviousState: models.ConsentState(rc.PreviousState),
		State: models.ConsentState(rc.State), CollectionMethod: models.ChangeChannel(rc.CollectionMethod),
		Actor: models.ConsentActor(rc.Actor), ActorID: rc.ActorID, ReconfirmBy: models.DatePtr(rc.ReconfirmBy),
		Digest: rc.Digest, JSON: rc.JSON, Verified: rc.Verified,
	}
	if n.PiiCategories == nil {
		n.PiiCategories = []string{}
	}
	if rc.PreviousDigest != "" {
		d := rc.PreviousDigest
		n.PreviousDigest = &d
	}
	return n
}

func (r *Resolver) consentResult(res consent.Result, l policy.Lang) *models.ConsentChangeResult {
	out := &models.ConsentChangeResult{Changes: make([]*models.ConsentChange, len(res.Outcomes)), Replayed: res.Replayed}
	for i, o := range res.Outcomes {
		out.Changes[i] = &models.ConsentChange{Consent: r.consentNode(o.Consent, l), Changed: o.Changed, Receipt: receiptNode(o.Receipt)}
	}
	return out
}

func (r *Resolver) consentEventConnection(p consent.HistoryPage, hasPrev bool, l policy.Lang) *models.ConsentEventConnection {
	conn := &models.ConsentEventConnection{Edges: make([]*models.ConsentEventEdge, len(p.Events)), PageInfo: &models.PageInfo{HasNextPage: p.HasNext, HasPreviousPage: hasPrev}}
	for i, ev := range p.Events {
		row := ev.Row
		conn.Edges[i] = &models.ConsentEventEdge{Cursor: encodeConsentEventCursor(row), Node: &models.ConsentEvent{
			ID: row.ReceiptID, Topic: &models.ConsentTopicView{T: ev.Topic, Cat: r.Catalog, Lang: l},
			Action: models.ConsentAction(row.Action), From: models.ConsentState(row.FromState), To: models.ConsentState(row.ToState),
			Actor: models.ConsentActor(row.ActorKind), ActorID: row.ActorID, Via: models.ChangeChannel(row.Via),
			Reason: row.Reason, PolicyVersion: row.PolicyVersion, At: row.OccurredAt, ClientRequestID: row.ClientRequestID,
			ReconfirmBy: models.DatePtr(row.ReconfirmBy), Receipt: receiptNode(ev.Receipt),
		}}
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &conn.Edges[0].Cursor, &conn.Edges[n-1].Cursor
	}
	return conn
}

func (r *Resolver) reconfirmationConnection(p consent.DuePage, hasPrev bool, l policy.Lang) *models.ReconfirmationDueConnection {
	conn := &models.ReconfirmationDueConnection{Edges: make([]*models.ReconfirmationDueEdge, len(p.Consents)), PageInfo: &models.PageInfo{HasNextPage: p.HasNext, HasPreviousPage: hasPrev}}
	for i, d := range p.Consents {
		conn.Edges[i] = &models.ReconfirmationDueEdge{Cursor: encodeReconfirmCursor(d), Node: &models.ReconfirmationDue{
			SubscriberID: d.SubscriberID, Topic: &models.ConsentTopicView{T: d.Topic, Cat: r.Catalog, Lang: l},
			Since: d.Since, ReconfirmBy: models.DateOf(d.ReconfirmBy),
		}}
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &conn.Edges[0].Cursor, &conn.Edges[n-1].Cursor
	}
	return conn
}

// Cursors, tagged per connection like the records' (cursor.go).
const (
	consentEventCursorTag = "cev"
	reconfirmCursorTag    = "rcf"
)

func encodeConsentEventCursor(ev *models.ConsentEventRow) string {
	return paging.Encode(consentEventCursorTag, paging.Micros(ev.OccurredAt), paging.ID(ev.ID))
}

func decodeConsentEventCursor(s *string) (*models.ConsentEventKey, error) {
	at, id, err := decodeAtIDCursor(consentEventCursorTag, s)
	if at == nil || err != nil {
		return nil, err
	}
	return &models.ConsentEventKey{OccurredAt: *at, ID: id}, nil
}

// The subscriber id comes last: it is the operator's and may hold colons.
func encodeReconfirmCursor(d consent.DueConsent) string {
	return paging.Encode(reconfirmCursorTag, paging.Micros(d.ReconfirmBy), d.Topic.Code, d.SubscriberID)
}

func decodeReconfirmCursor(s *string) (*models.ReconfirmKey, error) {
	f, err := paging.Decode(deref(s), reconfirmCursorTag, 3)
	if f == nil || err != nil {
		return nil, err
	}
	by, err := paging.ParseMicros(f[0])
	if err != nil {
		return nil, err
	}
	return &models.ReconfirmKey{ReconfirmBy: by, Topic: f[1], SubscriberID: f[2]}, nil
}
