package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"sync"
	"time"
)

// Welcome is a welcome mail to send.
type Welcome struct {
	UserID    string
	To        string // the user's primary email address
	FirstName string // empty when the user gave none
}

// Mailer sends welcome mails. Its errors must not quote the address, which
// River records with the job and logs. An error matching errRejected is
// permanent, and the job is cancelled instead of retried.
type Mailer interface {
	SendWelcome(ctx context.Context, w Welcome) error
}

// stdoutMailer stands in for a mail server: it writes a line per mail,
// which names the user by id and leaves out the address and the name.
type stdoutMailer struct {
	mu sync.Mutex
	w  io.Writer
}

// SendWelcome implements [Mailer].
func (m *stdoutMailer) SendWelcome(_ context.Context, w Welcome) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := fmt.Fprintf(m.w, "welcome mail for %s (not sent: no -smtp server)\n", w.UserID)
	return err
}

// smtpMailer sends the mails through an SMTP server, with STARTTLS when
// the server offers it and authentication when it has credentials.
type smtpMailer struct {
	addr string // host:port
	from string
	auth smtp.Auth // nil: no authentication
	now  func() time.Time
}

// SendWelcome implements [Mailer].
func (m *smtpMailer) SendWelcome(ctx context.Context, w Welcome) error {
	msg, err := m.message(w)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(m.addr)
	if err != nil {
		return fmt.Errorf("smtp server %q: %w", m.addr, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	// net/smtp takes no context: the deadline bounds the whole exchange.
	if deadline, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(deadline); err != nil {
			conn.Close()
			return fmt.Errorf("smtp: %w", err)
		}
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return smtpError("greeting", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return smtpError("STARTTLS", err)
		}
	}
	if m.auth != nil {
		if err := c.Auth(m.auth); err != nil {
			return smtpError("AUTH", err)
		}
	}
	if err := c.Mail(m.from); err != nil {
		return smtpError("MAIL", err)
	}
	if err := c.Rcpt(w.To); err != nil {
		return smtpError("RCPT", err)
	}
	wc, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := wc.Write(msg); err != nil {
		return smtpError("DATA", err)
	}
	if err := wc.Close(); err != nil {
		return smtpError("DATA", err)
	}
	// The server has taken the mail: a failing QUIT must not fail the
	// job, which River would run again, sending the mail twice.
	_ = c.Quit()
	return nil
}

// message returns the mail, headers and body, the body quoted-printable so
// that any name goes through any server.
func (m *smtpMailer) message(w Welcome) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", (&mail.Address{Address: m.from}).String())
	fmt.Fprintf(&b, "To: %s\r\n", (&mail.Address{Address: w.To}).String())
	fmt.Fprintf(&b, "Subject: Welcome\r\n")
	fmt.Fprintf(&b, "Date: %s\r\n", m.now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	greeting := "Hello,"
	if w.FirstName != "" {
		greeting = "Hello " + w.FirstName + ","
	}
	if _, err := fmt.Fprintf(qp, "%s\r\n\r\nwelcome aboard.\r\n", greeting); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// The errors of a command the SMTP server refused: for good (a 5xx
// reply), or for now (4xx).
var (
	errRejected = errors.New("smtp: the server rejected the command")
	errDeferred = errors.New("smtp: the server deferred the command")
)

// smtpError keeps the reply code of a refusal and drops its text, which
// often quotes the address.
func smtpError(command string, err error) error {
	var tp *textproto.Error
	switch {
	case errors.As(err, &tp) && tp.Code >= 500:
		return fmt.Errorf("%w: %s: %d", errRejected, command, tp.Code)
	case errors.As(err, &tp):
		return fmt.Errorf("%w: %s: %d", errDeferred, command, tp.Code)
	default:
		return fmt.Errorf("smtp %s: %w", command, err)
	}
}
