package pgxstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

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
	return newFixtureOn(tb, pgtest.Connect(tb, func(c *pgxpool.Config) { c.MaxConns = 8 }), opts...)
}

// newFixtureOn is newFixture on a pool of the caller's.
func newFixtureOn(tb testing.TB, pool *pgxpool.Pool, opts ...pgxstore.Option) *fixture {
	tb.Helper()
	schema := pgtest.FreshSchema(tb, pool)
	store := pgxstore.New(pool, append([]pgxstore.Option{pgxstore.WithSchema(schema)}, opts...)...)
	require.NoError(tb, store.Migrate(context.Background()))
	return &fixture{store: store, pool: pool, schema: schema}
}

// isolationLevels are the values of default_transaction_isolation the
// store must work under: PostgreSQL's default, and the two that some teams
// set on their database or role.
var isolationLevels = []string{"read committed", "repeatable read", "serializable"}

// connectAt connects with maxConns connections whose transactions default
// to the isolation level, as on a database or role with that setting. It
// sets it per connection, never on the server, which other tests share.
func connectAt(tb testing.TB, level string, maxConns int32) *pgxpool.Pool {
	tb.Helper()
	return pgtest.Connect(tb, func(c *pgxpool.Config) {
		c.MaxConns = maxConns
		c.ConnConfig.RuntimeParams["default_transaction_isolation"] = level
	})
}

// forEachIsolationLevel runs test as a subtest for each of isolationLevels.
func forEachIsolationLevel(t *testing.T, test func(t *testing.T, level string)) {
	t.Helper()
	for _, level := range isolationLevels {
		t.Run(strings.ReplaceAll(level, " ", "_"), func(t *testing.T) { test(t, level) })
	}
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

// ageLedger moves every date of the fixture's delivery ledger d into the
// past, as if the database's clock, which dates claims, had moved on by d.
func (f *fixture) ageLedger(tb testing.TB, d time.Duration) {
	tb.Helper()
	_, err := f.pool.Exec(context.Background(), `UPDATE `+f.table("clerk_webhook_deliveries")+`
		SET claimed_at = claimed_at - $1::bigint * interval '1 microsecond',
			processed_at = processed_at - $1::bigint * interval '1 microsecond'`, d.Microseconds())
	require.NoError(tb, err)
}
