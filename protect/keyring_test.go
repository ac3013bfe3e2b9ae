package protect

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Test keys: fixed so failures are reproducible.
var (
	keyA = bytes.Repeat([]byte{0xA1}, KeySize)
	keyB = bytes.Repeat([]byte{0xB2}, KeySize)
	keyC = bytes.Repeat([]byte{0xC3}, KeySize)

	keyAStd = base64.StdEncoding.EncodeToString(keyA)
	keyBStd = base64.StdEncoding.EncodeToString(keyB)
	keyCStd = base64.StdEncoding.EncodeToString(keyC)
)

// urlKey has bytes whose standard encoding contains '+' and '/', so the
// URL-safe form really differs.
var urlKey = bytes.Repeat([]byte{0xFB, 0xEF, 0xBE}, 11)[:KeySize]

func mustKeyring(t testing.TB, spec string) *Keyring {
	t.Helper()
	k, err := ParseKeyring(spec)
	if err != nil {
		t.Fatalf("ParseKeyring: %v", err)
	}
	return k
}

func TestParseKeyring(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		spec        string
		wantPrimary string
		wantIDs     []string
	}{
		{name: "single std padded", spec: keyAStd, wantPrimary: "k1", wantIDs: []string{"k1"}},
		{name: "single std unpadded", spec: strings.TrimRight(keyAStd, "="), wantPrimary: "k1", wantIDs: []string{"k1"}},
		{name: "single url padded", spec: base64.URLEncoding.EncodeToString(urlKey), wantPrimary: "k1", wantIDs: []string{"k1"}},
		{name: "single url unpadded", spec: base64.RawURLEncoding.EncodeToString(urlKey), wantPrimary: "k1", wantIDs: []string{"k1"}},
		{name: "single std with plus and slash", spec: base64.StdEncoding.EncodeToString(urlKey), wantPrimary: "k1", wantIDs: []string{"k1"}},
		{name: "surrounding whitespace", spec: "  " + keyAStd + "\n", wantPrimary: "k1", wantIDs: []string{"k1"}},
		{name: "one entry with id", spec: "main:" + keyAStd, wantPrimary: "main", wantIDs: []string{"main"}},
		{name: "list first is primary", spec: "k2:" + keyBStd + ",k1:" + keyAStd, wantPrimary: "k2", wantIDs: []string{"k2", "k1"}},
		{name: "list with spaces", spec: " k3 : " + keyCStd + " , k2:" + keyBStd + ", k1:" + keyAStd, wantPrimary: "k3", wantIDs: []string{"k3", "k2", "k1"}},
		{name: "ids with punctuation", spec: "2026-03_a.1:" + keyAStd, wantPrimary: "2026-03_a.1", wantIDs: []string{"2026-03_a.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := mustKeyring(t, tt.spec)
			if diff := cmp.Diff(tt.wantPrimary, k.PrimaryID()); diff != "" {
				t.Errorf("PrimaryID (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIDs, k.ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseKeyringErrors(t *testing.T) {
	t.Parallel()
	short := base64.StdEncoding.EncodeToString(keyA[:16])
	zero := base64.StdEncoding.EncodeToString(make([]byte, KeySize))
	mixed := "+" + strings.TrimRight(base64.RawURLEncoding.EncodeToString(urlKey), "=")[1:] + "_"
	tests := []struct {
		name    string
		spec    string
		wantMsg string // a substring of the error
	}{
		{name: "empty", spec: "", wantMsg: "empty"},
		{name: "blank", spec: " \t\n", wantMsg: "empty"},
		{name: "wrong length", spec: short, wantMsg: "key 1 (id \"k1\"): key decodes to 16 bytes, want 32"},
		{name: "too long", spec: base64.StdEncoding.EncodeToString(append(keyA, 1)), wantMsg: "decodes to 33 bytes"},
		{name: "bad base64", spec: "not!base64@all", wantMsg: "not valid base64"},
		{name: "mixed alphabets", spec: mixed, wantMsg: "not valid base64"},
		{name: "padding inside", spec: keyAStd[:10] + "=" + keyAStd[11:], wantMsg: "not valid base64"},
		{name: "all zero key", spec: zero, wantMsg: "all zero"},
		{name: "duplicate id", spec: "k1:" + keyAStd + ",k1:" + keyBStd, wantMsg: "key 2: duplicate key id \"k1\""},
		{name: "empty key", spec: "k1:", wantMsg: "key 1 (id \"k1\"): key is empty"},
		{name: "empty id", spec: ":" + keyAStd, wantMsg: "key 1: key id must be"},
		{name: "id with space", spec: "my key:" + keyAStd, wantMsg: "key 1: key id must be"},
		{name: "id too long", spec: strings.Repeat("k", 33) + ":" + keyAStd, wantMsg: "key 1: key id must be"},
		{name: "key pasted as id", spec: base64.RawURLEncoding.EncodeToString(keyB) + ":" + keyAStd, wantMsg: "key 1: key id must be"},
		{name: "trailing comma", spec: "k1:" + keyAStd + ",", wantMsg: "key 2 is empty"},
		{name: "list entry without id", spec: "k2:" + keyBStd + "," + keyAStd, wantMsg: "key 2: want kid:base64key"},
		{name: "bare keys in list", spec: keyAStd + "," + keyBStd, wantMsg: "key 1: want kid:base64key"},
		{name: "bad second key", spec: "k2:" + keyBStd + ",k1:" + short, wantMsg: "key 2 (id \"k1\")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseKeyring(tt.spec)
			if err == nil {
				t.Fatalf("ParseKeyring = %v, want error", k)
			}
			if !errors.Is(err, ErrKeySpec) {
				t.Errorf("error %q does not wrap ErrKeySpec", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			for _, secret := range []string{keyAStd, keyBStd, short, mixed, strings.TrimRight(keyAStd, "=")[:16], strings.TrimRight(keyBStd, "=")[:16]} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q reveals key material", err)
				}
			}
		})
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, "k2:"+keyBStd+",k1:"+keyAStd)
	tests := []struct {
		name      string
		plaintext string
		aad       []byte
	}{
		{name: "passport", plaintext: "M12345678", aad: AAD("sub-1", "applicant.passport_number")},
		{name: "hangul", plaintext: "국민은행 110-123-456789 홍길동", aad: AAD("sub-1", "applicant.payment_account")},
		{name: "empty plaintext", plaintext: "", aad: AAD("sub-1", "payer.payment_account")},
		{name: "nil aad", plaintext: "123456-1234567", aad: nil},
		{name: "large", plaintext: strings.Repeat("가", 10000), aad: AAD("sub-2", "text")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct, kid, err := k.Encrypt([]byte(tt.plaintext), tt.aad)
			if err != nil {
				t.Fatalf("Encrypt: %v", err)
			}
			if diff := cmp.Diff("k2", kid); diff != "" {
				t.Errorf("key id (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(12+len(tt.plaintext)+16, len(ct)); diff != "" {
				t.Errorf("ciphertext length (-want +got):\n%s", diff)
			}
			if len(tt.plaintext) >= 4 && bytes.Contains(ct, []byte(tt.plaintext)) {
				t.Error("ciphertext contains the plaintext")
			}
			got, err := k.Decrypt(kid, ct, tt.aad)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if diff := cmp.Diff(tt.plaintext, string(got)); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncryptUsesFreshNonces(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, keyAStd)
	seen := map[string]bool{}
	for range 100 {
		ct, _, err := k.Encrypt([]byte("M12345678"), nil)
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		nonce := string(ct[:12])
		if seen[nonce] {
			t.Fatal("nonce reused")
		}
		seen[nonce] = true
	}
}

func TestDecryptFailures(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, "k2:"+keyBStd+",k1:"+keyAStd)
	aad := AAD("sub-1", "applicant.passport_number")
	ct, kid, err := k.Encrypt([]byte("M12345678"), aad)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(ct)
		c[i] ^= 0x01
		return c
	}
	// A keyring that has the same id but another key, as after a botched
	// deployment.
	impostor := mustKeyring(t, "k2:"+keyCStd)
	tests := []struct {
		name       string
		keyring    *Keyring
		keyID      string
		ciphertext []byte
		aad        []byte
	}{
		{name: "tampered nonce", keyring: k, keyID: kid, ciphertext: flip(0), aad: aad},
		{name: "tampered body", keyring: k, keyID: kid, ciphertext: flip(14), aad: aad},
		{name: "tampered tag", keyring: k, keyID: kid, ciphertext: flip(len(ct) - 1), aad: aad},
		{name: "truncated", keyring: k, keyID: kid, ciphertext: ct[:len(ct)-1], aad: aad},
		{name: "shorter than nonce", keyring: k, keyID: kid, ciphertext: ct[:5], aad: aad},
		{name: "empty ciphertext", keyring: k, keyID: kid, ciphertext: nil, aad: aad},
		{name: "appended byte", keyring: k, keyID: kid, ciphertext: append(bytes.Clone(ct), 0), aad: aad},
		{name: "copied to another subscriber", keyring: k, keyID: kid, ciphertext: ct, aad: AAD("sub-2", "applicant.passport_number")},
		{name: "copied to another category", keyring: k, keyID: kid, ciphertext: ct, aad: AAD("sub-1", "payer.passport_number")},
		{name: "aad dropped", keyring: k, keyID: kid, ciphertext: ct, aad: nil},
		{name: "other key id in ring", keyring: k, keyID: "k1", ciphertext: ct, aad: aad},
		{name: "unknown key id", keyring: k, keyID: "k9", ciphertext: ct, aad: aad},
		{name: "empty key id", keyring: k, keyID: "", ciphertext: ct, aad: aad},
		{name: "same id other key", keyring: impostor, keyID: kid, ciphertext: ct, aad: aad},
		{name: "nil keyring", keyring: nil, keyID: kid, ciphertext: ct, aad: aad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.keyring.Decrypt(tt.keyID, tt.ciphertext, tt.aad)
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("Decrypt = %q, %v; want ErrDecrypt", got, err)
			}
			if got != nil {
				t.Errorf("Decrypt returned %q along with an error", got)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	aad := AAD("sub-1", "applicant.alien_registration_number")
	old := mustKeyring(t, keyAStd) // id k1
	oldCT, oldID, err := old.Encrypt([]byte("123456-1234567"), aad)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}

	rotated := mustKeyring(t, "k2:"+keyBStd+",k1:"+keyAStd)
	got, err := rotated.Decrypt(oldID, oldCT, aad)
	if err != nil {
		t.Fatalf("rotated keyring cannot open a value sealed with the old key: %v", err)
	}
	if diff := cmp.Diff("123456-1234567", string(got)); diff != "" {
		t.Errorf("old value (-want +got):\n%s", diff)
	}

	newCT, newID, err := rotated.Encrypt(got, aad)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	if diff := cmp.Diff("k2", newID); diff != "" {
		t.Errorf("new key id (-want +got):\n%s", diff)
	}

	needs := map[string]bool{}
	for _, id := range []string{oldID, newID, "k9"} {
		needs[id] = rotated.NeedsRotation(id)
	}
	if diff := cmp.Diff(map[string]bool{"k1": true, "k2": false, "k9": true}, needs); diff != "" {
		t.Errorf("NeedsRotation (-want +got):\n%s", diff)
	}

	if _, err := old.Decrypt(newID, newCT, aad); !errors.Is(err, ErrDecrypt) {
		t.Errorf("old keyring opened a value sealed with the new key: %v", err)
	}
	retired := mustKeyring(t, "k2:"+keyBStd)
	if _, err := retired.Decrypt(oldID, oldCT, aad); !errors.Is(err, ErrDecrypt) {
		t.Errorf("keyring without k1 opened a k1 value: %v", err)
	}
	if got, err := retired.Decrypt(newID, newCT, aad); err != nil || string(got) != "123456-1234567" {
		t.Errorf("re-encrypted value = %q, %v", got, err)
	}
}

func TestDevelopmentKey(t *testing.T) {
	t.Parallel()
	raw, err := base64.StdEncoding.DecodeString(DevelopmentKey)
	if err != nil {
		t.Fatalf("DevelopmentKey: %v", err)
	}
	if diff := cmp.Diff(developmentKeyText, string(raw)); diff != "" {
		t.Errorf("DevelopmentKey decoded (-want +got):\n%s", diff)
	}
	if _, err := ParseKeyring(DevelopmentKey); err != nil {
		t.Fatalf("ParseKeyring(DevelopmentKey): %v", err)
	}
	tests := []struct {
		name string
		spec string
		want bool
	}{
		{name: "the constant", spec: DevelopmentKey, want: true},
		{name: "unpadded", spec: strings.TrimRight(DevelopmentKey, "="), want: true},
		{name: "url encoding", spec: base64.RawURLEncoding.EncodeToString(raw), want: true},
		{name: "with id", spec: "dev:" + DevelopmentKey, want: true},
		{name: "kept for decryption only", spec: "k2:" + keyBStd + ",k1:" + DevelopmentKey, want: true},
		{name: "next to a broken entry", spec: "k2:bogus,k1:" + DevelopmentKey, want: true},
		{name: "real key", spec: keyAStd, want: false},
		{name: "real keys", spec: "k2:" + keyBStd + ",k1:" + keyAStd, want: false},
		{name: "empty", spec: "", want: false},
		{name: "garbage", spec: "::,,", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, IsDevelopmentKey(tt.spec)); diff != "" {
				t.Errorf("IsDevelopmentKey (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGenerateKeySpec(t *testing.T) {
	t.Parallel()
	a, err := GenerateKeySpec()
	if err != nil {
		t.Fatalf("GenerateKeySpec: %v", err)
	}
	b, err := GenerateKeySpec()
	if err != nil {
		t.Fatalf("GenerateKeySpec: %v", err)
	}
	if a == b {
		t.Error("two generated keys are equal")
	}
	for _, spec := range []string{a, "k2:" + b + ",k1:" + a} {
		if _, err := ParseKeyring(spec); err != nil {
			t.Errorf("ParseKeyring(generated): %v", err)
		}
		if IsDevelopmentKey(spec) {
			t.Error("generated key is the development key")
		}
	}
}

func TestKeyringStringHidesKeys(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, "k2:"+keyBStd+",k1:"+keyAStd)
	want := "protect.Keyring{primary: k2, keys: k2,k1}"
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if diff := cmp.Diff(want, fmt.Sprintf(format, k)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", format, diff)
		}
	}
}

func TestEmptyKeyring(t *testing.T) {
	t.Parallel()
	for _, k := range []*Keyring{nil, {}} {
		if _, _, err := k.Encrypt([]byte("x"), nil); err == nil {
			t.Errorf("%v: Encrypt succeeded", k)
		}
		if _, err := k.Decrypt("k1", []byte("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), nil); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%v: Decrypt error = %v, want ErrDecrypt", k, err)
		}
	}
}

func TestAAD(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b []string
	}{
		{name: "boundary moved", a: []string{"ab", "c"}, b: []string{"a", "bc"}},
		{name: "empty part", a: []string{"a", ""}, b: []string{"a"}},
		{name: "order", a: []string{"sub-1", "applicant.phone"}, b: []string{"applicant.phone", "sub-1"}},
		{name: "none versus empty", a: nil, b: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if bytes.Equal(AAD(tt.a...), AAD(tt.b...)) {
				t.Errorf("AAD(%q) == AAD(%q)", tt.a, tt.b)
			}
		})
	}
	if diff := cmp.Diff(AAD("sub-1", "applicant.phone"), AAD("sub-1", "applicant.phone")); diff != "" {
		t.Errorf("AAD not deterministic (-want +got):\n%s", diff)
	}
}

func TestKeyringConcurrentUse(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, "k2:"+keyBStd+",k1:"+keyAStd)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			aad := AAD(fmt.Sprint("sub-", i), "applicant.payment_account")
			for range 200 {
				ct, kid, err := k.Encrypt([]byte("110-123-456789"), aad)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := k.Decrypt(kid, ct, aad); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkEncrypt(b *testing.B) {
	k := mustKeyring(b, keyAStd)
	aad := AAD("0190f1d2-7b3c-7c3e-9b1a-3f2e4d5c6b7a", "applicant.payment_account")
	for _, size := range []int{16, 256, 4096} {
		plaintext := bytes.Repeat([]byte("1"), size)
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := k.Encrypt(plaintext, aad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecrypt(b *testing.B) {
	k := mustKeyring(b, keyAStd)
	aad := AAD("0190f1d2-7b3c-7c3e-9b1a-3f2e4d5c6b7a", "applicant.payment_account")
	for _, size := range []int{16, 256, 4096} {
		ct, kid, err := k.Encrypt(bytes.Repeat([]byte("1"), size), aad)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Decrypt(kid, ct, aad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
