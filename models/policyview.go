package models

import "github.com/xroshot/portal/policy"

// The policy views bind catalog entries to GraphQL with the language the
// request asked for: gqlgen calls their methods for the fields, so labels come
// out in one language without a resolver per field.

// PolicyView is the notice in force, in one language.
type PolicyView struct {
	Cat  *policy.Catalog
	Lang policy.Lang
}

// PurposeView is a purpose of processing, in one language.
type PurposeView struct {
	P    *policy.Purpose
	Lang policy.Lang
}

// CategoryView is an item category, in one language.
type CategoryView struct {
	C    *policy.Category
	Cat  *policy.Catalog
	Lang policy.Lang
}

// RecordKindView is a kind of generated record, in one language.
type RecordKindView struct {
	K    *policy.RecordKind
	Cat  *policy.Catalog
	Lang policy.Lang
}

// ClauseView is a retention clause, in one language.
type ClauseView struct {
	C    *policy.Clause
	Lang policy.Lang
}

// ConsentTopicView is a consent topic, in one language.
type ConsentTopicView struct {
	T    *policy.ConsentTopic
	Cat  *policy.Catalog
	Lang policy.Lang
}

// Version is the catalog version.
func (v PolicyView) Version() string { return v.Cat.Version }

// Hash is the SHA-256 of the catalog source.
func (v PolicyView) Hash() string { return v.Cat.Hash }

// Language is the language of the labels.
func (v PolicyView) Language() Language { return languageOf(v.Lang) }

// Title is the notice's title.
func (v PolicyView) Title() string { return v.Cat.Title.In(v.Lang) }

// Controller is who is responsible for the processing.
func (v PolicyView) Controller() string { return v.Cat.Controller.In(v.Lang) }

// URL is where the full notice is published.
func (v PolicyView) URL() string { return v.Cat.PolicyURL }

// Jurisdiction is the law the notice lives under.
func (v PolicyView) Jurisdiction() string { return v.Cat.Jurisdiction }

// Purposes lists every purpose.
func (v PolicyView) Purposes() []*PurposeView {
	out := make([]*PurposeView, len(v.Cat.Purposes))
	for i := range v.Cat.Purposes {
		out[i] = &PurposeView{P: &v.Cat.Purposes[i], Lang: v.Lang}
	}
	return out
}

// Categories lists the item categories, optionally of one class.
func (v PolicyView) Categories(class *CategoryClass) []*CategoryView {
	out := make([]*CategoryView, 0, len(v.Cat.Categories))
	for i := range v.Cat.Categories {
		c := &v.Cat.Categories[i]
		if class != nil && string(c.Class) != string(*class) {
			continue
		}
		out = append(out, &CategoryView{C: c, Cat: v.Cat, Lang: v.Lang})
	}
	return out
}

// RecordKinds lists the kinds of generated records.
func (v PolicyView) RecordKinds() []*RecordKindView {
	out := make([]*RecordKindView, len(v.Cat.RecordKinds))
	for i := range v.Cat.RecordKinds {
		out[i] = &RecordKindView{K: &v.Cat.RecordKinds[i], Cat: v.Cat, Lang: v.Lang}
	}
	return out
}

// Clauses lists the retention clauses.
func (v PolicyView) Clauses() []*ClauseView {
	out := make([]*ClauseView, len(v.Cat.Clauses))
	for i := range v.Cat.Clauses {
		out[i] = &ClauseView{C: &v.Cat.Clauses[i], Lang: v.Lang}
	}
	return out
}

// ConsentTopics lists what the subscriber may consent to separately.
func (v PolicyView) ConsentTopics() []*ConsentTopicView {
	out := make([]*ConsentTopicView, len(v.Cat.ConsentTopics))
	for i := range v.Cat.ConsentTopics {
		out[i] = &ConsentTopicView{T: &v.Cat.ConsentTopics[i], Cat: v.Cat, Lang: v.Lang}
	}
	return out
}

// Code is the purpose code.
func (v PurposeView) Code() string { return v.P.Code }

// Section is where the notice states it.
func (v PurposeView) Section() string { return v.P.Section }

// Label is the purpose's name.
func (v PurposeView) Label() string { return v.P.Label.In(v.Lang) }

// Description says what the purpose covers.
func (v PurposeView) Description() string { return v.P.Description.In(v.Lang) }

// Basis is the legal ground of the processing.
func (v PurposeView) Basis() string { return string(v.P.Basis) }

// Required reports whether the service needs it (no consent to toggle).
func (v PurposeView) Required() bool { return v.P.Required }

// FidesKey is the matching fideslang data use.
func (v PurposeView) FidesKey() string { return v.P.DataUse }

// Code is the category code feeds and clients use.
func (v CategoryView) Code() string { return v.C.Code }

// Class is required, optional or generated.
func (v CategoryView) Class() CategoryClass { return CategoryClass(v.C.Class) }

// Group is the notice's grouping (applicant, payer, guardian, optional).
func (v CategoryView) Group() string { return v.C.Group }

// Label is the category's name.
func (v CategoryView) Label() string { return v.C.Label.In(v.Lang) }

// Sensitive reports whether values are encrypted at rest.
func (v CategoryView) Sensitive() bool { return v.C.Sensitive }

// FidesKey is the matching fideslang data category.
func (v CategoryView) FidesKey() string { return v.C.DataCategory }

// Purposes are what the category is processed for.
func (v CategoryView) Purposes() []*PurposeView { return purposeViews(v.Cat, v.C.Purposes, v.Lang) }

// Clauses are the retention clauses that can keep it.
func (v CategoryView) Clauses() []*ClauseView { return clauseViews(v.Cat, v.C.Clauses, v.Lang) }

// ConsentTopic is the consent an optional item depends on.
func (v CategoryView) ConsentTopic() *ConsentTopicView {
	if v.C.ConsentTopic == "" {
		return nil
	}
	t, ok := v.Cat.ConsentTopic(v.C.ConsentTopic)
	if !ok {
		return nil
	}
	return &ConsentTopicView{T: t, Cat: v.Cat, Lang: v.Lang}
}

// Code is the record kind code.
func (v RecordKindView) Code() string { return v.K.Code }

// Label is the kind's name.
func (v RecordKindView) Label() string { return v.K.Label.In(v.Lang) }

// Description says what such records hold.
func (v RecordKindView) Description() string { return v.K.Description.In(v.Lang) }

// FidesKey is the matching fideslang data category.
func (v RecordKindView) FidesKey() string { return v.K.DataCategory }

// Transmissible reports whether a transmission request may carry the
// records (법 35조의2).
func (v RecordKindView) Transmissible() bool { return v.K.Transmissible }

// Purposes are what the records are processed for.
func (v RecordKindView) Purposes() []*PurposeView { return purposeViews(v.Cat, v.K.Purposes, v.Lang) }

// Clauses are the retention clauses that can keep them.
func (v RecordKindView) Clauses() []*ClauseView { return clauseViews(v.Cat, v.K.Clauses, v.Lang) }

// Code is the clause code.
func (v ClauseView) Code() string { return v.C.Code }

// Section is where the notice states it.
func (v ClauseView) Section() string { return v.C.Section }

// Label is the clause's name.
func (v ClauseView) Label() string { return v.C.Label.In(v.Lang) }

// Description says what the clause keeps and why.
func (v ClauseView) Description() string { return v.C.Description.In(v.Lang) }

// Anchor is the event the period counts from.
func (v ClauseView) Anchor() string { return string(v.C.Anchor) }

// Duration is the period as ISO 8601, or nil for "until the end event".
func (v ClauseView) Duration() *string {
	if v.C.Duration.IsZero() {
		return nil
	}
	s := v.C.Duration.String()
	return &s
}

// EndsAt is the event that ends an open period (termination).
func (v ClauseView) EndsAt() *string {
	if v.C.EndsAt == "" {
		return nil
	}
	s := string(v.C.EndsAt)
	return &s
}

// UntilResolved lists the conditions that stop the clock.
func (v ClauseView) UntilResolved() []string {
	out := make([]string, len(v.C.UntilResolved))
	for i, c := range v.C.UntilResolved {
		out[i] = string(c)
	}
	return out
}

// StatuteOnly reports whether data kept under it is kept only by law: kept
// apart and used for nothing else.
func (v ClauseView) StatuteOnly() bool { return v.C.StatuteOnly }

// Basis is the legal ground of the clause.
func (v ClauseView) Basis() string { return string(v.C.Basis) }

// Law names the statute, or nil for contract and policy clauses.
func (v ClauseView) Law() *string {
	if v.C.Law == nil {
		return nil
	}
	s := v.C.Law.Name.In(v.Lang)
	return &s
}

// Article is the statute's article.
func (v ClauseView) Article() *string {
	if v.C.Law == nil {
		return nil
	}
	s := v.C.Law.Article.In(v.Lang)
	return &s
}

// Citation is law and article in one string.
func (v ClauseView) Citation() *string {
	if v.C.Law == nil {
		return nil
	}
	s := v.C.Law.Citation(v.Lang)
	return &s
}

// Code is the topic code.
func (v ConsentTopicView) Code() string { return v.T.Code }

// Kind is an optional item, a marketing channel or night-time sending.
func (v ConsentTopicView) Kind() string { return string(v.T.Kind) }

// Label is the topic's name.
func (v ConsentTopicView) Label() string { return v.T.Label.In(v.Lang) }

// Description says what consenting allows.
func (v ConsentTopicView) Description() string { return v.T.Description.In(v.Lang) }

// Channel is the marketing channel, if any.
func (v ConsentTopicView) Channel() *MarketingChannel {
	if v.T.Channel == "" {
		return nil
	}
	// The catalog's channels are validated against the same fixed set.
	c := MarketingChannel(v.T.Channel)
	return &c
}

// AppliesTo lists the channels night-time consent governs.
func (v ConsentTopicView) AppliesTo() []string {
	out := make([]string, len(v.T.AppliesTo))
	for i, c := range v.T.AppliesTo {
		out[i] = string(c)
	}
	return out
}

// Purpose is the purpose the consent is for.
func (v ConsentTopicView) Purpose() *PurposeView {
	p, ok := v.Cat.Purpose(v.T.Purpose)
	if !ok {
		return nil
	}
	return &PurposeView{P: p, Lang: v.Lang}
}

// Category is the optional item the topic covers.
func (v ConsentTopicView) Category() *CategoryView {
	if v.T.Category == "" {
		return nil
	}
	c, ok := v.Cat.Category(v.T.Category)
	if !ok {
		return nil
	}
	return &CategoryView{C: c, Cat: v.Cat, Lang: v.Lang}
}

// ReconfirmEvery is how often the consent must be reconfirmed (ISO 8601).
func (v ConsentTopicView) ReconfirmEvery() *string {
	if v.T.Reconfirm.IsZero() {
		return nil
	}
	s := v.T.Reconfirm.String()
	return &s
}

func purposeViews(cat *policy.Catalog, codes []string, lang policy.Lang) []*PurposeView {
	out := make([]*PurposeView, 0, len(codes))
	for _, code := range codes {
		if p, ok := cat.Purpose(code); ok {
			out = append(out, &PurposeView{P: p, Lang: lang})
		}
	}
	return out
}

func clauseViews(cat *policy.Catalog, codes []string, lang policy.Lang) []*ClauseView {
	out := make([]*ClauseView, 0, len(codes))
	for _, code := range codes {
		if c, ok := cat.Clause(code); ok {
			out = append(out, &ClauseView{C: c, Lang: lang})
		}
	}
	return out
}

func languageOf(l policy.Lang) Language {
	if l == policy.En {
		return LanguageEn
	}
	return LanguageKo
}

// TransmissionRefusalView is a reason staff may give to refuse a
// transmission request, in one language.
type TransmissionRefusalView struct {
	R    *policy.TransmissionRefusal
	Lang policy.Lang
}

// Code is the reason's code.
func (v TransmissionRefusalView) Code() string { return v.R.Code }

// Label is the reason's short name.
func (v TransmissionRefusalView) Label() string { return v.R.Label.In(v.Lang) }

// Text is what the subscriber is told.
func (v TransmissionRefusalView) Text() string { return v.R.Text.In(v.Lang) }

// StaffRefusals returns the catalog's reasons staff may give, in lang.
func StaffRefusals(cat *policy.Catalog, lang policy.Lang) []*TransmissionRefusalView {
	out := []*TransmissionRefusalView{}
	for i := range cat.TransmissionRefusals {
		if r := &cat.TransmissionRefusals[i]; r.Staff {
			out = append(out, &TransmissionRefusalView{R: r, Lang: lang})
		}
	}
	return out
}
