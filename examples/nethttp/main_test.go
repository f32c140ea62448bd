package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

func TestServerSyncsUsers(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	mux, err := newMux(secret, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_2nethttp" })
	require.NoError(t, err)
	req := clerkhooktest.NewEventRequest(t, secret, evt, clerkhooktest.WithTarget(srv.URL+"/webhooks/clerk"))
	req.RequestURI = ""
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp, err = srv.Client().Get(srv.URL + "/users/user_2nethttp")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var got map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	assert.Equal(t, "user_2nethttp", got["id"])
	assert.Contains(t, got["email"], "@")

	resp, err = srv.Client().Get(srv.URL + "/users/user_unknown")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestHealthz(t *testing.T) {
	mux, err := newMux(clerkhooktest.NewSecret(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/healthz")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok\n", string(body))

	resp, err = srv.Client().Post(srv.URL+"/healthz", "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestNewMuxRefusesABadSecret(t *testing.T) {
	_, err := newMux("not a secret", slog.New(slog.NewTextHandler(io.Discard, nil)))
	assert.ErrorIs(t, err, clerkhook.ErrInvalidSecret)
}
