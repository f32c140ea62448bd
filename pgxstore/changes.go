package pgxstore

import (
	"context"

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
