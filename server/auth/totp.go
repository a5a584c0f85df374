package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpOptions are the usual authenticator-app settings: 30-second steps,
// six digits, SHA-1 (what every app supports).
var totpOptions = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTP makes a secret for account and the otpauth:// URL that an
// authenticator app reads from the QR code.
func NewTOTP(issuer, account string) (secret, url string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", fmt.Errorf("auth: totp: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// CheckTOTP checks a code against secret at now, allowing one step of clock
// drift either way, and returns the time step it matched. The caller must
// refuse a step not later than the last one used (a replay).
func CheckTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	for _, drift := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(drift*30) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOptions)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / 30, true
		}
	}
	return 0, false
}

// TOTPCode returns the current code for secret (for tests and the CLI).
func TOTPCode(secret string, now time.Time) string {
	c, _ := totp.GenerateCodeCustom(secret, now, totpOptions)
	return c
}

// QRCodeSVG draws content as a QR code in inline SVG, so that enrolment
// needs no image request and no third-party service.
func QRCodeSVG(content string) (template.HTML, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("auth: qr: %w", err)
	}
	b := code.Bounds()
	n := b.Dx()
	const quiet = 4
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="240" height="240" role="img" shape-rendering="crispEdges">`, n+2*quiet, n+2*quiet)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n+2*quiet, n+2*quiet)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if r, _, _, _ := code.At(b.Min.X+x, b.Min.Y+y).RGBA(); r == 0 {
				fmt.Fprintf(&sb, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	sb.WriteString(`"/></svg>`)
	return template.HTML(sb.String()), nil
}

// recoveryAlphabet avoids letters that are easily confused (0/O, 1/I/L).
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewRecoveryCodes returns n single-use codes such as "k7pq-3mzx-w2ra".
func NewRecoveryCodes(n int) []string {
	codes := make([]string, n)
	for i := range codes {
		b := make([]byte, 12)
		rand.Read(b)
		var sb strings.Builder
		for j, c := range b {
			if j > 0 && j%4 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[int(c)%len(recoveryAlphabet)])
		}
		codes[i] = sb.String()
	}
	return codes
}

// normaliseCode lets a reader type a recovery code with or without dashes,
// spaces or capitals.
func normaliseCode(code string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(code) {
		if strings.ContainsRune(recoveryAlphabet, r) {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
