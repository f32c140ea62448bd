package pgxstore

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/clerkhook/clerkhook"
)

// maxUserBatch bounds the deliveries one statement of upsertUsersDelivery
// writes, and so the size of its parameters (a few kilobytes a user).
const maxUserBatch = 64

// maxUserFlushers is how many statements of the group commit run at once.
// With two, one runs while the other waits for its commit to reach the
// disk: at 16 concurrent deliveries on 2 cores (BenchmarkHandler), a third
// more deliveries a second than with one; three make the batches smaller
// and do no better than one.
const maxUserFlushers = 2

// userBatcher is the group commit of UpsertUserDelivery. Each delivery
// that commits on its own pays for a statement, a transaction and a WAL
// flush, which is what a busy server spends most of its time on; calls
// made while the statements are running therefore wait in the queue, and
// the next statement writes them all. Flusher goroutines, at most
// maxUserFlushers, run the statements: one starts when a call finds fewer
// running and ends when it finds the queue empty, so a lone call runs at
// once, without waiting for company, and an idle Store has no goroutine.
// Two statements running at once may write the same user; its row lock
// orders them, and the rules of UserStore make the order harmless.
type userBatcher struct {
	mu       sync.Mutex
	queue    []*userWrite
	flushers int
}

// userWrite is a call of UpsertUserDelivery waiting for the statement that
// writes it.
type userWrite struct {
	ctx        context.Context
	deliveryID string
	eventType  string
	user       userRecord
	// source is the user of the record, for the change hooks.
	source *clerkhook.User

	// The flusher sets claimed, written and err, then closes done.
	claimed, written bool
	err              error
	done             chan struct{}
}

// upsertUserDelivery records the delivery as processed and upserts the
// user, in the next statement of the group commit. It reports whether it
// could claim the delivery and whether it wrote the user.
func (s *Store) upsertUserDelivery(ctx context.Context, deliveryID, eventType string, u userRecord, source *clerkhook.User) (claimed, written bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	w := &userWrite{ctx: ctx, deliveryID: deliveryID, eventType: eventType, user: u, source: source, done: make(chan struct{})}
	if s.userWrites.enqueue(w) {
		go s.flushUsers()
	}
	select {
	case <-w.done:
		return w.claimed, w.written, w.err
	case <-ctx.Done():
		// The statement may still commit the write; the delivery's retry
		// then finds it processed.
		return false, false, ctx.Err()
	}
}

// enqueue queues w and reports whether the caller must start a flusher.
func (b *userBatcher) enqueue(w *userWrite) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queue = append(b.queue, w)
	if b.flushers == maxUserFlushers {
		return false
	}
	b.flushers++
	return true
}

// flushUsers writes the queued deliveries, a batch per statement, until
// the queue is empty.
func (s *Store) flushUsers() {
	for {
		batch := s.userWrites.next()
		if len(batch) == 0 {
			return
		}
		s.writeUsers(batch)
	}
}

// next takes the next batch off the queue: the writes whose callers still
// wait, up to maxUserBatch, in the order they came. A write of a delivery
// or a user already in the batch stays queued for the next one, since one
// statement cannot write a row twice. An empty batch means the queue is
// empty, and that the caller is no longer a flusher.
func (b *userBatcher) next() []*userWrite {
	b.mu.Lock()
	defer b.mu.Unlock()
	var batch []*userWrite
	rest := b.queue[:0]
	for _, w := range b.queue {
		switch {
		case w.ctx.Err() != nil:
			w.finish(w.ctx.Err())
		case len(batch) == maxUserBatch || overlaps(batch, w):
			rest = append(rest, w)
		default:
			batch = append(batch, w)
		}
	}
	clear(b.queue[len(rest):])
	b.queue = rest
	if len(batch) == 0 {
		b.flushers--
	}
	return batch
}

// overlaps reports whether batch has a write of w's delivery or user.
func overlaps(batch []*userWrite, w *userWrite) bool {
	for _, x := range batch {
		if x.deliveryID == w.deliveryID || x.user.id == w.user.id {
			return true
		}
	}
	return false
}

// finish hands the write its outcome.
func (w *userWrite) finish(err error) {
	w.err = err
	close(w.done)
}

// writeUsers writes a batch and hands each write its outcome. A statement
// that PostgreSQL refused may have failed because of one write, for
// example a text it cannot store: each write of the batch then runs again
// alone, so that it does not fail the others. Any other error, such as a
// lost connection, fails them all; their deliveries are retried.
func (s *Store) writeUsers(batch []*userWrite) {
	ctx, stop := batchContext(batch)
	err := s.execUsers(ctx, batch)
	stop()
	var pgErr *pgconn.PgError
	var hookErr *hookError
	if len(batch) > 1 && (errors.As(err, &pgErr) || errors.As(err, &hookErr)) {
		for i, w := range batch {
			w.finish(s.execUsers(w.ctx, batch[i:i+1]))
		}
		return
	}
	for _, w := range batch {
		w.finish(err)
	}
}

// execUsers runs the statement of batch, recording in each write whether
// it claimed the delivery and wrote the user. A write alone takes
// upsertUserDelivery, which costs the server less than unnesting arrays.
// A panic fails the batch: in the callers' goroutines the Handler would
// have recovered it, and the flusher's must not end the process.
func (s *Store) execUsers(ctx context.Context, batch []*userWrite) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic of type %T: %s", v, debug.Stack())
		}
	}()
	if len(s.hooks) > 0 {
		return s.execUsersWithHooks(ctx, batch)
	}
	if len(batch) == 1 {
		w := batch[0]
		args := append([]any{w.deliveryID, w.eventType}, w.user.args()...)
		b := &pgx.Batch{}
		b.Queue(s.q.upsertUserDelivery, args...).QueryRow(func(row pgx.Row) error { return row.Scan(&w.claimed, &w.written) })
		return s.send(ctx, b)
	}
	var users userArrays
	deliveryIDs, types := make([]string, len(batch)), make([]string, len(batch))
	for i, w := range batch {
		deliveryIDs[i], types[i] = w.deliveryID, w.eventType
		users.add(&w.user)
	}
	args := append([]any{deliveryIDs, types}, users.args()...)
	var n int
	var claimed, written bool
	b := &pgx.Batch{}
	b.Queue(s.q.upsertUsersDelivery, args...).Query(func(rows pgx.Rows) error {
		_, err := pgx.ForEachRow(rows, []any{&n, &claimed, &written}, func() error {
			if n < 1 || n > len(batch) {
				return fmt.Errorf("row of delivery %d of a batch of %d", n, len(batch))
			}
			batch[n-1].claimed, batch[n-1].written = claimed, written
			return nil
		})
		return err
	})
	return s.send(ctx, b)
}

// batchContext returns the context of a batch's statement. A write alone
// has its own. A batch's carries the values of its first write's context,
// and is canceled once every write's context is done, so that a caller who
// gives up does not cancel the others' writes. The stop function releases
// it.
func batchContext(batch []*userWrite) (ctx context.Context, stop func()) {
	if len(batch) == 1 {
		return batch[0].ctx, func() {}
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	var waiting atomic.Int64
	waiting.Store(int64(len(batch)))
	stops := make([]func() bool, len(batch))
	for i, w := range batch {
		stops[i] = context.AfterFunc(w.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}
