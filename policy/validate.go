package policy

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// ValidationError lists every problem found in a catalog, each naming the
// entry at fault ("category applicant.email: unknown clause FOO").
type ValidationError struct {
	Problems []string
}

// Error returns all problems, one a line.
func (e *ValidationError) Error() string {
	return "policy: invalid catalog:\n  " + strings.Join(e.Problems, "\n  ")
}

type validator struct {
	problems []string
	// unreadable are the clauses whose duration could not be read, so as
	// not to report them again as missing.
	unreadable []string
}

func (v *validator) addf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

// text checks that a text has both languages.
func (v *validator) text(entry, field string, t Text) {
	if t.Ko == "" {
		v.addf("%s: missing ko %s", entry, field)
	}
	if t.En == "" {
		v.addf("%s: missing en %s", entry, field)
	}
}

// optionalText checks that a text given in one language is given in both.
func (v *validator) optionalText(entry, field string, t Text) {
	if t != (Text{}) {
		v.text(entry, field, t)
	}
}

func (v *validator) required(entry, field, value string) {
	if value == "" {
		v.addf("%s: missing %s", entry, field)
	}
}

// oneOf checks an enumerated value.
func oneOf[T ~string](v *validator, entry, field string, value T, allowed ...T) {
	if !slices.Contains(allowed, value) {
		if value == "" {
			v.addf("%s: missing %s", entry, field)
			return
		}
		v.addf("%s: unknown %s %s", entry, field, value)
	}
}

// refs checks a list of references: present, known, not repeated.
func (v *validator) refs(entry, what string, codes []string, known map[string]int) {
	if len(codes) == 0 {
		v.addf("%s: no %ss", entry, what)
	}
	seen := make(map[string]bool, len(codes))
	for _, code := range codes {
		if _, ok := known[code]; !ok {
			v.addf("%s: unknown %s %s", entry, what, code)
		}
		if seen[code] {
			v.addf("%s: %s %s listed twice", entry, what, code)
		}
		seen[code] = true
	}
}

var taxonomyKey = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)*$`)

func (v *validator) taxonomyKey(entry, field, key string) {
	switch {
	case key == "":
		v.addf("%s: missing %s", entry, field)
	case !taxonomyKey.MatchString(key):
		v.addf("%s: %s %q is not a fideslang key", entry, field, key)
	}
}

var (
	masks   = []MaskKind{MaskName, MaskPhone, MaskEmail, MaskAddress, MaskAccount, MaskIdentifier, MaskDate, MaskIP, MaskText, MaskNone}
	formats = []Format{FormatText, FormatName, FormatPhone, FormatEmail, FormatDate, FormatAccount, FormatIdentifier, FormatAddress, FormatIP}
	bases   = []Basis{BasisContract, BasisLegitimate, BasisConsent, BasisLaw}
	// requiredRoles are the roles the retention engine cannot do without.
	requiredRoles = []Role{RoleService, RolePostTermination, RoleMessage, RoleTax}
)

// catalog checks the whole catalog; c must have been indexed.
func (v *validator) catalog(c *Catalog) {
	v.required("catalog", "version", c.Version)
	v.required("catalog", "jurisdiction", c.Jurisdiction)
	v.text("catalog", "title", c.Title)
	v.text("controller", "name", c.Controller)
	if u, err := url.Parse(c.PolicyURL); err != nil || u.Scheme != "https" || u.Host == "" {
		v.addf("controller: policy_url %q is not an https URL", c.PolicyURL)
	}
	for _, l := range supported {
		if !slices.Contains(c.Languages, l) {
			v.addf("catalog: languages must include %s", l)
		}
	}
	for _, l := range c.Languages {
		if !slices.Contains(supported[:], l) {
			v.addf("catalog: unsupported language %s", l)
		}
	}
	for _, s := range c.Statements {
		v.required("statement "+s.Code, "section", s.Section)
		v.text("statement "+s.Code, "text", s.Text)
	}
	for _, m := range c.CollectionMethods {
		entry := "collection method " + m.Code
		v.required(entry, "section", m.Section)
		v.text(entry, "label", m.Label)
		v.text(entry, "description", m.Description)
	}
	for _, g := range c.Groups {
		entry := "group " + g.Code
		v.required(entry, "section", g.Section)
		v.text(entry, "label", g.Label)
		v.optionalText(entry, "description", g.Description)
	}
	for _, p := range c.Purposes {
		v.purpose(p)
	}
	for i := range c.Clauses {
		v.clause(c, &c.Clauses[i])
	}
	for _, r := range requiredRoles {
		if !slices.ContainsFunc(c.Clauses, func(cl Clause) bool { return cl.Role == r }) {
			v.addf("catalog: no clause with role %s (the retention engine needs one)", r)
		}
	}
	for i := range c.Categories {
		v.category(c, &c.Categories[i])
	}
	for i := range c.RecordKinds {
		v.recordKind(c, &c.RecordKinds[i])
	}
	v.keeps(c)
	for i := range c.ConsentTopics {
		v.topic(c, &c.ConsentTopics[i])
	}
	v.refusals(c)
}

// refusals checks the reasons a transmission request is refused: both
// languages, at least one a staff member may give, and the ones the portal
// gives itself, not given by staff.
func (v *validator) refusals(c *Catalog) {
	staff := 0
	for _, r := range c.TransmissionRefusals {
		entry := "transmission refusal " + r.Code
		v.required(entry, "code", r.Code)
		v.text(entry, "label", r.Label)
		v.text(entry, "text", r.Text)
		if r.Staff {
			staff++
		}
	}
	if staff == 0 {
		v.addf("catalog: no transmission refusal a staff member may give (staff: true)")
	}
	for _, code := range []string{RefusalRecipientNotAdmitted, RefusalNotTransmissible} {
		r, ok := c.TransmissionRefusal(code)
		switch {
		case !ok:
			v.addf("catalog: transmission refusal %s is missing (the portal gives it when a recipient is no longer admitted)", code)
		case r.Staff:
			v.addf("transmission refusal %s: the portal gives it itself, so staff must be false", code)
		}
	}
}

func (v *validator) purpose(p Purpose) {
	entry := "purpose " + p.Code
	v.required(entry, "section", p.Section)
	v.text(entry, "label", p.Label)
	v.text(entry, "description", p.Description)
	oneOf(v, entry, "basis", p.Basis, bases...)
	// Consent is what makes a purpose optional (법 16③, 22⑤).
	if (p.Basis == BasisConsent) == p.Required {
		v.addf("%s: basis %s does not fit required: %t (only consent-based purposes are optional)", entry, p.Basis, p.Required)
	}
	v.taxonomyKey(entry, "data_use", p.DataUse)
}

func (v *validator) clause(c *Catalog, cl *Clause) {
	entry := "clause " + cl.Code
	v.required(entry, "section", cl.Section)
	v.text(entry, "label", cl.Label)
	v.text(entry, "description", cl.Description)
	oneOf(v, entry, "role", cl.Role, RoleService, RolePostTermination, RoleMessage, RoleTax, RoleStatute)
	if want, ok := anchorOf[cl.Role]; ok && cl.Anchor != want {
		v.addf("%s: role %s counts from %s, not %q", entry, cl.Role, want, cl.Anchor)
	}
	if cl.Role == RoleService {
		if cl.EndsAt != AnchorTermination {
			v.addf("%s: role %s needs ends_at %s", entry, cl.Role, AnchorTermination)
		}
		if !cl.Duration.IsZero() {
			v.addf("%s: role %s ends at %s and takes no duration", entry, cl.Role, AnchorTermination)
		}
	} else {
		if cl.EndsAt != "" {
			v.addf("%s: ends_at is only for role %s", entry, RoleService)
		}
		if cl.Duration.IsZero() && !slices.Contains(v.unreadable, cl.Code) {
			v.addf("%s: needs a duration", entry)
		}
	}
	if len(cl.UntilResolved) > 0 && cl.Role != RolePostTermination {
		v.addf("%s: until_resolved is only for role %s", entry, RolePostTermination)
	}
	for _, cond := range cl.UntilResolved {
		oneOf(v, entry, "condition", cond, ConditionUnpaidFees, ConditionOverpaidFees, ConditionFeeDispute)
	}
	statute := cl.Role == RoleTax || cl.Role == RoleStatute
	if cl.StatuteOnly != statute {
		v.addf("%s: statute_only must be %t for role %s", entry, statute, cl.Role)
	}
	oneOf(v, entry, "basis", cl.Basis, bases...)
	switch {
	case cl.Basis == BasisLaw && cl.Law == nil:
		v.addf("%s: basis LAW needs a law", entry)
	case cl.Basis != BasisLaw && cl.Law != nil:
		v.addf("%s: a law is given but the basis is %s", entry, cl.Basis)
	case cl.StatuteOnly && cl.Basis != BasisLaw:
		v.addf("%s: statute_only needs basis LAW", entry)
	}
	if cl.Law != nil {
		v.text(entry, "law name", cl.Law.Name)
		v.text(entry, "law article", cl.Law.Article)
	}
	if cl.Keeps != nil {
		if len(cl.Keeps.Categories)+len(cl.Keeps.RecordKinds) == 0 {
			v.addf("%s: keeps lists nothing", entry)
		}
		for _, code := range cl.Keeps.Categories {
			if _, ok := c.categories[code]; !ok {
				v.addf("%s: keeps unknown category %s", entry, code)
			}
		}
		for _, code := range cl.Keeps.RecordKinds {
			if _, ok := c.recordKinds[code]; !ok {
				v.addf("%s: keeps unknown record kind %s", entry, code)
			}
		}
	}
}

func (v *validator) category(c *Catalog, cat *Category) {
	entry := "category " + cat.Code
	oneOf(v, entry, "class", cat.Class, ClassRequired, ClassOptional, ClassGenerated)
	if _, ok := c.groups[cat.Group]; !ok {
		if cat.Group == "" {
			v.addf("%s: missing group", entry)
		} else {
			v.addf("%s: unknown group %s", entry, cat.Group)
		}
	}
	oneOf(v, entry, "mask", cat.Mask, masks...)
	oneOf(v, entry, "format", cat.Format, formats...)
	// What is encrypted at rest is never shown in full either.
	if cat.Sensitive && cat.Mask != MaskIdentifier && cat.Mask != MaskAccount {
		v.addf("%s: sensitive but masked as %q (want identifier or account)", entry, cat.Mask)
	}
	v.refs(entry, "purpose", cat.Purposes, c.purposes)
	v.refs(entry, "clause", cat.Clauses, c.clauses)
	v.messageAlone(c, entry, cat.Clauses)
	switch {
	case cat.Class == ClassOptional && cat.ConsentTopic == "":
		v.addf("%s: optional but no consent_topic", entry)
	case cat.Class != ClassOptional && cat.ConsentTopic != "":
		v.addf("%s: consent_topic %s given for a %s item", entry, cat.ConsentTopic, cat.Class)
	case cat.ConsentTopic != "":
		t, ok := c.ConsentTopic(cat.ConsentTopic)
		switch {
		case !ok:
			v.addf("%s: unknown consent topic %s", entry, cat.ConsentTopic)
		case t.Category != cat.Code:
			v.addf("%s: consent topic %s covers %q, not this category", entry, t.Code, t.Category)
		}
	}
	v.taxonomyKey(entry, "data_category", cat.DataCategory)
	v.text(entry, "label", cat.Label)
}

func (v *validator) recordKind(c *Catalog, r *RecordKind) {
	entry := "record kind " + r.Code
	v.required(entry, "section", r.Section)
	v.text(entry, "label", r.Label)
	v.optionalText(entry, "description", r.Description)
	v.refs(entry, "purpose", r.Purposes, c.purposes)
	v.refs(entry, "clause", r.Clauses, c.clauses)
	v.messageAlone(c, entry, r.Clauses)
	v.taxonomyKey(entry, "data_category", r.DataCategory)
	oneOf(v, entry, "mask", r.Mask, masks...)
	// 법 35조의2①: only what is processed on consent or the contract is
	// transmitted.
	if r.Transmissible && !slices.ContainsFunc(r.Purposes, func(code string) bool {
		p, ok := c.Purpose(code)
		return ok && (p.Basis == BasisConsent || p.Basis == BasisContract)
	}) {
		v.addf("%s: transmissible, but none of its purposes rests on consent or the contract (PIPA 35-2(1))", entry)
	}
}

// messageAlone enforces §3(1)나 단서: message content is kept under a month
// whether or not the subscriber is active, so no other clause may keep it.
func (v *validator) messageAlone(c *Catalog, entry string, clauses []string) {
	if len(clauses) < 2 {
		return
	}
	for _, code := range clauses {
		if cl, ok := c.Clause(code); ok && cl.Role == RoleMessage {
			v.addf("%s: clause %s (role %s) must be its only clause", entry, code, RoleMessage)
		}
	}
}

// keeps checks both directions between a selective clause's list and the
// clauses the items name.
func (v *validator) keeps(c *Catalog) {
	for _, cl := range c.Clauses {
		if cl.Keeps == nil {
			continue
		}
		for _, cat := range c.Categories {
			listed, named := slices.Contains(cl.Keeps.Categories, cat.Code), slices.Contains(cat.Clauses, cl.Code)
			switch {
			case listed && !named:
				v.addf("category %s: clause %s keeps it but it does not list the clause", cat.Code, cl.Code)
			case named && !listed:
				v.addf("category %s: lists clause %s, which does not keep it", cat.Code, cl.Code)
			}
		}
		for _, r := range c.RecordKinds {
			listed, named := slices.Contains(cl.Keeps.RecordKinds, r.Code), slices.Contains(r.Clauses, cl.Code)
			switch {
			case listed && !named:
				v.addf("record kind %s: clause %s keeps it but it does not list the clause", r.Code, cl.Code)
			case named && !listed:
				v.addf("record kind %s: lists clause %s, which does not keep it", r.Code, cl.Code)
			}
		}
	}
}

func (v *validator) topic(c *Catalog, t *ConsentTopic) {
	entry := "consent topic " + t.Code
	p, ok := c.Purpose(t.Purpose)
	switch {
	case t.Purpose == "":
		v.addf("%s: missing purpose", entry)
	case !ok:
		v.addf("%s: unknown purpose %s", entry, t.Purpose)
	}
	oneOf(v, entry, "kind", t.Kind, TopicOptionalItem, TopicMarketingChannel, TopicMarketingNight)
	channels := []Channel{ChannelSMS, ChannelEmail, ChannelPhone, ChannelPush}
	if t.Kind == TopicOptionalItem {
		if t.Category == "" {
			v.addf("%s: kind %s needs a category", entry, t.Kind)
		} else if cat, ok := c.Category(t.Category); !ok {
			v.addf("%s: unknown category %s", entry, t.Category)
		} else if cat.Class != ClassOptional {
			v.addf("%s: category %s is %s, not OPTIONAL", entry, t.Category, cat.Class)
		}
	} else if t.Category != "" {
		v.addf("%s: category is only for kind %s", entry, TopicOptionalItem)
	}
	switch t.Kind {
	case TopicMarketingChannel:
		oneOf(v, entry, "channel", t.Channel, channels...)
		if len(t.AppliesTo) > 0 {
			v.addf("%s: applies_to is only for kind %s", entry, TopicMarketingNight)
		}
		for _, o := range c.ConsentTopics {
			if o.Code < t.Code && o.Kind == TopicMarketingChannel && o.Channel == t.Channel {
				v.addf("%s: channel %s is already covered by %s", entry, t.Channel, o.Code)
			}
		}
	case TopicMarketingNight:
		if t.Channel != "" {
			v.addf("%s: channel is only for kind %s; list channels in applies_to", entry, TopicMarketingChannel)
		}
		if len(t.AppliesTo) == 0 {
			v.addf("%s: kind %s needs applies_to", entry, t.Kind)
		}
		for _, ch := range t.AppliesTo {
			oneOf(v, entry, "channel", ch, channels...)
			if ch == ChannelEmail {
				// 정보통신망법 제50조③ exempts e-mail from night-time consent.
				v.addf("%s: channel %s needs no night-time consent", entry, ch)
			}
			if !slices.ContainsFunc(c.ConsentTopics, func(o ConsentTopic) bool {
				return o.Kind == TopicMarketingChannel && o.Channel == ch
			}) {
				v.addf("%s: channel %s has no %s topic", entry, ch, TopicMarketingChannel)
			}
		}
	default:
		if t.Channel != "" || len(t.AppliesTo) > 0 {
			v.addf("%s: kind %s takes no channel", entry, t.Kind)
		}
	}
	if t.Kind == TopicMarketingChannel || t.Kind == TopicMarketingNight {
		if ok && p.Basis != BasisConsent {
			v.addf("%s: marketing consent for purpose %s, whose basis is %s, not CONSENT", entry, p.Code, p.Basis)
		}
		// 정보통신망법 시행령 제62조의3: reconfirm every two years.
		if t.Reconfirm.IsZero() {
			v.addf("%s: marketing consent needs a reconfirm period", entry)
		}
	}
	if t.DataUse != "" {
		v.taxonomyKey(entry, "data_use", t.DataUse)
	}
	v.text(entry, "label", t.Label)
	v.optionalText(entry, "description", t.Description)
}
