package protect_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xroshot/portal/protect"
)

func ring(t testing.TB, spec string) *protect.Keyring {
	t.Helper()
	k, err := protect.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newSpec(t testing.TB) string {
	t.Helper()
	s, err := protect.GenerateKeySpec()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A data key seals values bound to where they belong, and its wrapped form
// opens with any master key of the ring, so master keys rotate: after a
// rewrap the old master key can go, and before it cannot.
func TestDataKeysWrapAndRotate(t *testing.T) {
	t.Parallel()
	old, next := newSpec(t), newSpec(t)
	k1 := ring(t, "k1:"+old)
	dk, raw, err := protect.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	aad := protect.AAD("subscriber-key", "s-1")
	wrapped, kid, err := k1.WrapDataKey(raw, aad)
	if err != nil || kid != "k1" {
		t.Fatalf("wrap: %q, %v", kid, err)
	}
	if bytes.Contains(wrapped, raw) {
		t.Fatal("the wrapped key contains the raw key")
	}
	sealed := dk.Seal([]byte("gildong.hong@example.com"), protect.AAD("s-1", "applicant.email"))
	if bytes.Contains(sealed, []byte("gildong")) {
		t.Fatal("the sealed value contains the plaintext")
	}

	// Rotated: k2 is primary, k1 still opens.
	both := ring(t, "k2:"+next+",k1:"+old)
	got, err := both.UnwrapDataKey(kid, wrapped, aad)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := got.Open(sealed, protect.AAD("s-1", "applicant.email"))
	if err != nil || string(plain) != "gildong.hong@example.com" {
		t.Fatalf("open with the unwrapped key: %q, %v", plain, err)
	}
	for name, bad := range map[string]func() error{
		"another subscriber's aad": func() error {
			_, err := both.UnwrapDataKey(kid, wrapped, protect.AAD("subscriber-key", "s-2"))
			return err
		},
		"a value's aad": func() error { _, err := both.Decrypt(kid, wrapped, aad); return err },
		"another row's value": func() error {
			_, err := got.Open(sealed, protect.AAD("s-1", "applicant.phone"))
			return err
		},
		"a fresh key": func() error {
			other, _, err := protect.NewDataKey()
			if err != nil {
				return nil
			}
			_, err = other.Open(sealed, protect.AAD("s-1", "applicant.email"))
			return err
		},
	} {
		if err := bad(); !errors.Is(err, protect.ErrDecrypt) {
			t.Errorf("%s: %v, want ErrDecrypt", name, err)
		}
	}

	rewrapped, kid2, err := both.RewrapDataKey(kid, wrapped, aad)
	if err != nil || kid2 != "k2" {
		t.Fatalf("rewrap: %q, %v", kid2, err)
	}
	onlyNext := ring(t, "k2:"+next)
	if _, err := onlyNext.UnwrapDataKey(kid, wrapped, aad); !errors.Is(err, protect.ErrDecrypt) {
		t.Errorf("the key wrapped under the retired master opened: %v", err)
	}
	again, err := onlyNext.UnwrapDataKey(kid2, rewrapped, aad)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := again.Open(sealed, protect.AAD("s-1", "applicant.email")); err != nil || string(plain) != "gildong.hong@example.com" {
		t.Errorf("after the rewrap: %q, %v", plain, err)
	}
	if s := dk.String(); s != "protect.DataKey{…}" {
		t.Errorf("String() = %q", s)
	}
}
