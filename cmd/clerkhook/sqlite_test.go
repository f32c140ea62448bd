package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/sqlitestore"
)

// TestServeWithSQLiteSurvivesRestart delivers a user to "clerkhook serve
// -database-url sqlite:PATH", stops the server, starts it again on the same
// file, and checks that the user and the record of the delivery are there:
// the same delivery sent again is a duplicate.
func TestServeWithSQLiteSurvivesRestart(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "clerk.db")
	secret := clerkhooktest.NewSecret()
	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_2servedBySQLite" })
	require.NoError(t, err)
	body, err := json.Marshal(evt)
	require.NoError(t, err)
	file := filepath.Join(dir, "event.json")
	require.NoError(t, os.WriteFile(file, body, 0o600))
	const deliveryID = "msg_2servedBySQLite"

	for i, want := range []string{"200 OK: processed", "200 OK: duplicate"} {
		s := startServe(t, "-addr", "127.0.0.1:0", "-secret", secret, "-database-url", dbURL, "-log-format", "json")
		base := "http://" + s.waitFor(t, listeningJSON)[1]
		code, stdout, stderr := runCLI(t, "send", "-url", base+"/webhooks/clerk", "-secret", secret, "-file", file, "-id", deliveryID)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, want, "run %d of the server", i+1)
		status, _ := get(t, base+"/healthz")
		assert.Equal(t, http.StatusOK, status)
		require.Equal(t, 0, s.stop(t))
		assert.Contains(t, s.stderr(), `"msg":"using SQLite"`)
	}

	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, filepath.Join(dir, "clerk.db"))
	require.NoError(t, err)
	defer store.Close()
	got, err := store.User(ctx, "user_2servedBySQLite")
	require.NoError(t, err)
	want, err := evt.User()
	require.NoError(t, err)
	assert.Equal(t, want.PrimaryEmail(), got.PrimaryEmail())
}

func TestSQLitePath(t *testing.T) {
	tests := []struct {
		url, path string
		ok        bool
	}{
		{"sqlite:clerk.db", "clerk.db", true},
		{"sqlite:/var/lib/clerk.db", "/var/lib/clerk.db", true},
		{"sqlite:///var/lib/clerk.db", "/var/lib/clerk.db", true},
		{"sqlite://clerk.db", "clerk.db", true},
		{"postgres://postgres@127.0.0.1:5432/test", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		path, ok := sqlitePath(tt.url)
		assert.Equal(t, tt.ok, ok, tt.url)
		assert.Equal(t, tt.path, path, tt.url)
	}
}

func TestServeWithSQLiteInAMissingDirectory(t *testing.T) {
	cleanEnv(t)
	path := filepath.Join(t.TempDir(), "missing", "clerk.db")
	code, _, stderr := runCLI(t, "serve", "-addr", "127.0.0.1:0", "-secret", clerkhooktest.NewSecret(), "-database-url", "sqlite:"+path)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "clerkhook serve: opening the SQLite database")
}
