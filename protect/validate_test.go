package protect

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var kst = time.FixedZone("KST", 9*60*60)

func TestValidate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, kst)
	tests := []struct {
		name       string
		format     Format
		in         string
		now        time.Time // now when zero
		wantReason string    // "" when valid
	}{
		// every format
		{name: "empty", format: FormatText, in: "", wantReason: "is empty"},
		{name: "at max length", format: FormatText, in: strings.Repeat("가", MaxValueLen)},
		{name: "over max length", format: FormatText, in: strings.Repeat("가", MaxValueLen+1), wantReason: "is longer than 500 characters"},
		{name: "over max length name", format: FormatName, in: strings.Repeat("a", MaxValueLen+1), wantReason: "is longer than 500 characters"},
		{name: "invalid utf-8", format: FormatText, in: "어머\xff니", wantReason: "is not valid UTF-8"},
		{name: "leading space", format: FormatText, in: " 어머니", wantReason: "has leading or trailing spaces"},
		{name: "trailing newline", format: FormatPhone, in: "010-1234-5678\n", wantReason: "has leading or trailing spaces"},
		{name: "nul byte", format: FormatText, in: "어머\x00니", wantReason: "contains control or text-direction characters"},
		{name: "bidi override", format: FormatName, in: "홍\u202E동", wantReason: "contains control or text-direction characters"},
		{name: "unknown format", format: Format("ssn"), in: "900101-1234567", wantReason: "unknown format"},

		// text
		{name: "text relationship", format: FormatText, in: "어머니"},
		{name: "text multiline", format: FormatText, in: "첫 줄\n둘째 줄\t끝"},

		// name
		{name: "name hangul", format: FormatName, in: "홍길동"},
		{name: "name with space", format: FormatName, in: "김 철수"},
		{name: "name latin", format: FormatName, in: "Jean-Luc O'Neil Jr."},
		{name: "name middle dot", format: FormatName, in: "마리·퀴리"},
		{name: "name accent", format: FormatName, in: "José Müller"},
		{name: "name digit", format: FormatName, in: "홍길동2", wantReason: "may contain only letters, spaces and . - ' ·"},
		{name: "name symbol", format: FormatName, in: "hong@example", wantReason: "may contain only letters, spaces and . - ' ·"},
		{name: "name no letter", format: FormatName, in: ". -", wantReason: "contains no letter"},
		{name: "name newline", format: FormatName, in: "홍\n길동", wantReason: "contains control or text-direction characters"},

		// phone
		{name: "phone mobile", format: FormatPhone, in: "010-1234-5678"},
		{name: "phone mobile bare", format: FormatPhone, in: "01012345678"},
		{name: "phone mobile spaces", format: FormatPhone, in: "010 1234 5678"},
		{name: "phone old mobile", format: FormatPhone, in: "011-123-4567"},
		{name: "phone +82", format: FormatPhone, in: "+82 10-1234-5678"},
		{name: "phone +82 bare", format: FormatPhone, in: "+821012345678"},
		{name: "phone +82 hyphen", format: FormatPhone, in: "+82-10-1234-5678"},
		{name: "phone +82 with 0", format: FormatPhone, in: "+82 010-1234-5678"},
		{name: "phone seoul", format: FormatPhone, in: "02-123-4567"},
		{name: "phone seoul long", format: FormatPhone, in: "02-1234-5678"},
		{name: "phone +82 seoul", format: FormatPhone, in: "+82 2-123-4567"},
		{name: "phone area", format: FormatPhone, in: "031-123-4567"},
		{name: "phone jeju", format: FormatPhone, in: "064-1234-5678"},
		{name: "phone internet", format: FormatPhone, in: "070-1234-5678"},
		{name: "phone personal", format: FormatPhone, in: "0504-1234-5678"},
		{name: "phone 010 too short", format: FormatPhone, in: "010-1234-567", wantReason: "has the wrong number of digits for its prefix"},
		{name: "phone seoul too long", format: FormatPhone, in: "02-12345-6789", wantReason: "has the wrong number of digits for its prefix"},
		{name: "phone unknown prefix", format: FormatPhone, in: "012-345-6789", wantReason: "has no Korean mobile or area prefix"},
		{name: "phone service number", format: FormatPhone, in: "1588-1234", wantReason: "must start with 0 or +82"},
		{name: "phone foreign", format: FormatPhone, in: "+1 415 555 0132", wantReason: "must be a Korean number (+82 or starting with 0)"},
		{name: "phone double hyphen", format: FormatPhone, in: "010--1234-5678", wantReason: "may contain only digits, with single hyphens or spaces between groups"},
		{name: "phone trailing hyphen", format: FormatPhone, in: "010-1234-5678-", wantReason: "may contain only digits, with single hyphens or spaces between groups"},
		{name: "phone parens", format: FormatPhone, in: "(02) 123-4567", wantReason: "may contain only digits, with single hyphens or spaces between groups"},
		{name: "phone letters", format: FormatPhone, in: "010-CALL-ME", wantReason: "may contain only digits, with single hyphens or spaces between groups"},
		{name: "phone +82 alone", format: FormatPhone, in: "+82", wantReason: "may contain only digits, with single hyphens or spaces between groups"},

		// email
		{name: "email", format: FormatEmail, in: "hong.gildong@example.com"},
		{name: "email tag and subdomain", format: FormatEmail, in: "a+tag@sub.example.co.kr"},
		{name: "email display name", format: FormatEmail, in: "홍길동 <hong@example.com>", wantReason: "must be a single bare address (no display name, angle brackets, comments or quotes)"},
		{name: "email angle brackets", format: FormatEmail, in: "<hong@example.com>", wantReason: "must be a single bare address (no display name, angle brackets, comments or quotes)"},
		{name: "email quoted local", format: FormatEmail, in: `"hong gildong"@example.com`, wantReason: "must be a single bare address (no display name, angle brackets, comments or quotes)"},
		{name: "email list", format: FormatEmail, in: "a@example.com, b@example.com", wantReason: "is not an e-mail address"},
		{name: "email no at", format: FormatEmail, in: "hong.example.com", wantReason: "is not an e-mail address"},
		{name: "email no dot", format: FormatEmail, in: "hong@localhost", wantReason: "must have a domain name with a dot"},
		{name: "email too long", format: FormatEmail, in: strings.Repeat("a", 250) + "@x.kr", wantReason: "is longer than 254 bytes"},

		// date
		{name: "date", format: FormatDate, in: "2011-03-09"},
		{name: "date today", format: FormatDate, in: "2026-03-10"},
		{name: "date leap day", format: FormatDate, in: "2024-02-29"},
		{name: "date earliest", format: FormatDate, in: "1900-01-01"},
		{name: "date tomorrow", format: FormatDate, in: "2026-03-11", wantReason: "is in the future"},
		{name: "date today in Seoul, yesterday in UTC", format: FormatDate, in: "2026-03-10", now: time.Date(2026, 3, 10, 1, 0, 0, 0, kst)},
		{name: "date today in UTC, tomorrow in Seoul", format: FormatDate, in: "2026-03-10", now: time.Date(2026, 3, 9, 16, 0, 0, 0, time.UTC), wantReason: "is in the future"},
		{name: "date before 1900", format: FormatDate, in: "1899-12-31", wantReason: "is before 1900"},
		{name: "date not a day", format: FormatDate, in: "2011-02-30", wantReason: "must be YYYY-MM-DD and a real calendar day"},
		{name: "date no leap day", format: FormatDate, in: "2023-02-29", wantReason: "must be YYYY-MM-DD and a real calendar day"},
		{name: "date month 13", format: FormatDate, in: "2011-13-01", wantReason: "must be YYYY-MM-DD and a real calendar day"},
		{name: "date short fields", format: FormatDate, in: "2011-3-9", wantReason: "must be YYYY-MM-DD"},
		{name: "date slashes", format: FormatDate, in: "2011/03/09", wantReason: "must be YYYY-MM-DD"},
		{name: "date compact", format: FormatDate, in: "20110309", wantReason: "must be YYYY-MM-DD"},
		{name: "date with time", format: FormatDate, in: "2011-03-09T00:00:00Z", wantReason: "must be YYYY-MM-DD"},

		// account
		{name: "account bank", format: FormatAccount, in: "110-123-456789"},
		{name: "account card", format: FormatAccount, in: "1234-5678-9012-3456"},
		{name: "account card spaces", format: FormatAccount, in: "1234 5678 9012 3456"},
		{name: "account eight digits", format: FormatAccount, in: "12345678"},
		{name: "account twenty digits", format: FormatAccount, in: strings.Repeat("1", 20)},
		{name: "account seven digits", format: FormatAccount, in: "123-4567", wantReason: "must have 8 to 20 digits"},
		{name: "account twenty-one digits", format: FormatAccount, in: strings.Repeat("1", 21), wantReason: "must have 8 to 20 digits"},
		{name: "account underscore", format: FormatAccount, in: "110_123_456789", wantReason: "may contain only digits, with single hyphens or spaces between groups"},
		{name: "account leading hyphen", format: FormatAccount, in: "-110123456789", wantReason: "may contain only digits, with single hyphens or spaces between groups"},
		{name: "account letter", format: FormatAccount, in: "110-123-45678X", wantReason: "may contain only digits, with single hyphens or spaces between groups"},

		// identifier
		{name: "identifier passport", format: FormatIdentifier, in: "M12345678"},
		{name: "identifier alien registration", format: FormatIdentifier, in: "9001015123456"},
		{name: "identifier six", format: FormatIdentifier, in: "AB1234"},
		{name: "identifier twenty", format: FormatIdentifier, in: strings.Repeat("A1", 10)},
		{name: "identifier lower case", format: FormatIdentifier, in: "m12345678", wantReason: "may contain only upper-case letters A-Z and digits"},
		{name: "identifier hyphen", format: FormatIdentifier, in: "900101-5123456", wantReason: "may contain only upper-case letters A-Z and digits"},
		{name: "identifier hangul", format: FormatIdentifier, in: "가12345678", wantReason: "may contain only upper-case letters A-Z and digits"},
		{name: "identifier short", format: FormatIdentifier, in: "M1234", wantReason: "must be 6 to 20 characters"},
		{name: "identifier long", format: FormatIdentifier, in: strings.Repeat("A", 21), wantReason: "must be 6 to 20 characters"},

		// address
		{name: "address road", format: FormatAddress, in: "서울특별시 중구 세종대로 110 (태평로1가)"},
		{name: "address latin", format: FormatAddress, in: "110 Sejong-daero, Jung-gu, Seoul"},
		{name: "address newline", format: FormatAddress, in: "서울특별시 중구\n세종대로 110", wantReason: "contains control or text-direction characters"},
		{name: "address punctuation only", format: FormatAddress, in: "- , .", wantReason: "contains no letter or digit"},

		// ip
		{name: "ip v4", format: FormatIP, in: "192.168.10.20"},
		{name: "ip v6", format: FormatIP, in: "2001:db8::1"},
		{name: "ip v4 mapped", format: FormatIP, in: "::ffff:10.1.2.3"},
		{name: "ip zone", format: FormatIP, in: "fe80::1%eth0", wantReason: "must be an IPv4 or IPv6 address without zone"},
		{name: "ip leading zero", format: FormatIP, in: "192.168.010.1", wantReason: "must be an IPv4 or IPv6 address without zone"},
		{name: "ip octet too big", format: FormatIP, in: "300.1.1.1", wantReason: "must be an IPv4 or IPv6 address without zone"},
		{name: "ip with port", format: FormatIP, in: "192.168.1.1:80", wantReason: "must be an IPv4 or IPv6 address without zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			at := tt.now
			if at.IsZero() {
				at = now
			}
			err := Validate(tt.format, tt.in, at)
			var gotReason string
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("Validate error %v is not a *ValidationError", err)
				}
				if !errors.Is(err, ErrInvalidValue) {
					t.Errorf("Validate error %v does not wrap ErrInvalidValue", err)
				}
				if diff := cmp.Diff(tt.format, ve.Format); diff != "" {
					t.Errorf("Format (-want +got):\n%s", diff)
				}
				// Values are personal data: the message must not carry them.
				if utf8.RuneCountInString(tt.in) >= 4 && strings.Contains(err.Error(), tt.in) {
					t.Errorf("error %q echoes the value", err)
				}
				gotReason = ve.Reason
			}
			if diff := cmp.Diff(tt.wantReason, gotReason); diff != "" {
				t.Errorf("Validate(%s, %q) reason (-want +got):\n%s", tt.format, tt.in, diff)
			}
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	t.Parallel()
	err := Validate(FormatPhone, "010-1234-567", time.Date(2026, 3, 10, 0, 0, 0, 0, kst))
	want := "protect: invalid phone value: has the wrong number of digits for its prefix"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
}
