package pgxstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
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

// BenchmarkHandler measures user events per second from signed request to
// committed row, through a Handler into PostgreSQL, with pgxstore and with
// the naive store, one delivery at a time and 16 at once.
func BenchmarkHandler(b *testing.B) {
	stores := []struct {
		name string
		new  func(*fixture) clerkhook.UserStore
	}{
		{"pgxstore", func(f *fixture) clerkhook.UserStore { return f.store }},
		{"naive", func(f *fixture) clerkhook.UserStore { return newNaiveStore(f) }},
	}
	for _, concurrency := range []int{1, 16} {
		for _, st := range stores {
			b.Run(fmt.Sprintf("store=%s/concurrency=%d", st.name, concurrency), func(b *testing.B) {
				pool := pgtest.Connect(b, func(c *pgxpool.Config) { c.MaxConns = int32(concurrency) })
				f := newFixtureOn(b, pool)
				secret := clerkhooktest.NewSecret()
				h, err := clerkhook.NewHandler(secret, st.new(f),
					clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
				if err != nil {
					b.Fatal(err)
				}
				benchmarkConcurrentDeliveries(b, h, newUserDeliveries(b, secret, b.N), concurrency)
			})
		}
	}
}

// benchmarkConcurrentDeliveries sends deliveries to h from concurrency
// goroutines, which must all be answered 200, and reports events/s.
func benchmarkConcurrentDeliveries(b *testing.B, h http.Handler, deliveries []signedDelivery, concurrency int) {
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
		evt, err := clerkhooktest.NewEvent(clerkhook.EventUserCreated, testUser(fmt.Sprintf("user_bench_%d", i), 1))
		if err != nil {
			b.Fatal(err)
		}
		body, err := json.Marshal(evt)
		if err != nil {
			b.Fatal(err)
		}
		id := newDeliveryID()
		header := signer.Headers(id, now, body)
		header.Set("Content-Type", "application/json")
		ds[i] = signedDelivery{id: id, eventType: evt.Type, body: body, header: header}
	}
	return ds
}
