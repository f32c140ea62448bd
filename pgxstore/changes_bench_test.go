package pgxstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// createOutbox creates the outbox table of the benchmarks and returns its
// quoted name.
func createOutbox(tb testing.TB, f *fixture) string {
	tb.Helper()
	outbox := f.table("outbox")
	if _, err := f.pool.Exec(context.Background(), `CREATE TABLE `+outbox+` (
		id bigserial PRIMARY KEY, object text NOT NULL, object_id text NOT NULL, kind text NOT NULL, delivery_id text)`); err != nil {
		tb.Fatal(err)
	}
	return outbox
}

// insertOutboxRow inserts the outbox row of one change, a job for a worker
// to pick up after the commit.
func insertOutboxRow(ctx context.Context, tx pgx.Tx, outbox, object, id, kind, deliveryID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO `+outbox+` (object, object_id, kind, delivery_id) VALUES ($1, $2, $3, $4)`,
		object, id, kind, deliveryID)
	return err
}

// BenchmarkChangeHook measures user events per second through a Handler
// into PostgreSQL when each change also inserts an outbox row in the
// write's transaction: pgxstore with a change hook that inserts it, and
// the naive store that inserts it itself, one delivery at a time and 16 at
// once.
func BenchmarkChangeHook(b *testing.B) {
	stores := []struct {
		name string
		new  func(b *testing.B, pool *pgxpool.Pool) clerkhook.UserStore
	}{
		{"pgxstore+hook", func(b *testing.B, pool *pgxpool.Pool) clerkhook.UserStore {
			var outbox string
			f := newFixtureOn(b, pool, pgxstore.WithChangeHook(func(ctx context.Context, tx pgx.Tx, c pgxstore.Change) error {
				return insertOutboxRow(ctx, tx, outbox, c.Object.String(), c.UserID, c.Kind.String(), c.DeliveryID)
			}))
			outbox = createOutbox(b, f)
			return f.store
		}},
		{"naive+outbox", func(b *testing.B, pool *pgxpool.Pool) clerkhook.UserStore {
			f := newFixtureOn(b, pool)
			s := newNaiveStore(f)
			s.outbox = createOutbox(b, f)
			return s
		}},
	}
	for _, concurrency := range []int{1, 16} {
		for _, st := range stores {
			b.Run(fmt.Sprintf("store=%s/concurrency=%d", st.name, concurrency), func(b *testing.B) {
				pool := pgtest.Connect(b, func(c *pgxpool.Config) { c.MaxConns = int32(concurrency) })
				secret := clerkhooktest.NewSecret()
				h, err := clerkhook.NewHandler(secret, st.new(b, pool),
					clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
				if err != nil {
					b.Fatal(err)
				}
				benchmarkConcurrentDeliveries(b, h, newUserDeliveries(b, secret, b.N), concurrency)
			})
		}
	}
}
