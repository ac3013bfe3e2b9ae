package protect

import (
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Format names the shape a data feed promises for a value, so that a bad
// value is refused at the door instead of being stored, encrypted and shown.
type Format string

// The formats. The string values are stable: feeds may name them.
const (
	// FormatText is free text (a relationship, a summary); line breaks and
	// tabs are allowed.
	FormatText Format = "text"
	// FormatName is a person's name in any script: letters, marks, spaces
	// and . - ' ·.
	FormatName Format = "name"
	// FormatPhone is a Korean mobile or landline number, digits with
	// optional single hyphens or spaces, nationally (010-1234-5678) or with
	// +82 (+82 10-1234-5678).
	FormatPhone Format = "phone"
	// FormatEmail is one bare address, as net/mail parses it, with no
	// display name and a dotted domain.
	FormatEmail Format = "email"
	// FormatDate is YYYY-MM-DD, a real calendar day from 1900 on, not after
	// the day of the now passed to Validate.
	FormatDate Format = "date"
	// FormatAccount is a bank account or card number: 8 to 20 digits with
	// optional single hyphens or spaces between them.
	FormatAccount Format = "account"
	// FormatIdentifier is a passport or alien registration number: 6 to 20
	// upper-case letters A–Z and digits, without separators.
	FormatIdentifier Format = "identifier"
	// FormatAddress is a postal address on one line.
	FormatAddress Format = "address"
	// FormatIP is an IPv4 or IPv6 address without zone.
	FormatIP Format = "ip"
)

// MaxValueLen bounds every value in runes, so that a feed cannot make the
// portal store, encrypt or render arbitrarily large personal values.
const MaxValueLen = 500

// ErrInvalidValue is wrapped by every error of [Validate], so that callers
// can tell bad input from a failure of their own.
var ErrInvalidValue = errors.New("protect: invalid value")

// ValidationError says why a value was refused without quoting it: values
// are personal data and these errors reach logs and API responses. Reason is
// written for the person who sent the value.
type ValidationError struct {
	Format Format
	Reason string
}

// Error names the format and the reason, never the value.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("protect: invalid %s value: %s", e.Format, e.Reason)
}

// Unwrap lets errors.Is match [ErrInvalidValue].
func (e *ValidationError) Unwrap() error { return ErrInvalidValue }

// Validate reports whether value has the given format, returning a
// *[ValidationError] when not. An empty value is invalid for every format:
// callers skip absent optional values before validating. Values are not
// trimmed or normalised: a feed must send what it means to store. now sets
// "today" for dates, in now's location, so pass the portal clock's time in
// Asia/Seoul for a child born today to be accepted.
func Validate(format Format, value string, now time.Time) error {
	check, ok := validators[format]
	if !ok {
		return &ValidationError{Format: format, Reason: "unknown format"}
	}
	reason := commonReason(format, value)
	if reason == "" {
		reason = check(value, now)
	}
	if reason != "" {
		return &ValidationError{Format: format, Reason: reason}
	}
	return nil
}

// validators return the reason a value is refused, or "".
var validators = map[Format]func(v string, now time.Time) string{
	FormatText:       func(string, time.Time) string { return "" },
	FormatName:       func(v string, _ time.Time) string { return validateName(v) },
	FormatPhone:      func(v string, _ time.Time) string { return validatePhone(v) },
	FormatEmail:      func(v string, _ time.Time) string { return validateEmail(v) },
	FormatDate:       validateDate,
	FormatAccount:    func(v string, _ time.Time) string { return validateAccount(v) },
	FormatIdentifier: func(v string, _ time.Time) string { return validateIdentifier(v) },
	FormatAddress:    func(v string, _ time.Time) string { return validateAddress(v) },
	FormatIP:         func(v string, _ time.Time) string { return validateIP(v) },
}

func commonReason(format Format, v string) string {
	switch {
	case v == "":
		return "is empty"
	case !utf8.ValidString(v):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(v) > MaxValueLen:
		return fmt.Sprintf("is longer than %d characters", MaxValueLen)
	case strings.TrimSpace(v) != v:
		return "has leading or trailing spaces"
	}
	multiline := format == FormatText
	for _, r := range v {
		if badRune(r, multiline) {
			return "contains control or text-direction characters"
		}
	}
	return ""
}

// badRune refuses control characters and the bidirectional overrides that
// can make a value display as something else.
func badRune(r rune, multiline bool) bool {
	switch {
	case r == '\n' || r == '\r' || r == '\t':
		return !multiline
	case unicode.IsControl(r):
		return true
	case r == 0x200E || r == 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

func validateName(v string) string {
	letter := false
	for _, r := range v {
		switch {
		case unicode.IsLetter(r):
			letter = true
		case unicode.Is(unicode.M, r), r == ' ', r == '.', r == '-', r == '\'', r == '·':
		default:
			return "may contain only letters, spaces and . - ' ·"
		}
	}
	if !letter {
		return "contains no letter"
	}
	return ""
}

// digitGroups returns the digits of v when v is digits separated by single
// runes from seps, starting and ending with a digit.
func digitGroups(v, seps string) (string, bool) {
	var b strings.Builder
	b.Grow(len(v))
	prevSep := true // refuses a leading separator
	for _, r := range v {
		switch {
		case isDigit(r):
			b.WriteRune(r)
			prevSep = false
		case strings.ContainsRune(seps, r) && !prevSep:
			prevSep = true
		default:
			return "", false
		}
	}
	return b.String(), !prevSep
}

// koreanPrefixes maps the prefixes of Korean mobile and landline numbers
// (with the leading 0) to the digit counts they allow.
var koreanPrefixes = map[string][2]int{
	"010": {11, 11},
	"011": {10, 11}, "016": {10, 11}, "017": {10, 11}, "018": {10, 11}, "019": {10, 11},
	"02":  {9, 10},
	"031": {10, 11}, "032": {10, 11}, "033": {10, 11},
	"041": {10, 11}, "042": {10, 11}, "043": {10, 11}, "044": {10, 11},
	"051": {10, 11}, "052": {10, 11}, "053": {10, 11}, "054": {10, 11}, "055": {10, 11},
	"061": {10, 11}, "062": {10, 11}, "063": {10, 11}, "064": {10, 11},
	"070": {11, 11}, // internet telephony
	"050": {11, 12}, // personal numbers (0505, 0504 …)
	"080": {10, 11}, // free call
}

func validatePhone(v string) string {
	rest, intl := strings.CutPrefix(v, "+82")
	if intl {
		if r, ok := strings.CutPrefix(rest, " "); ok {
			rest = r
		} else if r, ok := strings.CutPrefix(rest, "-"); ok {
			rest = r
		}
	} else if strings.HasPrefix(v, "+") {
		return "must be a Korean number (+82 or starting with 0)"
	}
	digits, ok := digitGroups(rest, "- ")
	if !ok {
		return "may contain only digits, with single hyphens or spaces between groups"
	}
	if intl && !strings.HasPrefix(digits, "0") {
		digits = "0" + digits
	}
	if !strings.HasPrefix(digits, "0") {
		return "must start with 0 or +82"
	}
	for _, n := range []int{2, 3} {
		if len(digits) < n {
			continue
		}
		if span, ok := koreanPrefixes[digits[:n]]; ok {
			if len(digits) < span[0] || len(digits) > span[1] {
				return "has the wrong number of digits for its prefix"
			}
			return ""
		}
	}
	return "has no Korean mobile or area prefix"
}

func validateEmail(v string) string {
	if len(v) > 254 {
		return "is longer than 254 bytes"
	}
	addr, err := mail.ParseAddress(v)
	if err != nil {
		return "is not an e-mail address"
	}
	if addr.Name != "" || addr.Address != v {
		return "must be a single bare address (no display name, angle brackets, comments or quotes)"
	}
	domain := v[strings.LastIndexByte(v, '@')+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, "[") {
		return "must have a domain name with a dot"
	}
	return ""
}

func validateDate(v string, now time.Time) string {
	if len(v) != len(time.DateOnly) || v[4] != '-' || v[7] != '-' {
		return "must be YYYY-MM-DD"
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return "must be YYYY-MM-DD and a real calendar day"
	}
	if d.Year() < 1900 {
		return "is before 1900"
	}
	y, m, day := now.Date()
	if d.After(time.Date(y, m, day, 0, 0, 0, 0, time.UTC)) {
		return "is in the future"
	}
	return ""
}

func validateAccount(v string) string {
	digits, ok := digitGroups(v, "- ")
	if !ok {
		return "may contain only digits, with single hyphens or spaces between groups"
	}
	if len(digits) < 8 || len(digits) > 20 {
		return "must have 8 to 20 digits"
	}
	return ""
}

func validateIdentifier(v string) string {
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || isDigit(r)) {
			return "may contain only upper-case letters A-Z and digits"
		}
	}
	if len(v) < 6 || len(v) > 20 {
		return "must be 6 to 20 characters"
	}
	return ""
}

func validateAddress(v string) string {
	if !strings.ContainsFunc(v, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return "contains no letter or digit"
	}
	return ""
}

func validateIP(v string) string {
	addr, err := netip.ParseAddr(v)
	if err != nil || addr.Zone() != "" {
		return "must be an IPv4 or IPv6 address without zone"
	}
	return ""
}
