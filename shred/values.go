package shred

import (
	"fmt"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/protect"
)

// Every value is bound to where it belongs (see protect.AAD): a ciphertext
// copied to another subscriber, category or record does not open.

func holdingAAD(h *models.Holding) []byte {
	return protect.AAD(h.SubscriberID, h.Category)
}

func recordAAD(r *models.Record) []byte {
	return protect.AAD("record", r.SubscriberID, r.Kind, r.ExternalID)
}

func birthDateAAD(subscriberID string) []byte {
	return protect.AAD("birth-date", subscriberID)
}

// SealHolding moves a holding's clear value (ValueText) into ValueCipher,
// sealed with the subscriber's data key.
func SealHolding(dk *protect.DataKey, h *models.Holding) {
	if h.ValueText == nil {
		return
	}
	h.ValueCipher = dk.Seal([]byte(*h.ValueText), holdingAAD(h))
	kid := protect.DataKeyID
	h.KeyID, h.ValueText = &kid, nil
}

// OpenHolding returns a holding's value in the clear: sealed with the data
// key dk, with a master key of ring (rows from before data keys), or stored
// in the clear (likewise).
func OpenHolding(dk *protect.DataKey, ring *protect.Keyring, h *models.Holding) (string, error) {
	switch {
	case len(h.ValueCipher) == 0:
		if h.ValueText != nil {
			return *h.ValueText, nil
		}
		return "", nil
	case h.KeyID == nil:
		return "", fmt.Errorf("holding %s: ciphertext without a key id", h.ID)
	case *h.KeyID == protect.DataKeyID:
		b, err := dk.Open(h.ValueCipher, holdingAAD(h))
		if err != nil {
			return "", fmt.Errorf("holding %s: %w", h.ID, err)
		}
		return string(b), nil
	}
	b, err := ring.Decrypt(*h.KeyID, h.ValueCipher, protect.AAD(h.SubscriberID, h.Category))
	if err != nil {
		return "", fmt.Errorf("holding %s: %w", h.ID, err)
	}
	return string(b), nil
}

// SealRecord moves a record's summary into SummaryCipher, sealed with the
// subscriber's data key. An empty summary stays empty: there is nothing to
// hide.
func SealRecord(dk *protect.DataKey, r *models.Record) {
	if r.Summary == "" {
		return
	}
	r.SummaryCipher = dk.Seal([]byte(r.Summary), recordAAD(r))
	r.Summary = ""
}

// OpenRecord puts a record's summary back in the clear, in place.
func OpenRecord(dk *protect.DataKey, r *models.Record) error {
	if len(r.SummaryCipher) == 0 {
		return nil
	}
	b, err := dk.Open(r.SummaryCipher, recordAAD(r))
	if err != nil {
		return fmt.Errorf("record %d: %w", r.ID, err)
	}
	r.Summary, r.SummaryCipher = string(b), nil
	return nil
}

// SealSubscriber returns a copy of s whose birth date is sealed with the
// data key, as it is to be stored; s keeps it in the clear.
func SealSubscriber(dk *protect.DataKey, s *models.Subscriber) *models.Subscriber {
	row := *s
	if s.BirthDate != nil {
		row.BirthDateCipher = dk.Seal([]byte(*s.BirthDate), birthDateAAD(s.ID))
		row.BirthDate = nil
	}
	return &row
}

// OpenSubscriber puts a stored subscriber's birth date back in the clear,
// in place; dk may be nil for a subscriber without a data key.
func OpenSubscriber(dk *protect.DataKey, s *models.Subscriber) error {
	if len(s.BirthDateCipher) == 0 {
		return nil
	}
	b, err := dk.Open(s.BirthDateCipher, birthDateAAD(s.ID))
	if err != nil {
		return fmt.Errorf("birth date of a subscriber: %w", err)
	}
	v := string(b)
	s.BirthDate, s.BirthDateCipher = &v, nil
	return nil
}

// sealedDocument marks a document sealed with a data key: JSON, the only
// kind stored in the clear before data keys, never starts with this byte.
const sealedDocument = 0x01

func documentAAD(subscriberID, kind, id string) []byte {
	return protect.AAD("document", subscriberID, kind, id)
}

// SealDocument seals a document derived from a subscriber's data (an
// access export) with their data key, bound to its kind and id, so the
// copy goes with the key like the values it copies.
func SealDocument(dk *protect.DataKey, subscriberID, kind, id string, doc []byte) []byte {
	return append([]byte{sealedDocument}, dk.Seal(doc, documentAAD(subscriberID, kind, id))...)
}

// OpenDocument opens what SealDocument sealed; a document stored before
// data keys is returned as it is.
func OpenDocument(dk *protect.DataKey, subscriberID, kind, id string, stored []byte) ([]byte, error) {
	if len(stored) == 0 || stored[0] != sealedDocument {
		return stored, nil
	}
	b, err := dk.Open(stored[1:], documentAAD(subscriberID, kind, id))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	return b, nil
}
