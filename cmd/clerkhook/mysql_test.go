package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/mysqlstore"
)

// newMySQLDatabase creates a database of its own on the server of
// CLERKHOOK_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test),
// dropped when the test ends, and returns its URL and a pool over it. It
// skips the test without a server, or fails it when CLERKHOOK_REQUIRE_DB=1.
func newMySQLDatabase(t *testing.T) (string, *sql.DB) {
	t.Helper()
	rawURL := os.Getenv("CLERKHOOK_TEST_MYSQL_URL")
	if rawURL == "" {
		rawURL = "mysql://root@127.0.0.1:3306/test"
	}
	cfg, err := mysqlstore.ParseURL(rawURL)
	require.NoError(t, err, "CLERKHOOK_TEST_MYSQL_URL")
	connect := func(cfg *mysql.Config) *sql.DB {
		connector, err := mysql.NewConnector(cfg)
		require.NoError(t, err)
		db := sql.OpenDB(connector)
		t.Cleanup(func() { db.Close() })
		return db
	}
	admin := connect(cfg)
	if err := admin.Ping(); err != nil {
		if os.Getenv("CLERKHOOK_REQUIRE_DB") == "1" {
			t.Fatalf("MySQL at CLERKHOOK_TEST_MYSQL_URL is unreachable: %v", err)
		}
		t.Skipf("MySQL at CLERKHOOK_TEST_MYSQL_URL is unreachable (set it, or CLERKHOOK_REQUIRE_DB=1 to fail instead): %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "clerkhook_test_" + hex.EncodeToString(b[:])
	_, err = admin.Exec("CREATE DATABASE " + name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.Exec("DROP DATABASE " + name)
		require.NoError(t, err)
	})
	own := cfg.Clone()
	own.DBName = name
	return strings.TrimSuffix(rawURL, "/"+cfg.DBName) + "/" + name, connect(own)
}

func TestServeWithMySQL(t *testing.T) {
	cleanEnv(t)
	dbURL, db := newMySQLDatabase(t)
	secret := clerkhooktest.NewSecret()
	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_2servedByMySQL" })
	require.NoError(t, err)
	body, err := json.Marshal(evt)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "event.json")
	require.NoError(t, os.WriteFile(file, body, 0o600))
	s := startServe(t, "-addr", "127.0.0.1:0", "-secret", secret, "-database-url", dbURL, "-log-format", "json")
	base := "http://" + s.waitFor(t, listeningJSON)[1]

	code, stdout, stderr := runCLI(t, "send", "-url", base+"/webhooks/clerk", "-secret", secret, "-file", file, "-repeat", "2")

	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "attempt 1/2: 200 OK: processed\nattempt 2/2: 200 OK: duplicate\n")
	got, err := mysqlstore.New(db).User(context.Background(), "user_2servedByMySQL")
	require.NoError(t, err)
	want, err := evt.User()
	require.NoError(t, err)
	assert.Equal(t, want.PrimaryEmail(), got.PrimaryEmail())
	status, _ := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 0, s.stop(t))
	assert.Contains(t, s.stderr(), `"msg":"using MySQL"`)
}
