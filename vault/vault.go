// Package vault encrypts personal data at rest (AES-256-GCM) and computes keyed
// lookup hashes (HMAC-SHA256), both from one 32-byte secret.
//
// A sealed value is: key version (1 byte) || nonce (12 bytes) || ciphertext+tag.
// The version lets a later release add a new key and still open old values.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"sync"
)

// KeySize is the length of the secret in bytes.
const KeySize = 32

const currentVersion byte = 1

// ErrOpen is returned when a sealed value cannot be opened (wrong key, damaged data).
var ErrOpen = errors.New("vault: cannot open sealed value (was LINDUNGI_DATA_KEY changed?)")

// Vault seals and opens values and computes lookup hashes. It is safe for
// concurrent use.
type Vault struct {
	aeads   map[byte]cipher.AEAD
	lookup  *hasher
	logKey  *hasher
	version byte
}

// hasher keeps keyed HMACs for reuse: a reset one starts from its keyed
// state, so a lookup hash costs two SHA-256 blocks instead of four.
type hasher struct{ pool sync.Pool }

func newHasher(key []byte) *hasher {
	return &hasher{pool: sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// sum returns the HMAC of the parts, each followed by a zero byte but the last.
func (h *hasher) sum(parts ...string) []byte {
	m := h.pool.Get().(hash.Hash)
	for i, p := range parts {
		io.WriteString(m, p) //nolint:errcheck // a hash never fails to write
		if i < len(parts)-1 {
			m.Write([]byte{0})
		}
	}
	out := m.Sum(make([]byte, 0, sha256.Size))
	m.Reset()
	h.pool.Put(m)
	return out
}

// New builds a Vault from a 32-byte secret.
func New(secret []byte) (*Vault, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("data key must be %d bytes, got %d", KeySize, len(secret))
	}
	encKey, err := hkdf.Key(sha256.New, secret, nil, "lindungi/encrypt/v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive encryption key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	lookup, err := hkdf.Key(sha256.New, secret, nil, "lindungi/lookup/v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive lookup key: %w", err)
	}
	logKey, err := hkdf.Key(sha256.New, secret, nil, "lindungi/log/v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive log key: %w", err)
	}
	return &Vault{
		aeads:   map[byte]cipher.AEAD{currentVersion: aead},
		lookup:  newHasher(lookup),
		logKey:  newHasher(logKey),
		version: currentVersion,
	}, nil
}

// ParseKey decodes a base64 secret as `openssl rand -base64 32` prints it.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("data key is not valid base64 (make one with: openssl rand -base64 32)")
	}
	if len(b) != KeySize {
		return nil, fmt.Errorf("data key must decode to %d bytes, got %d (make one with: openssl rand -base64 32)", KeySize, len(b))
	}
	return b, nil
}

// FromEnv reads the key from LINDUNGI_DATA_KEY, or from the file named by
// LINDUNGI_DATA_KEY_FILE. The error is one line, fit to show an operator.
func FromEnv(getenv func(string) string) (*Vault, error) {
	raw := getenv("LINDUNGI_DATA_KEY")
	file := getenv("LINDUNGI_DATA_KEY_FILE")
	var source string
	switch {
	case raw != "" && file != "":
		return nil, errors.New("set only one of LINDUNGI_DATA_KEY and LINDUNGI_DATA_KEY_FILE")
	case raw != "":
		source = "LINDUNGI_DATA_KEY"
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("LINDUNGI_DATA_KEY_FILE: %w", err)
		}
		raw = string(b)
		source = "LINDUNGI_DATA_KEY_FILE " + file
	default:
		return nil, errors.New("no data key: set LINDUNGI_DATA_KEY (openssl rand -base64 32) or LINDUNGI_DATA_KEY_FILE")
	}
	key, err := ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return New(key)
}

// Seal encrypts plain. An empty input gives nil (nothing stored).
func (v *Vault) Seal(plain []byte) ([]byte, error) {
	if len(plain) == 0 {
		return nil, nil
	}
	aead := v.aeads[v.version]
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plain)+aead.Overhead())
	out[0] = v.version
	if _, err := rand.Read(out[1 : 1+aead.NonceSize()]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return aead.Seal(out, out[1:1+aead.NonceSize()], plain, nil), nil
}

// SealString is Seal for strings.
func (v *Vault) SealString(s string) ([]byte, error) { return v.Seal([]byte(s)) }

// Open decrypts a value made by Seal. nil gives nil.
func (v *Vault) Open(sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	aead, ok := v.aeads[sealed[0]]
	if !ok || len(sealed) < 1+aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, sealed[1:1+n], sealed[1+n:], nil)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// OpenString is Open for strings.
func (v *Vault) OpenString(sealed []byte) (string, error) {
	b, err := v.Open(sealed)
	return string(b), err
}

// Hash is the keyed lookup hash of a value within a purpose ("nik", "phone"):
// equal inputs give equal hashes, and nobody without the key can test a guess.
func (v *Vault) Hash(purpose, value string) []byte {
	return v.lookup.sum(purpose, value)
}

// LogID is a short keyed hash for correlating log lines without the value.
func (v *Vault) LogID(value string) string {
	return hex.EncodeToString(v.logKey.sum(value)[:6])
}
