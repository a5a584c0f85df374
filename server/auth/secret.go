package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
)

// Keys are the keys derived from the data folder's secret: one to seal
// stored secrets (TOTP), one to hash recovery codes.
type Keys struct {
	seal     cipher.AEAD
	recovery []byte
}

// NewKeys derives the keys from the master secret in data/secrets.
func NewKeys(master []byte) (*Keys, error) {
	if len(master) < 32 {
		return nil, errors.New("auth: master secret too short")
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, master)
		m.Write([]byte("polis/" + label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("seal"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{seal: aead, recovery: derive("recovery")}, nil
}

// Seal encrypts a secret for storage.
func (k *Keys) Seal(plain string) string {
	nonce := make([]byte, k.seal.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(k.seal.Seal(nonce, nonce, []byte(plain), nil))
}

// Open decrypts what Seal produced.
func (k *Keys) Open(sealed string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(b) < k.seal.NonceSize() {
		return "", errors.New("auth: sealed value damaged")
	}
	plain, err := k.seal.Open(nil, b[:k.seal.NonceSize()], b[k.seal.NonceSize():], nil)
	if err != nil {
		return "", errors.New("auth: sealed value damaged or sealed with another key")
	}
	return string(plain), nil
}

// HashRecoveryCode keys the hash with the server's secret, so a copy of the
// database alone cannot be searched for codes.
func (k *Keys) HashRecoveryCode(code string) string {
	m := hmac.New(sha256.New, k.recovery)
	m.Write([]byte(normaliseCode(code)))
	return hex.EncodeToString(m.Sum(nil))
}

// NewToken returns a random token for a link or a cookie and the hash under
// which it is stored. The token itself is never stored or logged.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the stored form of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
