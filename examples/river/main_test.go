package main

import (
	"bytes"
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
)

// TestRun runs the program, on fresh schemas and without an SMTP server,
// sends it a signup and stops it: the mail is a line on standard output
// without the address, and the program exits cleanly.
func TestRun(t *testing.T) {
	admin := pgtest.Connect(t, nil)
	schema, riverSchema := pgtest.FreshSchema(t, admin), pgtest.FreshPlainSchema(t, admin)
	secret := clerkhooktest.NewSecret()
	env := map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": secret}
	args := []string{
		"-database-url", cmp.Or(os.Getenv("CLERKHOOK_TEST_DATABASE_URL"), pgtest.DefaultURL),
		"-addr", "127.0.0.1:0", "-schema", schema, "-river-schema", riverSchema,
	}
	stdout := &syncBuffer{}
	addrs := make(chan string, 1)
	logger := slog.New(&listening{Handler: testLogger(t).Handler(), addrs: addrs})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, func(k string) string { return env[k] }, stdout, t.Output(), logger) }()

	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("run returned before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not listen within 30s")
	}
	var user clerkhook.User
	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { user = *u })
	require.NoError(t, err)
	req := clerkhooktest.NewEventRequest(t, secret, evt, clerkhooktest.WithTarget("http://"+addr+"/webhooks/clerk"))
	req.RequestURI = "" // set for servers, refused by clients
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	line := "welcome mail for " + user.ID + " (not sent: no -smtp server)\n"
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, line, stdout.String())
	}, 10*time.Second, 10*time.Millisecond)
	assert.NotContains(t, stdout.String(), user.PrimaryEmail())

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return within 30s of its context's end")
	}
}

// TestRunRefuses checks the settings run refuses before it touches the
// database.
func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no secret", nil, nil, "set CLERK_WEBHOOK_SIGNING_SECRET"},
		{"unknown flag", []string{"-port", "80"}, map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": clerkhooktest.NewSecret()}, "flag provided but not defined"},
		{"SMTP server without a port", []string{"-smtp", "mail.example.com"},
			map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": clerkhooktest.NewSecret(), "SMTP_USERNAME": "u"}, "-smtp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr syncBuffer
			err := run(t.Context(), tt.args, func(k string) string { return tt.env[k] }, &syncBuffer{}, &stderr, testLogger(t))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// listening passes records on to its Handler, and the address of the
// "listening" record to addrs.
type listening struct {
	slog.Handler
	addrs chan<- string
}

func (l *listening) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo || l.Handler.Enabled(ctx, level)
}

func (l *listening) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "listening" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "addr" {
				l.addrs <- a.Value.String()
			}
			return true
		})
	}
	if !l.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return l.Handler.Handle(ctx, r)
}

// syncBuffer is a bytes.Buffer for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
