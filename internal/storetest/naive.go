package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/clerkhook/clerkhook"
)

// NaiveStore is the obvious way to write a user event on database/sql: a
// transaction of the usual three statements, that records the delivery,
// reads the user (locking its row, where the engine needs it), then
// inserts or updates it. It keeps the stores' rules and writes their
// columns, to compare what they cost. Only user upserts are benchmarked.
type NaiveStore struct {
	DB *sql.DB
	// RecordDelivery inserts a delivery (id, type, claimed_at,
	// processed_at), or changes nothing for an id the ledger holds.
	RecordDelivery string
	// ReadUser selects updated_at and deleted_at of the user with the
	// given id.
	ReadUser string
	// InsertUser and UpdateUser write the columns email, first_name,
	// last_name, username, image_url, phone, external_id, banned,
	// created_at, updated_at, data, and id, in this order:
	// [InsertUser] and [UpdateUser] do in SQLite and MySQL.
	InsertUser, UpdateUser string
	// Retry, when not nil, says whether a transaction that failed with
	// err runs again, as InnoDB's deadlock victims must.
	Retry func(err error) bool
}

// InsertUser and UpdateUser are the statements of [NaiveStore] that write a
// user, in the SQL of SQLite and MySQL.
const (
	InsertUser = `INSERT INTO clerk_users (email, first_name, last_name, username, image_url, phone,
		external_id, banned, created_at, updated_at, data, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	UpdateUser = `UPDATE clerk_users SET email = ?, first_name = ?, last_name = ?, username = ?,
		image_url = ?, phone = ?, external_id = ?, banned = ?, created_at = ?, updated_at = ?, data = ?
		WHERE id = ?`
)

// UpsertUser implements [clerkhook.UserStore].
func (s *NaiveStore) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	return s.UpsertUserDelivery(ctx, "", "", u)
}

// DeleteUser implements [clerkhook.UserStore]; it is not benchmarked.
func (s *NaiveStore) DeleteUser(context.Context, string, time.Time) error {
	return errors.New("NaiveStore: DeleteUser is not benchmarked")
}

// DeleteUserDelivery implements [clerkhook.DeliveryWriter]; it is not
// benchmarked.
func (s *NaiveStore) DeleteUserDelivery(context.Context, string, string, string, time.Time) error {
	return errors.New("NaiveStore: DeleteUserDelivery is not benchmarked")
}

// UpsertUserDelivery implements [clerkhook.DeliveryWriter].
func (s *NaiveStore) UpsertUserDelivery(ctx context.Context, deliveryID, eventType string, u *clerkhook.User) error {
	for {
		err := s.upsertUserDelivery(ctx, deliveryID, eventType, u)
		if err == nil || s.Retry == nil || !s.Retry(err) {
			return err
		}
	}
}

func (s *NaiveStore) upsertUserDelivery(ctx context.Context, deliveryID, eventType string, u *clerkhook.User) error {
	data, err := json.Marshal(u)
	if err != nil {
		return err
	}
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if deliveryID != "" {
		now := time.Now().UnixMilli()
		res, err := tx.ExecContext(ctx, s.RecordDelivery, deliveryID, eventType, now, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return clerkhook.ErrDuplicateDelivery
		}
	}
	var updatedAt, deletedAt sql.NullInt64
	err = tx.QueryRowContext(ctx, s.ReadUser, u.ID).Scan(&updatedAt, &deletedAt)
	args := []any{u.PrimaryEmail(), u.FirstName, u.LastName, u.Username, u.ImageURL, u.PrimaryPhone(),
		u.ExternalID, u.Banned, int64(u.CreatedAt), int64(u.UpdatedAt), string(data), u.ID}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, s.InsertUser, args...)
	case err != nil:
	case deletedAt.Valid || updatedAt.Int64 > int64(u.UpdatedAt):
		return clerkhook.ErrStale
	default:
		_, err = tx.ExecContext(ctx, s.UpdateUser, args...)
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}
