package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	// The pure-Go SQLite driver, registered as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/clerkhook/clerkhook"
)

// DefaultClaimTimeout is how long a delivery claim lasts unless
// [WithClaimTimeout] says otherwise: at least twice as long as an attempt
// may take (twice the Handler's default timeout is 20 seconds), and short
// enough that when the process that held the claim died, the retry Svix
// sends five minutes after the first attempt takes it over.
const DefaultClaimTimeout = time.Minute

// DefaultBusyTimeout is how long a write waits for another process that
// holds the database's write lock, unless [WithBusyTimeout] says otherwise.
const DefaultBusyTimeout = 5 * time.Second

// readers is how many connections read at once; WAL lets them read while
// the writer writes.
const readers = 4

// ErrInvalidPath is matched by the error [Open] returns for a path it
// cannot open as a file: an empty one, a URI, or one naming an in-memory
// database, whose contents each connection would see apart.
var ErrInvalidPath = errors.New("sqlitestore: invalid database path")

// Store keeps Clerk users, organizations, memberships and the delivery
// ledger in a SQLite file. Create it with [Open], create its tables with
// [Store.Migrate], and close it with [Store.Close]. A Store is safe for
// concurrent use.
type Store struct {
	writer       *sql.DB // one connection, whose transactions BEGIN IMMEDIATE
	writes       batcher // the group commit of the writer's transactions
	reader       *sql.DB
	claimTimeout time.Duration
	busyTimeout  time.Duration
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
// refuses a store whose claim timeout is under twice its WithTimeout. A
// non-positive d keeps
// [DefaultClaimTimeout].
func WithClaimTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.claimTimeout = d
		}
	}
}

// WithBusyTimeout sets how long a write waits for the write lock another
// process holds on the same file before it fails. A non-positive d keeps
// [DefaultBusyTimeout].
func WithBusyTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.busyTimeout = d
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

// Open opens the SQLite database at path, creating the file when it does
// not exist, in WAL mode. It does not create the tables; call
// [Store.Migrate] before the first write. The path is a file name, such as
// "clerk.db" or "/var/lib/clerk.db"; Open returns an error matching
// [ErrInvalidPath] for an empty path, a "file:" URI, ":memory:" or a path
// with a '?'.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.Contains(path, "?") {
		return nil, ErrInvalidPath
	}
	s := &Store{claimTimeout: DefaultClaimTimeout, busyTimeout: DefaultBusyTimeout, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	params := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)", s.busyTimeout.Milliseconds())
	writer, err := sql.Open("sqlite", path+"?"+params+"&_txlock=immediate")
	if err != nil {
		return nil, errorf("open", err)
	}
	// One writer: SQLite takes one write lock for the whole database, so
	// more connections would only wait for it, or fail to upgrade a read
	// transaction to a write.
	writer.SetMaxOpenConns(1)
	// Connecting now creates the file and switches it to WAL before the
	// readers open it.
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, errorf("open", err)
	}
	reader, err := sql.Open("sqlite", path+"?"+params+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, errorf("open", err)
	}
	reader.SetMaxOpenConns(readers)
	s.writer, s.reader = writer, reader
	return s, nil
}

// Close closes the database. The Store must not be used afterwards.
func (s *Store) Close() error {
	return errors.Join(s.reader.Close(), s.writer.Close())
}

// Ping checks that the database can be read, for a health check.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.reader.PingContext(ctx); err != nil {
		return errorf("ping", err)
	}
	return nil
}

// exec runs one statement through write and returns how many rows it
// changed.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		// The write may still be running, when ctx ended first.
		return 0, err
	}
	return n, nil
}

// errorf wraps err with the name of the operation that failed. The text
// never includes ids or values: they may be personal data.
func errorf(op string, err error) error {
	return fmt.Errorf("sqlitestore: %s: %w", op, err)
}
