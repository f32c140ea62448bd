package mysqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/go-sql-driver/mysql"

	"github.com/clerkhook/clerkhook"
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
	_ clerkhook.ClaimTimeouter     = (*Store)(nil)
	_ clerkhook.DeliveryWriter     = (*Store)(nil)
	_ clerkhook.UserLister         = (*Store)(nil)
)

// An Option configures a [Store].
type Option func(*Store)

// WithClaimTimeout sets how long a claim on a delivery that was neither
// completed nor released lasts before another attempt of the same delivery
// may take it over; see [clerkhook.Deduplicator]. [clerkhook.NewHandler]
// refuses a store whose claim timeout is under twice its WithTimeout; it
// must also exceed the clock skew between replicas. A non-positive d keeps
// [DefaultClaimTimeout].
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
// driver of github.com/go-sql-driver/mysql and its default of counting
// the rows a statement changed (not clientFoundRows, which counts the rows
// it matched: the Store could no longer tell a write it refused). It does
// not touch the database; call [Store.Migrate] before the first write.
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

// readData decodes the data column of the single row query returns with
// the decoder of package clerkhook, as the data of an event of type
// eventType, so that the record read back is what the Handler would decode
// and its Raw is the column. It returns sql.ErrNoRows when there is none.
func readData[T any](ctx context.Context, s *Store, eventType string, decode func(*clerkhook.Event) (*T, error), query string, args ...any) (*T, error) {
	var data []byte
	if err := s.db.QueryRowContext(ctx, query, args...).Scan(&data); err != nil {
		return nil, err
	}
	return decode(&clerkhook.Event{Type: eventType, Data: data})
}

// encodeOptions make the encoder write what encoding/json writes, as
// pgxstore's data column holds: nil slices as null, and omitempty leaving
// out false, 0 and empty strings but not an empty metadata object.
var encodeOptions = jsonv2.JoinOptions(jsonv2.FormatNilSliceAsNull(true), jsonv1.OmitEmptyWithLegacySemantics(true))

// recordData returns the JSON of a record for its data column: raw, the
// record's Raw as Clerk sent it, unknown keys included, when it is not
// empty; else the encoded record.
func recordData(raw []byte, v any) (string, error) {
	if len(raw) > 0 {
		return string(raw), nil
	}
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

// appliedUnlessRefused tells a guarded write of tx that its guard refused
// from one it let through, given n, the rows the write changed: none means
// either, since MySQL counts a row whose columns all kept their values as
// unchanged, as they do when the write was of the very version stored.
// That write is not stale (an equal version replaces the stored one, and
// its delivery's event handlers must run), so applied, a locking read of
// args, looks for the row as a write let through leaves it. The write
// locked the row, so the read sees it as the write did. It returns an
// error matching [clerkhook.ErrStale] for a refused write.
func appliedUnlessRefused(ctx context.Context, tx *sql.Tx, n int64, applied string, args ...any) error {
	if n > 0 {
		return nil
	}
	var one int
	err := tx.QueryRowContext(ctx, applied, args...).Scan(&one)
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
