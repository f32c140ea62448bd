package pgxstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/clerkhook/clerkhook"
)

// ChangeKind says what a write did to a record.
type ChangeKind int

// The kinds of change. A write that changes nothing reports none.
const (
	// ChangeCreated: the store held no live version: the record is new (or,
	// for a membership, the user joined again).
	ChangeCreated ChangeKind = iota + 1
	// ChangeUpdated: the store held an older version, which the write
	// replaced.
	ChangeUpdated
	// ChangeDeleted: the store held a live version, or nothing, and now
	// holds a tombstone.
	ChangeDeleted
)

// String returns the kind's name, fit for a column or a metric label.
func (k ChangeKind) String() string {
	switch k {
	case ChangeCreated:
		return "created"
	case ChangeUpdated:
		return "updated"
	case ChangeDeleted:
		return "deleted"
	default:
		return "unknown"
	}
}

// ObjectType says which kind of record changed.
type ObjectType int

// The kinds of record.
const (
	ObjectUser ObjectType = iota + 1
	ObjectOrganization
	ObjectMembership
)

// String returns the object's name, fit for a column or a metric label.
func (o ObjectType) String() string {
	switch o {
	case ObjectUser:
		return "user"
	case ObjectOrganization:
		return "organization"
	case ObjectMembership:
		return "membership"
	default:
		return "unknown"
	}
}

// Change is a write the store applied, as its hooks see it.
type Change struct {
	Kind   ChangeKind
	Object ObjectType
	// DeliveryID and EventType name the delivery that caused the change
	// (svix-id and the event type); both are empty for writes outside a
	// Handler's delivery, such as Backfill's.
	DeliveryID, EventType string
	// UserID is set for user and membership changes, OrganizationID for
	// organization and membership changes.
	UserID, OrganizationID string
	// The new version, for ChangeCreated and ChangeUpdated: User,
	// Organization or Membership by Object. Nil for ChangeDeleted.
	User         *clerkhook.User
	Organization *clerkhook.Organization
	Membership   *clerkhook.OrganizationMembership
}

// ChangeHook runs inside the transaction of the write, for each change the
// write applied; an error rolls the write back and fails the delivery (5xx,
// retried). It must write only through tx: it may run again for the same
// change in a transaction that is then rolled back (a batch retried alone).
type ChangeHook func(ctx context.Context, tx pgx.Tx, c Change) error

// WithChangeHook registers fn; hooks run in the order registered. A nil fn
// is ignored. See the package documentation, "Change hooks", for when they
// run and what exactly once means for them.
func WithChangeHook(fn ChangeHook) Option {
	return func(s *Store) {
		if fn != nil {
			s.hooks = append(s.hooks, fn)
		}
	}
}

// hookError is the failure of a change hook. Its text names the change's
// kind and object, never its ids or values.
type hookError struct {
	kind   ChangeKind
	object ObjectType
	err    error
}

func (e *hookError) Error() string {
	return fmt.Sprintf("change hook failed on a %s %s: %s", e.object, e.kind, safeText(e.err))
}

func (e *hookError) Unwrap() error { return e.err }

// runHooks runs the hooks for each change, in order, in tx.
func (s *Store) runHooks(ctx context.Context, tx pgx.Tx, changes []Change) error {
	for _, c := range changes {
		for _, fn := range s.hooks {
			if err := fn(ctx, tx, c); err != nil {
				return &hookError{kind: c.Kind, object: c.Object, err: err}
			}
		}
	}
	return nil
}

// inTx runs write in a transaction at READ COMMITTED, then the hooks for
// the changes it returns, and commits. Any failure rolls it all back.
func (s *Store) inTx(ctx context.Context, write func(pgx.Tx) ([]Change, error)) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	changes, err := write(tx)
	if err != nil {
		return err
	}
	if err := s.runHooks(ctx, tx, changes); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// upsertChange is the change of a guarded upsert, from what its statement
// returned: whether it wrote, and whether the row it found was live and
// held the same version. It reports false for no change: the write was
// refused, or wrote the version the store held again.
func upsertChange(written, live, same bool) (ChangeKind, bool) {
	switch {
	case !written, live && same:
		return 0, false
	case !live:
		return ChangeCreated, true
	default:
		return ChangeUpdated, true
	}
}

// staleUnless returns err, or one matching [clerkhook.ErrStale] when the
// write was refused.
func staleUnless(wrote bool, err error) error {
	if err == nil && !wrote {
		return clerkhook.ErrStale
	}
	return err
}

// delivery returns the id and type of the delivery whose event the
// Handler put in ctx, or "" outside a delivery.
func delivery(ctx context.Context) (id, eventType string) {
	if evt, ok := clerkhook.EventFromContext(ctx); ok {
		return evt.ID, evt.Type
	}
	return "", ""
}

// valuesContext is the context of a hook in a batch of the group commit:
// the batch's deadline and cancellation, with the values of the context of
// the hook's own write, its delivery's event among them.
type valuesContext struct {
	context.Context
	values context.Context
}

func (c valuesContext) Value(key any) any { return c.values.Value(key) }
