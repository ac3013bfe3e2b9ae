// Package inventory answers the portal's core promise: for every item of
// personal data held about a subscriber, why it is held, under which clause
// and until when. It joins what the store holds with the retention calculus,
// and shows values only masked.
package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/paging"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/retention"
	"github.com/xroshot/portal/shred"
)

// Store is what the inventory reads and writes.
type Store interface {
	GetSubscriber(ctx context.Context, id string) (*models.Subscriber, error)
	// GetSubscriberKey returns the subscriber's wrapped data key (package
	// shred), which opens every value shown.
	GetSubscriberKey(ctx context.Context, subscriberID string) (*models.SubscriberKey, error)
	// GetSubscriberWithKey is GetSubscriber and GetSubscriberKey in one
	// statement; the key is nil for a subscriber without one.
	GetSubscriberWithKey(ctx context.Context, id string) (*models.Subscriber, *models.SubscriberKey, error)
	ListHoldings(ctx context.Context, subscriberID string) ([]*models.Holding, error)
	// ListAllHoldings is ListHoldings with the holdings kept apart because
	// only a statute keeps them (법 21③).
	ListAllHoldings(ctx context.Context, subscriberID string) ([]*models.Holding, error)
	// ListRecords reads the records kept apart too when the page says so.
	ListRecords(ctx context.Context, p models.RecordPage) ([]*models.Record, bool, error)
	ListFeeIssues(ctx context.Context, subscriberID string) ([]*models.FeeIssue, error)
	RecordKeys(ctx context.Context, subscriberID string, afterID int64, limit int) ([]models.RecordKeyRow, error)
	// ActiveHolds returns the subscriber's active holds with their item
	// links, in one statement.
	ActiveHolds(ctx context.Context, subscriberID string) ([]*models.Hold, error)
	// SetHoldingSchedules and SetRecordSchedules store purge dates with
	// the clause deciding each.
	SetHoldingSchedules(ctx context.Context, subscriberID string, s map[string]models.Schedule) error
	SetRecordSchedules(ctx context.Context, subscriberID string, s map[int64]models.Schedule) error
	// ListConsents returns the subscriber's current consents, one row per
	// topic ever recorded: a withdrawn topic ends the optional items it
	// covers.
	ListConsents(ctx context.Context, subscriberID string) ([]*models.ConsentRow, error)
	// LastRecordAt returns the date of the subscriber's latest record of
	// one of kinds, or nil.
	LastRecordAt(ctx context.Context, subscriberID string, kinds []string) (*time.Time, error)
	// ReadAhead makes the reads named, together, before the calls of the
	// methods above that make them in this response, which then get what
	// they would have read (one round trip on PostgreSQL); where that
	// saves nothing, it reads nothing.
	ReadAhead(ctx context.Context, r models.Reads)
}

// Service reads a subscriber's inventory.
type Service struct {
	store  Store
	cat    *policy.Catalog
	engine *retention.Engine
	keys   *shred.Keys
	clock  clock.Clock
}

// New returns the inventory service; keys is the master keyring that wraps
// the subscribers' data keys.
func New(s Store, cat *policy.Catalog, keys *protect.Keyring, c clock.Clock) *Service {
	return &Service{store: s, cat: cat, engine: retention.New(cat), keys: shred.New(keys), clock: c}
}

// FeeRecordKinds returns the record kinds that are fee records under the
// tax clause.
func (s *Service) FeeRecordKinds() []string { return s.engine.FeeRecordKinds() }

// Catalog is the policy the inventory is assessed against.
func (s *Service) Catalog() *policy.Catalog { return s.cat }

// Subject is a subscriber together with the facts the calculus needs; load
// it once per request and pass it to the other methods.
type Subject struct {
	Subscriber *models.Subscriber
	Facts      retention.Subject
	// Holds are the subscriber's active holds; they make the items they
	// cover HELD.
	Holds Holds
	// Apart is set for the subscriber's own view (LoadOwnData): it shows
	// the items kept apart because only a statute keeps them (법 21③).
	// Every other view — an agent's, a transmission, a notice — reads the
	// items in use alone.
	Apart bool
	// Profile is what the subscriber's own view shows of them, as of the
	// load.
	Profile Profile
	// key is the subscriber's data key, unwrapped once for the request
	// that loaded the subject and gone with it; nil for a subscriber
	// written before data keys.
	key *protect.DataKey
}

// LoadOwnData is Load for the subscriber's own view of their data — `me`,
// their access export, their requests' outcomes: with the items kept apart
// because only a statute keeps them.
func (s *Service) LoadOwnData(ctx context.Context, subscriberID string) (*Subject, error) {
	subj, err := s.Load(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	subj.Apart = true
	return subj, nil
}

// Load reads a subscriber, their fee issues and their active holds, and
// unwraps their data key for the rest of the request. An unknown id is
// NOT_FOUND. The subject sees the items in use only: what only a statute
// keeps is used for nothing else (법 21③); the subscriber's own view is
// LoadOwnData. ownReads names these reads, to read them ahead.
func (s *Service) Load(ctx context.Context, subscriberID string) (*Subject, error) {
	sub, key, err := s.store.GetSubscriberWithKey(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	var dk *protect.DataKey
	if key != nil {
		if dk, err = s.keys.Open(key); err != nil {
			return nil, err
		}
	}
	if err := shred.OpenSubscriber(dk, sub); err != nil {
		return nil, err
	}
	issues, err := s.store.ListFeeIssues(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	holds, err := s.store.ActiveHolds(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	f, err := s.loadFacts(ctx, s.store, sub, issues)
	if err != nil {
		return nil, err
	}
	return &Subject{Subscriber: sub, Facts: f, Holds: indexHolds(holds), Profile: profile(sub, s.clock.Now()), key: dk}, nil
}

// Profile is what a view of the subscriber shows of them: whether they are
// under 14 (PIPA art. 22-2: a child's consents are the guardian's), and
// their birth date masked to its year, all an age rule needs.
type Profile struct {
	Minor bool
	// BirthDate is the masked birth date (protect.MaskDate); nil when none
	// is held.
	BirthDate *string
}

func profile(sub *models.Subscriber, now time.Time) Profile {
	p := Profile{Minor: sub.IsMinorAt(now)}
	if sub.BirthDate != nil {
		y := protect.Mask(protect.MaskDate, *sub.BirthDate)
		p.BirthDate = &y
	}
	return p
}

// loadFacts is facts with what the calculus reads from the records: the
// date of the last fee record, for a terminated customer's tax-kept fields.
func (s *Service) loadFacts(ctx context.Context, st Store, sub *models.Subscriber, issues []*models.FeeIssue) (retention.Subject, error) {
	f := facts(sub, issues)
	if sub.TerminatedAt == nil {
		return f, nil
	}
	last, err := st.LastRecordAt(ctx, sub.ID, s.engine.FeeRecordKinds())
	if err != nil {
		return f, err
	}
	f.LastFeeRecordAt = last
	return f, nil
}

// facts turns stored rows into the calculus' input.
func facts(sub *models.Subscriber, issues []*models.FeeIssue) retention.Subject {
	f := retention.Subject{SignedUpAt: sub.SignedUpAt, TerminatedAt: sub.TerminatedAt}
	for _, fi := range issues {
		f.FeeIssues = append(f.FeeIssues, retention.FeeIssue{Kind: policy.Condition(fi.Kind), Since: fi.Since, ResolvedAt: fi.ResolvedAt})
	}
	return f
}

// Holding is one profile item with its assessment.
type Holding struct {
	Holding    *models.Holding
	Category   *policy.Category
	Masked     string
	Assessment retention.Assessment
}

// HoldingFilter narrows the inventory; zero fields match everything.
type HoldingFilter struct {
	Purpose string
	Class   policy.CategoryClass
	State   retention.State
}

// Holdings assesses every holding of the subject at the current time.
func (s *Service) Holdings(ctx context.Context, subj *Subject, f HoldingFilter) ([]Holding, error) {
	if f.Purpose != "" {
		if _, ok := s.cat.Purpose(f.Purpose); !ok {
			return nil, apperr.BadInput("filter.purpose", "unknown purpose %q", f.Purpose)
		}
	}
	list := s.store.ListHoldings
	if subj.Apart {
		list = s.store.ListAllHoldings
	}
	rows, err := list(ctx, subj.Subscriber.ID)
	if err != nil {
		return nil, err
	}
	consents, err := s.store.ListConsents(ctx, subj.Subscriber.ID)
	if err != nil {
		return nil, err
	}
	withdrawn := withdrawals(consents)
	kept := make([]*models.Holding, 0, len(rows))
	cats := make([]*policy.Category, 0, len(rows))
	items := make([]retention.Item, 0, len(rows))
	for _, h := range rows {
		cat, ok := s.cat.Category(h.Category)
		if !ok {
			// A category dropped from a newer catalog: still shown, never hidden.
			return nil, fmt.Errorf("holding %s: category %q is not in policy %s", h.ID, h.Category, s.cat.Version)
		}
		if f.Class != "" && cat.Class != f.Class {
			continue
		}
		if f.Purpose != "" && !contains(cat.Purposes, f.Purpose) {
			continue
		}
		kept, cats, items = append(kept, h), append(cats, cat), append(items, s.item(h, withdrawn))
	}
	for i, h := range kept {
		items[i].Holds = subj.Holds.ForHolding(h.ID)
	}
	as, err := s.engine.AssessAll(subj.Facts, items, s.clock.Now())
	if err != nil {
		return nil, err
	}
	out := make([]Holding, 0, len(kept))
	for i, h := range kept {
		if f.State != "" && as[i].State != f.State {
			continue
		}
		masked, err := s.maskHolding(subj.key, h, cats[i])
		if err != nil {
			return nil, err
		}
		out = append(out, Holding{Holding: h, Category: cats[i], Masked: masked, Assessment: as[i]})
	}
	return out, nil
}

// item is the calculus' view of a holding. An optional item whose consent
// topic is withdrawn carries the withdrawal, which ends its clauses.
func (s *Service) item(h *models.Holding, withdrawn map[string]time.Time) retention.Item {
	it := retention.Item{Category: h.Category, CollectedAt: h.CollectedAt}
	if cat, ok := s.cat.Category(h.Category); ok && cat.ConsentTopic != "" {
		if at, ok := withdrawn[cat.ConsentTopic]; ok {
			it.ConsentWithdrawnAt = &at
		}
	}
	return it
}

// withdrawals maps each withdrawn consent topic to when it was withdrawn.
func withdrawals(consents []*models.ConsentRow) map[string]time.Time {
	m := make(map[string]time.Time)
	for _, c := range consents {
		if c.State == consentWithdrawn {
			m[c.Topic] = c.DatedAt
		}
	}
	return m
}

// consentWithdrawn is the stored state of a withdrawn consent topic (the
// consent package's Withdrawn, which imports this one).
const consentWithdrawn = "WITHDRAWN"

// maskHolding shows a value only masked: it is opened for masking and
// never leaves this function in the clear.
func (s *Service) maskHolding(dk *protect.DataKey, h *models.Holding, cat *policy.Category) (string, error) {
	plain, err := shred.OpenHolding(dk, s.keys.Ring(), h)
	if err != nil {
		return "", err
	}
	return protect.Mask(cat.Mask, plain), nil
}

// Seal encrypts a value about the subscriber that is not yet a holding —
// the value a correction request proposes — bound to its purpose by aad.
func (s *Service) Seal(subscriberID, purpose, value string) ([]byte, string, error) {
	return s.keys.Ring().Encrypt([]byte(value), protect.AAD(subscriberID, purpose))
}

// Unseal decrypts what Seal sealed.
func (s *Service) Unseal(subscriberID, purpose, keyID string, sealed []byte) (string, error) {
	b, err := s.keys.Ring().Decrypt(keyID, sealed, protect.AAD(subscriberID, purpose))
	if err != nil {
		return "", fmt.Errorf("sealed %s of %s: %w", purpose, subscriberID, err)
	}
	return string(b), nil
}

// Reveal returns a holding of subj in the clear, opened with the
// subscriber's data key. Only the subscriber's own access export (법 35)
// shows values unmasked; every other view masks them.
func (s *Service) Reveal(subj *Subject, h *models.Holding) (string, error) {
	return shred.OpenHolding(subj.key, s.keys.Ring(), h)
}

// Record is one generated record with its assessment.
type Record struct {
	Record     *models.Record
	Kind       *policy.RecordKind
	Masked     string
	Assessment retention.Assessment
}

// MaxPage caps every page of records.
const MaxPage = paging.MaxSize

// DefaultPage is the page size when the client gives none.
const DefaultPage = paging.DefaultSize

// RecordsPage is one page of records, newest first.
type RecordsPage struct {
	Records []Record
	HasNext bool
}

// Records returns one page of the subject's records, optionally of one kind.
func (s *Service) Records(ctx context.Context, subj *Subject, kind string, first int, after *models.RecordKey) (RecordsPage, error) {
	return s.records(ctx, subj, models.RecordPage{Kind: kind, After: after, Limit: first})
}

// UnsentRecords is Records without the records a document of the
// transmission request already carried: what its next document may carry.
func (s *Service) UnsentRecords(ctx context.Context, subj *Subject, kind, requestID string, first int, after *models.RecordKey) (RecordsPage, error) {
	return s.records(ctx, subj, models.RecordPage{Kind: kind, After: after, Limit: first, UnsentFor: requestID})
}

func (s *Service) records(ctx context.Context, subj *Subject, p models.RecordPage) (RecordsPage, error) {
	if p.Kind != "" {
		if _, ok := s.cat.RecordKind(p.Kind); !ok {
			return RecordsPage{}, apperr.BadInput("kind", "unknown record kind %q", p.Kind)
		}
	}
	p.SubscriberID, p.Apart = subj.Subscriber.ID, subj.Apart
	rows, more, err := s.store.ListRecords(ctx, p)
	if err != nil {
		return RecordsPage{}, err
	}
	kinds := make([]*policy.RecordKind, len(rows))
	items := make([]retention.Item, len(rows))
	for i, r := range rows {
		k, ok := s.cat.RecordKind(r.Kind)
		if !ok {
			return RecordsPage{}, fmt.Errorf("record %d: kind %q is not in policy %s", r.ID, r.Kind, s.cat.Version)
		}
		kinds[i], items[i] = k, retention.Item{RecordKind: r.Kind, CollectedAt: r.OccurredAt, Holds: subj.Holds.ForRecord(r.ID)}
	}
	// One run for the page: the subscriber's clause windows are worked out
	// once, not once per record.
	as, err := s.engine.AssessAll(subj.Facts, items, s.clock.Now())
	if err != nil {
		return RecordsPage{}, err
	}
	out := make([]Record, len(rows))
	for i, r := range rows {
		if err := shred.OpenRecord(subj.key, r); err != nil {
			return RecordsPage{}, err
		}
		out[i] = Record{Record: r, Kind: kinds[i], Masked: protect.Mask(kinds[i].Mask, r.Summary), Assessment: as[i]}
	}
	return RecordsPage{Records: out, HasNext: more}, nil
}

// Explain is the one-line reason an item is kept, in the asked language.
func Explain(a retention.Assessment, lang policy.Lang) string { return a.Explain(lang) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Subscriber reads a subscriber in st (a transaction, say) with the birth
// date opened, for the rules that need it: whether a guardian acts for a
// child under 14.
func (s *Service) Subscriber(ctx context.Context, st Store, subscriberID string) (*models.Subscriber, error) {
	sub, err := st.GetSubscriber(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	if len(sub.BirthDateCipher) == 0 {
		return sub, nil
	}
	dk, err := s.keys.ForRead(ctx, st, subscriberID)
	if err != nil {
		return nil, err
	}
	return sub, shred.OpenSubscriber(dk, sub)
}

// RevealIn returns the values of a subscriber's holdings in the clear,
// opened with the subscriber's data key read in st, in the holdings' order:
// for the rules that compare values (a correction delivered by a feed).
func (s *Service) RevealIn(ctx context.Context, st Store, subscriberID string, hs []*models.Holding) ([]string, error) {
	dk, err := s.keys.ForRead(ctx, st, subscriberID)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(hs))
	for i, h := range hs {
		if out[i], err = shred.OpenHolding(dk, s.keys.Ring(), h); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SealDocument seals a document made of a subscriber's data (kind and id
// name it, e.g. an access export and its request) with the subscriber's
// data key, read in st, before it is stored: erasing the subscriber makes
// it unreadable wherever a copy lingers. A subscriber written before data
// keys has none, and the document is stored as it is.
func (s *Service) SealDocument(ctx context.Context, st shred.KeyReader, subscriberID, kind, id string, doc []byte) ([]byte, error) {
	sealed, _, err := s.SealDocumentIfKeyed(ctx, st, subscriberID, kind, id, doc)
	if sealed == nil && err == nil {
		return doc, nil
	}
	return sealed, err
}

// SealDocumentIfKeyed is SealDocument for a caller that seals otherwise
// when the subscriber has no data key: keyed is false, and sealed nil.
func (s *Service) SealDocumentIfKeyed(ctx context.Context, st shred.KeyReader, subscriberID, kind, id string, doc []byte) (sealed []byte, keyed bool, err error) {
	dk, err := s.keys.ForRead(ctx, st, subscriberID)
	if err != nil || dk == nil {
		return nil, false, err
	}
	return shred.SealDocument(dk, subscriberID, kind, id, doc), true, nil
}

// OpenDocument opens a document SealDocument sealed.
func (s *Service) OpenDocument(ctx context.Context, st shred.KeyReader, subscriberID, kind, id string, stored []byte) ([]byte, error) {
	dk, err := s.keys.ForRead(ctx, st, subscriberID)
	if err != nil {
		return nil, err
	}
	return shred.OpenDocument(dk, subscriberID, kind, id, stored)
}
