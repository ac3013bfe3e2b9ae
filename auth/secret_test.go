package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestCheckSecret(t *testing.T) {
	t.Parallel()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
		hex.EncodeToString(raw),
		string(raw),
		"apitest-secret-apitest-secret-0123456789",
	} {
		if err := CheckSecret([]byte(s)); err != nil {
			t.Errorf("CheckSecret(%q) = %v, want accepted", s, err)
		}
	}
	for _, s := range []string{
		strings.Repeat("a", 32),
		strings.Repeat("a", 64),
		strings.Repeat("ab", 32),
		strings.Repeat("password", 4),
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
		strings.Repeat("0123456789", 3) + "01", // 10 symbols, 3.3 bits each: 106 bits
		"short-but-random-Zq8",
	} {
		if err := CheckSecret([]byte(s)); err == nil {
			t.Errorf("CheckSecret(%q) accepted a weak secret", s)
		}
	}
}
