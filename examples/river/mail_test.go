package main

import (
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSMTPMailer sends a welcome mail to a minimal SMTP server, which
// takes it or refuses the recipient quoting the address, as real ones do.
func TestSMTPMailer(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	w := Welcome{UserID: "user_1", To: "ada@example.com", FirstName: "Adä"}
	tests := []struct {
		name string
		rcpt string // the server's answer to RCPT
		err  error
	}{
		{"accepted", "250 2.1.5 Ok", nil},
		{"recipient rejected", "550 5.1.1 <ada@example.com>: Recipient address rejected: User unknown", errRejected},
		{"recipient deferred", "450 4.2.0 <ada@example.com>: Recipient address rejected: Greylisted", errDeferred},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, got := smtpServer(t, tt.rcpt)
			m := &smtpMailer{addr: addr, from: "welcome@example.com", now: func() time.Time { return now }}
			err := m.SendWelcome(t.Context(), w)
			msg := <-got
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Contains(t, err.Error(), "RCPT: "+tt.rcpt[:3])
				assert.NotContains(t, err.Error(), w.To, "the error quotes the address")
				assert.Empty(t, msg.data)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{"MAIL FROM:<welcome@example.com>", "RCPT TO:<ada@example.com>"}, msg.envelope)
			parsed, err := mail.ReadMessage(strings.NewReader(msg.data))
			require.NoError(t, err)
			assert.Equal(t, "<ada@example.com>", parsed.Header.Get("To"))
			assert.Equal(t, "Welcome", parsed.Header.Get("Subject"))
			date, err := parsed.Header.Date()
			require.NoError(t, err)
			assert.True(t, now.Equal(date), "Date: %s", date)
			body, err := io.ReadAll(quotedprintable.NewReader(parsed.Body))
			require.NoError(t, err)
			assert.Equal(t, "Hello Adä,\n\nwelcome aboard.\n", string(body))
		})
	}
}

// received is what smtpServer was sent.
type received struct {
	envelope []string // the MAIL and RCPT commands
	data     string   // the message, dot-unstuffed, its lines ending in LF
}

// smtpServer serves one SMTP session on a free port, answering RCPT with
// rcpt, and sends what it received on the channel when the session ends.
func smtpServer(t *testing.T, rcpt string) (string, <-chan received) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	got := make(chan received, 1)
	go func() {
		var r received
		defer func() { got <- r }()
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		tp := textproto.NewConn(conn)
		_ = tp.PrintfLine("220 test ESMTP")
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
			switch verb {
			case "EHLO", "HELO":
				_ = tp.PrintfLine("250 test")
			case "MAIL":
				r.envelope = append(r.envelope, line)
				_ = tp.PrintfLine("250 2.1.0 Ok")
			case "RCPT":
				r.envelope = append(r.envelope, line)
				_ = tp.PrintfLine("%s", rcpt)
			case "DATA":
				_ = tp.PrintfLine("354 End data with <CR><LF>.<CR><LF>")
				data, err := tp.ReadDotBytes()
				if err != nil {
					return
				}
				r.data = string(data)
				_ = tp.PrintfLine("250 2.0.0 Ok: queued")
			case "QUIT":
				_ = tp.PrintfLine("221 2.0.0 Bye")
				return
			default:
				_ = tp.PrintfLine("502 5.5.2 Error: command not recognized")
			}
		}
	}()
	return ln.Addr().String(), got
}
