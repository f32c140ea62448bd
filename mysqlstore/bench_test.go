package mysqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// naiveStore is the obvious way to write a user event to MySQL: a
// transaction that records the delivery, reads the user and locks it
// (SELECT … FOR UPDATE), then inserts or updates it. It keeps the same
// rules as the Store and writes the same columns, to compare what they
// cost. At 16 concurrent deliveries of new users, InnoDB's gap locks make
// such transactions deadlock; the naive store runs them again, as the
// Store does, or some deliveries would fail with 500.
type naiveStore struct{ db *sql.DB }

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
	for {
		err := s.upsertUserDelivery(ctx, deliveryID, eventType, u)
		var e *mysql.MySQLError
		if !errors.As(err, &e) || e.Number != 1213 {
			return err
		}
	}
}

func (s *naiveStore) upsertUserDelivery(ctx context.Context, deliveryID, eventType string, u *clerkhook.User) error {
	data, err := json.Marshal(u)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UnixMilli()
	res, err := tx.ExecContext(ctx, `INSERT IGNORE INTO clerk_webhook_deliveries (id, type, claimed_at, processed_at)
		VALUES (?, ?, ?, ?)`, deliveryID, eventType, now, now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return clerkhook.ErrDuplicateDelivery
	}
	var updatedAt, deletedAt sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT updated_at, deleted_at FROM clerk_users WHERE id = ? FOR UPDATE`, u.ID).Scan(&updatedAt, &deletedAt)
	args := []any{u.PrimaryEmail(), u.FirstName, u.LastName, u.Username, u.ImageURL, u.PrimaryPhone(),
		u.ExternalID, u.Banned, int64(u.CreatedAt), int64(u.UpdatedAt), string(data), u.ID}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO clerk_users (email, first_name, last_name, username, image_url, phone,
			external_id, banned, created_at, updated_at, data, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	case err != nil:
	case deletedAt.Valid || updatedAt.Int64 > int64(u.UpdatedAt):
		return clerkhook.ErrStale
	default:
		_, err = tx.ExecContext(ctx, `UPDATE clerk_users SET email = ?, first_name = ?, last_name = ?, username = ?,
			image_url = ?, phone = ?, external_id = ?, banned = ?, created_at = ?, updated_at = ?, data = ?
			WHERE id = ?`, args...)
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

// BenchmarkHandler measures user events per second from signed request to
// committed row, through a Handler into MySQL, with the Store and with the
// naive store, one delivery at a time and 16 at once.
func BenchmarkHandler(b *testing.B) {
	stores := []struct {
		name string
		new  func(db *sql.DB) clerkhook.UserStore
	}{
		{"mysqlstore", func(db *sql.DB) clerkhook.UserStore { return newStore(b, db) }},
		{"naive", func(db *sql.DB) clerkhook.UserStore {
			newStore(b, db) // creates the tables
			return &naiveStore{db: db}
		}},
	}
	for _, concurrency := range []int{1, 16} {
		for _, st := range stores {
			b.Run(fmt.Sprintf("store=%s/concurrency=%d", st.name, concurrency), func(b *testing.B) {
				secret := clerkhooktest.NewSecret()
				h, err := clerkhook.NewHandler(secret, st.new(testDatabase(b)), clerkhook.WithLogger(slog.New(slog.DiscardHandler)))
				if err != nil {
					b.Fatal(err)
				}
				deliveries := newUserDeliveries(b, secret, b.N)
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ReportAllocs()
				b.ResetTimer()
				for range concurrency {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := next.Add(1) - 1; i < int64(len(deliveries)); i = next.Add(1) - 1 {
							d := deliveries[i]
							req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(d.body))
							req.Header = d.header
							rec := httptest.NewRecorder()
							h.ServeHTTP(rec, req)
							if rec.Code != http.StatusOK {
								b.Errorf("status %d: %s", rec.Code, rec.Body)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// signedDelivery is a request body with its svix-* headers.
type signedDelivery struct {
	body   []byte
	header http.Header
}

// newUserDeliveries returns n signed user.created deliveries of distinct
// users.
func newUserDeliveries(b *testing.B, secret string, n int) []signedDelivery {
	signer, err := clerkhooktest.NewSigner(secret)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	ds := make([]signedDelivery, n)
	for i := range ds {
		evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = fmt.Sprintf("user_bench_%d", i) })
		if err != nil {
			b.Fatal(err)
		}
		body, err := json.Marshal(evt)
		if err != nil {
			b.Fatal(err)
		}
		header := signer.Headers(fmt.Sprintf("msg_bench_%d", i), now, body)
		header.Set("Content-Type", "application/json")
		ds[i] = signedDelivery{body: body, header: header}
	}
	return ds
}
