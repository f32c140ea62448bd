package clerkhook

import (
	"context"
	"errors"
	"time"
)

// ErrUserNotFound is matched by the error a [UserReader] returns for an id
// it does not hold, or holds only as a deleted user.
var ErrUserNotFound = errors.New("clerkhook: user not found")

// ErrOrganizationNotFound is matched by the error an [OrganizationReader]
// returns for an id it does not hold, or holds only as deleted.
var ErrOrganizationNotFound = errors.New("clerkhook: organization not found")

// ErrMembershipNotFound is matched by the error a [MembershipReader]
// returns for a membership it does not hold, or holds only as deleted.
var ErrMembershipNotFound = errors.New("clerkhook: membership not found")

// ErrStale is matched by the error a store may return from an upsert that
// it refused because it holds a newer version of the record or a tombstone.
// It is not a failure: the [Handler] acknowledges the delivery, and
// [Backfill] counts the user as skipped. A store may as well return nil.
var ErrStale = errors.New("clerkhook: stale write ignored")

// ErrDuplicateDelivery is matched by the error a [Deduplicator] returns
// from ClaimDelivery for a delivery that was already processed.
var ErrDuplicateDelivery = errors.New("clerkhook: delivery already processed")

// ErrDeliveryInProgress is matched by the error a [Deduplicator] returns
// from ClaimDelivery while another attempt of the same delivery is being
// processed.
var ErrDeliveryInProgress = errors.New("clerkhook: delivery in progress")

// UserStore is where a [Handler] writes the users Clerk tells it about.
//
// Clerk delivers events at least once and in no particular order, so an
// implementation must keep these rules, which make every sequence of
// deliveries converge on the newest state:
//
//   - UpsertUser stores u unless the store holds a version of the same user
//     whose UpdatedAt is newer; a version with the same UpdatedAt replaces
//     the stored one, which makes a repeated upsert harmless. When it keeps
//     the stored version instead, it returns nil or an error matching
//     [ErrStale].
//   - DeleteUser leaves a tombstone: the user is gone for readers, and no
//     later UpsertUser for that id, whatever its UpdatedAt, brings it back
//     (Clerk never reuses ids). Deleting an unknown or deleted id is not an
//     error, and it also leaves a tombstone, so that an upsert arriving
//     after the delete is refused. A tombstone need not keep any personal
//     data, and should not.
//   - When the store also implements [MembershipStore], DeleteUser removes
//     the user's memberships.
//   - Both methods are safe for concurrent use, including for the same id,
//     and return an error only when the write may not have happened; the
//     Handler then answers 5xx so that Clerk retries.
//
// The package clerkhooktest checks an implementation against these rules.
type UserStore interface {
	UpsertUser(ctx context.Context, u *User) error
	DeleteUser(ctx context.Context, id string, deletedAt time.Time) error
}

// UserReader reads users back from a store. User returns an error matching
// [ErrUserNotFound] for an unknown or deleted id.
type UserReader interface {
	User(ctx context.Context, id string) (*User, error)
}

// OrganizationStore is implemented by stores that also keep organizations.
// Its rules are those of [UserStore]: the newest UpdatedAt wins, a deleted
// organization stays deleted, both methods are idempotent. With
// [MembershipStore], DeleteOrganization removes the organization's
// memberships.
type OrganizationStore interface {
	UpsertOrganization(ctx context.Context, o *Organization) error
	DeleteOrganization(ctx context.Context, id string, deletedAt time.Time) error
}

// OrganizationReader reads organizations back from a store. Organization
// returns an error matching [ErrOrganizationNotFound] for an unknown or
// deleted id.
type OrganizationReader interface {
	Organization(ctx context.Context, id string) (*Organization, error)
}

// MembershipStore is implemented by stores that also keep organization
// memberships, keyed by organization id and user id.
//
// UpsertMembership stores m unless the store holds a newer version of the
// same membership, or the membership was deleted at or after m.UpdatedAt, or
// its organization or user is deleted. DeleteMembership removes the
// membership and remembers when, so that a late upsert older than the
// deletion cannot bring it back, while a user who is invited again later
// can be; it is idempotent and not an error for an unknown membership.
type MembershipStore interface {
	UpsertMembership(ctx context.Context, m *OrganizationMembership) error
	DeleteMembership(ctx context.Context, organizationID, userID string, deletedAt time.Time) error
}

// MembershipReader reads memberships back from a store. Membership returns
// an error matching [ErrMembershipNotFound] when the user is not a member.
type MembershipReader interface {
	Membership(ctx context.Context, organizationID, userID string) (*OrganizationMembership, error)
}

// Deduplicator is implemented by stores that remember which deliveries they
// have processed, so that a delivery Clerk sends again (a retry after a lost
// response, or a replay) is acknowledged without being applied again.
//
// The Handler calls ClaimDelivery before it touches the store, then
// CompleteDelivery once the store writes and every event handler have
// succeeded, or ReleaseDelivery when something failed, so that the retry
// can claim the delivery again.
//
// ClaimDelivery returns an error matching [ErrDuplicateDelivery] for a
// completed delivery, and one matching [ErrDeliveryInProgress] while another
// claim of the same id is outstanding. A claim that is neither completed
// nor released, because the process died, must lapse after a while, so that
// the delivery is not refused forever. A store forgets completed
// deliveries after a retention period that should cover Clerk's retry
// schedule: at least 48 hours.
type Deduplicator interface {
	ClaimDelivery(ctx context.Context, deliveryID, eventType string) error
	CompleteDelivery(ctx context.Context, deliveryID string) error
	ReleaseDelivery(ctx context.Context, deliveryID string) error
}

// DeliveryWriter is implemented by a [Deduplicator] that can record a
// delivery in the same step as the user write it causes, sparing the
// separate claim and completion: for a database, one round trip instead of
// three. The Handler uses it for user events that have no event handler of
// their own (WithEventHandler), since those must run before the delivery
// counts as processed.
//
// Each method applies its write with the rules of [UserStore] and records
// deliveryID as processed, both or neither. For a delivery already
// processed or claimed it writes nothing and returns an error matching
// [ErrDuplicateDelivery] or [ErrDeliveryInProgress]. UpsertUserDelivery
// may return an error matching [ErrStale] after recording the delivery.
type DeliveryWriter interface {
	UpsertUserDelivery(ctx context.Context, deliveryID, eventType string, u *User) error
	DeleteUserDelivery(ctx context.Context, deliveryID, eventType, userID string, deletedAt time.Time) error
}
