package transmit

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// Format names the transmission document's JSON shape; Schema is its
// published JSON Schema (schema/transmission.v1.json), served to
// recipients and checked by the tests against real deliveries.
const Format = "xroshot-privacy-portal/transmission/v1"

// Schema is the JSON Schema (draft 2020-12) of the transmission document.
//
//go:embed schema/transmission.v1.json
var Schema []byte

// Document is one transmission: the subscriber's data in scope, values in
// the clear, as the access export reads them (the inventory's decrypted
// path), without what a statute alone keeps.
type Document struct {
	Format        string        `json:"format"`
	DeliveryID    string        `json:"deliveryId"`
	RequestID     string        `json:"requestId"`
	Sequence      int           `json:"sequence"`
	Period        int           `json:"period"`
	Part          int           `json:"part"`
	GeneratedAt   time.Time     `json:"generatedAt"`
	Controller    Text          `json:"controller"`
	PolicyVersion string        `json:"policyVersion"`
	SubscriberID  string        `json:"subscriberId"`
	Scope         DocScope      `json:"scope"`
	Profile       []DocItem     `json:"profile"`
	Records       []DocRecord   `json:"records"`
	MoreRecords   bool          `json:"moreRecords"`
	Recipient     *DocRecipient `json:"recipient"`
}

// DocScope is what the subscriber asked to send.
type DocScope struct {
	Categories  []string `json:"categories"`
	RecordKinds []string `json:"recordKinds"`
}

// DocRecipient names the recipient a document is addressed to.
type DocRecipient struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// DocItem is one profile item.
type DocItem struct {
	Category     string    `json:"category"`
	DataCategory string    `json:"dataCategory"`
	Label        Text      `json:"label"`
	Value        string    `json:"value"`
	Source       string    `json:"source"`
	CollectedAt  time.Time `json:"collectedAt"`
}

// DocRecord is one generated record.
type DocRecord struct {
	ID           string    `json:"id"`
	Kind         string    `json:"kind"`
	DataCategory string    `json:"dataCategory"`
	Label        Text      `json:"label"`
	OccurredAt   time.Time `json:"occurredAt"`
	ExternalID   string    `json:"externalId"`
	Summary      string    `json:"summary"`

	id int64
}

// build gathers document d of request r at now: the profile items of the
// scope (on a period's first part only) and, for each record kind of the
// scope, the records no earlier document of r carried, whatever their
// date, newest first, up to limit; MoreRecords says the period has more,
// for its next part. Items a statute alone keeps are left out.
func (s *Service) build(ctx context.Context, r *models.TransmissionRequest, rc *models.TransmissionRecipient, d *models.TransmissionDelivery, limit int, now time.Time) (*Document, error) {
	subj, err := s.inv.Load(ctx, r.SubscriberID)
	if err != nil {
		return nil, err
	}
	doc := &Document{
		Format: Format, DeliveryID: d.ID, RequestID: r.ID, Sequence: d.Sequence, Period: d.Period, Part: d.Part, GeneratedAt: now,
		Controller: text(s.cat.Controller), PolicyVersion: s.cat.Version, SubscriberID: r.SubscriberID,
		Scope:   DocScope{Categories: nonNil(r.Categories), RecordKinds: nonNil(r.RecordKinds)},
		Profile: []DocItem{}, Records: []DocRecord{},
	}
	if rc != nil {
		doc.Recipient = &DocRecipient{ID: rc.ID, Name: rc.Name}
	}
	if len(r.Categories) > 0 && d.Part == 1 {
		hs, err := s.inv.Holdings(ctx, subj, inventory.HoldingFilter{})
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			if !slices.Contains(r.Categories, h.Category.Code) || !h.Assessment.State.Usable() {
				continue
			}
			v, err := s.inv.Reveal(subj, h.Holding)
			if err != nil {
				return nil, err
			}
			doc.Profile = append(doc.Profile, DocItem{Category: h.Category.Code, DataCategory: h.Category.DataCategory, Label: text(h.Category.Label),
				Value: v, Source: h.Holding.Source, CollectedAt: h.Holding.CollectedAt.UTC()})
		}
	}
kinds:
	for _, k := range r.RecordKinds {
		var after *models.RecordKey
		for {
			page, err := s.inv.UnsentRecords(ctx, subj, k, r.ID, inventory.MaxPage, after)
			if err != nil {
				return nil, err
			}
			for _, rec := range page.Records {
				if !rec.Assessment.State.Usable() {
					continue
				}
				if len(doc.Records) >= limit {
					doc.MoreRecords = true
					break kinds
				}
				doc.Records = append(doc.Records, DocRecord{ID: strconv.FormatInt(rec.Record.ID, 10), Kind: rec.Kind.Code, DataCategory: rec.Kind.DataCategory,
					Label: text(rec.Kind.Label), OccurredAt: rec.Record.OccurredAt.UTC(), ExternalID: rec.Record.ExternalID, Summary: rec.Record.Summary, id: rec.Record.ID})
			}
			if !page.HasNext || len(page.Records) == 0 {
				break
			}
			last := page.Records[len(page.Records)-1].Record
			after = &models.RecordKey{OccurredAt: last.OccurredAt, ID: last.ID}
		}
	}
	return doc, nil
}

// encode renders the document: the bytes signed and sent on every attempt.
func encode(doc *Document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Text is a text in Korean (authoritative) and English.
type Text struct {
	Ko string `json:"ko"`
	En string `json:"en"`
}

func text(t policy.Text) Text { return Text{Ko: t.Ko, En: t.En} }
