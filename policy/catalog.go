// Package policy holds the privacy notice as data: the purposes, the items of
// personal data collected, the records generated, the retention clauses and
// the consent topics, with Korean and English labels and the matching keys of
// the fideslang taxonomy.
//
// The catalog is versioned data loaded from YAML. The Xroshot notice
// (xroshot.yaml, embedded) is the default; an operator can ship its own. Load
// validates a catalog completely, so the rest of the portal may trust every
// reference in it.
package policy

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/xroshot/portal/protect"
	"io"
	"sync"

	"gopkg.in/yaml.v3"
)

// Basis is the lawful basis of a purpose or a retention clause.
type Basis string

// The lawful bases (개인정보 보호법 제15조①).
const (
	BasisContract   Basis = "CONTRACT"   // needed to perform the subscription contract
	BasisLegitimate Basis = "LEGITIMATE" // the operator's legitimate interest
	BasisConsent    Basis = "CONSENT"    // separate, optional consent
	BasisLaw        Basis = "LAW"        // required by a statute
)

// CategoryClass says how an item of personal data came to be held.
type CategoryClass string

// The classes of §2(1) of the notice.
const (
	ClassRequired  CategoryClass = "REQUIRED"  // 가. 필수정보: needed for the service
	ClassOptional  CategoryClass = "OPTIONAL"  // 나. 선택정보: held only under its consent topic
	ClassGenerated CategoryClass = "GENERATED" // 다. generated while the service is used
)

// MaskKind says how a value is masked on display. The kinds are defined
// once, by the package that masks (protect); the catalog names them.
type MaskKind = protect.MaskKind

// The masks the display layer knows.
const (
	MaskName       = protect.MaskName
	MaskPhone      = protect.MaskPhone
	MaskEmail      = protect.MaskEmail
	MaskAddress    = protect.MaskAddress
	MaskAccount    = protect.MaskAccount
	MaskIdentifier = protect.MaskIdentifier
	MaskDate       = protect.MaskDate
	MaskIP         = protect.MaskIP
	MaskText       = protect.MaskText
	MaskNone       = protect.MaskNone
)

// Format says how a value fed for a category is validated; defined by the
// package that validates (protect).
type Format = protect.Format

// The formats the data feeds are checked against.
const (
	FormatText       = protect.FormatText
	FormatName       = protect.FormatName
	FormatPhone      = protect.FormatPhone
	FormatEmail      = protect.FormatEmail
	FormatDate       = protect.FormatDate
	FormatAccount    = protect.FormatAccount
	FormatIdentifier = protect.FormatIdentifier
	FormatAddress    = protect.FormatAddress
	FormatIP         = protect.FormatIP
)

// Anchor is the event a retention clause is counted from, or ends at.
type Anchor string

// The anchors of the retention clauses.
const (
	AnchorSignUp            Anchor = "SIGN_UP"
	AnchorTermination       Anchor = "TERMINATION"
	AnchorRecordDate        Anchor = "RECORD_DATE"
	AnchorCreation          Anchor = "CREATION"
	AnchorConsentWithdrawal Anchor = "CONSENT_WITHDRAWAL" // ends the clauses of an optional item
	AnchorTaxFilingDeadline Anchor = "TAX_FILING_DEADLINE"
)

// Condition is a state of the subscriber's fees that stops the clock of a
// clause "until resolved".
type Condition string

// The conditions of §3(1)나 of the notice.
const (
	ConditionUnpaidFees   Condition = "UNPAID_FEES"
	ConditionOverpaidFees Condition = "OVERPAID_FEES"
	ConditionFeeDispute   Condition = "FEE_DISPUTE"
)

// Role tells the retention engine which rule computes a clause. The engine
// dispatches on roles, never on clause codes, so an operator's catalog can
// name its clauses as it likes.
type Role string

// The roles the retention engine knows.
const (
	// RoleService runs from sign-up to termination (anchor SIGN_UP, ends at
	// TERMINATION).
	RoleService Role = "SERVICE"
	// RolePostTermination runs from termination for its duration, and on
	// until its conditions are resolved (anchor TERMINATION).
	RolePostTermination Role = "POST_TERMINATION"
	// RoleMessage keeps message content for its duration from creation,
	// active subscriber or not, and keeps it alone (anchor CREATION).
	RoleMessage Role = "MESSAGE"
	// RoleTax keeps the listed fields of terminated customers for its
	// duration from the day after the VAT filing deadline
	// (anchor TAX_FILING_DEADLINE).
	RoleTax Role = "TAX"
	// RoleStatute keeps records for its duration from each record's own
	// date (anchor RECORD_DATE).
	RoleStatute Role = "STATUTE"
)

// anchorOf is the anchor each role counts from.
var anchorOf = map[Role]Anchor{
	RoleService:         AnchorSignUp,
	RolePostTermination: AnchorTermination,
	RoleMessage:         AnchorCreation,
	RoleTax:             AnchorTaxFilingDeadline,
	RoleStatute:         AnchorRecordDate,
}

// TopicKind is the kind of a consent topic.
type TopicKind string

// The kinds of consent topics.
const (
	// TopicOptionalItem covers the collection of one optional item.
	TopicOptionalItem TopicKind = "OPTIONAL_ITEM"
	// TopicMarketingChannel covers advertising messages on one channel
	// (정보통신망법 제50조).
	TopicMarketingChannel TopicKind = "MARKETING_CHANNEL"
	// TopicMarketingNight covers advertising messages sent between 21:00
	// and 08:00 on the channels it applies to (정보통신망법 제50조③).
	TopicMarketingNight TopicKind = "MARKETING_NIGHT"
)

// Channel is a channel advertising messages are sent on.
type Channel string

// The marketing channels.
const (
	ChannelSMS   Channel = "SMS"
	ChannelEmail Channel = "EMAIL"
	ChannelPhone Channel = "PHONE"
	ChannelPush  Channel = "PUSH"
)

// controllerDoc is who the notice speaks for, as written in the source.
type controllerDoc struct {
	Name      Text   `yaml:"name"`
	PolicyURL string `yaml:"policy_url"`
}

// Statement is a sentence of the notice that is neither a purpose, an item
// nor a clause, such as the promise not to collect sensitive data.
type Statement struct {
	Code    string `yaml:"code"`
	Section string `yaml:"section"`
	Text    Text   `yaml:"text"`
}

// CollectionMethod is a way personal data is collected (§2(2)).
type CollectionMethod struct {
	Code        string `yaml:"code"`
	Section     string `yaml:"section"`
	Label       Text   `yaml:"label"`
	Description Text   `yaml:"description"`
}

// Group is whose data an item is: the applicant's, the fee payer's, the legal
// guardian's, or an optional item.
type Group struct {
	Code        string `yaml:"code"`
	Section     string `yaml:"section"`
	Label       Text   `yaml:"label"`
	Description Text   `yaml:"description"`
}

// Purpose is a purpose of processing (§1).
type Purpose struct {
	Code        string `yaml:"code"`
	Section     string `yaml:"section"`
	Label       Text   `yaml:"label"`
	Description Text   `yaml:"description"`
	Basis       Basis  `yaml:"basis"`
	// Required is false for purposes the subscriber may refuse without
	// losing the service (법 16③, 22⑤).
	Required bool `yaml:"required"`
	// DataUse is the fideslang data_use key.
	DataUse string `yaml:"data_use"`
}

// Category is a kind of single-valued item of personal data (§2(1) 가, 나),
// such as the applicant's e-mail address.
type Category struct {
	Code  string        `yaml:"code"`
	Class CategoryClass `yaml:"class"`
	// Group is the code of the Group the item belongs to.
	Group string `yaml:"group"`
	// Sensitive values are encrypted at rest (법 24③, 24조의2).
	Sensitive bool     `yaml:"sensitive"`
	Mask      MaskKind `yaml:"mask"`
	Format    Format   `yaml:"format"`
	// Purposes are purpose codes; Clauses the codes of the retention clauses
	// that keep the item.
	Purposes []string `yaml:"purposes"`
	Clauses  []string `yaml:"clauses"`
	// ConsentTopic is, for an optional item, the topic whose withdrawal ends
	// it.
	ConsentTopic string `yaml:"consent_topic,omitempty"`
	// DataCategory is the fideslang data_category key.
	DataCategory string `yaml:"data_category"`
	Label        Text   `yaml:"label"`
}

// RecordKind is a kind of record generated while the service is used
// (§2(1)다, §3(3)), such as payment records or message content.
type RecordKind struct {
	Code        string `yaml:"code"`
	Section     string `yaml:"section"`
	Label       Text   `yaml:"label"`
	Description Text   `yaml:"description"`
	// Purposes are purpose codes; Clauses the codes of the retention clauses
	// that keep records of this kind.
	Purposes []string `yaml:"purposes"`
	Clauses  []string `yaml:"clauses"`
	// DataCategory is the fideslang data_category key.
	DataCategory string `yaml:"data_category"`
	// Mask is how a record's summary is masked on display.
	Mask MaskKind `yaml:"mask"`
	// Transmissible records may be carried by a transmission request
	// (전송요구, 법 35조의2; 영 42조의2).
	Transmissible bool `yaml:"transmissible,omitempty"`
}

// The refusal reasons the portal gives itself when a transmission's
// recipient is no longer admitted for its scope: every catalog has them.
const (
	RefusalRecipientNotAdmitted = "RECIPIENT_NOT_ADMITTED"
	RefusalNotTransmissible     = "CATEGORY_NOT_TRANSMISSIBLE"
)

// TransmissionRefusal is a reason a transmission request is refused or its
// transmissions stopped (법 35조의2⑥), with what the subscriber is told.
type TransmissionRefusal struct {
	Code string `yaml:"code"`
	// Staff reasons may be given by a staff member; the others the portal
	// gives itself.
	Staff bool `yaml:"staff"`
	Label Text `yaml:"label"`
	Text  Text `yaml:"text"`
}

// Law is the statute a clause rests on.
type Law struct {
	Name    Text `yaml:"name"`
	Article Text `yaml:"article"`
}

// Citation returns the law and article as cited to subscribers, such as
// "국세기본법 제85조의3" or "National Tax Basic Act Art. 85-3".
func (l Law) Citation(lang Lang) string {
	return l.Name.In(lang) + " " + l.Article.In(lang)
}

// Keeps lists what a selective clause keeps; only these items may name the
// clause, and all of them must.
type Keeps struct {
	Categories  []string `yaml:"categories,omitempty"`
	RecordKinds []string `yaml:"record_kinds,omitempty"`
}

// Clause is a retention clause (§3).
type Clause struct {
	Code        string `yaml:"code"`
	Section     string `yaml:"section"`
	Role        Role   `yaml:"role"`
	Label       Text   `yaml:"label"`
	Description Text   `yaml:"description"`
	Anchor      Anchor `yaml:"anchor"`
	// Duration is counted from the anchor; zero for a clause that ends at
	// an event (EndsAt).
	Duration Period `yaml:"-"`
	EndsAt   Anchor `yaml:"ends_at,omitempty"`
	// UntilResolved lists the conditions that keep the clause running past
	// its duration until they are resolved.
	UntilResolved []Condition `yaml:"until_resolved,omitempty"`
	// StatuteOnly clauses keep data only because a law says so: it is kept
	// apart and used for nothing else (법 21③).
	StatuteOnly bool  `yaml:"statute_only"`
	Basis       Basis `yaml:"basis"`
	Law         *Law  `yaml:"law,omitempty"`
	// Keeps, when set, limits the clause to the listed items.
	Keeps *Keeps `yaml:"keeps,omitempty"`
}

// ConsentTopic is something the subscriber consents to separately: an
// optional item, or advertising on a channel.
type ConsentTopic struct {
	Code string `yaml:"code"`
	// Purpose is the code of the purpose the consent is for.
	Purpose string    `yaml:"purpose"`
	Kind    TopicKind `yaml:"kind"`
	// Channel is the channel of a MARKETING_CHANNEL topic.
	Channel Channel `yaml:"channel,omitempty"`
	// AppliesTo lists the channels a MARKETING_NIGHT topic governs.
	AppliesTo []Channel `yaml:"applies_to,omitempty"`
	// Category is the code of the item an OPTIONAL_ITEM topic covers.
	Category string `yaml:"category,omitempty"`
	// Reconfirm is how often the consent must be reconfirmed; zero if never.
	Reconfirm   Period `yaml:"-"`
	DataUse     string `yaml:"data_use"`
	Label       Text   `yaml:"label"`
	Description Text   `yaml:"description,omitempty"`
}

// Catalog is one version of the notice, validated. It is shared and must not
// be modified.
type Catalog struct {
	Version      string
	Title        Text
	Controller   Text
	PolicyURL    string
	Jurisdiction string
	Languages    []Lang
	// Hash is the SHA-256 (hex) of the source the catalog was loaded from,
	// so that a stored policy version can be checked against the text.
	Hash string

	Statements        []Statement
	CollectionMethods []CollectionMethod
	Groups            []Group
	Purposes          []Purpose
	Categories        []Category
	RecordKinds       []RecordKind
	Clauses           []Clause
	ConsentTopics     []ConsentTopic
	// TransmissionRefusals are the reasons a transmission request is
	// refused.
	TransmissionRefusals []TransmissionRefusal
	// Tax is the operator's fiscal year and the holiday calendar the tax
	// clause counts deadlines by.
	Tax Tax

	purposes, groups, categories, recordKinds, clauses, topics map[string]int
	refusals                                                   map[string]int
	topicOfCategory                                            map[string]int
}

// document is the shape of the YAML source.
type document struct {
	Version           string                `yaml:"version"`
	Title             Text                  `yaml:"title"`
	Controller        controllerDoc         `yaml:"controller"`
	Jurisdiction      string                `yaml:"jurisdiction"`
	Languages         []Lang                `yaml:"languages"`
	Statements        []Statement           `yaml:"statements"`
	CollectionMethods []CollectionMethod    `yaml:"collection_methods"`
	Groups            []Group               `yaml:"groups"`
	Purposes          []Purpose             `yaml:"purposes"`
	Clauses           []clauseDoc           `yaml:"clauses"`
	Categories        []Category            `yaml:"categories"`
	RecordKinds       []RecordKind          `yaml:"record_kinds"`
	ConsentTopics     []topicDoc            `yaml:"consent_topics"`
	Refusals          []TransmissionRefusal `yaml:"transmission_refusals"`
	Tax               taxDoc                `yaml:"tax"`
}

// clauseDoc and topicDoc carry periods as written, so that a bad one is
// reported by validation with the entry at fault.
type clauseDoc struct {
	Clause   `yaml:",inline"`
	Duration string `yaml:"duration,omitempty"`
}

type topicDoc struct {
	ConsentTopic `yaml:",inline"`
	Reconfirm    string `yaml:"reconfirm,omitempty"`
}

//go:embed xroshot.yaml
var xroshot []byte

var defaultCatalog = sync.OnceValues(func() (*Catalog, error) { return Load(xroshot) })

// Default returns the catalog of the Xroshot notice shipped with the portal.
// It is loaded once.
func Default() (*Catalog, error) { return defaultCatalog() }

// Load parses a catalog from YAML and validates it. Unknown fields are
// errors; a catalog with problems is refused with a *ValidationError listing
// every one of them.
func Load(src []byte) (*Catalog, error) {
	var doc document
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("policy: parse catalog: %w", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("policy: parse catalog: more than one YAML document")
	}

	sum := sha256.Sum256(src)
	c := &Catalog{
		Version:              doc.Version,
		Title:                doc.Title,
		Controller:           doc.Controller.Name,
		PolicyURL:            doc.Controller.PolicyURL,
		Jurisdiction:         doc.Jurisdiction,
		Languages:            doc.Languages,
		Hash:                 hex.EncodeToString(sum[:]),
		Statements:           doc.Statements,
		CollectionMethods:    doc.CollectionMethods,
		Groups:               doc.Groups,
		Purposes:             doc.Purposes,
		Categories:           doc.Categories,
		RecordKinds:          doc.RecordKinds,
		TransmissionRefusals: doc.Refusals,
	}
	v := &validator{}
	c.Clauses = make([]Clause, len(doc.Clauses))
	for i, d := range doc.Clauses {
		c.Clauses[i] = d.Clause
		if d.Duration != "" {
			p, err := ParsePeriod(d.Duration)
			if err != nil {
				v.addf("clause %s: bad duration: %v", d.Code, err)
				v.unreadable = append(v.unreadable, d.Code)
			}
			c.Clauses[i].Duration = p
		}
	}
	c.ConsentTopics = make([]ConsentTopic, len(doc.ConsentTopics))
	for i, d := range doc.ConsentTopics {
		c.ConsentTopics[i] = d.ConsentTopic
		if d.Reconfirm != "" {
			p, err := ParsePeriod(d.Reconfirm)
			if err != nil {
				v.addf("consent topic %s: bad reconfirm period: %v", d.Code, err)
			}
			c.ConsentTopics[i].Reconfirm = p
		}
	}
	if m, d, err := parseFiscalYearEnd(doc.Tax.FiscalYearEnd); err != nil {
		v.addf("tax: %v", err)
	} else {
		c.Tax.FiscalYearEndMonth, c.Tax.FiscalYearEndDay = m, d
	}
	hol, err := DefaultHolidays()
	if err != nil {
		return nil, fmt.Errorf("policy: holiday calendar: %w", err)
	}
	c.Tax.Holidays = hol
	c.index(v)
	v.catalog(c)
	if err := v.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// index builds the lookups, reporting duplicate codes.
func (c *Catalog) index(v *validator) {
	c.purposes = indexBy(v, "purpose", c.Purposes, func(p Purpose) string { return p.Code })
	indexBy(v, "statement", c.Statements, func(s Statement) string { return s.Code })
	indexBy(v, "collection method", c.CollectionMethods, func(m CollectionMethod) string { return m.Code })
	c.groups = indexBy(v, "group", c.Groups, func(g Group) string { return g.Code })
	c.categories = indexBy(v, "category", c.Categories, func(x Category) string { return x.Code })
	c.recordKinds = indexBy(v, "record kind", c.RecordKinds, func(r RecordKind) string { return r.Code })
	c.clauses = indexBy(v, "clause", c.Clauses, func(x Clause) string { return x.Code })
	c.topics = indexBy(v, "consent topic", c.ConsentTopics, func(t ConsentTopic) string { return t.Code })
	c.refusals = indexBy(v, "transmission refusal", c.TransmissionRefusals, func(r TransmissionRefusal) string { return r.Code })
	c.topicOfCategory = make(map[string]int)
	for i, t := range c.ConsentTopics {
		if t.Category != "" {
			if _, dup := c.topicOfCategory[t.Category]; dup {
				v.addf("consent topic %s: category %s is already covered by another topic", t.Code, t.Category)
				continue
			}
			c.topicOfCategory[t.Category] = i
		}
	}
}

func indexBy[T any](v *validator, what string, xs []T, code func(T) string) map[string]int {
	m := make(map[string]int, len(xs))
	for i, x := range xs {
		k := code(x)
		if k == "" {
			v.addf("%s #%d: missing code", what, i+1)
			continue
		}
		if _, dup := m[k]; dup {
			v.addf("%s %s: duplicate code", what, k)
			continue
		}
		m[k] = i
	}
	return m
}

func lookup[T any](xs []T, idx map[string]int, code string) (*T, bool) {
	i, ok := idx[code]
	if !ok {
		return nil, false
	}
	return &xs[i], true
}

// Purpose returns the purpose with the code.
func (c *Catalog) Purpose(code string) (*Purpose, bool) { return lookup(c.Purposes, c.purposes, code) }

// Group returns the group with the code.
func (c *Catalog) Group(code string) (*Group, bool) { return lookup(c.Groups, c.groups, code) }

// Category returns the item category with the code.
func (c *Catalog) Category(code string) (*Category, bool) {
	return lookup(c.Categories, c.categories, code)
}

// RecordKind returns the record kind with the code.
func (c *Catalog) RecordKind(code string) (*RecordKind, bool) {
	return lookup(c.RecordKinds, c.recordKinds, code)
}

// TransmissibleRecordKinds returns the codes of the record kinds a
// transmission request may carry, in catalog order.
func (c *Catalog) TransmissibleRecordKinds() []string {
	var out []string
	for _, r := range c.RecordKinds {
		if r.Transmissible {
			out = append(out, r.Code)
		}
	}
	return out
}

// TransmissionRefusal returns the refusal reason with the code.
func (c *Catalog) TransmissionRefusal(code string) (*TransmissionRefusal, bool) {
	return lookup(c.TransmissionRefusals, c.refusals, code)
}

// Clause returns the retention clause with the code.
func (c *Catalog) Clause(code string) (*Clause, bool) { return lookup(c.Clauses, c.clauses, code) }

// ConsentTopic returns the consent topic with the code.
func (c *Catalog) ConsentTopic(code string) (*ConsentTopic, bool) {
	return lookup(c.ConsentTopics, c.topics, code)
}

// TopicForCategory returns the consent topic that covers an optional item
// category: withdrawing it ends the item.
func (c *Catalog) TopicForCategory(code string) (*ConsentTopic, bool) {
	return lookup(c.ConsentTopics, c.topicOfCategory, code)
}
