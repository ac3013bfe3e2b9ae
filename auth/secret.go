package auth

import (
	"errors"
	"fmt"
	"math"
)

// minSecretBits is the least estimated entropy CheckSecret accepts for an
// HS256 secret: 128 bits, what a random 22-character base64 string holds.
const minSecretBits = 128

// minSecretSymbols is the least number of distinct bytes a secret must use;
// a random 32-byte secret in any common encoding uses at least 14.
const minSecretSymbols = 10

// CheckSecret refuses an HS256 secret that is short, or that anyone could
// guess: made of few distinct characters (32 × "a", "abababab…") or of
// too little estimated entropy. The estimate is the secret's length times
// the Shannon entropy of its byte frequencies, which is high for random
// keys in hex or base64 (≥ 3.5 bits a character) and low for words and
// repeated patterns. It is a floor against accidents, not a proof of
// randomness: generate secrets with `openssl rand -base64 32`.
func CheckSecret(secret []byte) error {
	if len(secret) < minSecretLen {
		return fmt.Errorf("must be at least %d bytes", minSecretLen)
	}
	var counts [256]int
	distinct := 0
	for _, b := range secret {
		if counts[b] == 0 {
			distinct++
		}
		counts[b]++
	}
	if distinct < minSecretSymbols {
		return fmt.Errorf("uses only %d distinct characters: generate a random secret (openssl rand -base64 32)", distinct)
	}
	n := float64(len(secret))
	var perByte float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			perByte -= p * math.Log2(p)
		}
	}
	if perByte*n < minSecretBits {
		return errors.New("has too little entropy: generate a random secret (openssl rand -base64 32)")
	}
	return nil
}
