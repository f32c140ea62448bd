package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// The SQL of the README's "Your own tables": a view over clerk_users for
// reads, and a table of the app with a foreign key to clerk_users(id).
const (
	usersView = `CREATE VIEW users AS
SELECT id, email, first_name, last_name, username, image_url, created_at, updated_at, data
FROM clerk_users
WHERE deleted_at IS NULL`
	notesTable = `CREATE TABLE notes (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id text NOT NULL REFERENCES clerk_users (id),
    body    text NOT NULL
)`
)

// deleteNotes is the README's hook: it deletes a deleted user's notes.
func deleteNotes(ctx context.Context, tx pgx.Tx, c pgxstore.Change) error {
	if c.Object == pgxstore.ObjectUser && c.Kind == pgxstore.ChangeDeleted {
		_, err := tx.Exec(ctx, `DELETE FROM notes WHERE user_id = $1`, c.UserID)
		return err
	}
	return nil
}

// TestViewAndForeignKeys checks what the README says of the pattern: the
// view lists live users only; a foreign key to clerk_users(id) refuses an
// id the store has not seen and holds after a deletion, which leaves a
// tombstone, so that ON DELETE CASCADE never fires and the hook deletes
// what goes with the user.
func TestViewAndForeignKeys(t *testing.T) {
	setupPool := pgtest.Connect(t, nil)
	schema := pgtest.FreshSchema(t, setupPool)
	pool := pgtest.Connect(t, func(c *pgxpool.Config) {
		c.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	})
	ctx := context.Background()
	store := pgxstore.New(pool, pgxstore.WithSchema(schema), pgxstore.WithChangeHook(deleteNotes))
	require.NoError(t, store.Migrate(ctx))
	for _, sql := range []string{usersView, notesTable,
		// Beside it, a table whose cascade waits for a DELETE that never comes.
		`CREATE TABLE likes (user_id text NOT NULL REFERENCES clerk_users (id) ON DELETE CASCADE)`,
	} {
		_, err := pool.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		require.NoError(t, pool.QueryRow(ctx, sql, args...).Scan(&n), sql)
		return n
	}

	alice, bob := person{id: "user_own_alice"}, person{id: "user_own_bob"}
	for _, p := range []person{alice, bob} {
		require.NoError(t, store.UpsertUser(ctx, p.version(1)))
		for _, sql := range []string{`INSERT INTO notes (user_id, body) VALUES ($1, 'hello')`, `INSERT INTO likes (user_id) VALUES ($1)`} {
			_, err := pool.Exec(ctx, sql, p.id)
			require.NoError(t, err)
		}
	}
	_, err := pool.Exec(ctx, `INSERT INTO notes (user_id, body) VALUES ('user_own_not_synced_yet', 'hello')`)
	var pgErr *pgconn.PgError
	require.True(t, errors.As(err, &pgErr), "%v", err)
	assert.Equal(t, "23503", pgErr.Code, "a user whose user.created has not arrived has no row to reference")
	assert.Equal(t, 2, count(`SELECT count(*) FROM notes n JOIN users u ON u.id = n.user_id`))

	require.NoError(t, store.DeleteUser(ctx, alice.id, time.UnixMilli(int64(at(2)))))
	assert.Equal(t, 1, count(`SELECT count(*) FROM users`), "the view lists live users")
	assert.Equal(t, 0, count(`SELECT count(*) FROM users WHERE id = $1`, alice.id))
	assert.Equal(t, 1, count(`SELECT count(*) FROM clerk_users WHERE id = $1 AND deleted_at IS NOT NULL`, alice.id), "the tombstone")
	assert.Equal(t, 0, count(`SELECT count(*) FROM notes WHERE user_id = $1`, alice.id), "the hook deleted the notes")
	assert.Equal(t, 1, count(`SELECT count(*) FROM notes WHERE user_id = $1`, bob.id))
	assert.Equal(t, 1, count(`SELECT count(*) FROM likes WHERE user_id = $1`, alice.id), "ON DELETE CASCADE did not fire")
}
