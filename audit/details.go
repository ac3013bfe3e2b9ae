package audit

import (
	"fmt"
	"regexp"
	"time"
)

// DetailKind is what an audit detail key may hold.
type DetailKind int

// The kinds of detail values. None of them can hold free text: a code is
// meant to be a word of the portal's own vocabulary (a clause, a category,
// a request type, an action); it starts with a letter and has no spaces,
// '@' or '+', so a note, an e-mail address or a phone number is refused. A
// single-word name would pass the pattern: what keeps names out is the
// allow-list of keys, so a new key must be reviewed for what it carries.
const (
	// DetailCount is a non-negative integer: how many.
	DetailCount DetailKind = iota + 1
	// DetailCode is one code.
	DetailCode
	// DetailCodes is a list of codes.
	DetailCodes
	// DetailFlag is a boolean about the action (a dry run), never about a
	// person.
	DetailFlag
	// DetailTime is an instant the action used (a pruning cutoff).
	DetailTime
)

// DetailKeys is the allow-list of audit detail keys, each with the kind of
// its values and what it means. A key is added here, deliberately, after
// checking that what it records is about the event and not about the
// person: a subscriber's billing state, status or consent standing is a
// value about them and has no key here — the event's action says what
// happened, and the subscriber's own rows say the rest for as long as they
// are kept.
var DetailKeys = map[string]DetailKind{
	// Requests: the request's type and workflow status (the request is the
	// target of the event), and who filed it (SUBSCRIBER, GUARDIAN, AGENT).
	"type":    DetailCode,
	"status":  DetailCode,
	"filedBy": DetailCode,
	// Feeds: how many items or records a feed call carried and took, and
	// the path it came by.
	"items":     DetailCount,
	"records":   DetailCount,
	"submitted": DetailCount,
	"appended":  DetailCount,
	"via":       DetailCode,
	// Consent changes: the topics changed, as topic:ACTION codes (the
	// change is the event), and how many consents a notice covered.
	"changes":  DetailCodes,
	"consents": DetailCount,
	// Notices: the notice kind, the attempt and the gateway's status code.
	"kind":       DetailCode,
	"attempt":    DetailCount,
	"statusCode": DetailCount,
	// Audit pruning: how many events went, the cutoff and the new anchor.
	"removed":   DetailCount,
	"before":    DetailTime,
	"anchorSeq": DetailCount,
	// Purge runs: the run, what it was asked, how it ended and its tally
	// (counts per clause, type and code as CLAUSE:TYPE:code:erased:held).
	"run":         DetailCount,
	"dryRun":      DetailFlag,
	"clauses":     DetailCodes,
	"outcome":     DetailCode,
	"erased":      DetailCount,
	"skippedHeld": DetailCount,
	"deferred":    DetailCount,
	"counts":      DetailCodes,
	"part":        DetailCount,
	"parts":       DetailCount,
	"auditPruned": DetailCount,
	"movedApart":  DetailCount,
	"exports":     DetailCount,
	"copies":      DetailCodes,
	// Transmission requests and the yearly notice: the category and
	// record-kind codes of a request's scope, the year of a notice run and
	// how many notices it queued or skipped.
	"scope":   DetailCodes,
	"year":    DetailCount,
	"queued":  DetailCount,
	"skipped": DetailCount,
}

// validCode is a code of the portal's vocabulary; see DetailKind.
var validCode = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_.:/-]{0,95})?$`)

// checkDetail refuses a key not in DetailKeys, or a value not of its kind.
func checkDetail(k string, v any) error {
	kind, ok := DetailKeys[k]
	if !ok {
		return fmt.Errorf("key %q is not an allowed audit detail (audit.DetailKeys): details carry ids, codes and counts only", k)
	}
	bad := func() error { return fmt.Errorf("value of %q is not a %s", k, kind) }
	switch kind {
	case DetailCount:
		var n int64
		switch x := v.(type) {
		case int:
			n = int64(x)
		case int32:
			n = int64(x)
		case int64:
			n = x
		case uint32:
			n = int64(x)
		default:
			return bad()
		}
		if n < 0 {
			return bad()
		}
	case DetailCode:
		s, ok := v.(string)
		if !ok || !validCode.MatchString(s) {
			return bad()
		}
	case DetailCodes:
		l, ok := v.([]string)
		if !ok {
			return bad()
		}
		for _, s := range l {
			if !validCode.MatchString(s) {
				return bad()
			}
		}
	case DetailFlag:
		if _, ok := v.(bool); !ok {
			return bad()
		}
	case DetailTime:
		switch x := v.(type) {
		case time.Time:
		case string:
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				return bad()
			}
		default:
			return bad()
		}
	default:
		return bad()
	}
	return nil
}

// String names the kind, for errors.
func (k DetailKind) String() string {
	switch k {
	case DetailCount:
		return "count"
	case DetailCode:
		return "code"
	case DetailCodes:
		return "list of codes"
	case DetailFlag:
		return "flag"
	case DetailTime:
		return "time"
	}
	return "known kind"
}
