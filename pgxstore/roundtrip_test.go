package pgxstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// roundTripCounter counts the exchanges with the server that pgx traces:
// a query, a batch (sent as one pipeline) and a prepare each take one.
type roundTripCounter struct{ n atomic.Int64 }

func (c *roundTripCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *roundTripCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *roundTripCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *roundTripCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *roundTripCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func (c *roundTripCounter) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *roundTripCounter) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

func TestRoundTrips(t *testing.T) {
	counter := &roundTripCounter{}
	pool := pgtest.Connect(t, func(c *pgxpool.Config) {
		c.MaxConns = 1 // so that the statements prepared by the warm-up are cached
		c.ConnConfig.Tracer = counter
	})
	schema := pgtest.FreshSchema(t, pool)
	s := pgxstore.New(pool, pgxstore.WithSchema(schema))
	ctx := context.Background()
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.UpsertUser(ctx, testUser("user_rt_stale", 9)))

	tests := []struct {
		name string
		want int64
		op   func(v int) error
	}{
		{"UpsertUserDelivery", 1, func(v int) error {
			return s.UpsertUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserUpdated, testUser("user_rt", v))
		}},
		{"UpsertUserDelivery of a stale version", 1, func(v int) error {
			err := s.UpsertUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserUpdated, testUser("user_rt_stale", v))
			if errors.Is(err, clerkhook.ErrStale) {
				return nil
			}
			return fmt.Errorf("want ErrStale, got %v", err)
		}},
		{"DeleteUserDelivery", 1, func(int) error {
			return s.DeleteUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserDeleted, "user_rt_deleted", deletedAt(1))
		}},
		{"UpsertUser", 1, func(v int) error {
			return s.UpsertUser(ctx, testUser("user_rt_plain", v))
		}},
		{"ClaimDelivery", 1, func(int) error {
			_, err := s.ClaimDelivery(ctx, newDeliveryID(), clerkhook.EventUserUpdated)
			return err
		}},
		{"UpsertMembership", 1, func(v int) error {
			return s.UpsertMembership(ctx, testMembership("org_rt", "user_rt", v))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.op(1), "warm-up")
			require.NoError(t, tt.op(2), "warm-up")
			before := counter.n.Load()
			require.NoError(t, tt.op(3))
			assert.Equal(t, tt.want, counter.n.Load()-before, "round trips")
		})
	}
}
