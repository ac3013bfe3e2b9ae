package consent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// ReceiptVersion names the receipt format: the fields of the Kantara
// Initiative consent receipt v1.1 (and the ISO/IEC TS 27560 consent record
// that grew from it), with the portal's extensions for the state change,
// the actor and the chain to the previous receipt.
const ReceiptVersion = "KI-CR-v1.1.0"

// ConsentType is how every consent in the portal is given: an explicit,
// separate act of the subscriber (법 22①, 정보통신망법 50①).
const ConsentType = "EXPLICIT"

// Receipt is what a subscriber is given for a change, and what the history
// keeps of it. Its JSON (field names after the Kantara receipt) is stored as
// issued; Digest is the SHA-256 of that JSON, and each receipt names the
// digest of the topic's previous one, so a receipt can be checked against
// the stored history years later and a rewritten history breaks the chain.
type Receipt struct {
	Version      string    `json:"version"`
	ID           string    `json:"consentReceiptID"`
	Timestamp    time.Time `json:"consentTimestamp"`
	Jurisdiction string    `json:"jurisdiction"`
	Language     string    `json:"language"`
	// Subject is the subscriber (the PII principal).
	Subject string `json:"piiPrincipalId"`
	// Controller is the operator as the notice names it.
	Controller    string `json:"piiController"`
	PolicyURL     string `json:"policyUrl"`
	PolicyVersion string `json:"policyVersion"`
	// Topic is the consent topic code.
	Topic string `json:"consentTopic"`
	// Purpose is the purpose code and PurposeDescription its label in the
	// authoritative language, as they stood when the receipt was issued.
	Purpose            string `json:"purpose"`
	PurposeDescription string `json:"purposeDescription"`
	// PurposeCategory is the fideslang data use of the topic.
	PurposeCategory string `json:"purposeCategory"`
	// PIICategories are the fideslang data categories the consent covers.
	PIICategories []string `json:"piiCategory"`
	ConsentType   string   `json:"consentType"`
	// Action, PreviousState and State are the change.
	Action        Action `json:"consentAction"`
	PreviousState State  `json:"previousState"`
	State         State  `json:"state"`
	// CollectionMethod is where the change was made (WEB, APP, AGENT_DESK).
	CollectionMethod Via       `json:"collectionMethod"`
	Actor            ActorKind `json:"actorType"`
	ActorID          string    `json:"actorId"`
	// ReconfirmBy is when a granted marketing consent must be reconfirmed.
	ReconfirmBy *time.Time `json:"reconfirmBy,omitempty"`
	// PreviousDigest is the digest of the topic's previous receipt.
	PreviousDigest string `json:"previousReceiptDigest,omitempty"`

	// JSON is the receipt as issued and Digest its SHA-256 (hex).
	JSON   string `json:"-"`
	Digest string `json:"-"`
	// Verified reports, for a receipt read back from the history, whether
	// its JSON still hashes to its digest and agrees with the stored event.
	Verified bool `json:"-"`
}

// newReceipt builds the receipt of an event about to be appended and
// stores its JSON and digest on the event.
func (s *Service) newReceipt(t *policy.ConsentTopic, ev *models.ConsentEventRow) (*Receipt, error) {
	r := &Receipt{
		Version: ReceiptVersion, ID: ev.ReceiptID, Timestamp: ev.OccurredAt,
		Jurisdiction: s.cat.Jurisdiction, Language: string(policy.Ko),
		Subject: ev.SubscriberID, Controller: s.cat.Controller.In(policy.Ko),
		PolicyURL: s.cat.PolicyURL, PolicyVersion: ev.PolicyVersion,
		Topic: t.Code, Purpose: t.Purpose, PurposeCategory: t.DataUse,
		PIICategories: s.piiCategories(t), ConsentType: ConsentType,
		Action: Action(ev.Action), PreviousState: State(ev.FromState), State: State(ev.ToState),
		CollectionMethod: Via(ev.Via), Actor: ActorKind(ev.ActorKind), ActorID: ev.ActorID,
		ReconfirmBy: ev.ReconfirmBy,
	}
	if p, ok := s.cat.Purpose(t.Purpose); ok {
		r.PurposeDescription = p.Label.In(policy.Ko)
	}
	if ev.PrevDigest != nil {
		r.PreviousDigest = *ev.PrevDigest
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	r.JSON, r.Digest, r.Verified = string(b), digest(b), true
	ev.Receipt, ev.ReceiptDigest = r.JSON, r.Digest
	return r, nil
}

// piiCategories are the data an optional item's topic covers (its item), or
// for marketing every item the notice processes for the topic's purpose.
func (s *Service) piiCategories(t *policy.ConsentTopic) []string {
	if t.Category != "" {
		if c, ok := s.cat.Category(t.Category); ok {
			return []string{c.DataCategory}
		}
	}
	out := []string{}
	for _, c := range s.cat.Categories {
		if c.Class != policy.ClassGenerated && slices.Contains(c.Purposes, t.Purpose) && !slices.Contains(out, c.DataCategory) {
			out = append(out, c.DataCategory)
		}
	}
	return out
}

// ReceiptOf reads an event's receipt back from the history and checks it:
// Verified is set only if the stored JSON hashes to the stored digest and
// says what the event's columns say.
func ReceiptOf(ev *models.ConsentEventRow) (*Receipt, error) {
	var r Receipt
	if err := json.Unmarshal([]byte(ev.Receipt), &r); err != nil {
		return nil, fmt.Errorf("consent event %s: receipt unreadable: %w", ev.ReceiptID, err)
	}
	r.JSON, r.Digest = ev.Receipt, ev.ReceiptDigest
	r.Verified = digest([]byte(ev.Receipt)) == ev.ReceiptDigest && agrees(&r, ev)
	return &r, nil
}

// agrees reports whether a receipt says what its event row says.
func agrees(r *Receipt, ev *models.ConsentEventRow) bool {
	prev := ""
	if ev.PrevDigest != nil {
		prev = *ev.PrevDigest
	}
	return r.Version == ReceiptVersion && r.ID == ev.ReceiptID && r.Subject == ev.SubscriberID && r.Topic == ev.Topic &&
		r.Timestamp.Equal(ev.OccurredAt) && r.PolicyVersion == ev.PolicyVersion &&
		string(r.Action) == ev.Action && string(r.PreviousState) == ev.FromState && string(r.State) == ev.ToState &&
		string(r.CollectionMethod) == ev.Via && string(r.Actor) == ev.ActorKind && r.ActorID == ev.ActorID &&
		sameInstant(r.ReconfirmBy, ev.ReconfirmBy) && r.PreviousDigest == prev
}

// VerifyChain checks one topic's events, in sequence order from the first:
// every receipt verifies, the sequence has no gap, each event starts from
// the state the previous one left and names its digest. It returns the
// first problem found, or nil.
func VerifyChain(evs []*models.ConsentEventRow) error {
	prevState, prevDigest := NotRecorded, ""
	for i, ev := range evs {
		r, err := ReceiptOf(ev)
		if err != nil {
			return err
		}
		switch {
		case !r.Verified:
			return fmt.Errorf("event %d (%s): receipt does not verify", ev.Seq, ev.ReceiptID)
		case ev.Seq != int64(i+1):
			return fmt.Errorf("event %s: sequence %d, want %d", ev.ReceiptID, ev.Seq, i+1)
		case State(ev.FromState) != prevState:
			return fmt.Errorf("event %d: from %s, but the previous event left %s", ev.Seq, ev.FromState, prevState)
		case r.PreviousDigest != prevDigest:
			return fmt.Errorf("event %d: chained to %q, want %q", ev.Seq, r.PreviousDigest, prevDigest)
		}
		prevState, prevDigest = State(ev.ToState), ev.ReceiptDigest
	}
	return nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}
