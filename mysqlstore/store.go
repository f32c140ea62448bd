package mysqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/go-sql-driver/mysql"

	"github.com/clerkhook/clerkhook"
)

// DefaultClaimTimeout is how long a delivery claim lasts unless
// [WithClaimTimeout] says otherwise: longer than an attempt may take (the
// Handler's default timeout is 10 seconds), and short enough that when the
// process that held the claim died, the retry Svix sends five minutes after
// the first attempt takes it over.
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
	now          func() time.Time
}

var (
	_ clerkhook.UserStore          = (*Store)(nil)
	_ clerkhook.UserReader         = (*Store)(nil)
	_ clerkhook.OrganizationStore  = (*Store)(nil)
	_ clerkhook.OrganizationReader = (*Store)(nil)
	_ clerkhook.MembershipStore    = (*Store)(nil)
	_ clerkhook.MembershipReader   = (*Store)(nil)
	_ clerkhook.Deduplicator       = (*Store)(nil)
	_ clerkhook.DeliveryWriter     = (*Store)(nil)
	_ clerkhook.UserLister         = (*Store)(nil)
)

// An Option configures a [Store].
type Option func(*Store)

// WithClaimTimeout sets how long a claim on a delivery that was neither
// completed nor released lasts before another attempt of the same delivery
// may take it over; see [clerkhook.Deduplicator]. It must exceed the time a
// Handler takes for one delivery and the clock skew between replicas. A
// non-positive d keeps [DefaultClaimTimeout].
func WithClaimTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.claimTimeout = d
		}
	}
}

// WithClock sets the clock that dates the claims and completions of
// deliveries, and that [Store.Prune] measures from. It is meant for tests;
// the default, and the value a nil now keeps, is [time.Now].
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// New returns a Store that writes through db, opened with the "mysql"
// driver of github.com/go-sql-driver/mysql. It does not touch the
// database; call [Store.Migrate] before the first write.
func New(db *sql.DB, opts ...Option) *Store {
	s := &Store{db: db, claimTimeout: DefaultClaimTimeout, now: time.Now}
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
	return retry(func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return errors.Join(err, ignoreDone(tx.Rollback()))
		}
		return tx.Commit()
	})
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

// ignoreDone drops the error of rolling back a transaction that its
// context's end has rolled back already.
func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// readData scans the data column of the single row query returns into v.
// It returns sql.ErrNoRows when there is none.
func (s *Store) readData(ctx context.Context, v any, query string, args ...any) error {
	var data []byte
	if err := s.db.QueryRowContext(ctx, query, args...).Scan(&data); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// encodeOptions make the encoder write what encoding/json writes, as
// pgxstore's data column holds: nil slices as null, and omitempty leaving
// out false, 0 and empty strings but not an empty metadata object.
var encodeOptions = jsonv2.JoinOptions(jsonv2.FormatNilSliceAsNull(true), jsonv1.OmitEmptyWithLegacySemantics(true))

// encode returns the JSON of a record for its data column.
func encode(v any) (string, error) {
	b, err := jsonv2.Marshal(v, encodeOptions)
	return string(b), err
}

// newToken returns a token that names one claim of a delivery.
func newToken() string {
	var b [16]byte
	rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}

// nullString maps "" to SQL NULL, for the columns filled from fields that
// Clerk leaves empty rather than null.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// millis returns t as Unix milliseconds, the unit of the time columns.
func millis(t time.Time) int64 { return t.UnixMilli() }

// staleUnlessWritten returns an error matching [clerkhook.ErrStale] when a
// guarded upsert changed no row. MySQL counts a row whose columns all kept
// their values as unchanged, so an upsert of the very version stored is
// reported stale too.
func staleUnlessWritten(n int64) error {
	if n == 0 {
		return clerkhook.ErrStale
	}
	return nil
}

// errorf wraps err with the name of the operation that failed. The text
// never includes ids or values: they may be personal data.
func errorf(op string, err error) error {
	return fmt.Errorf("mysqlstore: %s: %w", op, err)
}
