package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook/pgxstore"
)

// defaultDatabaseURL is the server the tests use unless
// CLERKHOOK_TEST_DATABASE_URL names another.
const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testDatabase is a schema of its own in the test database.
type testDatabase struct {
	url    string
	schema string
	pool   *pgxpool.Pool
}

// newTestDatabase connects to the test database and names a fresh schema,
// dropped when the test ends. It skips the test when the database cannot
// be reached, unless CLERKHOOK_REQUIRE_DB is "1": then it fails.
func newTestDatabase(t *testing.T) *testDatabase {
	t.Helper()
	url := os.Getenv("CLERKHOOK_TEST_DATABASE_URL")
	if url == "" {
		url = defaultDatabaseURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		if os.Getenv("CLERKHOOK_REQUIRE_DB") == "1" {
			t.Fatalf("PostgreSQL is unreachable and CLERKHOOK_REQUIRE_DB=1: %v", err)
		}
		t.Skipf("PostgreSQL is unreachable (set CLERKHOOK_TEST_DATABASE_URL, or CLERKHOOK_REQUIRE_DB=1 to fail instead): %v", err)
	}
	t.Cleanup(pool.Close)
	b := make([]byte, 6)
	_, err = rand.Read(b)
	require.NoError(t, err)
	db := &testDatabase{url: url, schema: "clerkhook_cli_" + hex.EncodeToString(b), pool: pool}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{db.schema}.Sanitize()+` CASCADE`)
		require.NoError(t, err, "drop test schema")
	})
	return db
}

// store returns a migrated store over the test schema.
func (db *testDatabase) store(t *testing.T) *pgxstore.Store {
	t.Helper()
	s := pgxstore.New(db.pool, pgxstore.WithSchema(db.schema))
	require.NoError(t, s.Migrate(context.Background()))
	return s
}
