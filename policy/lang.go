package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// Lang is a language the notice is published in.
type Lang string

// The languages of the notice. Korean is authoritative: the notice is a
// Korean document and the English text is a translation of it.
const (
	Ko Lang = "ko"
	En Lang = "en"
)

// supported lists the languages in order of preference when a client has no
// preference between them.
var supported = [...]Lang{Ko, En}

// ParseLang reads a language tag such as "ko", "en" or "en-US" (only the
// primary subtag counts) and reports an error for languages the notice is not
// published in.
func ParseLang(s string) (Lang, error) {
	primary, _, _ := strings.Cut(strings.TrimSpace(s), "-")
	primary, _, _ = strings.Cut(primary, "_")
	for _, l := range supported {
		if strings.EqualFold(primary, string(l)) {
			return l, nil
		}
	}
	return "", fmt.Errorf("policy: unsupported language %q (want ko or en)", s)
}

// Text is a label or description in both languages of the notice.
type Text struct {
	Ko string `yaml:"ko"`
	En string `yaml:"en"`
}

// In returns the text in lang, falling back to Korean, the authoritative text,
// when there is no translation.
func (t Text) In(lang Lang) string {
	if lang == En && t.En != "" {
		return t.En
	}
	if t.Ko == "" {
		return t.En
	}
	return t.Ko
}

// NegotiateLang picks the language to answer in from an HTTP Accept-Language
// header (RFC 9110 §12.5.4): the supported language with the highest q-value
// wins, an explicit range beats "*", ties go to the range listed first, and
// Korean is the answer when nothing acceptable is offered.
//
// A range matches by its primary subtag ("en-GB" asks for English), which is
// RFC 4647 lookup truncated to the two languages served. Malformed entries are
// skipped rather than spoiling the whole header, which is why this is not
// golang.org/x/text/language: its parser rejects the whole list on one bad
// entry and its matcher turns "*" into "mul".
func NegotiateLang(acceptLanguage string) Lang {
	type pref struct {
		q        float64
		pos      int
		explicit bool
		set      bool
	}
	var prefs [len(supported)]pref
	pos := 0
	for entry := range strings.SplitSeq(acceptLanguage, ",") {
		rng, params, _ := strings.Cut(entry, ";")
		rng = strings.ToLower(strings.TrimSpace(rng))
		if rng == "" || !validRange(rng) {
			continue
		}
		q, ok := qValue(params)
		if !ok {
			continue
		}
		pos++
		primary, _, _ := strings.Cut(rng, "-")
		for i, l := range supported {
			p := &prefs[i]
			switch {
			case primary == string(l):
				if !p.explicit || q > p.q {
					*p = pref{q: q, pos: pos, explicit: true, set: true}
				}
			case rng == "*" && !p.explicit && !p.set:
				*p = pref{q: q, pos: pos, set: true}
			}
		}
	}
	best, bestIdx := Ko, -1
	for i, p := range prefs {
		if !p.set || p.q <= 0 {
			continue
		}
		if bestIdx < 0 || p.q > prefs[bestIdx].q || (p.q == prefs[bestIdx].q && p.pos < prefs[bestIdx].pos) {
			best, bestIdx = supported[i], i
		}
	}
	return best
}

// validRange reports whether s is a language-range of RFC 4647 §2.1: "*" or
// subtags of 1–8 letters (digits allowed after the first), joined by "-".
func validRange(s string) bool {
	if s == "*" {
		return true
	}
	for i, sub := range strings.Split(s, "-") {
		if len(sub) < 1 || len(sub) > 8 {
			return false
		}
		for _, c := range sub {
			alpha := c >= 'a' && c <= 'z'
			digit := c >= '0' && c <= '9'
			if !alpha && !(digit && i > 0) {
				return false
			}
		}
	}
	return true
}

// qValue reads the weight among the parameters of one Accept-Language entry;
// no weight means 1. An unreadable or out-of-range weight makes the entry
// unusable.
func qValue(params string) (float64, bool) {
	for param := range strings.SplitSeq(params, ";") {
		name, value, found := strings.Cut(param, "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || q < 0 || q > 1 {
			return 0, false
		}
		return q, true
	}
	return 1, true
}
