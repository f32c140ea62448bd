package ownstore_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/examples/ownstore"
	"github.com/clerkhook/clerkhook/internal/pgtest"
)

// appDatabase returns a database/sql pool over a fresh schema holding the
// application's users table, with the columns of ownstore.Schema.
func appDatabase(t *testing.T) *sql.DB {
	t.Helper()
	pool := pgtest.Connect(t, nil)
	cfg := pool.Config().ConnConfig.Copy()
	schema := pgx.Identifier{pgtest.FreshSchema(t, pool)}.Sanitize()
	_, err := pool.Exec(context.Background(), `CREATE SCHEMA `+schema)
	require.NoError(t, err)
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	for _, stmt := range []string{
		`CREATE TABLE users (id bigserial PRIMARY KEY, clerk_id text UNIQUE, email text, name text)`,
		ownstore.Schema,
	} {
		_, err = db.Exec(stmt)
		require.NoError(t, err)
	}
	return db
}

func TestConformance(t *testing.T) {
	db := appDatabase(t)
	clerkhooktest.TestUserStore(t, func(*testing.T) clerkhooktest.Store { return ownstore.New(db) })
}

// TestWithLedger attaches a ledger in memory, which the store lacks: a
// delivery sent again is a duplicate.
func TestWithLedger(t *testing.T) {
	db := appDatabase(t)
	secret := clerkhooktest.NewSecret()
	h, err := clerkhook.NewHandler(secret, ownstore.New(db), clerkhook.WithDeduplicator(clerkhook.NewMemoryStore()))
	require.NoError(t, err)
	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.FirstName, u.LastName = ptr("Ada"), ptr("Lovelace") })
	require.NoError(t, err)
	for _, want := range []string{"processed\n", "duplicate\n"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, want, rec.Body.String())
	}
	u, err := evt.User()
	require.NoError(t, err)
	var name string
	require.NoError(t, db.QueryRowContext(context.Background(), `SELECT name FROM users WHERE clerk_id = $1`, u.ID).Scan(&name))
	assert.Equal(t, "Ada Lovelace", name)
}

func ptr[T any](v T) *T { return &v }
