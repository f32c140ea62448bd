// Package pgtest connects tests to the PostgreSQL server they run against
// and gives each test a schema of its own.
package pgtest

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
)

// DefaultURL is the server the tests use unless CLERKHOOK_TEST_DATABASE_URL
// names another.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Connect returns a pool on the test database, closed when the test ends.
// configure, when not nil, adjusts the pool's configuration. It skips the
// test when the database cannot be reached, unless CLERKHOOK_REQUIRE_DB is
// "1": then it fails, as in CI.
func Connect(tb testing.TB, configure func(*pgxpool.Config)) *pgxpool.Pool {
	tb.Helper()
	url := os.Getenv("CLERKHOOK_TEST_DATABASE_URL")
	if url == "" {
		url = DefaultURL
	}
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(tb, err, "CLERKHOOK_TEST_DATABASE_URL")
	if configure != nil {
		configure(cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		if os.Getenv("CLERKHOOK_REQUIRE_DB") == "1" {
			tb.Fatalf("PostgreSQL is unreachable and CLERKHOOK_REQUIRE_DB=1: %v", err)
		}
		tb.Skipf("PostgreSQL is unreachable (set CLERKHOOK_TEST_DATABASE_URL, or CLERKHOOK_REQUIRE_DB=1 to fail instead): %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// FreshSchema returns the name of a schema that does not exist yet and is
// dropped, with everything in it, when the test ends. The name needs
// quoting, which checks that the code under test quotes it.
func FreshSchema(tb testing.TB, pool *pgxpool.Pool) string {
	tb.Helper()
	return freshSchema(tb, pool, "clerkhook Test ")
}

// FreshPlainSchema is [FreshSchema] with a name that needs no quoting, for
// code that takes only plain identifiers, such as River's.
func FreshPlainSchema(tb testing.TB, pool *pgxpool.Pool) string {
	tb.Helper()
	return freshSchema(tb, pool, "clerkhook_test_")
}

func freshSchema(tb testing.TB, pool *pgxpool.Pool, prefix string) string {
	tb.Helper()
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(tb, err)
	name := prefix + hex.EncodeToString(b)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`)
		require.NoError(tb, err, "drop test schema")
	})
	return name
}
