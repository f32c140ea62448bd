package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTestStore opens and migrates a store over a file of its own.
func newTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "clerk.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, s.Migrate(context.Background()))
	return s
}

// recordDelivery returns a write that records the delivery id, noting the
// transaction it ran in, then fails with fail unless it is nil.
func recordDelivery(id string, txs *[]*sql.Tx, fail func()) writeFunc {
	return func(ctx context.Context, tx *sql.Tx) error {
		*txs = append(*txs, tx)
		_, err := tx.ExecContext(ctx, `INSERT INTO clerk_webhook_deliveries (id, claimed_at) VALUES (?, 0)`, id)
		if err == nil && fail != nil {
			fail()
		}
		return err
	}
}

// pending returns a write of batch under ctx.
func pending(ctx context.Context, fn writeFunc) *pendingWrite {
	return &pendingWrite{ctx: ctx, fn: fn, done: make(chan struct{})}
}

// deliveries returns the ids in the ledger.
func deliveries(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.reader.Query(`SELECT id FROM clerk_webhook_deliveries ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	return ids
}

// TestBatchWritesFailAlone runs writes in one transaction, two of which
// fail, one with an error and one with a panic, after writing: each gets
// its own outcome, and only the others' rows are kept.
func TestBatchWritesFailAlone(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	refused := errors.New("refused")
	var txs []*sql.Tx
	batch := []*pendingWrite{
		pending(ctx, recordDelivery("msg_1", &txs, nil)),
		pending(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if err := recordDelivery("msg_2", &txs, nil)(ctx, tx); err != nil {
				return err
			}
			return refused
		}),
		pending(ctx, recordDelivery("msg_3", &txs, func() { panic("in a write") })),
		pending(ctx, recordDelivery("msg_4", &txs, nil)),
	}
	s.commit(batch)

	for _, w := range batch {
		<-w.done
	}
	assert.NoError(t, batch[0].err)
	assert.ErrorIs(t, batch[1].err, refused)
	assert.ErrorContains(t, batch[2].err, "panic of type string")
	assert.NoError(t, batch[3].err)
	assert.Equal(t, []string{"msg_1", "msg_4"}, deliveries(t, s))
	require.Len(t, txs, 4)
	for _, tx := range txs {
		assert.Same(t, txs[0], tx, "the writes of a batch share its transaction")
	}
}

// TestFailedBatchRunsEachWriteAlone runs a batch whose transaction one
// write ends (its ROLLBACK leaves no savepoint to release): the batch
// keeps nothing, and each write then runs in a transaction of its own,
// where only the one that ends it fails.
func TestFailedBatchRunsEachWriteAlone(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	var txs []*sql.Tx
	batch := []*pendingWrite{
		pending(ctx, recordDelivery("msg_1", &txs, nil)),
		pending(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `ROLLBACK`)
			return err
		}),
		pending(ctx, recordDelivery("msg_3", &txs, nil)),
	}
	s.commit(batch)

	assert.NoError(t, batch[0].err)
	assert.Error(t, batch[1].err)
	assert.NoError(t, batch[2].err)
	assert.Equal(t, []string{"msg_1", "msg_3"}, deliveries(t, s))
	require.Len(t, txs, 3, "msg_1 ran in the batch, then alone; msg_3 alone")
	assert.NotSame(t, txs[0], txs[1])
	assert.NotSame(t, txs[1], txs[2])
}

// TestBatchOutlivesACallerWhoGivesUp cancels the context of the first
// write of a batch, whose values the batch's transaction carries, while
// the batch runs: the writes after it are still committed.
func TestBatchOutlivesACallerWhoGivesUp(t *testing.T) {
	s := newTestStore(t)
	first, giveUp := context.WithCancel(context.Background())
	defer giveUp()
	var txs []*sql.Tx
	batch := []*pendingWrite{
		pending(first, recordDelivery("msg_1", &txs, giveUp)),
		pending(context.Background(), recordDelivery("msg_2", &txs, nil)),
	}
	s.commit(batch)

	assert.NoError(t, batch[0].err)
	assert.NoError(t, batch[1].err)
	assert.Equal(t, []string{"msg_1", "msg_2"}, deliveries(t, s))
}

// TestNextBatch queues more writes than a batch takes, one of a caller
// who gave up: next takes them in order, maxBatch at a time, finishes the
// one given up without running it, and ends the flushing when the queue is
// empty.
func TestNextBatch(t *testing.T) {
	ctx := context.Background()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	var b batcher
	var want []*pendingWrite
	for i := range maxBatch + 6 {
		w := pending(ctx, nil)
		if i == 3 {
			w.ctx = gone
		} else {
			want = append(want, w)
		}
		assert.Equal(t, i == 0, b.enqueue(w), "write %d starts the flusher", i)
	}

	first := b.next()
	assert.Equal(t, want[:maxBatch], first)
	second := b.next()
	assert.Equal(t, want[maxBatch:], second)
	assert.True(t, b.flushing)
	assert.Empty(t, b.next())
	assert.False(t, b.flushing)
	assert.True(t, b.enqueue(pending(ctx, nil)), "a write after the flusher ended starts another")
}

// TestConcurrentWritesShareTransactions sends writes from many goroutines
// while a first write holds the transaction, so that they queue: all are
// committed, in one transaction after the first's.
func TestConcurrentWritesShareTransactions(t *testing.T) {
	const writers = 32
	s := newTestStore(t)
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	firstErr := make(chan error, 1)
	go func() {
		firstErr <- s.write(ctx, func(context.Context, *sql.Tx) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	txs := make(chan *sql.Tx, writers)
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			errs <- s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				txs <- tx
				_, err := tx.ExecContext(ctx, `INSERT INTO clerk_webhook_deliveries (id, claimed_at) VALUES (?, 0)`, fmt.Sprintf("msg_%02d", i))
				return err
			})
		}()
	}
	for !queued(&s.writes, writers) {
		runtime.Gosched()
	}
	close(release)
	require.NoError(t, <-firstErr)
	for range writers {
		require.NoError(t, <-errs)
	}
	close(txs)
	distinct := map[*sql.Tx]bool{}
	for tx := range txs {
		distinct[tx] = true
	}
	assert.Len(t, deliveries(t, s), writers)
	assert.Len(t, distinct, 1, "the queued writes share one transaction")
}

// queued reports whether b's queue holds n writes.
func queued(b *batcher, n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue) == n
}
