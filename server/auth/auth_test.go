package auth

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/polis-portal/polis/server/store"
)

var testParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// TestHashAndVerify: argon2id in a self-describing string; wrong passwords
// fail; an unknown account (no hash) never verifies (issue 4).
func TestHashAndVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(testParams, 2)
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("encoding %q", enc)
	}
	if ok, rehash, err := h.Verify(ctx, "correct horse battery", enc); !ok || rehash || err != nil {
		t.Errorf("right password: ok %v rehash %v err %v", ok, rehash, err)
	}
	if ok, _, _ := h.Verify(ctx, "correct horse batterY", enc); ok {
		t.Error("wrong password accepted")
	}
	if ok, _, err := h.Verify(ctx, "anything", ""); ok || err != nil {
		t.Errorf("unknown account: ok %v err %v", ok, err)
	}
	enc2, _ := h.Hash(ctx, "correct horse battery")
	if enc2 == enc {
		t.Error("two hashes of one password share a salt")
	}
}

// TestRehashWhenParametersChange: a hash made with older parameters
// verifies and asks to be replaced.
func TestRehashWhenParametersChange(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(Params{Memory: 19 * 1024, Time: 1, Threads: 1}, 1)
	enc, _ := old.Hash(ctx, "a long enough passphrase")
	h := NewHasher(testParams, 1)
	ok, rehash, err := h.Verify(ctx, "a long enough passphrase", enc)
	if !ok || !rehash || err != nil {
		t.Errorf("ok %v rehash %v err %v; want a rehash", ok, rehash, err)
	}
	if ok, rehash, _ := h.Verify(ctx, "wrong passphrase here", enc); ok || rehash {
		t.Error("a wrong password asks for a rehash")
	}
}

// TestHashConcurrencyCap: when every slot is taken and the caller's
// deadline passes, the hasher answers ErrBusy instead of piling up memory.
func TestHashConcurrencyCap(t *testing.T) {
	h := NewHasher(testParams, 1)
	h.slots <- struct{}{} // someone else is hashing
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "whatever password"); err != ErrBusy {
		t.Errorf("Hash with no free slot = %v, want ErrBusy", err)
	}
	if _, _, err := h.Verify(ctx, "whatever password", ""); err != ErrBusy {
		t.Errorf("Verify with no free slot = %v, want ErrBusy", err)
	}
	<-h.slots
	if _, err := h.Hash(context.Background(), "whatever password"); err != nil {
		t.Errorf("after the slot is free: %v", err)
	}
}

func TestPasswordRules(t *testing.T) {
	tests := []struct {
		pw, email string
		want      error
	}{
		{"short", "a@b.org", ErrPasswordShort},
		{"elevenchars", "a@b.org", ErrPasswordShort},
		{"password1234", "a@b.org", ErrPasswordCommon},
		{"PASSWORD1234", "a@b.org", ErrPasswordCommon},
		{"aaaaaaaaaaaaaaaa", "a@b.org", ErrPasswordCommon},
		{"abcabcabcabc", "a@b.org", ErrPasswordCommon},
		{"1234567890123", "a@b.org", ErrPasswordCommon},
		{"qwertyuiopasdf", "a@b.org", ErrPasswordCommon},
		{"marie.dupont-2026!", "marie.dupont@police.example", ErrPasswordPersonal},
		{"violet stapler tundra", "marie@police.example", nil},
		{"Ünïcödé pässwörd", "x@y.example", nil},
	}
	for _, tt := range tests {
		if got := CheckPassword(tt.pw, tt.email); got != tt.want {
			t.Errorf("CheckPassword(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

// TestTOTP: the current code and one step either side are accepted, with
// the step they matched; other codes are not.
func TestTOTP(t *testing.T) {
	secret, url, err := NewTOTP("Polis", "expert@police.example")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "otpauth://totp/Polis:expert@police.example?") || !strings.Contains(url, "secret="+secret) {
		t.Errorf("url %q", url)
	}
	now := time.Unix(1_800_000_000, 0)
	for _, drift := range []int64{-1, 0, 1} {
		code := TOTPCode(secret, now.Add(time.Duration(drift*30)*time.Second))
		step, ok := CheckTOTP(secret, code, now)
		if !ok || step != now.Unix()/30+drift {
			t.Errorf("drift %d: ok %v step %d", drift, ok, step)
		}
	}
	if _, ok := CheckTOTP(secret, TOTPCode(secret, now.Add(-2*time.Minute)), now); ok {
		t.Error("a code two minutes old is accepted")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := CheckTOTP(secret, bad, now); ok {
			t.Errorf("code %q accepted", bad)
		}
	}
	svg, err := QRCodeSVG(url)
	if err != nil || !strings.HasPrefix(string(svg), "<svg") || strings.Count(string(svg), "h1v1h-1z") < 100 {
		t.Errorf("QR code: %v, %d modules", err, strings.Count(string(svg), "h1v1h-1z"))
	}
}

func TestSealAndRecoveryCodes(t *testing.T) {
	k, err := NewKeys([]byte(strings.Repeat("k", 64)))
	if err != nil {
		t.Fatal(err)
	}
	sealed := k.Seal("JBSWY3DPEHPK3PXP")
	if strings.Contains(sealed, "JBSWY3DP") {
		t.Error("sealed value shows the secret")
	}
	if plain, err := k.Open(sealed); err != nil || plain != "JBSWY3DPEHPK3PXP" {
		t.Errorf("Open = %q, %v", plain, err)
	}
	other, _ := NewKeys([]byte(strings.Repeat("x", 64)))
	if _, err := other.Open(sealed); err == nil {
		t.Error("opened with another key")
	}
	codes := NewRecoveryCodes(10)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 14 || seen[c] {
			t.Errorf("code %q", c)
		}
		seen[c] = true
	}
	if k.HashRecoveryCode(codes[0]) != k.HashRecoveryCode(strings.ToUpper(strings.ReplaceAll(codes[0], "-", " "))) {
		t.Error("recovery code typed with spaces and capitals does not match")
	}
	if k.HashRecoveryCode(codes[0]) == other.HashRecoveryCode(codes[0]) {
		t.Error("recovery hash does not depend on the server key")
	}
	tok, hash := NewToken()
	if HashToken(tok) != hash || strings.Contains(hash, tok) {
		t.Error("token hash")
	}
}

// TestLimiterGrowingDelays (issue 4: brute force).
func TestLimiterGrowingDelays(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.SQLiteDSN(filepath.Join(t.TempDir(), "p.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Unix(1_800_000_000, 0)
	l := NewLimiter(st)
	l.Now = func() time.Time { return now }
	keys := LimitKeys("victim@police.example", "192.0.2.7")
	for i := 1; i <= 5; i++ {
		if locked, _ := l.Fail(ctx, keys...); locked {
			t.Fatalf("locked after %d failures", i)
		}
	}
	var waits []time.Duration
	for range 4 {
		locked, _ := l.Fail(ctx, keys...)
		w, _ := l.Locked(ctx, keys...)
		if !locked {
			t.Fatal("not locked")
		}
		waits = append(waits, w)
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("lock %d = %v, want %v", i+1, waits[i], want[i])
		}
	}
	// The same address trying another account is locked too.
	if w, _ := l.Locked(ctx, LimitKeys("someone-else@police.example", "192.0.2.7")...); w == 0 {
		t.Error("address not locked for other accounts")
	}
	if w, _ := l.Locked(ctx, LimitKeys("someone-else@police.example", "198.51.100.1")...); w != 0 {
		t.Error("an unrelated account and address are locked")
	}
	now = now.Add(5 * time.Minute)
	if w, _ := l.Locked(ctx, keys...); w != 0 {
		t.Errorf("still locked after the delay: %v", w)
	}
	l.Succeed(ctx, "victim@police.example")
	if f, _ := st.LoginFailuresFor(ctx, "email:victim@police.example"); f.Failures != 0 {
		t.Error("account failures kept after a good login")
	}
}

// BenchmarkHash measures one password check with the default parameters
// (issue 4: the cost is chosen from this figure).
func BenchmarkHash(b *testing.B) {
	h := NewHasher(DefaultParams, 4)
	ctx := context.Background()
	enc, _ := h.Hash(ctx, "benchmark passphrase")
	for b.Loop() {
		h.Verify(ctx, "benchmark passphrase", enc)
	}
}
