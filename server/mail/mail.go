// Package mail sends Polis's e-mail. Every message is first written to the
// outbox table; with SMTP configured it is then sent and marked, and
// without SMTP it stays in the outbox, where administrators read it in the
// staff pages, so the embedded default works end to end. Message bodies
// (which carry single-use links) are never logged.
package mail

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"strings"
	"time"

	"github.com/polis-portal/polis/server/store"
)

// SMTP is where mail is sent; an empty Addr keeps mail in the outbox.
type SMTP struct {
	Addr     string // host:port
	From     string
	Username string
	Password string // from POLIS_SMTP_PASSWORD, never a flag
}

// Mailer queues and sends mail.
type Mailer struct {
	Store *store.Store
	SMTP  SMTP
	Log   *slog.Logger
	Now   func() time.Time
}

// Send queues a message to one address and, with SMTP configured, sends
// it. A failure to send is recorded on the message and logged without its
// body; the message stays readable in the outbox.
func (m *Mailer) Send(ctx context.Context, to, subject, body string) error {
	now := m.Now()
	msg := &store.Mail{To: to, Subject: subject, Body: body, CreatedAt: now.Unix()}
	if err := m.Store.QueueMail(ctx, msg); err != nil {
		return err
	}
	if m.SMTP.Addr == "" {
		return nil
	}
	err := m.deliver(to, subject, body)
	errText := ""
	if err != nil {
		errText = err.Error()
		m.Log.Warn("mail: sending failed; message kept in the outbox", "id", msg.ID, "err", err)
	}
	return m.Store.MarkMailSent(ctx, msg.ID, m.Now().Unix(), errText)
}

func (m *Mailer) deliver(to, subject, body string) error {
	host, _, err := net.SplitHostPort(m.SMTP.Addr)
	if err != nil {
		return err
	}
	var a smtp.Auth
	if m.SMTP.Username != "" {
		a = smtp.PlainAuth("", m.SMTP.Username, m.SMTP.Password, host)
	}
	return smtp.SendMail(m.SMTP.Addr, a, m.SMTP.From, []string{to}, compose(m.SMTP.From, to, subject, body))
}

// compose writes a plain-text UTF-8 message, refusing header injection.
func compose(from, to, subject, body string) []byte {
	clean := func(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }
	var sb strings.Builder
	fmt.Fprintf(&sb, "From: %s\r\nTo: %s\r\nSubject: =?UTF-8?B?%s?=\r\n", clean(from), clean(to), b64(clean(subject)))
	sb.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	sb.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(sb.String())
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
