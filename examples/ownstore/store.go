// Package ownstore is a clerkhook store over a table the application
// already has, users(id, clerk_id, email, name), on database/sql: the
// recipe "Your own store" of the README, checked by the conformance suite.
//
// The table keeps the application's shape, a display name rather than
// Clerk's first and last names, and the store has no reader: the
// application reads its table as it always has, and the suite reads the
// two bookkeeping columns (store_test.go). It keeps no ledger either; a
// Handler gets one with clerkhook.WithDeduplicator.
package ownstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/clerkhook/clerkhook"
)

// Schema adds to the application's users table the two columns the store
// needs: Clerk's updated_at of the version held, and the time of the
// deletion, set for a tombstone. clerk_id must be unique.
const Schema = `ALTER TABLE users
	ADD COLUMN IF NOT EXISTS clerk_updated_at bigint,
	ADD COLUMN IF NOT EXISTS clerk_deleted_at bigint`

// Store keeps Clerk's users in the application's users table.
type Store struct{ db *sql.DB }

// New returns a Store over db, whose users table has the columns of Schema.
func New(db *sql.DB) *Store { return &Store{db: db} }

// UpsertUser writes u unless the table holds a newer version or a
// tombstone: the guard is in the statement, so concurrent deliveries of
// the same user cannot race. A row the application had before the sync,
// with no clerk_updated_at, takes any version.
func (s *Store) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO users AS t (clerk_id, email, name, clerk_updated_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (clerk_id) DO UPDATE SET email = excluded.email, name = excluded.name,
			clerk_updated_at = excluded.clerk_updated_at
		WHERE t.clerk_deleted_at IS NULL AND coalesce(t.clerk_updated_at, 0) <= excluded.clerk_updated_at`,
		u.ID, u.PrimaryEmail(), displayName(u), int64(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("ownstore: upsert user: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("ownstore: upsert user: %w", err)
	}
	if n == 0 {
		return clerkhook.ErrStale // a newer version or a deletion is stored
	}
	return nil
}

// DeleteUser leaves a tombstone without personal data, also for a user it
// never saw, so that a late upsert is refused.
func (s *Store) DeleteUser(ctx context.Context, id string, deletedAt time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO users AS t (clerk_id, clerk_deleted_at) VALUES ($1, $2)
		ON CONFLICT (clerk_id) DO UPDATE SET email = NULL, name = NULL,
			clerk_deleted_at = least(t.clerk_deleted_at, excluded.clerk_deleted_at)`,
		id, deletedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("ownstore: delete user: %w", err)
	}
	return nil
}

// displayName is the name the application shows: first and last name, or
// the username.
func displayName(u *clerkhook.User) string {
	var parts []string
	for _, p := range []*string{u.FirstName, u.LastName} {
		if p != nil && *p != "" {
			parts = append(parts, *p)
		}
	}
	if len(parts) == 0 && u.Username != nil {
		return *u.Username
	}
	return strings.Join(parts, " ")
}
