package protect

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of every key in bytes: AES-256, the strength the
// safety-measures standard (안전성 확보조치 기준 7조) expects for identifiers
// and account numbers.
const KeySize = 32

// DefaultKeyID names the key of a spec that is a bare base64 key, so a
// deployment can start with one key and later rotate to "k2:…,k1:…" without
// re-encrypting anything.
const DefaultKeyID = "k1"

// maxKeyIDLen keeps key ids short enough to sit in a column next to every
// ciphertext, and shorter than any base64 encoding of a 32-byte key (43+
// characters), so a key pasted where its id belongs can never pass as an id
// and end up echoed in an error message.
const maxKeyIDLen = 32

// DevelopmentKey is a fixed, publicly known key so that a developer can run
// the portal without generating secrets. It protects nothing: it is in the
// source code. The server logs loudly when it is in use and refuses to start
// in production with it (see [IsDevelopmentKey]). It decodes to the ASCII
// text "xroshot-portal-DEVELOPMENT-ONLY!".
const DevelopmentKey = "eHJvc2hvdC1wb3J0YWwtREVWRUxPUE1FTlQtT05MWSE="

// developmentKeyText is DevelopmentKey decoded; a test keeps them in step.
const developmentKeyText = "xroshot-portal-DEVELOPMENT-ONLY!"

// ErrDecrypt is returned by [Keyring.Decrypt] for every failure: unknown key
// id, truncated or tampered ciphertext, wrong key or ciphertext bound to a
// different row. Callers treat them alike (the stored value cannot be
// trusted) and must not learn which, since that would help an attacker.
var ErrDecrypt = errors.New("protect: cannot decrypt value")

// ErrKeySpec is wrapped by every error of [ParseKeyring], so that start-up
// can tell a configuration mistake from other failures.
var ErrKeySpec = errors.New("protect: invalid encryption key spec")

// Keyring holds the keys that seal personal values at rest. New values are
// sealed with the primary key; every key can open, so keys can be rotated by
// adding a new primary and re-encrypting rows at leisure (see
// [Keyring.NeedsRotation]) before the old key is removed. A Keyring is
// immutable and safe for concurrent use.
type Keyring struct {
	primary string
	ids     []string // in spec order, primary first
	aeads   map[string]cipher.AEAD
}

// ParseKeyring reads the PORTAL_ENCRYPTION_KEY setting. The spec is either a
// single base64 key (id [DefaultKeyID]) or "kid:key,kid:key,…" where the
// first key is primary. Standard and URL-safe base64 are accepted, padded or
// not, because operators paste keys from different tools. Errors wrap
// [ErrKeySpec], name the position and, when it is well formed, the id of the
// offending key, and never contain key material.
func ParseKeyring(spec string) (*Keyring, error) {
	entries, err := splitSpec(spec)
	if err != nil {
		return nil, err
	}
	k := &Keyring{aeads: make(map[string]cipher.AEAD, len(entries))}
	for i, e := range entries {
		pos := i + 1
		if !validKeyID(e.id) {
			return nil, fmt.Errorf("%w: key %d: key id must be 1 to %d letters, digits, '.', '_' or '-'", ErrKeySpec, pos, maxKeyIDLen)
		}
		if _, dup := k.aeads[e.id]; dup {
			return nil, fmt.Errorf("%w: key %d: duplicate key id %q", ErrKeySpec, pos, e.id)
		}
		key, err := decodeKey(e.key)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d (id %q): %v", ErrKeySpec, pos, e.id, err)
		}
		aead, err := newAEAD(key)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d (id %q): %v", ErrKeySpec, pos, e.id, err)
		}
		k.aeads[e.id] = aead
		k.ids = append(k.ids, e.id)
	}
	k.primary = k.ids[0]
	return k, nil
}

// Encrypt seals plaintext with the primary key and returns the key id to be
// stored beside the ciphertext, which Decrypt needs. The ciphertext is a
// random 12-byte nonce followed by the sealed value and its 16-byte tag.
// Pass as aad what identifies the row (see [AAD]): the ciphertext then only
// opens for that row, so a value copied to another subscriber or category is
// detected. Random nonces limit a key to about 2³² encryptions; rotate well
// before that.
func (k *Keyring) Encrypt(plaintext, aad []byte) (ciphertext []byte, keyID string, err error) {
	if k == nil || k.primary == "" {
		return nil, "", errors.New("protect: encrypt with an empty keyring")
	}
	return k.aeads[k.primary].Seal(nil, nil, plaintext, aad), k.primary, nil
}

// Decrypt opens a ciphertext made by [Keyring.Encrypt] with the key named by
// keyID and the same aad. Every failure wraps [ErrDecrypt].
func (k *Keyring) Decrypt(keyID string, ciphertext, aad []byte) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: empty keyring", ErrDecrypt)
	}
	aead, ok := k.aeads[keyID]
	if !ok {
		// Ids are not secret; naming it tells an operator which retired key
		// is still needed.
		return nil, fmt.Errorf("%w: unknown key id %q", ErrDecrypt, keyID)
	}
	plaintext, err := aead.Open(nil, nil, ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrDecrypt)
	}
	if plaintext == nil {
		plaintext = []byte{}
	}
	return plaintext, nil
}

// PrimaryID returns the id of the key new values are sealed with, so that
// re-encryption jobs can select rows stored under any other id.
func (k *Keyring) PrimaryID() string {
	if k == nil {
		return ""
	}
	return k.primary
}

// NeedsRotation reports whether a value stored under keyID should be
// re-encrypted with the primary key, i.e. whether keyID is anything but the
// primary id (unknown ids included), so that an old key can eventually be
// removed from the spec.
func (k *Keyring) NeedsRotation(keyID string) bool {
	return keyID != k.PrimaryID()
}

// String describes the keyring by its key ids only, so that logging it by
// mistake reveals no key material.
func (k *Keyring) String() string {
	if k == nil {
		return "protect.Keyring{}"
	}
	return fmt.Sprintf("protect.Keyring{primary: %s, keys: %s}", k.primary, strings.Join(k.ids, ","))
}

// GoString keeps %#v as safe as %v.
func (k *Keyring) GoString() string { return k.String() }

// IsDevelopmentKey reports whether any key in spec is [DevelopmentKey], in
// any base64 variant and under any id, so that production can refuse to
// start even when the public key is kept only for decryption. Entries that
// do not parse are ignored here; [ParseKeyring] reports them.
func IsDevelopmentKey(spec string) bool {
	for _, e := range rawEntries(spec) {
		key, err := decodeKey(e.key)
		if err == nil && subtle.ConstantTimeCompare(key, []byte(developmentKeyText)) == 1 {
			return true
		}
	}
	return false
}

// GenerateKeySpec returns a fresh random key in standard base64, which is a
// complete spec by itself (id [DefaultKeyID]) and can be prefixed with an id
// to be added to an existing spec when rotating ("k2:<new>,k1:<old>").
func GenerateKeySpec() (string, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("protect: generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key), nil
}

// AAD encodes the parts that identify a stored value (typically subscriber
// id and item category) as associated data for [Keyring.Encrypt]. Each part
// is length-prefixed, so ("ab", "c") and ("a", "bc") bind differently; plain
// concatenation would let one row's ciphertext open in another's place.
func AAD(parts ...string) []byte {
	n := 1
	for _, p := range parts {
		n += binary.MaxVarintLen64 + len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, 1) // encoding version
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

type specEntry struct{ id, key string }

// rawEntries splits a spec without judging it.
func rawEntries(spec string) []specEntry {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil
	}
	if !strings.ContainsAny(spec, ":,") {
		return []specEntry{{id: DefaultKeyID, key: spec}}
	}
	var out []specEntry
	for part := range strings.SplitSeq(spec, ",") {
		id, key, _ := strings.Cut(part, ":")
		out = append(out, specEntry{id: strings.TrimSpace(id), key: strings.TrimSpace(key)})
	}
	return out
}

// splitSpec splits a spec and checks its shape, leaving ids and keys to the
// caller. Messages give positions only: a malformed entry may be a key.
func splitSpec(spec string) ([]specEntry, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("%w: empty (want a base64 key or kid:key,kid:key)", ErrKeySpec)
	}
	if !strings.ContainsAny(spec, ":,") {
		return rawEntries(spec), nil
	}
	parts := strings.Split(spec, ",")
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("%w: key %d is empty (stray comma?)", ErrKeySpec, i+1)
		}
		if !strings.Contains(part, ":") {
			return nil, fmt.Errorf("%w: key %d: want kid:base64key when several keys are given", ErrKeySpec, i+1)
		}
	}
	return rawEntries(spec), nil
}

func validKeyID(id string) bool {
	if id == "" || len(id) > maxKeyIDLen {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// decodeKey accepts standard or URL-safe base64, padded or not. Its errors
// say what is wrong without quoting the input.
func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("key is empty")
	}
	s = strings.TrimRight(s, "=")
	key, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawURLEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, errors.New("key is not valid base64")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("key decodes to %d bytes, want %d (AES-256)", len(key), KeySize)
	}
	zero := true
	for _, b := range key {
		if b != 0 {
			zero = false
			break
		}
	}
	if zero {
		return nil, errors.New("key is all zero bytes")
	}
	return key, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	// The random-nonce GCM prepends a fresh 12-byte nonce to every
	// ciphertext and reads it back on Open, so nonce handling cannot be got
	// wrong by callers.
	return cipher.NewGCMWithRandomNonce(block)
}
