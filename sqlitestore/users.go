package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/sqlstore"
)

// UpsertUser stores u unless the table holds a newer version of the user or
// its tombstone; then it returns an error matching [clerkhook.ErrStale].
// The columns hold the fields services query most (email and phone are the
// primary ones), and data holds the whole user as JSON: u.Raw, the user as
// Clerk sent it, when it is set, as the decoders set it; else the encoded
// struct.
func (s *Store) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	args, err := sqlstore.UserArgs(u)
	if err == nil {
		err = s.guarded(ctx, upsertUser, args...)
	}
	if err != nil {
		return errorf("upsert user", err)
	}
	return nil
}

// DeleteUser turns the user's row into a tombstone that keeps only the id
// and deletedAt, inserting one for an unknown id, and deletes the user's
// memberships.
func (s *Store) DeleteUser(ctx context.Context, id string, deletedAt time.Time) error {
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error { return deleteUserTx(ctx, tx, id, deletedAt) }); err != nil {
		return errorf("delete user", err)
	}
	return nil
}

// deleteUserTx is DeleteUser in tx.
func deleteUserTx(ctx context.Context, tx *sql.Tx, id string, deletedAt time.Time) error {
	return sqlstore.Tombstone(ctx, tx, deleteUser, deleteUserMemberships, id, deletedAt)
}

// User returns the user with the given id as it was last stored, or an
// error matching [clerkhook.ErrUserNotFound] for an unknown or deleted id.
// It decodes the data column as the Handler decodes a delivery, and the
// user's Raw is that column.
func (s *Store) User(ctx context.Context, id string) (*clerkhook.User, error) {
	u, err := sqlstore.ReadData(ctx, s.reader, clerkhook.EventUserUpdated, (*clerkhook.Event).User,
		clerkhook.ErrUserNotFound, selectUser, id)
	if err != nil {
		return nil, errorf("read user", err)
	}
	return u, nil
}

// UserIDs returns the ids of the live users, for [clerkhook.Backfill]'s
// reconciliation.
func (s *Store) UserIDs(ctx context.Context) ([]string, error) {
	ids, err := sqlstore.IDs(ctx, s.reader, selectUserIDs)
	if err != nil {
		return nil, errorf("list users", err)
	}
	return ids, nil
}

// guarded runs a guarded write and returns an error matching
// [clerkhook.ErrStale] when its guard refused it.
func (s *Store) guarded(ctx context.Context, query string, args ...any) error {
	n, err := s.exec(ctx, query, args...)
	if err == nil && n == 0 {
		err = clerkhook.ErrStale
	}
	return err
}

// staleUnlessWritten returns an error matching [clerkhook.ErrStale] when
// the guarded upsert of res changed no row.
func staleUnlessWritten(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return clerkhook.ErrStale
	}
	return nil
}
