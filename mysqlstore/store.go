package mysqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/sqlstore"
)

// DefaultClaimTimeout is how long a delivery claim lasts unless
// [WithClaimTimeout] says otherwise: at least twice as long as an attempt
// may take (twice the Handler's default timeout is 20 seconds), and short
// enough that when the process that held the claim died, the retry Svix
// sends five minutes after the first attempt takes it over.
const DefaultClaimTimeout = time.Minute

// maxAttempts bounds how often a write is run again after InnoDB rolled it
// back to break a deadlock.
const maxAttempts = 5

// Store keeps Clerk users, organizations, memberships and the delivery
// ledger in MySQL or MariaDB. Create it with [New] and its tables with
// [Store.Migrate]. A Store is safe for concurrent use.
type Store struct {
	db           *sql.DB
	claimTimeout time.Duration
}

var (
	_ clerkhook.UserStore          = (*Store)(nil)
	_ clerkhook.UserReader         = (*Store)(nil)
	_ clerkhook.OrganizationStore  = (*Store)(nil)
	_ clerkhook.OrganizationReader = (*Store)(nil)
	_ clerkhook.MembershipStore    = (*Store)(nil)
	_ clerkhook.MembershipReader   = (*Store)(nil)
	_ clerkhook.Deduplicator       = (*Store)(nil)
	_ clerkhook.ClaimTimeouter     = (*Store)(nil)
	_ clerkhook.DeliveryWriter     = (*Store)(nil)
	_ clerkhook.UserLister         = (*Store)(nil)
)

// An Option configures a [Store].
type Option func(*Store)

// WithClaimTimeout sets how long a claim on a delivery that was neither
// completed nor released lasts before another attempt of the same delivery
// may take it over; see [clerkhook.Deduplicator]. [clerkhook.NewHandler]
// refuses a store whose claim timeout is under twice its WithTimeout. The
// database's clock dates the claims, so the replicas' clocks do not
// matter. A non-positive d keeps [DefaultClaimTimeout].
func WithClaimTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.claimTimeout = d
		}
	}
}

// New returns a Store that writes through db, opened with the "mysql"
// driver of github.com/go-sql-driver/mysql and its default of counting
// the rows a statement changed (not clientFoundRows, which counts the rows
// it matched: the Store could no longer tell a write it refused). It does
// not touch the database; call [Store.Migrate] before the first write.
func New(db *sql.DB, opts ...Option) *Store {
	s := &Store{db: db, claimTimeout: DefaultClaimTimeout}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s
}

// exec runs one statement, again after a deadlock, and returns how many
// rows it changed.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := retry(func() error {
		res, err := s.db.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// write runs fn in a transaction, again after a deadlock, and commits it
// when fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return retry(func() error { return sqlstore.InTx(ctx, s.db, fn) })
}

// retry calls fn until it returns something else than a deadlock error,
// at most maxAttempts times.
func retry(fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		var e *mysql.MySQLError
		// 1213: deadlock found; 1205: lock wait timeout.
		if attempt == maxAttempts || !errors.As(err, &e) || e.Number != 1213 && e.Number != 1205 {
			return err
		}
	}
}

// writeGuarded runs write, a guarded write, with args in tx, and returns an
// error matching [clerkhook.ErrStale] when its guard refused it. A write
// that changed no row may have been either, since MySQL counts a row
// whose columns all kept their values as unchanged, as they do when the
// write was of the very version stored. That write is not stale (an equal
// version replaces the stored one, and its delivery's event handlers must
// run), so applied, a locking read with appliedArgs, then looks for the
// row as a write let through leaves it. The write locked the row, so the
// read sees it as the write did.
func writeGuarded(ctx context.Context, tx *sql.Tx, write string, args []any, applied string, appliedArgs ...any) error {
	res, err := tx.ExecContext(ctx, write, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var one int
	err = tx.QueryRowContext(ctx, applied, appliedArgs...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return clerkhook.ErrStale
	}
	return err
}

// errorf wraps err with the name of the operation that failed. The text
// never includes ids or values: they may be personal data.
func errorf(op string, err error) error {
	return fmt.Errorf("mysqlstore: %s: %w", op, err)
}
