package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// delivery is a signed delivery as a runtime hands it over.
type delivery struct {
	headers map[string]string
	body    []byte
}

// sign signs payload with secret and names the headers with rename.
func sign(t testing.TB, secret string, payload []byte, rename func(string) string) delivery {
	t.Helper()
	s, err := clerkhooktest.NewSigner(secret)
	require.NoError(t, err)
	headers := make(map[string]string)
	for name, values := range s.Headers("msg_2serverless", time.Now(), payload) {
		headers[rename(name)] = values[0]
	}
	return delivery{headers: headers, body: payload}
}

func keep(name string) string { return name }

// mixedCase turns "Svix-Timestamp" into "sViX-TiMeStAmP".
func mixedCase(name string) string {
	var b strings.Builder
	for i, r := range strings.ToLower(name) {
		if i%2 == 1 {
			r = unicode.ToUpper(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func newTestFunction(t testing.TB, secret string) (*function, *clerkhook.MemoryStore) {
	t.Helper()
	store := clerkhook.NewMemoryStore()
	fn, err := newFunction(secret, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	return fn, store
}

func TestHandle(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_2serverless" })
	require.NoError(t, err)
	payload, err := json.Marshal(evt)
	require.NoError(t, err)
	anonymous, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "" })
	require.NoError(t, err)
	anonymousPayload, err := json.Marshal(anonymous)
	require.NoError(t, err)
	b64 := base64.StdEncoding.EncodeToString

	tests := []struct {
		name     string
		delivery delivery
		body     func(d delivery) string
		base64   bool
		status   int
	}{
		{name: "plain body", delivery: sign(t, secret, payload, keep), status: http.StatusOK},
		{name: "base64 body", delivery: sign(t, secret, payload, keep), body: func(d delivery) string { return b64(d.body) }, base64: true, status: http.StatusOK},
		{name: "lower-case names", delivery: sign(t, secret, payload, strings.ToLower), status: http.StatusOK},
		{name: "upper-case names", delivery: sign(t, secret, payload, strings.ToUpper), status: http.StatusOK},
		{name: "mixed-case names", delivery: sign(t, secret, payload, mixedCase), status: http.StatusOK},
		{name: "forged", delivery: sign(t, clerkhooktest.NewSecret(), payload, strings.ToLower), status: http.StatusUnauthorized},
		{name: "base64 text verified as the body", delivery: sign(t, secret, payload, keep), body: func(d delivery) string { return b64(d.body) }, status: http.StatusUnauthorized},
		{name: "not base64", delivery: sign(t, secret, payload, keep), body: func(delivery) string { return "{not base64" }, base64: true, status: http.StatusBadRequest},
		{name: "no signature", delivery: delivery{headers: map[string]string{"svix-id": "msg_2serverless"}, body: payload}, status: http.StatusBadRequest},
		{name: "signed non-event", delivery: sign(t, secret, []byte(`[1,2,3]`), keep), status: http.StatusBadRequest},
		{name: "signed user without id", delivery: sign(t, secret, anonymousPayload, keep), status: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, store := newTestFunction(t, secret)
			body := string(tt.delivery.body)
			if tt.body != nil {
				body = tt.body(tt.delivery)
			}
			assert.Equal(t, tt.status, fn.handle(context.Background(), tt.delivery.headers, body, tt.base64))

			u, err := store.User(context.Background(), "user_2serverless")
			if tt.status == http.StatusOK {
				require.NoError(t, err)
				assert.Equal(t, "user_2serverless", u.ID)
			} else {
				assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
			}
		})
	}
}

func TestHandleKeepsDeletedUsersDeleted(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	fn, store := newTestFunction(t, secret)
	created, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_2serverless" })
	require.NoError(t, err)
	deleted, err := clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = "user_2serverless" })
	require.NoError(t, err)

	// The creation arrives again after the deletion, as a retry may.
	for _, evt := range []*clerkhook.Event{created, deleted, created} {
		payload, err := json.Marshal(evt)
		require.NoError(t, err)
		d := sign(t, secret, payload, strings.ToLower)
		require.Equal(t, http.StatusOK, fn.handle(context.Background(), d.headers, string(d.body), false), evt.Type)
	}
	_, err = store.User(context.Background(), "user_2serverless")
	assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
}

// failingStore fails every write.
type failingStore struct{}

func (failingStore) UpsertUser(context.Context, *clerkhook.User) error {
	return assert.AnError
}

func (failingStore) DeleteUser(context.Context, string, time.Time) error {
	return assert.AnError
}

func TestHandleAnswers500WhenTheStoreFails(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	fn, err := newFunction(secret, failingStore{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	evt, err := clerkhooktest.UserUpdated()
	require.NoError(t, err)
	payload, err := json.Marshal(evt)
	require.NoError(t, err)
	d := sign(t, secret, payload, keep)
	assert.Equal(t, http.StatusInternalServerError, fn.handle(context.Background(), d.headers, string(d.body), false))
}

func TestDeliveryID(t *testing.T) {
	tests := []struct {
		headers map[string]string
		want    string
	}{
		{map[string]string{"svix-id": "msg_1"}, "msg_1"},
		{map[string]string{"SVIX-ID": "msg_1"}, "msg_1"},
		{map[string]string{"webhook-id": "msg_2"}, "msg_2"},
		{map[string]string{"content-type": "application/json"}, ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, deliveryID(tt.headers), "%v", tt.headers)
	}
}
