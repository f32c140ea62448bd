package pgxstore

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clerkhook/clerkhook"
)

// UpsertUser stores u unless the table holds a newer version of the user or
// its tombstone; then it returns an error matching [clerkhook.ErrStale].
// The columns hold the fields services query most (email and phone are the
// primary ones), and data holds the whole user as JSON.
func (s *Store) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	args, err := userArgs(u)
	if err != nil {
		return errorf("upsert user", err)
	}
	tag, err := s.pool.Exec(ctx, s.q.upsertUser, args...)
	if err != nil {
		return errorf("upsert user", err)
	}
	if tag.RowsAffected() == 0 {
		return errorf("upsert user", clerkhook.ErrStale)
	}
	return nil
}

// DeleteUser turns the user's row into a tombstone that keeps only the id
// and deletedAt, inserting one for an unknown id, and deletes the user's
// memberships.
func (s *Store) DeleteUser(ctx context.Context, id string, deletedAt time.Time) error {
	b := &pgx.Batch{}
	b.Queue(s.q.lockUser, id)
	b.Queue(s.q.deleteUser, id, deletedAt.UTC())
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return errorf("delete user", err)
	}
	return nil
}

// User returns the user with the given id as it was last stored, or an
// error matching [clerkhook.ErrUserNotFound] for an unknown or deleted id.
func (s *Store) User(ctx context.Context, id string) (*clerkhook.User, error) {
	var u clerkhook.User
	if err := s.readData(ctx, &u, s.q.user, id); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			err = clerkhook.ErrUserNotFound
		}
		return nil, errorf("read user", err)
	}
	return &u, nil
}

// UserIDs returns the ids of the live users, for [clerkhook.Backfill]'s
// reconciliation.
func (s *Store) UserIDs(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, s.q.userIDs)
	if err != nil {
		return nil, errorf("list users", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, errorf("list users", err)
	}
	return ids, nil
}

// userArgs returns the parameters of a user row in the order of
// userColumns.
func userArgs(u *clerkhook.User) ([]any, error) {
	data, err := encode(u)
	if err != nil {
		return nil, err
	}
	return []any{
		u.ID,
		nullString(u.PrimaryEmail()),
		u.FirstName,
		u.LastName,
		u.Username,
		nullString(u.ImageURL),
		nullString(u.PrimaryPhone()),
		u.ExternalID,
		u.Banned,
		timestamp(u.CreatedAt),
		timestamp(u.UpdatedAt),
		data,
	}, nil
}

// readData scans the data column of the single row query returns into v.
func (s *Store) readData(ctx context.Context, v any, query string, args ...any) error {
	var data []byte
	if err := s.pool.QueryRow(ctx, query, args...).Scan(&data); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
