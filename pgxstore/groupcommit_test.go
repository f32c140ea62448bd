package pgxstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// TestUserBatch checks that each delivery of a batch comes to what it
// would alone.
func TestUserBatch(t *testing.T) {
	f := newFixture(t, pgxstore.WithClaimTimeout(claimTimeout))
	s := f.store
	ctx := context.Background()
	processed, lapsed, inProgress := newDeliveryID(), newDeliveryID(), newDeliveryID()
	require.NoError(t, s.UpsertUser(ctx, testUser("user_batch_newer", 5)))
	require.NoError(t, s.DeleteUser(ctx, "user_batch_deleted", deletedAt(1)))
	require.NoError(t, s.UpsertUserDelivery(ctx, processed, clerkhook.EventUserCreated, testUser("user_batch_processed", 1)))
	_, err := s.ClaimDelivery(ctx, lapsed, clerkhook.EventUserCreated)
	require.NoError(t, err)
	f.ageLedger(t, claimTimeout+time.Millisecond)
	_, err = s.ClaimDelivery(ctx, inProgress, clerkhook.EventUserCreated)
	require.NoError(t, err)
	gone, cancel := context.WithCancel(ctx)
	cancel()

	tests := []struct {
		name    string
		d       pgxstore.UserDelivery
		want    pgxstore.BatchOutcome
		version int // of the stored user afterwards; 0 for none
	}{
		// First, so that the batch has the values of its context.
		{"caller gone", pgxstore.UserDelivery{Ctx: gone, DeliveryID: newDeliveryID(), User: testUser("user_batch_gone", 1)},
			pgxstore.BatchOutcome{Claimed: true, Written: true}, 1},
		{"new user", pgxstore.UserDelivery{DeliveryID: newDeliveryID(), User: testUser("user_batch_new", 1)},
			pgxstore.BatchOutcome{Claimed: true, Written: true}, 1},
		{"older version", pgxstore.UserDelivery{DeliveryID: newDeliveryID(), User: testUser("user_batch_newer", 4)},
			pgxstore.BatchOutcome{Claimed: true}, 5},
		{"deleted user", pgxstore.UserDelivery{DeliveryID: newDeliveryID(), User: testUser("user_batch_deleted", 2)},
			pgxstore.BatchOutcome{Claimed: true}, 0},
		{"processed delivery", pgxstore.UserDelivery{DeliveryID: processed, User: testUser("user_batch_processed", 2)},
			pgxstore.BatchOutcome{}, 1},
		{"delivery in progress", pgxstore.UserDelivery{DeliveryID: inProgress, User: testUser("user_batch_in_progress", 1)},
			pgxstore.BatchOutcome{}, 0},
		{"lapsed claim", pgxstore.UserDelivery{DeliveryID: lapsed, User: testUser("user_batch_lapsed", 1)},
			pgxstore.BatchOutcome{Claimed: true, Written: true}, 1},
	}
	ds := make([]pgxstore.UserDelivery, len(tests))
	for i, tt := range tests {
		ds[i] = tt.d
	}
	got, err := pgxstore.WriteUserBatch(s, ds...)
	require.NoError(t, err)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, got[i])
			u, err := s.User(ctx, tt.d.User.ID)
			if tt.version == 0 {
				require.ErrorIs(t, err, clerkhook.ErrUserNotFound)
			} else {
				require.NoError(t, err)
				assertSameJSON(t, testUser(tt.d.User.ID, tt.version), u)
			}
			row := f.row(t, "clerk_webhook_deliveries", "id = $1", tt.d.DeliveryID)
			assert.Equal(t, tt.d.DeliveryID != inProgress, row["processed_at"] != nil, "recorded as processed")
		})
	}
}

// TestUserBatchIsolatesAFailure checks that a delivery the server refuses
// fails alone.
func TestUserBatchIsolatesAFailure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	refused := testUser("user_batch_refused", 1)
	refused.FirstName = ptr("a NUL \x00, which text cannot hold")
	ds := []pgxstore.UserDelivery{
		{DeliveryID: newDeliveryID(), User: testUser("user_batch_before", 1)},
		{DeliveryID: newDeliveryID(), User: refused},
		{DeliveryID: newDeliveryID(), User: testUser("user_batch_after", 1)},
	}
	got, err := pgxstore.WriteUserBatch(f.store, ds...)
	require.NoError(t, err)

	var pgErr *pgconn.PgError
	require.ErrorAs(t, got[1].Err, &pgErr)
	assert.Equal(t, 0, count(t, f, "clerk_webhook_deliveries", "id = $1", ds[1].DeliveryID), "the refused delivery is not recorded")
	_, err = f.store.User(ctx, refused.ID)
	require.ErrorIs(t, err, clerkhook.ErrUserNotFound)
	for _, i := range []int{0, 2} {
		assert.Equal(t, pgxstore.BatchOutcome{Claimed: true, Written: true}, got[i])
		u, err := f.store.User(ctx, ds[i].User.ID)
		require.NoError(t, err)
		assertSameJSON(t, ds[i].User, u)
	}
}

// deadlockCounter counts the statements PostgreSQL aborted as deadlocked.
type deadlockCounter struct{ n atomic.Int64 }

func (c *deadlockCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (c *deadlockCounter) TraceQueryEnd(_ context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	var pgErr *pgconn.PgError
	if errors.As(data.Err, &pgErr) && pgErr.Code == "40P01" {
		c.n.Add(1)
	}
}

// TestConcurrentStoresShareUsers has the batches of several Stores write
// the same few users at once: they must end at the newest version of
// each, without deadlocking one another.
func TestConcurrentStoresShareUsers(t *testing.T) {
	const (
		stores   = 3
		writers  = 16 // per Store
		writes   = 50 // per writer
		users    = 12
		versions = 40
	)
	deadlocks := &deadlockCounter{}
	pool := pgtest.Connect(t, func(c *pgxpool.Config) {
		c.MaxConns = 8
		c.ConnConfig.Tracer = deadlocks
	})
	f := newFixtureOn(t, pool)
	ctx := context.Background()
	ss := make([]*pgxstore.Store, stores)
	for i := range ss {
		ss[i] = pgxstore.New(pool, pgxstore.WithSchema(f.schema))
	}
	newest := make([][users]int, stores*writers) // by writer
	run(t, stores*writers, func(w int) error {
		r := rand.New(rand.NewPCG(uint64(w), 3))
		for range writes {
			u, v := r.IntN(users), 1+r.IntN(versions)
			err := ss[w%stores].UpsertUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserUpdated,
				testUser(fmt.Sprintf("user_shared_%d", u), v))
			if err != nil && !errorsIsStale(err) {
				return err
			}
			newest[w][u] = max(newest[w][u], v)
		}
		return nil
	})
	assert.Zero(t, deadlocks.n.Load(), "deadlocked statements")
	for u := range users {
		v := 0
		for w := range newest {
			v = max(v, newest[w][u])
		}
		id := fmt.Sprintf("user_shared_%d", u)
		got, err := f.store.User(ctx, id)
		require.NoError(t, err)
		assertSameJSON(t, testUser(id, v), got)
	}
}
