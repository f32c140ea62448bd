package mysqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook/mysqlstore"
)

// defaultTestURL is the MariaDB of the development machines and of CI.
const defaultTestURL = "mysql://root@127.0.0.1:3306/test"

// testDatabase creates a database of its own on the server of
// CLERKHOOK_TEST_MYSQL_URL (default defaultTestURL), dropped when the test
// ends, and returns a pool over it. Without a server it skips the test,
// or fails it when CLERKHOOK_REQUIRE_DB=1.
func testDatabase(tb testing.TB) *sql.DB {
	tb.Helper()
	cfg := testConfig(tb)
	admin := open(tb, cfg)
	if err := admin.PingContext(context.Background()); err != nil {
		if os.Getenv("CLERKHOOK_REQUIRE_DB") == "1" {
			tb.Fatalf("MySQL at CLERKHOOK_TEST_MYSQL_URL is unreachable: %v", err)
		}
		tb.Skipf("MySQL at CLERKHOOK_TEST_MYSQL_URL is unreachable (set it, or CLERKHOOK_REQUIRE_DB=1 to fail instead): %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "clerkhook_test_" + hex.EncodeToString(b[:])
	_, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	require.NoError(tb, err)
	tb.Cleanup(func() {
		_, err := admin.Exec("DROP DATABASE " + name)
		require.NoError(tb, err)
	})
	cfg.DBName = name
	db := open(tb, cfg)
	db.SetMaxOpenConns(16)
	return db
}

// testConfig returns the driver configuration of CLERKHOOK_TEST_MYSQL_URL,
// or of defaultTestURL.
func testConfig(tb testing.TB) *mysql.Config {
	tb.Helper()
	rawURL := os.Getenv("CLERKHOOK_TEST_MYSQL_URL")
	if rawURL == "" {
		rawURL = defaultTestURL
	}
	cfg, err := mysqlstore.ParseURL(rawURL)
	require.NoError(tb, err, "CLERKHOOK_TEST_MYSQL_URL")
	return cfg
}

// reopen returns another pool on the database of db, whose configuration
// configure changes, closed when the test ends.
func reopen(tb testing.TB, db *sql.DB, configure func(*mysql.Config)) *sql.DB {
	tb.Helper()
	cfg := testConfig(tb)
	require.NoError(tb, db.QueryRow(`SELECT DATABASE()`).Scan(&cfg.DBName))
	configure(cfg)
	return open(tb, cfg)
}

func open(tb testing.TB, cfg *mysql.Config) *sql.DB {
	tb.Helper()
	connector, err := mysql.NewConnector(cfg)
	require.NoError(tb, err)
	db := sql.OpenDB(connector)
	tb.Cleanup(func() { db.Close() })
	return db
}

// newStore returns a migrated store over db.
func newStore(tb testing.TB, db *sql.DB, opts ...mysqlstore.Option) *mysqlstore.Store {
	tb.Helper()
	s := mysqlstore.New(db, opts...)
	require.NoError(tb, s.Migrate(context.Background()))
	return s
}
