package pgxstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/pgtest"
)

func TestUserBatcherNext(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	write := func(ctx context.Context, deliveryID, userID string) *userWrite {
		return &userWrite{ctx: ctx, deliveryID: deliveryID, user: userRecord{id: userID}, done: make(chan struct{})}
	}
	ids := func(batch []*userWrite) []string {
		var out []string
		for _, w := range batch {
			out = append(out, w.deliveryID+"/"+w.user.id)
		}
		return out
	}
	bg := context.Background()

	t.Run("overlaps and cancellations", func(t *testing.T) {
		gone := write(canceled, "d5", "u5")
		b := &userBatcher{flushers: 1, queue: []*userWrite{
			write(bg, "d1", "u1"),
			write(bg, "d2", "u1"), // the same user
			write(bg, "d1", "u2"), // the same delivery
			gone,
			write(bg, "d3", "u3"),
			write(bg, "d4", "u1"),
		}}
		assert.Equal(t, []string{"d1/u1", "d3/u3"}, ids(b.next()))
		require.True(t, isClosed(gone.done), "a canceled write is finished")
		require.ErrorIs(t, gone.err, context.Canceled)
		assert.Equal(t, []string{"d2/u1", "d1/u2"}, ids(b.next()), "the rest, in order, without a second write of u1")
		assert.Equal(t, []string{"d4/u1"}, ids(b.next()))
		assert.Equal(t, 1, b.flushers)
		assert.Empty(t, b.next())
		assert.Zero(t, b.flushers, "an empty queue ends the flusher")
	})

	t.Run("flushers", func(t *testing.T) {
		var b userBatcher
		for i := range maxUserFlushers {
			assert.True(t, b.enqueue(write(bg, fmt.Sprint("d", i), fmt.Sprint("u", i))), "call %d starts a flusher", i+1)
		}
		assert.False(t, b.enqueue(write(bg, "dx", "ux")), "no more than maxUserFlushers")
		assert.Len(t, b.next(), maxUserFlushers+1, "one flusher takes every write")
		for i := range maxUserFlushers {
			assert.Empty(t, b.next())
			assert.Equal(t, maxUserFlushers-1-i, b.flushers, "each flusher ends at the empty queue")
		}
		assert.True(t, b.enqueue(write(bg, "dy", "uy")), "an idle batcher starts a flusher again")
	})

	t.Run("cap", func(t *testing.T) {
		b := &userBatcher{flushers: 1}
		for i := range maxUserBatch + 3 {
			b.queue = append(b.queue, write(bg, fmt.Sprint("d", i), fmt.Sprint("u", i)))
		}
		assert.Len(t, b.next(), maxUserBatch)
		assert.Equal(t, []string{
			fmt.Sprintf("d%d/u%d", maxUserBatch, maxUserBatch),
			fmt.Sprintf("d%d/u%d", maxUserBatch+1, maxUserBatch+1),
			fmt.Sprintf("d%d/u%d", maxUserBatch+2, maxUserBatch+2),
		}, ids(b.next()))
		assert.Empty(t, b.next())
	})
}

func TestBatchContext(t *testing.T) {
	type key struct{}
	first, cancelFirst := context.WithCancel(context.WithValue(context.Background(), key{}, "first"))
	second, cancelSecond := context.WithCancel(context.Background())
	batch := []*userWrite{{ctx: first}, {ctx: second}}

	ctx, stop := batchContext(batch)
	defer stop()
	assert.Equal(t, "first", ctx.Value(key{}), "the values of the first write")
	cancelFirst()
	cancelSecond()
	<-ctx.Done() // canceled once every caller gave up; TestUserBatch checks it is not before

	alone, cancelAlone := context.WithCancel(context.Background())
	defer cancelAlone()
	ctx, stop = batchContext([]*userWrite{{ctx: alone}})
	defer stop()
	assert.Equal(t, alone, ctx, "a write alone runs with its own context")

	live, cancelLive := context.WithCancel(context.Background())
	defer cancelLive()
	ctx, stop = batchContext([]*userWrite{{ctx: live}, {ctx: context.Background()}})
	stop()
	assert.ErrorIs(t, ctx.Err(), context.Canceled, "stop releases the context")
}

// isClosed reports whether c is closed, without waiting.
func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// TestDuplicateBehindInBatch checks what becomes of an attempt of a
// delivery that waits in the group commit's queue behind another attempt of
// the same delivery: next leaves it for the following statement, which
// finds the delivery processed, and the attempt fails with
// ErrDuplicateDelivery (answered 200 duplicate), never with
// ErrDeliveryInProgress (409).
func TestDuplicateBehindInBatch(t *testing.T) {
	pool := pgtest.Connect(t, nil)
	s := New(pool, WithSchema(pgtest.FreshSchema(t, pool)))
	ctx := context.Background()
	require.NoError(t, s.Migrate(ctx))
	write := func(deliveryID, userID string) *userWrite {
		r, err := newUserRecord(&clerkhook.User{ID: userID, UpdatedAt: 1})
		require.NoError(t, err)
		return &userWrite{ctx: ctx, deliveryID: deliveryID, eventType: clerkhook.EventUserCreated, user: r, done: make(chan struct{})}
	}
	first, other, duplicate := write("msg_batch_1", "user_batch_1"), write("msg_batch_2", "user_batch_2"), write("msg_batch_1", "user_batch_1")
	s.userWrites.queue = []*userWrite{first, other, duplicate}
	s.userWrites.flushers = 1
	batch := s.userWrites.next()
	require.Equal(t, []*userWrite{first, other}, batch, "the duplicate waits for the next statement")
	s.writeUsers(batch)
	s.flushUsers()
	for _, w := range []*userWrite{first, other, duplicate} {
		<-w.done
		require.NoError(t, w.err)
	}
	assert.True(t, first.claimed && first.written)
	assert.True(t, other.claimed && other.written)
	assert.False(t, duplicate.claimed, "the next statement finds the delivery recorded")
	err := s.claim(ctx, duplicate.deliveryID, func() (bool, error) { return duplicate.claimed, duplicate.err })
	require.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery)
	assert.NotErrorIs(t, err, clerkhook.ErrDeliveryInProgress)
}
