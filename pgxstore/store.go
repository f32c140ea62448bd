package pgxstore

import (
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook"
)

// DefaultSchema is the schema a Store uses unless [WithSchema] names another.
const DefaultSchema = "public"

// DefaultClaimTimeout is how long a delivery claim lasts unless
// [WithClaimTimeout] says otherwise. It is longer than an attempt may take
// (the Handler's default timeout is 10 seconds, and its completion may take
// as long again), and short enough that when the process that held the
// claim died, the retry Svix sends five minutes after the first attempt
// takes it over.
const DefaultClaimTimeout = time.Minute

// The classid halves of the two-key advisory locks the store takes. The
// objid half is hashtext of the id. Deleting a user or an organization takes
// the exclusive lock of its id, and an upsert of a membership takes the
// shared locks of its user and organization before it looks for their
// tombstones, so that a membership written concurrently with the deletion
// of its user or organization cannot outlive it.
const (
	lockSpaceUser         = 0x636b7501
	lockSpaceOrganization = 0x636b7502
	lockSpaceMigrate      = 0x636b7503
	// A Store with change hooks also takes the exclusive lock of a
	// membership's key before it writes the membership, and the exclusive
	// lock of a user's or an organization's id before it upserts it, so
	// that no other writer changes the row between the read of its prior
	// state and the write.
	lockSpaceMembership = 0x636b7504
)

// Store keeps Clerk users, organizations, memberships and the delivery
// ledger in PostgreSQL. Create it with [New] and create its tables with
// [Store.Migrate] or with the SQL of [Migrations].
//
// Every write is a single statement, or a short batch of them, guarded in
// SQL and run in one round trip as a transaction at READ COMMITTED,
// whatever default_transaction_isolation the database or the role sets, so
// any number of Stores on any number of replicas may write to the same
// tables concurrently. A Store is safe for concurrent use, and needs no closing:
// the goroutine that writes the deliveries of concurrent
// [Store.UpsertUserDelivery] calls together ends when they do.
type Store struct {
	pool         *pgxpool.Pool
	schema       string
	claimTimeout time.Duration
	q            queries
	userWrites   userBatcher
	// hooks are the functions of WithChangeHook; with any, every write
	// takes the path of changewrites.go, whose SQL is cq.
	hooks []ChangeHook
	cq    changeQueries
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
	_ clerkhook.ClaimTimeouter     = (*Store)(nil)
)

// An Option configures a [Store].
type Option func(*Store)

// WithSchema puts the store's tables in the named schema instead of
// [DefaultSchema]. Migrate creates the schema when it does not exist. An
// empty name keeps the default.
func WithSchema(name string) Option {
	return func(s *Store) {
		if name != "" {
			s.schema = name
		}
	}
}

// WithClaimTimeout sets how long a claim on a delivery that was neither
// completed nor released lasts before another attempt of the same delivery
// may take it over; see [clerkhook.Deduplicator]. Claims are dated by the
// database's clock, so the replicas' clocks do not matter. It must be at
// least twice the Handler's [clerkhook.WithTimeout], which
// [clerkhook.NewHandler] checks through [Store.ClaimTimeout]. A
// non-positive d keeps [DefaultClaimTimeout].
func WithClaimTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.claimTimeout = d
		}
	}
}

// New returns a Store that writes through pool. It does not touch the
// database; call [Store.Migrate] before the first write.
func New(pool *pgxpool.Pool, opts ...Option) *Store {
	s := &Store{
		pool:         pool,
		schema:       DefaultSchema,
		claimTimeout: DefaultClaimTimeout,
	}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	s.q = newQueries(s.schema, s.claimTimeout)
	if len(s.hooks) > 0 {
		s.cq = newChangeQueries(s.schema, s.claimTimeout, &s.q)
	}
	return s
}

// ClaimTimeout implements [clerkhook.ClaimTimeouter]: it is the timeout of
// [WithClaimTimeout].
func (s *Store) ClaimTimeout() time.Duration { return s.claimTimeout }

// table returns the quoted, schema-qualified name of one of the store's
// tables.
func table(schema, name string) string {
	return pgx.Identifier{schema, name}.Sanitize()
}

// nullString maps "" to SQL NULL, for the columns filled from fields that
// Clerk leaves empty rather than null.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// timestamp converts a Clerk time to the value of a timestamptz column.
func timestamp(m clerkhook.UnixMilli) time.Time {
	return time.UnixMilli(int64(m)).UTC()
}
