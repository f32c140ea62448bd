package mysqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/clerkhook/clerkhook"
)

// UpsertUser stores u unless the table holds a newer version of the user or
// its tombstone; then it returns an error matching [clerkhook.ErrStale].
// The columns hold the fields services query most (email and phone are the
// primary ones), and data holds the whole user as JSON: u.Raw, the user as
// Clerk sent it, when it is set, as the decoders set it; else the encoded
// struct.
func (s *Store) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	args, err := userArgs(u)
	if err != nil {
		return errorf("upsert user", err)
	}
	var written error
	err = s.write(ctx, func(tx *sql.Tx) (err error) {
		written, err = upsertUserTx(ctx, tx, args)
		return err
	})
	if err == nil {
		err = written
	}
	if err != nil {
		return errorf("upsert user", err)
	}
	return nil
}

// upsertUserTx is UpsertUser in tx, with the parameters of userArgs. Its
// first result matches [clerkhook.ErrStale] when the guard refused the
// user; its second is the failure of a statement.
func upsertUserTx(ctx context.Context, tx *sql.Tx, args []any) (stale, err error) {
	res, err := tx.ExecContext(ctx, upsertUser, args...)
	if err != nil {
		return nil, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	err = appliedUnlessRefused(ctx, tx, n, userApplied, args[0], args[10])
	if errors.Is(err, clerkhook.ErrStale) {
		return err, nil
	}
	return nil, err
}

// DeleteUser turns the user's row into a tombstone that keeps only the id
// and deletedAt, inserting one for an unknown id, and deletes the user's
// memberships.
func (s *Store) DeleteUser(ctx context.Context, id string, deletedAt time.Time) error {
	if err := s.write(ctx, func(tx *sql.Tx) error { return deleteUserTx(ctx, tx, id, deletedAt) }); err != nil {
		return errorf("delete user", err)
	}
	return nil
}

// deleteUserTx is DeleteUser in tx.
func deleteUserTx(ctx context.Context, tx *sql.Tx, id string, deletedAt time.Time) error {
	if _, err := tx.ExecContext(ctx, deleteUser, id, millis(deletedAt)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, deleteUserMemberships, millis(deletedAt), id)
	return err
}

// User returns the user with the given id as it was last stored, or an
// error matching [clerkhook.ErrUserNotFound] for an unknown or deleted id.
// It decodes the data column as the Handler decodes a delivery, and the
// user's Raw is that column.
func (s *Store) User(ctx context.Context, id string) (*clerkhook.User, error) {
	u, err := readData(ctx, s, clerkhook.EventUserUpdated, (*clerkhook.Event).User, selectUser, id)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = clerkhook.ErrUserNotFound
		}
		return nil, errorf("read user", err)
	}
	return u, nil
}

// UserIDs returns the ids of the live users, for [clerkhook.Backfill]'s
// reconciliation.
func (s *Store) UserIDs(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, selectUserIDs)
	if err != nil {
		return nil, errorf("list users", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, errorf("list users", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, errorf("list users", err)
	}
	return ids, nil
}

// userArgs returns the parameters of upsertUser for u.
func userArgs(u *clerkhook.User) ([]any, error) {
	data, err := recordData(u.Raw, u)
	if err != nil {
		return nil, err
	}
	return []any{u.ID, nullString(u.PrimaryEmail()), u.FirstName, u.LastName, u.Username, nullString(u.ImageURL),
		nullString(u.PrimaryPhone()), u.ExternalID, u.Banned, int64(u.CreatedAt), int64(u.UpdatedAt), data}, nil
}
