package resolvers

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// The mapping between the API's consent types and the consent service.

// consentRequester is who a consent mutation is made by. A token with the
// subscriber role acts for its subject (or, with act.sub, as the guardian);
// any other is staff.
func consentRequester(ctx context.Context) (consent.Requester, error) {
	p, err := principal(ctx)
	if err != nil {
		return consent.Requester{}, err
	}
	return consent.Requester{Subject: p.Subject, Guardian: p.Actor, Staff: !p.Has(auth.RoleSubscriber)}, nil
}

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
// basis: shown apart from the consents (법 22③).
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
	raw := consentEventCursorTag + ":" + strconv.FormatInt(ev.OccurredAt.UnixMicro(), 10) + ":" + strconv.FormatInt(ev.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeConsentEventCursor(s *string) (*models.ConsentEventKey, error) {
	parts, err := cursorParts(s, consentEventCursorTag, 3)
	if parts == nil || err != nil {
		return nil, err
	}
	us, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return nil, badCursor()
	}
	return &models.ConsentEventKey{OccurredAt: time.UnixMicro(us).UTC(), ID: id}, nil
}

// The subscriber id comes last: it is the operator's and may hold colons.
func encodeReconfirmCursor(d consent.DueConsent) string {
	raw := reconfirmCursorTag + ":" + strconv.FormatInt(d.ReconfirmBy.UnixMicro(), 10) + ":" + d.Topic.Code + ":" + d.SubscriberID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeReconfirmCursor(s *string) (*models.ReconfirmKey, error) {
	parts, err := cursorParts(s, reconfirmCursorTag, 4)
	if parts == nil || err != nil {
		return nil, err
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || parts[2] == "" || parts[3] == "" {
		return nil, badCursor()
	}
	return &models.ReconfirmKey{ReconfirmBy: time.UnixMicro(us).UTC(), Topic: parts[2], SubscriberID: parts[3]}, nil
}

// cursorParts decodes a cursor of the connection tagged tag into n parts,
// the tag first; nil parts for no cursor.
func cursorParts(s *string, tag string, n int) ([]string, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*s)
	if err != nil {
		return nil, badCursor()
	}
	parts := strings.SplitN(string(b), ":", n)
	if len(parts) != n || parts[0] != tag {
		return nil, badCursor()
	}
	return parts, nil
}

func badCursor() error { return apperr.BadInput("after", "not a cursor of this list") }
