package protect

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// DataKeyID is the key id stored beside a value sealed with a subscriber's
// data key rather than directly with a master key. Master key ids cannot
// contain '@' ([ParseKeyring] refuses it), so the two can never be
// confused.
const DataKeyID = "@subscriber"

// DataKey is one subscriber's data key: every personal value of that
// subscriber is sealed with it (AES-256-GCM), and it is stored only wrapped
// by a master key ([Keyring.WrapDataKey]). Destroying the wrapped key
// destroys every value sealed with it at once, wherever copies of the
// ciphertext linger (crypto-shredding, docs/LAW.md "Security"). A DataKey is
// immutable and safe for concurrent use.
type DataKey struct {
	aead cipher.AEAD
}

// NewDataKey draws a fresh random data key and returns it with its raw
// bytes, which the caller wraps and then forgets.
func NewDataKey() (*DataKey, []byte, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, nil, fmt.Errorf("protect: draw data key: %w", err)
	}
	dk, err := dataKeyFrom(raw)
	return dk, raw, err
}

func dataKeyFrom(raw []byte) (*DataKey, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("%w: data key of %d bytes", ErrDecrypt, len(raw))
	}
	aead, err := newAEAD(raw)
	if err != nil {
		return nil, err
	}
	return &DataKey{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad (see [AAD]); the result carries its
// own random nonce.
func (k *DataKey) Seal(plaintext, aad []byte) []byte {
	return k.aead.Seal(nil, nil, plaintext, aad)
}

// Open decrypts what Seal made with the same aad. Every failure wraps
// [ErrDecrypt].
func (k *DataKey) Open(ciphertext, aad []byte) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: no data key", ErrDecrypt)
	}
	b, err := k.aead.Open(nil, nil, ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrDecrypt)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// String reveals nothing of the key.
func (k *DataKey) String() string { return "protect.DataKey{…}" }

// GoString keeps %#v as safe as %v.
func (k *DataKey) GoString() string { return k.String() }

// WrapDataKey seals a raw data key with the primary master key, bound to
// aad (the subscriber it belongs to, so a wrapped key copied to another
// subscriber does not open), and returns the id of the master key used.
func (k *Keyring) WrapDataKey(raw, aad []byte) (wrapped []byte, keyID string, err error) {
	if len(raw) != KeySize {
		return nil, "", errors.New("protect: wrap a data key of the wrong size")
	}
	return k.Encrypt(raw, wrapAAD(aad))
}

// UnwrapDataKey opens a data key wrapped by WrapDataKey with any master key
// of the ring, so keys wrapped before a rotation still open; failures wrap
// [ErrDecrypt].
func (k *Keyring) UnwrapDataKey(keyID string, wrapped, aad []byte) (*DataKey, error) {
	raw, err := k.Decrypt(keyID, wrapped, wrapAAD(aad))
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	return dataKeyFrom(raw)
}

// RewrapDataKey re-seals a wrapped data key with the primary master key, so
// that an old master key can be retired without touching any value.
func (k *Keyring) RewrapDataKey(keyID string, wrapped, aad []byte) ([]byte, string, error) {
	raw, err := k.Decrypt(keyID, wrapped, wrapAAD(aad))
	if err != nil {
		return nil, "", err
	}
	defer clear(raw)
	return k.WrapDataKey(raw, aad)
}

// wrapAAD separates wrapped keys from values sealed directly with a master
// key under the same aad: a value's ciphertext can never pass as a key.
func wrapAAD(aad []byte) []byte {
	return append([]byte("data-key\x00"), aad...)
}
