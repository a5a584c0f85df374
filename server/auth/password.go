// Package auth holds the security primitives of accounts: password hashing,
// password rules, TOTP, single-use tokens, recovery codes, sealed secrets
// and the brute-force limiter. It knows nothing of HTTP.
package auth

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost settings.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams cost about 50 ms and 32 MiB per hash on the project's
// 2-core machine (BenchmarkHash); the floor the issue sets is 19 MiB, t=2.
var DefaultParams = Params{Memory: 32 * 1024, Time: 2, Threads: 1}

// ErrBusy is returned when too many hashes are already running: a login
// flood must not be able to exhaust memory.
var ErrBusy = errors.New("auth: too many password checks at once")

// Hasher hashes and checks passwords, at most n at a time.
type Hasher struct {
	params Params
	slots  chan struct{}
	dummy  string // checked for unknown accounts, so they take as long
}

// NewHasher returns a hasher with the given cost that runs at most
// concurrent hashes at once.
func NewHasher(p Params, concurrent int) *Hasher {
	h := &Hasher{params: p, slots: make(chan struct{}, concurrent)}
	h.dummy = encode(p, []byte("polis-dummy-salt"), argon2.IDKey([]byte("not a password"), []byte("polis-dummy-salt"), p.Time, p.Memory, p.Threads, 32))
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ErrBusy
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the self-describing encoding of password:
// $argon2id$v=19$m=32768,t=2,p=1$<salt>$<hash>.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	salt := make([]byte, 16)
	rand.Read(salt)
	p := h.params
	return encode(p, salt, argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)), nil
}

func encode(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decode(encoded string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("auth: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errors.New("auth: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("auth: bad argon2 parameters: %w", err)
	}
	if p.Memory < 8*1024 || p.Memory > 1<<20 || p.Time < 1 || p.Time > 10 || p.Threads < 1 {
		return p, nil, nil, errors.New("auth: argon2 parameters out of range")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, err
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return p, nil, nil, err
	}
	return p, salt, key, nil
}

// Verify checks password against encoded. rehash is true when the hash was
// made with other parameters than the hasher's, so the caller should store
// a new hash. With encoded == "" (no such account) a dummy hash is checked,
// so that the answer takes as long, and ok is false.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	known := encoded != ""
	if !known {
		encoded = h.dummy
	}
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1 && known
	return ok, ok && p != h.params, nil
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

//go:embed common-passwords.txt
var commonList string

var common = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonList))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// Password rule violations, which the web layer translates.
var (
	ErrPasswordShort    = errors.New("password too short")
	ErrPasswordCommon   = errors.New("password too common")
	ErrPasswordPersonal = errors.New("password contains the e-mail address")
)

// CheckPassword applies the password rules: at least 12 characters, not a
// common password or a simple pattern, and not built from the e-mail.
func CheckPassword(password, email string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return ErrPasswordShort
	}
	lower := strings.ToLower(password)
	if common[lower] || repetitive(lower) {
		return ErrPasswordCommon
	}
	if local, _, _ := strings.Cut(strings.ToLower(email), "@"); len(local) >= 4 && strings.Contains(lower, local) {
		return ErrPasswordPersonal
	}
	return nil
}

// repetitive catches one character repeated, a short unit repeated
// ("abcabcabcabc") and runs of the keyboard or the alphabet.
func repetitive(s string) bool {
	for unit := 1; unit <= 4; unit++ {
		if len(s)%unit == 0 && strings.Repeat(s[:unit], len(s)/unit) == s {
			return true
		}
	}
	for _, run := range []string{"0123456789012345678901234567890", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "azertyuiopqsdfghjklmwxcvbn", "qwertzuiopasdfghjklyxcvbnm", "йцукенгшщзхъфывапролджэячсмитьбю"} {
		if strings.Contains(run, s) {
			return true
		}
	}
	return false
}
