package clerkhooktest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clerkhook/clerkhook"
)

// ClaimLapser is implemented by a store given to [TestUserStore] or
// [TestVersionedStore] that can make the claim of a delivery lapse at
// once, as if its claim timeout had passed, so that the suite can check
// what happens when another attempt takes over a lapsed claim. It is meant
// for a test's wrapper of the store (which can move the store's clock, or
// age the claim in its table), not for the store itself.
type ClaimLapser interface {
	LapseClaim(ctx context.Context, deliveryID string) error
}

// Store is the least a store must implement to be checked by
// [TestUserStore]: a [clerkhook.UserStore] that can read its users back.
type Store interface {
	clerkhook.UserStore
	clerkhook.UserReader
}

// Version is what a store holds of a record, as a narrow reader tells it:
// Clerk's updated_at of the version it keeps, or that the record is
// deleted. It is all the suite needs to check ordering, tombstones and
// concurrency, so a store that keeps its own shape (a display name rather
// than a first and a last name, no metadata) is checked without making up
// the Clerk-shaped records it does not keep.
type Version struct {
	// UpdatedAt is Clerk's updated_at of the version held. The suite does
	// not read it when Deleted is set: a tombstone need not keep it.
	UpdatedAt clerkhook.UnixMilli
	// Deleted reports a tombstone: the record was deleted, and the store
	// refuses any later upsert of it.
	Deleted bool
}

// UserVersionReader is the narrow reader of users. UserVersion returns the
// version the store holds of the user id, with Deleted set for a deleted
// user, or an error matching [clerkhook.ErrUserNotFound] when the store
// holds nothing of it, not even a tombstone.
//
// It is meant for tests: implement it on a test's wrapper of the store,
// with a query of the store's table, so that the store itself need not
// import this package.
type UserVersionReader interface {
	UserVersion(ctx context.Context, id string) (Version, error)
}

// OrganizationVersionReader is the narrow reader of organizations, as
// [UserVersionReader] is of users. OrganizationVersion returns an error
// matching [clerkhook.ErrOrganizationNotFound] for an id the store holds
// nothing of.
type OrganizationVersionReader interface {
	OrganizationVersion(ctx context.Context, id string) (Version, error)
}

// MembershipVersionReader is the narrow reader of memberships, as
// [UserVersionReader] is of users. MembershipVersion tells a live
// membership (its version), a deleted one (Deleted, after
// DeleteMembership, which must remember the deletion) and an unknown one
// (an error matching [clerkhook.ErrMembershipNotFound]). A membership that
// DeleteUser or DeleteOrganization removed may be reported deleted or
// unknown.
type MembershipVersionReader interface {
	MembershipVersion(ctx context.Context, organizationID, userID string) (Version, error)
}

// VersionedStore is the least a store must implement to be checked by
// [TestVersionedStore]: a [clerkhook.UserStore] with the narrow reader of
// its users.
type VersionedStore interface {
	clerkhook.UserStore
	UserVersionReader
}

// caseTimeout bounds each subtest of the suite, so that a store that
// blocks, such as one waiting for a lock it never gets, fails the subtest
// instead of hanging the test binary.
const caseTimeout = 30 * time.Second

// TestUserStore checks that the stores newStore returns keep the rules of
// [clerkhook.UserStore], and those of the optional interfaces they
// implement. It runs one subtest per rule, one after the other, each with
// a store of its own from newStore and a context that expires after 30
// seconds. The ids of each subtest are random and new, so newStore may
// return stores over the same database without emptying it in between.
//
// The suite reads records back through the store's readers, of two kinds.
// The full readers of package clerkhook ([clerkhook.UserReader],
// [clerkhook.OrganizationReader], [clerkhook.MembershipReader]) return
// Clerk-shaped records, whose fields the suite compares: a store may keep
// only some of them, but it must return at least one of first_name,
// last_name, username, external_id, image_url, email_addresses and the
// metadata of a user (name, slug, image_url or metadata of an
// organization; id, role, role_name, permissions or metadata of a
// membership), so that versions can be told apart. The narrow readers of
// this package ([UserVersionReader], [OrganizationVersionReader],
// [MembershipVersionReader]) return the [Version] held, for a store that
// keeps its own shape; [TestVersionedStore] is the suite's entry for such
// a store. Where a store has both readers of a kind, the suite checks
// both. Without a reader of a kind, the suite checks only what the
// store's writes return: a store that keeps organizations or memberships
// should have one. The narrow reader cannot tell apart two versions with
// the same UpdatedAt, so for it the rule that the later one replaces the
// earlier is checked only by the upsert returning nil.
//
// Where a rule lets a store refuse an upsert, the suite accepts nil or an
// error matching [clerkhook.ErrStale]; any other error, or ErrStale from
// an upsert that must be applied, fails the subtest.
//
// For users (subtests Users/…), and for organizations (Organizations/…)
// when the store implements [clerkhook.OrganizationStore]:
//   - An upsert replaces an older version, and an upsert older than the
//     stored version is refused; the reader returns the newest version
//     whatever the order of arrival.
//   - An upsert with the same UpdatedAt as the stored version replaces it,
//     and repeating an upsert leaves the same state.
//   - An unknown id is not found, with an error matching
//     [clerkhook.ErrUserNotFound] (or ErrOrganizationNotFound).
//   - A delete hides the record (a full reader does not find it; a narrow
//     reader reports it deleted), and no later upsert brings it back, even
//     one with an UpdatedAt after the deletion. Deleting an unknown id is
//     not an error and leaves a tombstone that refuses a later upsert of
//     that id; deleting twice is not an error.
//   - Writers upserting versions of the same ids concurrently leave the
//     newest version of each; a delete concurrent with upserts of the same
//     id leaves it deleted. Each of these cases races its writers ten
//     times over fresh ids, so that a guard that reads the stored version
//     and then writes, with neither a lock nor a guarded statement, loses
//     an update in one of the rounds.
//
// When the store implements [clerkhook.MembershipStore] (Memberships/…):
//   - A membership of an unknown user and organization is stored; the
//     newest version wins, and one with the same UpdatedAt replaces the
//     stored one. An unknown membership is not found.
//   - DeleteMembership hides the membership and refuses a later upsert
//     whose UpdatedAt is not after the deletion, also when the membership
//     was unknown, while a membership of the same user and organization
//     with a later UpdatedAt (the user joined again) is stored. A deletion
//     older than the stored membership is ignored. Deleting twice is not an
//     error. An ignored deletion may return an error matching
//     [clerkhook.ErrStale].
//   - DeleteUser removes the user's memberships, and a membership of a
//     deleted user is refused; with an OrganizationStore, DeleteOrganization
//     does the same for the organization's memberships.
//   - Writers upserting versions of the same memberships concurrently
//     leave the newest of each, and a DeleteUser (or DeleteOrganization)
//     concurrent with upserts of the memberships it removes leaves none.
//
// For each kind of record the store keeps (subtests …/AwkwardText): a
// record decoded by package clerkhook from a payload whose text PostgreSQL
// cannot hold as is (U+0000 in a user's first_name and unsafe_metadata and
// in an organization's name, lone UTF-16 surrogates in metadata, invalid
// UTF-8), which stores receive with U+FFFD in its place, and a membership
// of that organization, are stored; a full reader returns them as given,
// Raw included when it returns one (JSON-equal, unknown keys included),
// and a narrow reader their version.
//
// When the store implements [clerkhook.Deduplicator] (Deduplicator/…):
//   - A claimed and completed delivery cannot be claimed again: the claim
//     fails with [clerkhook.ErrDuplicateDelivery]. A claimed delivery
//     neither completed nor released cannot be claimed:
//     [clerkhook.ErrDeliveryInProgress]. A released delivery can be claimed
//     again. Deliveries do not affect each other.
//   - Of concurrent claims of the same delivery, exactly one succeeds.
//   - Each claim has a token of its own. CompleteDelivery and
//     ReleaseDelivery with a token that does not hold the claim (of a
//     released claim, of another delivery's, one the store never made)
//     change nothing and fail with [clerkhook.ErrClaimLost]; completing
//     twice with the claim's token is not an error.
//   - When the store also implements [ClaimLapser]: a lapsed claim is taken
//     over with a new token, and the lapsed claim's token can then neither
//     release nor complete the delivery; a lapsed claim that was not taken
//     over can still be completed.
//
// When the store implements [clerkhook.DeliveryWriter] (DeliveryWriter/…):
//   - UpsertUserDelivery and DeleteUserDelivery apply their write with the
//     rules of users and record the delivery: calling either again with
//     the same delivery id writes nothing and fails with
//     ErrDuplicateDelivery, as does claiming it with the Deduplicator. For
//     a delivery claimed with the Deduplicator they write nothing and fail
//     with ErrDeliveryInProgress.
//   - Of concurrent calls with the same delivery id, exactly one writes.
//
// When the store implements [clerkhook.UserLister] (UserLister/…):
//   - UserIDs lists every stored user and no deleted one.
func TestUserStore(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	if newStore == nil {
		t.Fatal("clerkhooktest.TestUserStore: nil newStore")
	}
	runSuite(t, "TestUserStore", false, func(t *testing.T) clerkhook.UserStore { return newStore(t) })
}

// TestVersionedStore checks a store that keeps its own shape with the
// rules and subtests of [TestUserStore], through the narrow readers: the
// store's [UserVersionReader], and the [OrganizationVersionReader] and
// [MembershipVersionReader] of the organizations and memberships it keeps.
// It fails at once when the store implements [clerkhook.OrganizationStore]
// or [clerkhook.MembershipStore] without a reader of those records, narrow
// or full, since it could check none of their rules. The full readers a
// store also has are checked as TestUserStore checks them.
//
// A store whose narrow reader is a test's wrapper:
//
//	type versioned struct {
//		*mystore.Store
//		db *sql.DB
//	}
//
//	func (s versioned) UserVersion(ctx context.Context, id string) (clerkhooktest.Version, error) {
//		var v clerkhooktest.Version
//		var updatedAt sql.NullInt64
//		err := s.db.QueryRowContext(ctx, `SELECT updated_at, deleted_at IS NOT NULL FROM users WHERE clerk_id = $1`, id).
//			Scan(&updatedAt, &v.Deleted)
//		if errors.Is(err, sql.ErrNoRows) {
//			return v, clerkhook.ErrUserNotFound
//		}
//		v.UpdatedAt = clerkhook.UnixMilli(updatedAt.Int64)
//		return v, err
//	}
//
//	func TestMyStore(t *testing.T) {
//		db := testDB(t)
//		clerkhooktest.TestVersionedStore(t, func(t *testing.T) clerkhooktest.VersionedStore {
//			return versioned{mystore.New(db), db}
//		})
//	}
func TestVersionedStore(t *testing.T, newStore func(t *testing.T) VersionedStore) {
	t.Helper()
	if newStore == nil {
		t.Fatal("clerkhooktest.TestVersionedStore: nil newStore")
	}
	runSuite(t, "TestVersionedStore", true, func(t *testing.T) clerkhook.UserStore { return newStore(t) })
}

// runSuite runs the subtests on the stores of newStore, for the entry
// point named entry; with readersRequired, a store must have a reader of
// each kind of record it keeps.
func runSuite(t *testing.T, entry string, readersRequired bool, newStore func(t *testing.T) clerkhook.UserStore) {
	t.Helper()
	probe := newStore(t)
	if probe == nil {
		t.Fatalf("clerkhooktest.%s: newStore returned nil", entry)
	}
	want := capabilitiesOf(probe)
	if readersRequired {
		if want.organizations && !want.organizationReader && !want.organizationVersions {
			t.Fatalf("clerkhooktest.%s: the %T implements clerkhook.OrganizationStore but neither clerkhooktest.OrganizationVersionReader nor clerkhook.OrganizationReader, so the rules of organizations cannot be checked", entry, probe)
		}
		if want.memberships && !want.membershipReader && !want.membershipVersions {
			t.Fatalf("clerkhooktest.%s: the %T implements clerkhook.MembershipStore but neither clerkhooktest.MembershipVersionReader nor clerkhook.MembershipReader, so the rules of memberships cannot be checked", entry, probe)
		}
	}
	newHarness := func(t *testing.T) *harness {
		t.Helper()
		s := newStore(t)
		if s == nil {
			t.Fatalf("clerkhooktest.%s: newStore returned nil", entry)
		}
		if got := capabilitiesOf(s); got != want {
			t.Fatalf("clerkhooktest.%s: newStore returned a %T, which implements %v, after a %T, which implements %v", entry, s, got, probe, want)
		}
		ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
		t.Cleanup(cancel)
		return &harness{t: t, ctx: ctx, s: s, base: time.Now().Add(-time.Hour).Truncate(time.Millisecond)}
	}
	run := func(group string, cases []storeCase) {
		t.Run(group, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.run(newHarness(t)) })
			}
		})
	}

	users := userRecord(want)
	run("Users", append(recordCases(users), awkwardTextCase(users, awkwardUser)))
	if want.organizations {
		orgs := organizationRecord(want)
		run("Organizations", append(recordCases(orgs), awkwardTextCase(orgs, awkwardOrganization)))
	}
	if want.memberships {
		run("Memberships", append(membershipCases(want), awkwardMembershipCase(want.organizations)))
	}
	if want.deduplicator {
		run("Deduplicator", deduplicatorCases(want.claimLapser))
	}
	if want.deliveryWriter {
		run("DeliveryWriter", deliveryWriterCases(users, want.deduplicator))
	}
	if want.userLister {
		run("UserLister", userListerCases())
	}
}

// A storeCase checks one rule on a fresh store.
type storeCase struct {
	name string
	run  func(h *harness)
}

// capabilities lists the interfaces of package clerkhook, and the narrow
// readers of this package, a store implements.
type capabilities struct {
	userReader           bool
	userVersions         bool
	organizations        bool
	organizationReader   bool
	organizationVersions bool
	memberships          bool
	membershipReader     bool
	membershipVersions   bool
	deduplicator         bool
	deliveryWriter       bool
	userLister           bool
	claimLapser          bool
}

func capabilitiesOf(s clerkhook.UserStore) capabilities {
	_, userReader := s.(clerkhook.UserReader)
	_, userVersions := s.(UserVersionReader)
	_, orgs := s.(clerkhook.OrganizationStore)
	_, orgReader := s.(clerkhook.OrganizationReader)
	_, orgVersions := s.(OrganizationVersionReader)
	_, members := s.(clerkhook.MembershipStore)
	_, memberReader := s.(clerkhook.MembershipReader)
	_, memberVersions := s.(MembershipVersionReader)
	_, dedup := s.(clerkhook.Deduplicator)
	_, writer := s.(clerkhook.DeliveryWriter)
	_, lister := s.(clerkhook.UserLister)
	_, lapser := s.(ClaimLapser)
	return capabilities{
		userReader:           userReader,
		userVersions:         userVersions,
		organizations:        orgs,
		organizationReader:   orgs && orgReader,
		organizationVersions: orgs && orgVersions,
		memberships:          members,
		membershipReader:     members && memberReader,
		membershipVersions:   members && memberVersions,
		deduplicator:         dedup,
		deliveryWriter:       writer,
		userLister:           lister,
		claimLapser:          dedup && lapser,
	}
}

func (c capabilities) String() string {
	return fmt.Sprintf("UserReader=%t UserVersionReader=%t OrganizationStore=%t OrganizationReader=%t OrganizationVersionReader=%t MembershipStore=%t MembershipReader=%t MembershipVersionReader=%t Deduplicator=%t DeliveryWriter=%t UserLister=%t ClaimLapser=%t",
		c.userReader, c.userVersions, c.organizations, c.organizationReader, c.organizationVersions, c.memberships, c.membershipReader, c.membershipVersions, c.deduplicator, c.deliveryWriter, c.userLister, c.claimLapser)
}

// harness is the state of one subtest.
type harness struct {
	t   *testing.T
	ctx context.Context
	s   clerkhook.UserStore
	// base is an hour before the subtest started; the times of the
	// subtest are offsets from it.
	base time.Time
}

// at returns the time n seconds after the base time, as Clerk sends it.
func (h *harness) at(n int) clerkhook.UnixMilli {
	return clerkhook.UnixMilli(h.base.Add(time.Duration(n) * time.Second).UnixMilli())
}

// time returns the time n seconds after the base time.
func (h *harness) time(n int) time.Time {
	return h.base.Add(time.Duration(n) * time.Second)
}
