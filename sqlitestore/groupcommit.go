package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/clerkhook/clerkhook/internal/sqlstore"
)

// maxBatch bounds the writes one transaction of the group commit runs.
const maxBatch = 64

// writeFunc is a write of the Store: statements in tx, under ctx.
type writeFunc func(ctx context.Context, tx *sql.Tx) error

// batcher is the group commit of the Store's writes. Each write that
// commits on its own waits for its own fsync, which is most of what a
// write costs; writes that come while a transaction runs therefore wait in
// the queue, and the next transaction runs them all, each in a savepoint
// of its own, and commits them with one fsync. One flusher goroutine runs
// the transactions, since the Store has one writer connection: it starts
// when a write finds none running and ends when it finds the queue empty,
// so a lone write runs at once, without waiting for company, and an idle
// Store has no goroutine.
type batcher struct {
	mu       sync.Mutex
	queue    []*pendingWrite
	flushing bool
}

// pendingWrite is a call of write waiting for the transaction that runs
// it.
type pendingWrite struct {
	ctx context.Context
	fn  writeFunc

	// The flusher sets err, then closes done.
	err  error
	done chan struct{}
}

// write runs fn in a transaction that holds the database's write lock from
// its start (BEGIN IMMEDIATE), and commits it when fn returns nil; when
// fn fails, nothing it wrote is kept. Concurrent writes share the
// transaction, and so its commit: fn must write only through tx, and
// may run again, alone, when the shared transaction fails. When ctx ends
// first, write returns its error, and the write may still be committed.
func (s *Store) write(ctx context.Context, fn writeFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &pendingWrite{ctx: ctx, fn: fn, done: make(chan struct{})}
	if s.writes.enqueue(w) {
		go s.flush()
	}
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enqueue queues w and reports whether the caller must start the flusher.
func (b *batcher) enqueue(w *pendingWrite) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queue = append(b.queue, w)
	if b.flushing {
		return false
	}
	b.flushing = true
	return true
}

// next takes the next batch off the queue: the writes whose callers still
// wait, up to maxBatch, in the order they came. An empty batch means the
// queue is empty, and that the caller is no longer the flusher.
func (b *batcher) next() []*pendingWrite {
	b.mu.Lock()
	defer b.mu.Unlock()
	var batch []*pendingWrite
	rest := b.queue[:0]
	for _, w := range b.queue {
		switch {
		case w.ctx.Err() != nil:
			w.finish(w.ctx.Err())
		case len(batch) == maxBatch:
			rest = append(rest, w)
		default:
			batch = append(batch, w)
		}
	}
	clear(b.queue[len(rest):])
	b.queue = rest
	if len(batch) == 0 {
		b.flushing = false
	}
	return batch
}

// finish hands the write its outcome.
func (w *pendingWrite) finish(err error) {
	w.err = err
	close(w.done)
}

// flush runs the queued writes, a batch per transaction, until the queue
// is empty.
func (s *Store) flush() {
	for {
		batch := s.writes.next()
		if len(batch) == 0 {
			return
		}
		s.commit(batch)
	}
}

// commit runs batch and hands each write its outcome. A write alone runs
// in a transaction of its own. A batch runs in one transaction, each write
// in a savepoint that is rolled back when the write fails, so that it
// fails alone; when the transaction itself fails (it could not begin or
// commit, or a write's error made SQLite roll all of it back), each write
// runs again alone, so that one write cannot fail the others.
func (s *Store) commit(batch []*pendingWrite) {
	if len(batch) > 1 {
		if errs, err := s.runBatch(batch); err == nil {
			for i, w := range batch {
				w.finish(errs[i])
			}
			return
		}
	}
	for _, w := range batch {
		w.finish(s.runAlone(w))
	}
}

// runAlone runs w in a transaction of its own, under its caller's context.
func (s *Store) runAlone(w *pendingWrite) error {
	return sqlstore.InTx(w.ctx, s.writer, func(tx *sql.Tx) error { return call(w.ctx, tx, w.fn) })
}

// runBatch runs batch in one transaction and returns each write's
// outcome, or the failure of the transaction, which then kept nothing. No
// caller's end cancels the transaction, which would fail the others'
// writes; the busy timeout bounds how long it waits for the write lock,
// and its statements are local.
func (s *Store) runBatch(batch []*pendingWrite) (errs []error, err error) {
	ctx := context.WithoutCancel(batch[0].ctx)
	errs = make([]error, len(batch))
	err = sqlstore.InTx(ctx, s.writer, func(tx *sql.Tx) error {
		for i, w := range batch {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT write`); err != nil {
				return err
			}
			if errs[i] = call(ctx, tx, w.fn); errs[i] != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO write`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE write`); err != nil {
				return err
			}
		}
		return nil
	})
	return errs, err
}

// call runs fn, turning a panic into its error: in the caller's goroutine
// the Handler would have recovered it, and the flusher's must not end the
// process.
func call(ctx context.Context, tx *sql.Tx, fn writeFunc) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic of type %T: %s", v, debug.Stack())
		}
	}()
	return fn(ctx, tx)
}
