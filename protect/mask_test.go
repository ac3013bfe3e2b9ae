package protect

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"
)

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind MaskKind
		in   string
		want string
	}{
		// name
		{name: "name hangul three", kind: MaskName, in: "홍길동", want: "홍*동"},
		{name: "name hangul four", kind: MaskName, in: "남궁민수", want: "남**수"},
		{name: "name hangul two", kind: MaskName, in: "김철", want: "김*"},
		{name: "name one rune", kind: MaskName, in: "한", want: "*"},
		{name: "name decomposed hangul", kind: MaskName, in: norm.NFD.String("홍길동"), want: "홍*동"},
		{name: "name latin with space", kind: MaskName, in: "John Smith", want: "J********h"},
		{name: "name latin two", kind: MaskName, in: "Al", want: "A*"},
		{name: "name surrounding spaces", kind: MaskName, in: "  홍길동 ", want: "홍*동"},
		{name: "name already masked", kind: MaskName, in: "홍*동", want: "***"},
		{name: "name empty", kind: MaskName, in: "", want: ""},
		{name: "name blank", kind: MaskName, in: "   ", want: ""},

		// phone
		{name: "phone mobile hyphens", kind: MaskPhone, in: "010-1234-5678", want: "010-****-5678"},
		{name: "phone mobile bare", kind: MaskPhone, in: "01012345678", want: "010****5678"},
		{name: "phone mobile spaces", kind: MaskPhone, in: "010 1234 5678", want: "010 **** 5678"},
		{name: "phone old mobile", kind: MaskPhone, in: "011-123-4567", want: "011-***-4567"},
		{name: "phone +82 space", kind: MaskPhone, in: "+82 10-1234-5678", want: "+82 10-****-5678"},
		{name: "phone +82 bare", kind: MaskPhone, in: "+821012345678", want: "+8210****5678"},
		{name: "phone +82 with 0", kind: MaskPhone, in: "+82 010-1234-5678", want: "+82 010-****-5678"},
		{name: "phone +82 seoul", kind: MaskPhone, in: "+82-2-123-4567", want: "+82-2-***-4567"},
		{name: "phone seoul short", kind: MaskPhone, in: "02-123-4567", want: "02-***-4567"},
		{name: "phone seoul long", kind: MaskPhone, in: "02-1234-5678", want: "02-****-5678"},
		{name: "phone seoul parens", kind: MaskPhone, in: "(02) 123-4567", want: "(02) ***-4567"},
		{name: "phone area", kind: MaskPhone, in: "031-123-4567", want: "031-***-4567"},
		{name: "phone service number", kind: MaskPhone, in: "1588-1234", want: "****-1234"},
		{name: "phone foreign", kind: MaskPhone, in: "+1 415 555 0132", want: "+* *** *** 0132"},
		{name: "phone seven digits", kind: MaskPhone, in: "1234567", want: "***4567"},
		{name: "phone short", kind: MaskPhone, in: "12345", want: "*****"},
		{name: "phone prefix only", kind: MaskPhone, in: "010", want: "***"},
		{name: "phone letters masked", kind: MaskPhone, in: "010-12ab-5678", want: "***-****-5678"},
		{name: "phone empty", kind: MaskPhone, in: "", want: ""},

		// email
		{name: "email", kind: MaskEmail, in: "hong.gildong@example.com", want: "ho**********@example.com"},
		{name: "email three", kind: MaskEmail, in: "abc@x.co", want: "ab*@x.co"},
		{name: "email two", kind: MaskEmail, in: "ab@example.com", want: "a*@example.com"},
		{name: "email one", kind: MaskEmail, in: "a@example.com", want: "*@example.com"},
		{name: "email no local", kind: MaskEmail, in: "@example.com", want: "*@example.com"},
		{name: "email hangul local", kind: MaskEmail, in: "홍길동@example.kr", want: "홍길*@example.kr"},
		{name: "email no at", kind: MaskEmail, in: "hong.gildong", want: "h***"},
		{name: "email empty", kind: MaskEmail, in: "", want: ""},

		// address
		{name: "address road", kind: MaskAddress, in: "서울특별시 중구 세종대로 110", want: "서울특별시 중구 **** ***"},
		{name: "address with parenthesis", kind: MaskAddress, in: "서울특별시 중구 세종대로 110 (태평로1가)", want: "서울특별시 중구 **** *** *******"},
		{name: "address odd spacing", kind: MaskAddress, in: "경기도 성남시  분당구\t판교역로 235", want: "경기도 성남시 *** **** ***"},
		{name: "address two tokens", kind: MaskAddress, in: "서울특별시 중구", want: "서울특별시 **"},
		{name: "address one token", kind: MaskAddress, in: "Seoul", want: "*****"},
		{name: "address empty", kind: MaskAddress, in: "", want: ""},

		// account
		{name: "account bank", kind: MaskAccount, in: "110-123-456789", want: "***-***-**6789"},
		{name: "account card", kind: MaskAccount, in: "1234-5678-9012-3456", want: "****-****-****-3456"},
		{name: "account card spaces", kind: MaskAccount, in: "1234 5678 9012 3456", want: "**** **** **** 3456"},
		{name: "account bare", kind: MaskAccount, in: "12345678", want: "****5678"},
		{name: "account seven digits", kind: MaskAccount, in: "1234567", want: "*******"},
		{name: "account four digits", kind: MaskAccount, in: "1234", want: "****"},
		{name: "account letters masked", kind: MaskAccount, in: "KB 110-123-456789", want: "** ***-***-**6789"},
		{name: "account empty", kind: MaskAccount, in: "", want: ""},

		// identifier
		{name: "identifier passport", kind: MaskIdentifier, in: "M12345678", want: "M******78"},
		{name: "identifier alien registration", kind: MaskIdentifier, in: "123456-1234567", want: "1*****-*****67"},
		{name: "identifier seven", kind: MaskIdentifier, in: "AB12345", want: "A****45"},
		{name: "identifier six", kind: MaskIdentifier, in: "AB1234", want: "******"},
		{name: "identifier short", kind: MaskIdentifier, in: "M12", want: "***"},
		{name: "identifier empty", kind: MaskIdentifier, in: "", want: ""},

		// date
		{name: "date iso", kind: MaskDate, in: "2011-03-09", want: "2011-**-**"},
		{name: "date compact", kind: MaskDate, in: "20110309", want: "2011****"},
		{name: "date dots", kind: MaskDate, in: "2011.03.09", want: "2011.**.**"},
		{name: "date year last", kind: MaskDate, in: "09/03/2011", want: "**/**/2011"},
		{name: "date korean", kind: MaskDate, in: "2011년 3월 9일", want: "2011년 *월 *일"},
		{name: "date words", kind: MaskDate, in: "March 9, 2011", want: "***** *, 2011"},
		{name: "date no year", kind: MaskDate, in: "03-09", want: "**-**"},
		{name: "date year only", kind: MaskDate, in: "2011", want: "****"},
		{name: "date empty", kind: MaskDate, in: "", want: ""},

		// ip
		{name: "ip v4", kind: MaskIP, in: "192.168.10.20", want: "192.168.*.*"},
		{name: "ip v4 zeros", kind: MaskIP, in: "10.0.0.1", want: "10.0.*.*"},
		{name: "ip v4 with port", kind: MaskIP, in: "192.168.10.20:8080", want: "192.168.*.*"},
		{name: "ip v6", kind: MaskIP, in: "2001:db8:85a3::8a2e:370:7334", want: "2001:db8:*:*:*:*:*:*"},
		{name: "ip v6 upper", kind: MaskIP, in: "2001:0DB8::1", want: "2001:db8:*:*:*:*:*:*"},
		{name: "ip v6 zone", kind: MaskIP, in: "fe80::1%eth0", want: "fe80:0:*:*:*:*:*:*"},
		{name: "ip v6 with port", kind: MaskIP, in: "[2001:db8::1]:443", want: "2001:db8:*:*:*:*:*:*"},
		{name: "ip v4 mapped", kind: MaskIP, in: "::ffff:10.1.2.3", want: "10.1.*.*"},
		{name: "ip not an address", kind: MaskIP, in: "not an ip", want: "*********"},
		{name: "ip broken", kind: MaskIP, in: "192.168.1", want: "***.***.*"},
		{name: "ip empty", kind: MaskIP, in: "", want: ""},

		// text
		{name: "text relationship", kind: MaskText, in: "어머니", want: "어***"},
		{name: "text two runes", kind: MaskText, in: "모친", want: "***"},
		{name: "text one rune", kind: MaskText, in: "부", want: "***"},
		{name: "text summary", kind: MaskText, in: "Requested deletion of marketing data", want: "R***"},
		{name: "text already masked", kind: MaskText, in: "a***", want: "****"},
		{name: "text empty", kind: MaskText, in: "", want: ""},

		// none and unknown
		{name: "none unchanged", kind: MaskNone, in: "SERVICE", want: "SERVICE"},
		{name: "none keeps spaces", kind: MaskNone, in: " x ", want: " x "},
		{name: "unknown kind", kind: MaskKind("ssn"), in: "900101-1234567", want: "********"},
		{name: "unknown kind short", kind: MaskKind("ssn"), in: "1", want: "********"},
		{name: "empty kind", kind: MaskKind(""), in: "홍길동", want: "********"},
		{name: "unknown kind empty", kind: MaskKind("ssn"), in: "", want: ""},
		{name: "invalid utf-8", kind: MaskName, in: "\xff\xfe\xfd", want: "*"},
		{name: "invalid utf-8 inside", kind: MaskName, in: "홍\xff길동", want: "홍**동"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Mask(tt.kind, tt.in)); diff != "" {
				t.Errorf("Mask(%s, %q) (-want +got):\n%s", tt.kind, tt.in, diff)
			}
		})
	}
}

func TestParseMaskKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    MaskKind
		wantErr bool
	}{
		{name: "name", in: "name", want: MaskName},
		{name: "upper case", in: "PHONE", want: MaskPhone},
		{name: "spaces", in: " email ", want: MaskEmail},
		{name: "address", in: "address", want: MaskAddress},
		{name: "account", in: "account", want: MaskAccount},
		{name: "identifier", in: "identifier", want: MaskIdentifier},
		{name: "date", in: "date", want: MaskDate},
		{name: "ip", in: "ip", want: MaskIP},
		{name: "text", in: "text", want: MaskText},
		{name: "none", in: "none", want: MaskNone},
		{name: "unknown", in: "ssn", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMaskKind(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseMaskKind(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseMaskKind(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
	for _, k := range maskKinds {
		if got, err := ParseMaskKind(string(k)); err != nil || got != k {
			t.Errorf("ParseMaskKind(%q) = %q, %v; want the kind back", k, got, err)
		}
	}
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if isDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// digitKinds are the kinds whose digits are the secret: the output must not
// give all of them back, in one piece or scattered.
var digitKinds = map[MaskKind]bool{MaskPhone: true, MaskAccount: true, MaskIdentifier: true}

// checkMasked states the properties every masked value has.
func checkMasked(t *testing.T, kind MaskKind, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("Mask(%s, %q) = %q: not valid UTF-8", kind, in, out)
	}
	value := norm.NFC.String(strings.ToValidUTF8(strings.TrimSpace(in), "\uFFFD"))
	if value == "" {
		if out != "" {
			t.Errorf("Mask(%s, %q) = %q, want empty", kind, in, out)
		}
		return
	}
	if strings.Trim(value, "*") != "" && (out == value || out == in) {
		t.Errorf("Mask(%s, %q) = %q: returned the input", kind, in, out)
	}
	if d := digitsOf(value); digitKinds[kind] && len(d) >= 4 {
		if strings.Contains(out, d) || strings.Contains(digitsOf(out), d) {
			t.Errorf("Mask(%s, %q) = %q: reveals every digit", kind, in, out)
		}
	}
}

// generators make realistic values of each kind for the property test.
var generators = map[MaskKind]func(r *rand.Rand) string{
	MaskName: func(r *rand.Rand) string {
		if r.IntN(3) == 0 {
			return pick(r, "John", "Mary", "Jean-Luc", "O'Neil") + " " + pick(r, "Smith", "Picard", "Kim", "Lee")
		}
		return hangul(r, 1+r.IntN(5))
	},
	MaskPhone: func(r *rand.Rand) string {
		prefix := pick(r, "010", "011", "016", "02", "031", "051", "064", "070")
		mid := digits(r, 3+r.IntN(2))
		last := digits(r, 4)
		switch r.IntN(4) {
		case 0:
			return prefix + mid + last
		case 1:
			return prefix + " " + mid + " " + last
		case 2:
			return "+82 " + prefix[1:] + "-" + mid + "-" + last
		}
		return prefix + "-" + mid + "-" + last
	},
	MaskEmail: func(r *rand.Rand) string {
		return ascii(r, 1+r.IntN(20), "abcdefghijklmnopqrstuvwxyz0123456789._") + "@" + pick(r, "example.com", "naver.com", "daum.net")
	},
	MaskAddress: func(r *rand.Rand) string {
		parts := []string{pick(r, "서울특별시", "경기도", "부산광역시"), pick(r, "중구", "성남시", "해운대구")}
		for range r.IntN(4) {
			parts = append(parts, pick(r, hangul(r, 2+r.IntN(4))+"로", digits(r, 1+r.IntN(3)), "("+hangul(r, 3)+")"))
		}
		return strings.Join(parts, " ")
	},
	MaskAccount: func(r *rand.Rand) string {
		n := 8 + r.IntN(13)
		var b strings.Builder
		for i := range n {
			if i > 0 && i < n-1 && r.IntN(4) == 0 {
				b.WriteString(pick(r, "-", " "))
			}
			b.WriteString(digits(r, 1))
		}
		return b.String()
	},
	MaskIdentifier: func(r *rand.Rand) string {
		if r.IntN(3) == 0 {
			return digits(r, 6) + "-" + digits(r, 7)
		}
		return ascii(r, 6+r.IntN(15), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
	},
	MaskDate: func(r *rand.Rand) string {
		y, m, d := 1900+r.IntN(127), 1+r.IntN(12), 1+r.IntN(28)
		return fmt.Sprintf(pick(r, "%04d-%02d-%02d", "%04d%02d%02d", "%04d.%02d.%02d", "%04d년 %d월 %d일"), y, m, d)
	},
	MaskIP: func(r *rand.Rand) string {
		if r.IntN(2) == 0 {
			return fmt.Sprintf("%d.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256))
		}
		return fmt.Sprintf("%x:%x::%x:%x", r.IntN(65536), r.IntN(65536), r.IntN(65536), 1+r.IntN(65535))
	},
	MaskText: func(r *rand.Rand) string {
		if r.IntN(2) == 0 {
			return hangul(r, 1+r.IntN(50))
		}
		return ascii(r, 1+r.IntN(50), "abcdefghijklmnopqrstuvwxyz ")
	},
}

func pick(r *rand.Rand, choices ...string) string { return choices[r.IntN(len(choices))] }

func digits(r *rand.Rand, n int) string { return ascii(r, n, "0123456789") }

func ascii(r *rand.Rand, n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return strings.TrimSpace(string(b))
}

func hangul(r *rand.Rand, n int) string {
	rs := make([]rune, n)
	for i := range rs {
		rs[i] = rune(0xAC00 + r.IntN(11172))
	}
	return string(rs)
}

func TestMaskProperties(t *testing.T) {
	t.Parallel()
	for _, kind := range maskKinds {
		if kind == MaskNone {
			continue
		}
		gen, ok := generators[kind]
		if !ok {
			t.Fatalf("no generator for %s", kind)
		}
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(1, uint64(len(kind))))
			for range 2000 {
				in := gen(r)
				checkMasked(t, kind, in, Mask(kind, in))
			}
		})
	}
}

// FuzzMask checks the same properties on arbitrary input, for every kind.
func FuzzMask(f *testing.F) {
	for _, s := range []string{
		"홍길동", "John Smith", "010-1234-5678", "+82 10-1234-5678", "hong.gildong@example.com",
		"서울특별시 중구 세종대로 110", "110-123-456789", "M12345678", "2011-03-09", "192.168.10.20",
		"2001:db8::1", "어머니", "", " ", "*", "a***", "\xff", norm.NFD.String("홍길동"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, kind := range maskKinds {
			if kind == MaskNone {
				continue
			}
			checkMasked(t, kind, in, Mask(kind, in))
		}
	})
}

func BenchmarkMask(b *testing.B) {
	samples := map[MaskKind]string{
		MaskName:       "홍길동",
		MaskPhone:      "+82 10-1234-5678",
		MaskEmail:      "hong.gildong@example.com",
		MaskAddress:    "서울특별시 중구 세종대로 110 (태평로1가)",
		MaskAccount:    "1234-5678-9012-3456",
		MaskIdentifier: "M12345678",
		MaskDate:       "2011-03-09",
		MaskIP:         "2001:db8:85a3::8a2e:370:7334",
		MaskText:       "Requested deletion of marketing data",
		MaskNone:       "SERVICE",
	}
	for _, kind := range maskKinds {
		value := samples[kind]
		b.Run(string(kind), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Mask(kind, value)
			}
		})
	}
}
