package policy

import "testing"

func TestNegotiateLang(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   Lang
	}{
		{"", Ko},
		{"ko", Ko},
		{"en", En},
		{"en-US", En},
		{"EN-gb", En},
		{"ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", Ko},
		{"en-US,en;q=0.9,ko;q=0.8", En},
		{"ko;q=0.5, en;q=0.8", En},
		{"en;q=0.5, ko;q=0.5", En}, // a tie goes to the range listed first
		{"fr", Ko},                 // nothing acceptable offered: the default
		{"fr, en;q=0.1", En},       // the only language served that is acceptable
		{"*", Ko},                  // anything: the authoritative text
		{"en;q=0.2, *", Ko},        // Korean via "*" at q=1 beats English at 0.2
		{"ko;q=0, *", En},          // anything but Korean
		{"ko;q=0", Ko},             // refused all we have: the default anyway
		{"en;q=0, ko;q=0", Ko},     // likewise
		{"en ; q = 0.9 , ko;q=0.3", En},
		{"en;Q=0.9, ko;q=0.3", En},         // parameter names are case-insensitive
		{"en;q=2, ko;q=0.3", Ko},           // an out-of-range weight makes the entry unusable
		{"en;q=abc, ko;q=0.1", Ko},         // as does an unreadable one
		{"e n, en_US;q=0.9, ko;q=0.1", Ko}, // malformed ranges are skipped, not fatal
		{"ja, en-US;level=1;q=0.4", En},
		{",,, en", En},
	}
	for _, tt := range tests {
		if got := NegotiateLang(tt.header); got != tt.want {
			t.Errorf("NegotiateLang(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

func TestParseLang(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Lang{"ko": Ko, "KO": Ko, "ko-KR": Ko, "en": En, " en_US ": En} {
		if got, err := ParseLang(in); err != nil || got != want {
			t.Errorf("ParseLang(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ja", "english", "k"} {
		if got, err := ParseLang(in); err == nil {
			t.Errorf("ParseLang(%q) = %s, want an error", in, got)
		}
	}
}

func TestTextIn(t *testing.T) {
	t.Parallel()
	both := Text{Ko: "이용기간", En: "Service period"}
	for _, tt := range []struct {
		t    Text
		lang Lang
		want string
	}{
		{both, Ko, "이용기간"},
		{both, En, "Service period"},
		{both, "ja", "이용기간"},
		{Text{Ko: "이용기간"}, En, "이용기간"}, // no translation: the Korean original
		{Text{En: "Service period"}, Ko, "Service period"},
	} {
		if got := tt.t.In(tt.lang); got != tt.want {
			t.Errorf("%+v.In(%s) = %q, want %q", tt.t, tt.lang, got, tt.want)
		}
	}
}
