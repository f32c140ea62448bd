package pgxstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The statements that frame every write in a transaction at READ
// COMMITTED, whatever default_transaction_isolation the database or the
// role sets. The guards and the cascades rely on it: the statement after an
// advisory lock must see the rows committed while it waited, which only
// READ COMMITTED's snapshot per statement gives (REPEATABLE READ and
// SERIALIZABLE take one snapshot before the lock is granted); and an
// upsert that meets a row changed since it started must apply its guard to
// the new version rather than fail with a serialization error.
const (
	beginReadCommitted = `BEGIN ISOLATION LEVEL READ COMMITTED`
	commit             = `COMMIT`
)

// send runs the statements of b in one transaction at READ COMMITTED, in
// one round trip: the BEGIN and the COMMIT travel in the same pipeline as
// the statements. The callbacks of b's queued queries read their results.
// Every write of the store goes through send (or, for Migrate, a
// transaction begun at READ COMMITTED); a single SELECT is correct at any
// level and runs on the pool.
func (s *Store) send(ctx context.Context, b *pgx.Batch) error {
	framed := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(b.QueuedQueries)+2)}
	framed.Queue(beginReadCommitted)
	framed.QueuedQueries = append(framed.QueuedQueries, b.QueuedQueries...)
	framed.Queue(commit)
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	err = conn.SendBatch(ctx, framed).Close()
	if err != nil && !conn.Conn().IsClosed() && conn.Conn().PgConn().TxStatus() != 'I' {
		// A statement failed inside the transaction, which the server
		// then skipped to its end and left aborted: roll it back, so that
		// the connection goes back to the pool instead of being closed.
		_, _ = conn.Exec(ctx, `ROLLBACK`)
	}
	return err
}

// exec runs one statement through send and returns its command tag.
func (s *Store) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	b := &pgx.Batch{}
	b.Queue(sql, args...).Exec(func(t pgconn.CommandTag) error {
		tag = t
		return nil
	})
	err := s.send(ctx, b)
	return tag, err
}
