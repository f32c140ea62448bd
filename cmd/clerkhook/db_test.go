package main

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// testDatabase is a schema of its own in the test database.
type testDatabase struct {
	url    string
	schema string
	pool   *pgxpool.Pool
}

// newTestDatabase connects to the test database (see pgtest.Connect) and
// names a fresh schema, dropped when the test ends.
func newTestDatabase(t *testing.T) *testDatabase {
	t.Helper()
	pool := pgtest.Connect(t, nil)
	return &testDatabase{url: pool.Config().ConnString(), schema: pgtest.FreshSchema(t, pool), pool: pool}
}

// store returns a migrated store over the test schema.
func (db *testDatabase) store(t *testing.T) *pgxstore.Store {
	t.Helper()
	s := pgxstore.New(db.pool, pgxstore.WithSchema(db.schema))
	require.NoError(t, s.Migrate(context.Background()))
	return s
}
