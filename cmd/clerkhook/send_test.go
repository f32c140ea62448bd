package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// endpoint is a webhook endpoint running the real handler over a
// MemoryStore.
type endpoint struct {
	url    string
	secret string
	store  *clerkhook.MemoryStore
}

func newEndpoint(t *testing.T) *endpoint {
	t.Helper()
	e := &endpoint{secret: clerkhooktest.NewSecret(), store: clerkhook.NewMemoryStore()}
	h, err := clerkhook.NewHandler(e.secret, e.store, clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL + "/webhooks/clerk"
	return e
}

// closedAddress returns a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// sentObject returns the object id that send printed in its first line.
var sentObject = regexp.MustCompile(`^delivery (msg_\w+): ([\w.]+) (\w+)\n`)

func TestSendEveryType(t *testing.T) {
	cleanEnv(t)
	e := newEndpoint(t)
	ctx := context.Background()
	for _, typ := range builtTypes() {
		t.Run(typ, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "send", "-url", e.url, "-secret", e.secret, "-type", typ)

			require.Equal(t, 0, code, stderr)
			assert.Empty(t, stderr)
			m := sentObject.FindStringSubmatch(stdout)
			require.NotNil(t, m, stdout)
			assert.Equal(t, typ, m[2])
			assert.Contains(t, stdout, "attempt 1/1: 200 OK: processed\n")
			id := m[3]
			switch typ {
			case clerkhook.EventUserCreated, clerkhook.EventUserUpdated:
				_, err := e.store.User(ctx, id)
				assert.NoError(t, err)
			case clerkhook.EventUserDeleted:
				_, err := e.store.User(ctx, id)
				assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
			case clerkhook.EventOrganizationCreated, clerkhook.EventOrganizationUpdated:
				_, err := e.store.Organization(ctx, id)
				assert.NoError(t, err)
			}
		})
	}
}

func TestSendRepeatsTheDelivery(t *testing.T) {
	cleanEnv(t)
	e := newEndpoint(t)

	code, stdout, stderr := runCLI(t, "send", "-url", e.url, "-secret", e.secret, "-repeat", "3", "-id", "msg_2retriedDelivery")

	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	require.Len(t, lines, 4, stdout)
	assert.Regexp(t, `^delivery msg_2retriedDelivery: user.created user_\w+$`, lines[0])
	assert.Equal(t, []string{
		"attempt 1/3: 200 OK: processed",
		"attempt 2/3: 200 OK: duplicate",
		"attempt 3/3: 200 OK: duplicate",
	}, lines[1:])
	ids, err := e.store.UserIDs(context.Background())
	require.NoError(t, err)
	assert.Len(t, ids, 1)
}

func TestSendSecretFromTheEnvironment(t *testing.T) {
	cleanEnv(t)
	e := newEndpoint(t)
	t.Setenv("CLERK_WEBHOOK_SECRET", e.secret)

	code, stdout, stderr := runCLI(t, "send", "-url", e.url)

	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "200 OK: processed")
}

func TestSendFile(t *testing.T) {
	cleanEnv(t)
	e := newEndpoint(t)
	evt, err := clerkhooktest.UserUpdated(func(u *clerkhook.User) { u.ID = "user_2fromAFile" })
	require.NoError(t, err)
	body, err := json.Marshal(evt)
	require.NoError(t, err)
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	require.NoError(t, os.WriteFile(event, body, 0o600))
	garbage := filepath.Join(dir, "garbage.json")
	require.NoError(t, os.WriteFile(garbage, []byte(`{"type":`), 0o600))

	code, stdout, stderr := runCLI(t, "send", "-url", e.url, "-secret", e.secret, "-file", event)

	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `^delivery msg_\w+: user.updated user_2fromAFile\nattempt 1/1: 200 OK: processed\n$`, stdout)
	want, err := evt.User()
	require.NoError(t, err)
	got, err := e.store.User(context.Background(), "user_2fromAFile")
	require.NoError(t, err)
	assert.Equal(t, want.UpdatedAt, got.UpdatedAt)
	assert.Equal(t, want.PrimaryEmail(), got.PrimaryEmail())

	// A body that is no event is sent as it is, and refused.
	code, stdout, stderr = runCLI(t, "send", "-url", e.url, "-secret", e.secret, "-file", garbage)

	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "8 bytes that are not a Clerk event")
	assert.Contains(t, stdout, "attempt 1/1: 400 Bad Request: rejected\n")
	assert.Contains(t, stderr, "clerkhook send: 1 of 1 attempts were not answered with 2xx")
}

func TestSendFailures(t *testing.T) {
	cleanEnv(t)
	e := newEndpoint(t)
	unreachable := "http://" + closedAddress(t) + "/webhooks/clerk"
	missing := filepath.Join(t.TempDir(), "missing.json")
	const badSecret = "whsec_not*base64*at*all"
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"no -url", []string{"-secret", e.secret}, 2, []string{"-url is required"}},
		{"a -url without a scheme", []string{"-url", "127.0.0.1:8080/webhooks/clerk", "-secret", e.secret}, 2, []string{"is not an http or https URL"}},
		{"no secret", []string{"-url", e.url}, 2, []string{"no signing secret", "CLERK_WEBHOOK_SECRET", "Clerk Dashboard → Webhooks"}},
		{"a bad secret", []string{"-url", e.url, "-secret", badSecret}, 2, []string{"the signing secret cannot be used"}},
		{"a type without a builder", []string{"-url", e.url, "-secret", e.secret, "-type", "session.created"}, 2,
			[]string{"-type cannot make up session.created events, only organization.created,", "pass -file"}},
		{"an unknown type", []string{"-url", e.url, "-secret", e.secret, "-type", "user.exploded"}, 2,
			[]string{`-type "user.exploded" is not an event type Clerk sends; -type supports organization.created`}},
		{"-type and -file", []string{"-url", e.url, "-secret", e.secret, "-type", "user.created", "-file", missing}, 2, []string{"-type and -file exclude each other"}},
		{"-repeat 0", []string{"-url", e.url, "-secret", e.secret, "-repeat", "0"}, 2, []string{"-repeat 0: send at least once"}},
		{"-user-id for an organization", []string{"-url", e.url, "-secret", e.secret, "-type", "organization.created", "-user-id", "user_2x"}, 2,
			[]string{"-user-id is for the user.* and organizationMembership.* types"}},
		{"-user-id with -file", []string{"-url", e.url, "-secret", e.secret, "-file", missing, "-user-id", "user_2x"}, 2, []string{"-user-id is for the events of -type"}},
		{"a missing file", []string{"-url", e.url, "-secret", e.secret, "-file", missing}, 1, []string{"missing.json: no such file"}},
		{"an unreachable endpoint", []string{"-url", unreachable, "-secret", e.secret}, 1, []string{"cannot reach " + unreachable, "connection refused"}},
		{"another endpoint's secret", []string{"-url", e.url, "-secret", clerkhooktest.NewSecret()}, 1, []string{"the endpoint refused the signature"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"send"}, tt.args...)...)

			assert.Equal(t, tt.code, code)
			assert.True(t, strings.HasPrefix(stderr, "clerkhook send: "), stderr)
			for _, want := range tt.stderr {
				assert.Contains(t, stderr, want)
			}
			assert.NotContains(t, stderr, badSecret)
			if tt.code == 2 {
				assert.Contains(t, stderr, `Run "clerkhook send -h" for help.`)
			}
		})
	}
}

func TestSendPlaysTheLifeOfOneUser(t *testing.T) {
	cleanEnv(t)
	e := newEndpoint(t)
	ctx := context.Background()
	const userID = "user_2oneLife"
	send := func(typ string) string {
		t.Helper()
		code, stdout, stderr := runCLI(t, "send", "-url", e.url, "-secret", e.secret, "-type", typ, "-user-id", userID)
		require.Equal(t, 0, code, stderr)
		m := sentObject.FindStringSubmatch(stdout)
		require.NotNil(t, m, stdout)
		assert.Contains(t, stdout, "200 OK: processed", "each event is newer than the one before")
		return m[3]
	}

	assert.Equal(t, userID, send(clerkhook.EventUserCreated))
	created, err := e.store.User(ctx, userID)
	require.NoError(t, err)
	send(clerkhook.EventUserUpdated)
	updated, err := e.store.User(ctx, userID)
	require.NoError(t, err)
	assert.Greater(t, updated.UpdatedAt, created.UpdatedAt)
	assert.NotEmpty(t, updated.PhoneNumbers, "the update's data")
	code, body, stderr := runCLI(t, "send", "-print", "-type", clerkhook.EventOrganizationMembershipCreated, "-user-id", userID)
	require.Equal(t, 0, code, stderr)
	evt, err := clerkhook.ParseEvent([]byte(body))
	require.NoError(t, err)
	m, err := evt.OrganizationMembership()
	require.NoError(t, err)
	assert.Equal(t, userID, m.UserID())
	file := filepath.Join(t.TempDir(), "membership.json")
	require.NoError(t, os.WriteFile(file, []byte(body), 0o600))
	code, _, stderr = runCLI(t, "send", "-url", e.url, "-secret", e.secret, "-file", file)
	require.Equal(t, 0, code, stderr)
	_, err = e.store.Membership(ctx, m.OrganizationID(), userID)
	require.NoError(t, err)
	assert.Equal(t, userID, send(clerkhook.EventUserDeleted))
	_, err = e.store.User(ctx, userID)
	assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
}

func TestSendPrint(t *testing.T) {
	cleanEnv(t)
	code, stdout, stderr := runCLI(t, "send", "-print", "-type", "user.updated", "-user-id", "user_2printed")

	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	evt, err := clerkhook.ParseEvent([]byte(stdout))
	require.NoError(t, err, "the body, and nothing else")
	assert.Equal(t, clerkhook.EventUserUpdated, evt.Type)
	u, err := evt.User()
	require.NoError(t, err)
	assert.Equal(t, "user_2printed", u.ID)

	file := filepath.Join(t.TempDir(), "event.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"type":"session.created","object":"event","data":{}}`), 0o600))
	code, stdout, _ = runCLI(t, "send", "-print", "-file", file)
	require.Equal(t, 0, code)
	assert.Equal(t, `{"type":"session.created","object":"event","data":{}}`, stdout, "a file's bytes as they are")

	code, _, _ = runCLI(t, "send", "-h")
	assert.Equal(t, 0, code)
}
