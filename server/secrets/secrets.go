// Package secrets encrypts secrets at rest (shared secrets, API keys) with
// AES-256-GCM. Ciphertexts are bound to their row through associated data,
// so a secret copied into another tenant's row does not decrypt.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// prefix versions the format so a future scheme can coexist during rotation.
const prefix = "v1:"

// Box seals with the current key and opens with the current key or, during
// a key rotation, the previous ones.
type Box struct {
	aead     cipher.AEAD
	previous []cipher.AEAD
}

// New returns a Box for a 32-byte key. previous keys (also 32 bytes) are
// only used to open what they sealed, until `backlogai rotate-key` has
// re-sealed everything with key.
func New(key []byte, previous ...[]byte) (*Box, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	b := &Box{aead: aead}
	for _, k := range previous {
		p, err := newAEAD(k)
		if err != nil {
			return nil, fmt.Errorf("secrets: previous key: %w", err)
		}
		b.previous = append(b.previous, p)
	}
	return b, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("secrets: key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return aead, nil
}

// Seal encrypts plaintext bound to aad (e.g. "tenant:<clientKey>").
// The empty string seals to the empty string (no secret stored).
func (b *Box) Seal(plaintext, aad string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secrets: nonce: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
	return prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal produced with the same aad.
func (b *Box) Open(sealed, aad string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if !strings.HasPrefix(sealed, prefix) {
		return "", errors.New("secrets: unknown format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, prefix))
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", errors.New("secrets: corrupt ciphertext")
	}
	n := b.aead.NonceSize()
	for _, a := range append([]cipher.AEAD{b.aead}, b.previous...) {
		if pt, err := a.Open(nil, raw[:n], raw[n:], []byte(aad)); err == nil {
			return string(pt), nil
		}
	}
	return "", errors.New("secrets: cannot decrypt (wrong key or row)")
}

// Reseal opens sealed with any known key and seals it again with the
// current one (key rotation).
func (b *Box) Reseal(sealed, aad string) (string, error) {
	pt, err := b.Open(sealed, aad)
	if err != nil {
		return "", err
	}
	return b.Seal(pt, aad)
}
