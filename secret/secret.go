// Package secret makes and keeps the service's secrets: it generates signing
// secrets and random keys, and seals stored secrets with AES-256-GCM under
// the service's secret key so the database never holds them in clear text.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SigningSecretPrefix starts every Standard Webhooks signing secret.
const SigningSecretPrefix = "whsec_"

// KeySize is the size of the secret key in bytes (AES-256).
const KeySize = 32

// sealedPrefix starts every sealed value, naming the format's version.
const sealedPrefix = "v1:"

// NewSigningSecret returns a new Standard Webhooks secret: "whsec_" and the
// base64 encoding of 32 random bytes.
func NewSigningSecret() string {
	return SigningSecretPrefix + base64.StdEncoding.EncodeToString(Random(32))
}

// NewURLKey returns n random bytes encoded for use in a URL path.
func NewURLKey(n int) string {
	return base64.RawURLEncoding.EncodeToString(Random(n))
}

// Random returns n bytes from crypto/rand.
func Random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b
}

// Box seals and opens secrets with one key. A Box is safe for concurrent
// use; the zero value is not usable, use NewBox or LoadKeyFile.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a KeySize-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext and returns it in a text form for storage.
func (b *Box) Seal(plaintext string) string {
	nonce := Random(b.aead.NonceSize())
	ct := b.aead.Seal(nonce, nonce, []byte(plaintext), nil)
	return sealedPrefix + base64.StdEncoding.EncodeToString(ct)
}

// Open decrypts a value that Seal returned.
func (b *Box) Open(sealed string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", errors.New("secret: not a sealed value")
	}
	ct, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(ct) < b.aead.NonceSize() {
		return "", errors.New("secret: malformed sealed value")
	}
	pt, err := b.aead.Open(nil, ct[:b.aead.NonceSize()], ct[b.aead.NonceSize():], nil)
	if err != nil {
		return "", errors.New("secret: sealed with another key or altered")
	}
	return string(pt), nil
}

// LoadKeyFile reads the base64-encoded key in path and returns its Box.
// With create set, a missing file is created with a new random key, mode
// 0600, along with its directory.
func LoadKeyFile(path string, create bool) (*Box, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("secret: create key directory: %w", err)
		}
		data = []byte(base64.StdEncoding.EncodeToString(Random(KeySize)) + "\n")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, fmt.Errorf("secret: write key file: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("secret: read key file: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("secret: key file %s is not base64: %w", path, err)
	}
	return NewBox(key)
}
