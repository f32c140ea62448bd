package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// app holds the SQL of the application's own tables in one schema, the
// schema of the pgxstore tables it references.
type app struct {
	schema     string
	migration  string
	upsertUser string
	deleteUser string
}

// newApp returns the app whose tables live in schema.
func newApp(schema string) *app {
	users := pgx.Identifier{schema, "app_users"}.Sanitize()
	projects := pgx.Identifier{schema, "projects"}.Sanitize()
	clerkUsers := pgx.Identifier{schema, "clerk_users"}.Sanitize()
	return &app{
		schema: schema,
		migration: fmt.Sprintf(`
-- The application's users: its own key, which its other tables reference,
-- and columns it owns (plan) beside the copy of what Clerk knows. The
-- foreign key to clerk_users holds for as long as the row lives: the hook
-- writes a row only in the transaction that wrote its clerk_users row, and
-- pgxstore never deletes a clerk_users row (a deletion leaves a tombstone).
CREATE TABLE IF NOT EXISTS %[1]s (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clerk_id     text NOT NULL UNIQUE REFERENCES %[3]s (id),
    email        text,
    display_name text,
    plan         text NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'team')),
    -- When the user signed up: Clerk's created_at.
    created_at   timestamptz NOT NULL
);

-- The application's data. A user's projects go with the user (ON DELETE
-- CASCADE): a project here belongs to one person, and user.deleted means
-- that the person, or an administrator for them, deleted the account, so
-- what the app keeps about them goes too. An app whose projects outlive
-- their owner (shared with a team, say) would make owner_id nullable and
-- use ON DELETE SET NULL instead, keeping the project and forgetting who
-- made it.
CREATE TABLE IF NOT EXISTS %[2]s (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   bigint NOT NULL REFERENCES %[1]s (id) ON DELETE CASCADE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The cascade finds a user's projects through it.
CREATE INDEX IF NOT EXISTS projects_owner_id_idx ON %[2]s (owner_id);
`, users, projects, clerkUsers),
		// No ordering guard: the hook runs only for a version pgxstore
		// applied, in the transaction that holds the lock of its clerk_users
		// row, so the versions of one user reach this statement one at a
		// time, each newer than the one before. plan is the app's and is never set here;
		// nor is created_at, which Clerk does not change.
		upsertUser: fmt.Sprintf(`INSERT INTO %s AS u (clerk_id, email, display_name, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (clerk_id) DO UPDATE SET email = excluded.email, display_name = excluded.display_name`, users),
		deleteUser: fmt.Sprintf(`DELETE FROM %s WHERE clerk_id = $1`, users),
	}
}

// migrate creates the app's tables, after the store's, which app_users
// references. Every replica may run it at start-up: a transaction-scoped
// advisory lock serializes them, as CREATE TABLE IF NOT EXISTS alone does
// not, and READ COMMITTED, whatever the role's default, lets the statements
// after the lock see what its previous holder committed.
func (a *app) migrate(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("owntable: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // a no-op after Commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "owntable migrate "+a.schema); err != nil {
		return fmt.Errorf("owntable: migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, a.migration); err != nil {
		return fmt.Errorf("owntable: migrate: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("owntable: migrate: %w", err)
	}
	return nil
}

// hook is the [pgxstore.ChangeHook] that keeps app_users in step with
// clerk_users. It runs in the transaction of the store's write, so the two
// tables commit together or not at all: when it fails, the store's write
// is rolled back and Clerk retries the delivery.
func (a *app) hook(ctx context.Context, tx pgx.Tx, c pgxstore.Change) error {
	if c.Object != pgxstore.ObjectUser {
		return nil
	}
	switch c.Kind {
	case pgxstore.ChangeCreated, pgxstore.ChangeUpdated:
		u := c.User
		_, err := tx.Exec(ctx, a.upsertUser, u.ID, nullString(u.PrimaryEmail()), nullString(displayName(u)),
			time.UnixMilli(int64(u.CreatedAt)).UTC())
		if err != nil {
			return fmt.Errorf("owntable: upsert the app user: %w", err)
		}
	case pgxstore.ChangeDeleted:
		// Also for a user the app never saw (user.deleted arrived first):
		// then it deletes nothing, and the tombstone pgxstore wrote refuses
		// the user.created still on its way, which reaches no hook.
		if _, err := tx.Exec(ctx, a.deleteUser, c.UserID); err != nil {
			return fmt.Errorf("owntable: delete the app user: %w", err)
		}
	}
	return nil
}

// displayName is what the app shows for a user: the first and last name,
// else the username, else nothing.
func displayName(u *clerkhook.User) string {
	if name := u.FullName(); name != "" {
		return name
	}
	if u.Username != nil {
		return *u.Username
	}
	return ""
}

// nullString maps "" to SQL NULL: a phone-only user has no email, and a
// user may have no name.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
