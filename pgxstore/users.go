package pgxstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clerkhook/clerkhook"
)

// UpsertUser stores u unless the table holds a newer version of the user or
// its tombstone; then it returns an error matching [clerkhook.ErrStale].
// The columns hold the fields services query most (email and phone are the
// primary ones), and data holds the whole user as JSON: u.Raw, the user as
// Clerk sent it, when it is set, as the decoders set it; else the encoded
// struct.
func (s *Store) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	r, err := newUserRecord(u)
	if err != nil {
		return errorf("upsert user", err)
	}
	if len(s.hooks) > 0 {
		if err := staleUnless(s.upsertUserWithHooks(ctx, u, r)); err != nil {
			return errorf("upsert user", err)
		}
		return nil
	}
	tag, err := s.exec(ctx, s.q.upsertUser, r.args()...)
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
	if len(s.hooks) > 0 {
		if err := s.deleteUserWithHooks(ctx, id, deletedAt); err != nil {
			return errorf("delete user", err)
		}
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(s.q.lockUser, id)
	b.Queue(s.q.deleteUser, id, deletedAt.UTC())
	if err := s.send(ctx, b); err != nil {
		return errorf("delete user", err)
	}
	return nil
}

// User returns the user with the given id as it was last stored, or an
// error matching [clerkhook.ErrUserNotFound] for an unknown or deleted id.
// It decodes the data column as the Handler decodes a delivery, and the
// user's Raw is that column, as jsonb prints it (JSON-equal to what was
// stored, its keys in another order).
func (s *Store) User(ctx context.Context, id string) (*clerkhook.User, error) {
	u, err := readData(ctx, s, clerkhook.EventUserUpdated, (*clerkhook.Event).User, s.q.user, id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = clerkhook.ErrUserNotFound
	}
	if err != nil {
		return nil, errorf("read user", err)
	}
	return u, nil
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

// userRecord holds the values of a user row, in the order of userColumns.
type userRecord struct {
	id                                                                string
	email, firstName, lastName, username, imageURL, phone, externalID *string
	banned                                                            bool
	createdAt, updatedAt                                              time.Time
	data                                                              []byte
}

// newUserRecord returns the row of u.
func newUserRecord(u *clerkhook.User) (userRecord, error) {
	data, err := recordData(u.Raw, u)
	if err != nil {
		return userRecord{}, err
	}
	return userRecord{
		id:         u.ID,
		email:      nullString(u.PrimaryEmail()),
		firstName:  u.FirstName,
		lastName:   u.LastName,
		username:   u.Username,
		imageURL:   nullString(u.ImageURL),
		phone:      nullString(u.PrimaryPhone()),
		externalID: u.ExternalID,
		banned:     u.Banned,
		createdAt:  timestamp(u.CreatedAt),
		updatedAt:  timestamp(u.UpdatedAt),
		data:       data,
	}, nil
}

// args returns the parameters of the row.
func (r *userRecord) args() []any {
	return []any{r.id, r.email, r.firstName, r.lastName, r.username, r.imageURL, r.phone, r.externalID,
		r.banned, r.createdAt, r.updatedAt, r.data}
}

// userArrays holds the columns of several user rows, for the array
// parameters of upsertUsersDelivery.
type userArrays struct {
	id                                                                []string
	email, firstName, lastName, username, imageURL, phone, externalID []*string
	banned                                                            []bool
	createdAt, updatedAt                                              []time.Time
	data                                                              [][]byte
}

// add appends r to the columns.
func (a *userArrays) add(r *userRecord) {
	a.id = append(a.id, r.id)
	a.email = append(a.email, r.email)
	a.firstName = append(a.firstName, r.firstName)
	a.lastName = append(a.lastName, r.lastName)
	a.username = append(a.username, r.username)
	a.imageURL = append(a.imageURL, r.imageURL)
	a.phone = append(a.phone, r.phone)
	a.externalID = append(a.externalID, r.externalID)
	a.banned = append(a.banned, r.banned)
	a.createdAt = append(a.createdAt, r.createdAt)
	a.updatedAt = append(a.updatedAt, r.updatedAt)
	a.data = append(a.data, r.data)
}

// args returns the parameters of the columns.
func (a *userArrays) args() []any {
	return []any{a.id, a.email, a.firstName, a.lastName, a.username, a.imageURL, a.phone, a.externalID,
		a.banned, a.createdAt, a.updatedAt, a.data}
}

// readData decodes the data column of the single row query returns with
// the decoder of package clerkhook, as the data of an event of type
// eventType, so that the record read back is what the Handler would decode
// and its Raw is the column.
func readData[T any](ctx context.Context, s *Store, eventType string, decode func(*clerkhook.Event) (*T, error), query string, args ...any) (*T, error) {
	var data []byte
	if err := s.pool.QueryRow(ctx, query, args...).Scan(&data); err != nil {
		return nil, err
	}
	return decode(&clerkhook.Event{Type: eventType, Data: data})
}
