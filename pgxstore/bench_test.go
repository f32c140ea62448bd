package pgxstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/internal/storetest"
)

// naiveStore is the obvious way to write a user event: a transaction that
// checks and records the delivery, reads the user and locks it, then
// inserts or updates it; five round trips with BEGIN and COMMIT. It keeps
// the same rules as pgxstore and writes the same columns, to compare what
// they cost. With an outbox table, it also inserts the row of
// insertOutboxRow there for each user it created or updated, in the same
// transaction, as the usual code of a transactional outbox does.
type naiveStore struct {
	pool              *pgxpool.Pool
	users, deliveries string
	outbox            string
}

func newNaiveStore(f *fixture) *naiveStore {
	return &naiveStore{pool: f.pool, users: f.table("clerk_users"), deliveries: f.table("clerk_webhook_deliveries")}
}

func (s *naiveStore) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	return s.UpsertUserDelivery(ctx, "", "", u)
}

func (s *naiveStore) DeleteUser(context.Context, string, time.Time) error {
	return errors.New("naiveStore: DeleteUser is not benchmarked")
}

func (s *naiveStore) DeleteUserDelivery(context.Context, string, string, string, time.Time) error {
	return errors.New("naiveStore: DeleteUserDelivery is not benchmarked")
}

func (s *naiveStore) UpsertUserDelivery(ctx context.Context, deliveryID, eventType string, u *clerkhook.User) error {
	data, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if deliveryID != "" {
			tag, err := tx.Exec(ctx, `INSERT INTO `+s.deliveries+` (id, type, claimed_at, processed_at)
				VALUES ($1, $2, now(), now()) ON CONFLICT (id) DO NOTHING`, deliveryID, eventType)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return clerkhook.ErrDuplicateDelivery
			}
		}
		var updatedAt, deletedAt *time.Time
		err := tx.QueryRow(ctx, `SELECT updated_at, deleted_at FROM `+s.users+` WHERE id = $1 FOR UPDATE`, u.ID).
			Scan(&updatedAt, &deletedAt)
		kind := "updated"
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			kind = "created"
			_, err = tx.Exec(ctx, `INSERT INTO `+s.users+` (id, email, first_name, last_name, username, image_url, phone,
					external_id, banned, created_at, updated_at, data)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, naiveColumns(u, data)...)
		case err != nil:
			return err
		case deletedAt != nil || updatedAt.After(u.UpdatedAt.Time()):
			return clerkhook.ErrStale
		default:
			_, err = tx.Exec(ctx, `UPDATE `+s.users+` SET email = $2, first_name = $3, last_name = $4, username = $5,
				image_url = $6, phone = $7, external_id = $8, banned = $9, created_at = $10, updated_at = $11, data = $12
				WHERE id = $1`, naiveColumns(u, data)...)
		}
		if err != nil || s.outbox == "" {
			return err
		}
		return insertOutboxRow(ctx, tx, s.outbox, "user", u.ID, kind, deliveryID)
	})
}

// naiveColumns returns the values of the columns pgxstore writes, so that
// both stores do the same work.
func naiveColumns(u *clerkhook.User, data []byte) []any {
	return []any{u.ID, nullIfEmpty(u.PrimaryEmail()), u.FirstName, u.LastName, u.Username, nullIfEmpty(u.ImageURL),
		nullIfEmpty(u.PrimaryPhone()), u.ExternalID, u.Banned, u.CreatedAt.Time(), u.UpdatedAt.Time(), data}
}

// nullIfEmpty maps "" to SQL NULL, as pgxstore does.
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// BenchmarkHandler measures user events per second through a Handler into
// PostgreSQL, with pgxstore and with the naive store, on a pool of as many
// connections as deliveries sent at once.
func BenchmarkHandler(b *testing.B) {
	fixture := func(b *testing.B, concurrency int) *fixture {
		return newFixtureOn(b, pgtest.Connect(b, func(c *pgxpool.Config) { c.MaxConns = int32(concurrency) }))
	}
	storetest.BenchmarkHandler(b,
		storetest.BenchStore{Name: "pgxstore", New: func(b *testing.B, concurrency int) clerkhook.UserStore {
			return fixture(b, concurrency).store
		}},
		storetest.BenchStore{Name: "naive", New: func(b *testing.B, concurrency int) clerkhook.UserStore {
			return newNaiveStore(fixture(b, concurrency))
		}},
	)
}
