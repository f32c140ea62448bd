package pgxstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
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

// connect returns a pool on the test database, closed when the test ends.
// configure, when not nil, adjusts the pool's configuration. It skips the
// test when the database cannot be reached, unless CLERKHOOK_REQUIRE_DB is
// "1": then it fails.
func connect(tb testing.TB, configure func(*pgxpool.Config)) *pgxpool.Pool {
	tb.Helper()
	url := os.Getenv("CLERKHOOK_TEST_DATABASE_URL")
	if url == "" {
		url = defaultDatabaseURL
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

// freshSchema returns the name of a schema that does not exist yet and is
// dropped, with everything in it, when the test ends. The name needs
// quoting, which checks that the store quotes it.
func freshSchema(tb testing.TB, pool *pgxpool.Pool) string {
	tb.Helper()
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(tb, err)
	name := "clerkhook Test " + hex.EncodeToString(b)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`)
		require.NoError(tb, err, "drop test schema")
	})
	return name
}

// fixture is a migrated store in a fresh schema, with the pool it uses.
type fixture struct {
	store  *pgxstore.Store
	pool   *pgxpool.Pool
	schema string
}

// newFixture connects with 8 connections, creates a fresh schema and
// migrates a store with opts into it.
func newFixture(tb testing.TB, opts ...pgxstore.Option) *fixture {
	tb.Helper()
	return newFixtureOn(tb, connect(tb, func(c *pgxpool.Config) { c.MaxConns = 8 }), opts...)
}

// newFixtureOn is newFixture on a pool of the caller's.
func newFixtureOn(tb testing.TB, pool *pgxpool.Pool, opts ...pgxstore.Option) *fixture {
	tb.Helper()
	schema := freshSchema(tb, pool)
	store := pgxstore.New(pool, append([]pgxstore.Option{pgxstore.WithSchema(schema)}, opts...)...)
	require.NoError(tb, store.Migrate(context.Background()))
	return &fixture{store: store, pool: pool, schema: schema}
}

// table returns the quoted name of one of the fixture's tables.
func (f *fixture) table(name string) string {
	return pgx.Identifier{f.schema, name}.Sanitize()
}

// row returns the row of table whose key columns equal key, as a map of
// column names to values decoded from JSON.
func (f *fixture) row(t *testing.T, table, where string, key ...any) map[string]any {
	t.Helper()
	var row map[string]any
	err := f.pool.QueryRow(context.Background(),
		`SELECT to_jsonb(t) FROM `+f.table(table)+` t WHERE `+where, key...).Scan(&row)
	require.NoError(t, err)
	return row
}

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
