package ownstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/examples/ownstore"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// app is the application's database: a fresh schema holding its users
// table, with the columns of ownstore.Schema.
type app struct {
	db     *sql.DB
	pool   *pgxpool.Pool // on the same database, without the schema on its search_path
	schema string
}

func appDatabase(t *testing.T) app {
	t.Helper()
	pool := pgtest.Connect(t, nil)
	schema := pgtest.FreshSchema(t, pool)
	_, err := pool.Exec(context.Background(), `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize())
	require.NoError(t, err)
	cfg := pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	for _, stmt := range []string{
		`CREATE TABLE users (id bigserial PRIMARY KEY, clerk_id text UNIQUE, email text, name text)`,
		ownstore.Schema,
	} {
		_, err = db.Exec(stmt)
		require.NoError(t, err)
	}
	return app{db: db, pool: pool, schema: schema}
}

// versioned is the store with the narrow reader the suite checks it
// through: the bookkeeping columns of a user's row, read by the test.
type versioned struct {
	*ownstore.Store
	db *sql.DB
}

func (s versioned) UserVersion(ctx context.Context, id string) (clerkhooktest.Version, error) {
	var v clerkhooktest.Version
	var updatedAt sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT clerk_updated_at, clerk_deleted_at IS NOT NULL FROM users WHERE clerk_id = $1`, id).
		Scan(&updatedAt, &v.Deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("%w: %s", clerkhook.ErrUserNotFound, id)
	}
	if err != nil {
		return v, fmt.Errorf("read version of %s: %w", id, err)
	}
	v.UpdatedAt = clerkhook.UnixMilli(updatedAt.Int64)
	return v, nil
}

func TestConformance(t *testing.T) {
	db := appDatabase(t).db
	clerkhooktest.TestVersionedStore(t, func(*testing.T) clerkhooktest.VersionedStore {
		return versioned{ownstore.New(db), db}
	})
}

// TestWithLedger attaches a ledger, which the store lacks: a delivery sent
// again is a duplicate. pgxstore's ledger, alone, creates its table and
// none of pgxstore's others, and remembers deliveries across a restart.
func TestWithLedger(t *testing.T) {
	tests := []struct {
		name      string
		newLedger func(t *testing.T, a app) clerkhook.Deduplicator
		durable   bool
	}{
		{
			name:      "memory",
			newLedger: func(*testing.T, app) clerkhook.Deduplicator { return clerkhook.NewMemoryStore() },
		},
		{
			name: "pgxstore",
			newLedger: func(t *testing.T, a app) clerkhook.Deduplicator {
				ledger := pgxstore.NewLedger(a.pool, pgxstore.WithSchema(a.schema))
				require.NoError(t, ledger.Migrate(context.Background()))
				assert.True(t, a.hasTable(t, "clerk_webhook_deliveries"), "Migrate created no ledger table")
				assert.False(t, a.hasTable(t, "clerk_users"), "the ledger's Migrate created pgxstore's users table")
				return ledger
			},
			durable: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := appDatabase(t)
			secret := clerkhooktest.NewSecret()
			evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.FirstName, u.LastName = ptr("Ada"), ptr("Lovelace") })
			require.NoError(t, err)
			serve := func(h http.Handler, want string) {
				t.Helper()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
				assert.Equal(t, http.StatusOK, rec.Code)
				assert.Equal(t, want, rec.Body.String())
			}
			newHandler := func() http.Handler {
				t.Helper()
				h, err := clerkhook.NewHandler(secret, ownstore.New(a.db), clerkhook.WithDeduplicator(tt.newLedger(t, a)))
				require.NoError(t, err)
				return h
			}
			h := newHandler()
			serve(h, "processed\n")
			serve(h, "duplicate\n")
			if tt.durable {
				serve(newHandler(), "duplicate\n") // after a restart
			}
			u, err := evt.User()
			require.NoError(t, err)
			var name string
			require.NoError(t, a.db.QueryRowContext(context.Background(), `SELECT name FROM users WHERE clerk_id = $1`, u.ID).Scan(&name))
			assert.Equal(t, "Ada Lovelace", name)
		})
	}
}

// hasTable reports whether the application's schema has the table name.
func (a app) hasTable(t *testing.T, name string) bool {
	t.Helper()
	var exists bool
	require.NoError(t, a.pool.QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`,
		pgx.Identifier{a.schema, name}.Sanitize()).Scan(&exists))
	return exists
}

func ptr[T any](v T) *T { return &v }
