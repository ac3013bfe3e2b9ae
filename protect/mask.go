package protect

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaskKind says how a value is masked for display. Each item category of
// the notice maps to one kind, so that screens and exports never decide for
// themselves how much of a personal value to show.
type MaskKind string

// The mask kinds. The string values are stable: they may be stored in
// configuration or sent to clients.
const (
	// MaskName keeps the first and last rune (홍길동 → 홍*동), enough for
	// staff to tell family members apart on one account.
	MaskName MaskKind = "name"
	// MaskPhone keeps the prefix and the last four digits, the part people
	// quote to confirm which of their numbers is meant.
	MaskPhone MaskKind = "phone"
	// MaskEmail keeps two runes of the local part and the whole domain, so
	// a subscriber can recognise which mailbox receives notices.
	MaskEmail MaskKind = "email"
	// MaskAddress keeps the 시/도 and 시/군/구 tokens: the region is needed
	// for billing questions, the street and number are not.
	MaskAddress MaskKind = "address"
	// MaskAccount keeps the last four digits of a bank account or card, the
	// convention of bank statements, so payers recognise their account.
	MaskAccount MaskKind = "account"
	// MaskIdentifier keeps one leading and two trailing characters of a
	// passport or alien registration number: enough to confirm a document,
	// too little to reuse it.
	MaskIdentifier MaskKind = "identifier"
	// MaskDate keeps the year of a birth date, which is what age rules
	// (the under-14 guardian clause) need to be explained.
	MaskDate MaskKind = "date"
	// MaskIP keeps the network half of an address, enough to tell a
	// familiar network from a foreign one in an access log.
	MaskIP MaskKind = "ip"
	// MaskText keeps the first rune of free text such as a relationship or
	// a summary: free text can hold anything, so almost nothing is shown.
	MaskText MaskKind = "text"
	// MaskNone marks a value that is not personal (a code, a status), so
	// that every field goes through Mask and none is forgotten.
	MaskNone MaskKind = "none"
)

// maskKinds lists the kinds in a stable order for ParseMaskKind and tests.
var maskKinds = []MaskKind{MaskName, MaskPhone, MaskEmail, MaskAddress, MaskAccount, MaskIdentifier, MaskDate, MaskIP, MaskText, MaskNone}

// unknownKindMask is what an unknown kind yields: fixed width, so that not
// even the length of the value leaks when a caller passes a bad kind.
const unknownKindMask = "********"

// ParseMaskKind reads a kind from configuration or a client, ignoring case
// and surrounding spaces, so that a typo is reported at start-up instead of
// silently masking everything.
func ParseMaskKind(s string) (MaskKind, error) {
	want := MaskKind(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range maskKinds {
		if k == want {
			return k, nil
		}
	}
	return "", fmt.Errorf("protect: unknown mask kind %q", s)
}

// Mask returns value as it may be shown to staff or written where the
// subscriber is not the only reader. It follows Korean conventions and works
// on runes after NFC normalisation, so Hangul typed on any system masks by
// syllable. Surrounding spaces are dropped; an empty value stays empty.
//
// Rules by kind:
//
//   - name: first and last rune kept, everything between masked, spaces
//     included so that the shape of a Latin name does not show:
//     홍길동 → 홍*동, 김철 → 김*, 한 → *, "John Smith" → J********h.
//   - phone: country code +82, the area or mobile prefix (02, 010, 031…)
//     and the last four digits kept, other digits masked, separators kept:
//     010-1234-5678 → 010-****-5678, 01012345678 → 010****5678,
//     +82 10-1234-5678 → +82 10-****-5678. At least three digits are always
//     masked: the prefix is dropped first, then the last four.
//   - email: first two runes of the local part kept (one when it has two,
//     none when it has one), the rest masked, the domain kept:
//     hong.gildong@example.com → ho**********@example.com. Without an '@'
//     the value is masked as text.
//   - address: the first two whitespace-separated tokens kept, every rune of
//     the others masked, tokens joined by single spaces; with fewer than
//     three tokens only the first is kept, and a single token is masked
//     entirely: 서울특별시 중구 세종대로 110 → 서울특별시 중구 **** ***.
//   - account: the last four digits kept when there are at least eight,
//     otherwise none; separators kept: 110-123-456789 → ***-***-**6789.
//   - identifier: the first character and the last two kept when there are
//     at least seven, otherwise all masked; '-' and spaces kept:
//     M12345678 → M******78.
//   - date: the year (the first group of exactly four digits, or the first
//     four of a longer group) kept, other digits masked, separators and the
//     units 년/월/일 kept, letters masked: 2011-03-09 → 2011-**-**.
//   - ip: IPv4 keeps two octets (192.168.10.20 → 192.168.*.*); IPv6 keeps
//     two hextets of the expanded address (2001:db8:*:*:*:*:*:*); zones and
//     ports are dropped. A value that is not an address is masked except
//     for '.' and ':'.
//   - text: the first rune followed by a fixed "***" when the value has at
//     least three runes, otherwise "***": never more than a third of the
//     runes and not the length.
//   - none: the value unchanged.
//
// An unknown kind yields a fixed "********" and never the value. Whatever
// the kind (other than none), if a rule would leave a value unchanged (an
// input that is already masked, say) the whole value is masked, so Mask
// never returns a personal value as it came in.
func Mask(kind MaskKind, value string) string {
	if kind == MaskNone {
		return value
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return ""
	}
	if !utf8.ValidString(value) {
		value = strings.ToValidUTF8(value, "\uFFFD")
	}
	if !norm.NFC.IsNormalString(value) {
		value = norm.NFC.String(value)
	}
	var out string
	switch kind {
	case MaskName:
		out = maskName(value)
	case MaskPhone:
		out = maskPhone(value)
	case MaskEmail:
		out = maskEmail(value)
	case MaskAddress:
		out = maskAddress(value)
	case MaskAccount:
		out = maskAccount(value)
	case MaskIdentifier:
		out = maskIdentifier(value)
	case MaskDate:
		out = maskDate(value)
	case MaskIP:
		out = maskIP(value)
	case MaskText:
		out = maskText(value)
	default:
		return unknownKindMask
	}
	if out == value {
		return stars(utf8.RuneCountInString(value))
	}
	return out
}

func stars(n int) string { return strings.Repeat("*", n) }

func maskName(v string) string {
	r := []rune(v)
	switch len(r) {
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + stars(len(r)-2) + string(r[len(r)-1])
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func countDigits(v string) int {
	n := 0
	for _, r := range v {
		if isDigit(r) {
			n++
		}
	}
	return n
}

// keepDigits rewrites v keeping the digits whose index (counting digits
// only) is below head or at least total-tail, keeping runes for which sep
// is true and masking every other rune.
func keepDigits(v string, head, tail int, sep func(rune) bool) string {
	total := countDigits(v)
	var b strings.Builder
	b.Grow(len(v))
	i := 0
	for _, r := range v {
		switch {
		case isDigit(r):
			if i < head || i >= total-tail {
				b.WriteRune(r)
			} else {
				b.WriteByte('*')
			}
			i++
		case sep(r):
			b.WriteRune(r)
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

func phoneSep(r rune) bool {
	return r == '-' || r == ' ' || r == '+' || r == '(' || r == ')' || r == '.'
}

// minMaskedPhoneDigits is the shortest middle group of a Korean number; a
// number is never shown with fewer digits hidden.
const minMaskedPhoneDigits = 3

func maskPhone(v string) string {
	digits := make([]byte, 0, 16)
	for _, r := range v {
		if isDigit(r) {
			digits = append(digits, byte(r))
		}
	}
	total := len(digits)
	head, i := 0, 0
	korean := false
	switch {
	case strings.HasPrefix(v, "+82"):
		head, i, korean = 2, 2, true
	case strings.HasPrefix(v, "+"):
		// Another country: its code and prefix lengths are unknown, so only
		// the last digits are kept.
	case total > 0 && digits[0] == '0':
		korean = true
	}
	if korean {
		if i < total && digits[i] == '0' {
			head, i = head+1, i+1
		}
		if i < total {
			if digits[i] == '2' { // Seoul, 02
				head++
			} else {
				head += 2 // 010, 031, 070, 080 …
			}
		}
	}
	tail := 4
	if total-head-tail < minMaskedPhoneDigits {
		head = 0
	}
	if total-head-tail < minMaskedPhoneDigits {
		tail = 0
	}
	return keepDigits(v, head, tail, phoneSep)
}

func maskEmail(v string) string {
	at := strings.LastIndexByte(v, '@')
	if at < 0 {
		return maskText(v)
	}
	local, domain := []rune(v[:at]), v[at:]
	keep := min(2, len(local)-1)
	if keep < 0 {
		keep = 0
	}
	return string(local[:keep]) + stars(max(1, len(local)-keep)) + domain
}

func maskAddress(v string) string {
	tokens := strings.Fields(v)
	keep := 2
	if len(tokens) <= keep {
		keep = len(tokens) - 1
	}
	for i := keep; i < len(tokens); i++ {
		tokens[i] = stars(utf8.RuneCountInString(tokens[i]))
	}
	return strings.Join(tokens, " ")
}

func accountSep(r rune) bool { return r == '-' || r == ' ' }

// minAccountDigits is the shortest account number; below it the last four
// digits would be most of the number.
const minAccountDigits = 8

func maskAccount(v string) string {
	tail := 4
	if countDigits(v) < minAccountDigits {
		tail = 0
	}
	return keepDigits(v, 0, tail, accountSep)
}

// minIdentifierLen is the shortest identifier shown partly: it leaves at
// least four characters hidden.
const minIdentifierLen = 7

func maskIdentifier(v string) string {
	total := 0
	for _, r := range v {
		if !accountSep(r) {
			total++
		}
	}
	var b strings.Builder
	b.Grow(len(v))
	i := 0
	for _, r := range v {
		switch {
		case accountSep(r):
			b.WriteRune(r)
			continue
		case total >= minIdentifierLen && (i < 1 || i >= total-2):
			b.WriteRune(r)
		default:
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

func dateSep(r rune) bool {
	return r == '-' || r == '.' || r == '/' || r == ' ' || r == ',' || r == '년' || r == '월' || r == '일'
}

func maskDate(v string) string {
	start := yearStart(v)
	var b strings.Builder
	b.Grow(len(v))
	i := 0
	for _, r := range v {
		switch {
		case isDigit(r):
			if start >= 0 && i >= start && i < start+4 {
				b.WriteRune(r)
			} else {
				b.WriteByte('*')
			}
			i++
		case dateSep(r):
			b.WriteRune(r)
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

// yearStart returns the index, counting digits only, of the year in a date:
// the first group of exactly four digits, else the first group of eight or
// more (20110309), else -1.
func yearStart(v string) int {
	long := -1
	i, run := 0, 0
	// The trailing separator closes the last group.
	for _, r := range v + "." {
		if isDigit(r) {
			run++
			i++
			continue
		}
		switch {
		case run == 4:
			return i - run
		case run >= 8 && long < 0:
			long = i - run
		}
		run = 0
	}
	return long
}

func maskIP(v string) string {
	addr, err := netip.ParseAddr(v)
	if err != nil {
		ap, perr := netip.ParseAddrPort(v)
		if perr != nil {
			var b strings.Builder
			for _, r := range v {
				if r == '.' || r == ':' {
					b.WriteRune(r)
				} else {
					b.WriteByte('*')
				}
			}
			return b.String()
		}
		addr = ap.Addr()
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		a := addr.As4()
		return fmt.Sprintf("%d.%d.*.*", a[0], a[1])
	}
	a := addr.As16()
	return fmt.Sprintf("%x:%x:*:*:*:*:*:*", uint16(a[0])<<8|uint16(a[1]), uint16(a[2])<<8|uint16(a[3]))
}

func maskText(v string) string {
	if utf8.RuneCountInString(v) < 3 {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(v)
	if !unicode.IsPrint(r) {
		return "***"
	}
	return string(r) + "***"
}
