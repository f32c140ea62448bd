package pgxstore_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/internal/storetest"
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
	pool := func(b *testing.B, concurrency int) *pgxpool.Pool {
		return pgtest.Connect(b, func(c *pgxpool.Config) { c.MaxConns = int32(concurrency) })
	}
	storetest.BenchmarkHandler(b,
		storetest.BenchStore{Name: "pgxstore+hook", New: func(b *testing.B, concurrency int) clerkhook.UserStore {
			var outbox string
			f := newFixtureOn(b, pool(b, concurrency), pgxstore.WithChangeHook(func(ctx context.Context, tx pgx.Tx, c pgxstore.Change) error {
				return insertOutboxRow(ctx, tx, outbox, c.Object.String(), c.UserID, c.Kind.String(), c.DeliveryID)
			}))
			outbox = createOutbox(b, f)
			return f.store
		}},
		storetest.BenchStore{Name: "naive+outbox", New: func(b *testing.B, concurrency int) clerkhook.UserStore {
			f := newFixtureOn(b, pool(b, concurrency))
			s := newNaiveStore(f)
			s.outbox = createOutbox(b, f)
			return s
		}},
	)
}
