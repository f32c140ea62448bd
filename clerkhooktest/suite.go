package clerkhooktest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clerkhook/clerkhook"
)

// ClaimLapser is implemented by a store given to [TestUserStore] that can
// make the claim of a delivery lapse at once, as if its claim timeout had
// passed, so that the suite can check what happens when another attempt
// takes over a lapsed claim. It is meant for a test's wrapper of the store
// (which can move the store's clock, or age the claim in its table), not
// for the store itself.
type ClaimLapser interface {
	LapseClaim(ctx context.Context, deliveryID string) error
}

// Store is the least a store must implement to be checked by
// [TestUserStore]: a [clerkhook.UserStore] that can read its users back.
type Store interface {
	clerkhook.UserStore
	clerkhook.UserReader
}

// caseTimeout bounds each subtest of TestUserStore, so that a store that
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
// The suite reads records back through the store's readers and compares
// the fields the store returns: a store may keep only some of them, but it
// must return at least one of first_name, last_name, username,
// external_id, image_url, email_addresses and the metadata of a user (name,
// slug, image_url or metadata of an organization; id, role, role_name,
// permissions or metadata of a membership), so that versions can be told
// apart. Where a rule lets a store refuse an upsert, the suite accepts nil
// or an error matching [clerkhook.ErrStale]; any other error, or ErrStale
// from an upsert that must be applied, fails the subtest.
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
//   - A delete hides the record, and no later upsert brings it back, even
//     one with an UpdatedAt after the deletion. Deleting an unknown id is
//     not an error and refuses a later upsert of that id; deleting twice is
//     not an error.
//   - Writers upserting versions of the same ids concurrently leave the
//     newest version of each; a delete concurrent with upserts of the same
//     id leaves it deleted.
//
// The organization reads are checked when the store also implements
// [clerkhook.OrganizationReader]. When the store implements
// [clerkhook.MembershipStore] (Memberships/…, reads checked with
// [clerkhook.MembershipReader]):
//   - A membership of an unknown user and organization is stored; the
//     newest version wins, and one with the same UpdatedAt replaces the
//     stored one.
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
//
// For each kind of record the store keeps (subtests …/AwkwardText): a
// record decoded by package clerkhook from a payload whose text PostgreSQL
// cannot hold as is (U+0000 in a user's first_name and unsafe_metadata and
// in an organization's name, lone UTF-16 surrogates in metadata, invalid
// UTF-8), which stores receive with U+FFFD in its place, and a membership
// of that organization, are stored and read back as given, Raw included
// when the store returns it (JSON-equal, unknown keys included).
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
	probe := newStore(t)
	if probe == nil {
		t.Fatal("clerkhooktest.TestUserStore: newStore returned nil")
	}
	want := capabilitiesOf(probe)
	newHarness := func(t *testing.T) *harness {
		t.Helper()
		s := newStore(t)
		if s == nil {
			t.Fatal("clerkhooktest.TestUserStore: newStore returned nil")
		}
		if got := capabilitiesOf(s); got != want {
			t.Fatalf("clerkhooktest.TestUserStore: newStore returned a %T, which implements %v, after a %T, which implements %v", s, got, probe, want)
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

	run("Users", append(recordCases(userRecord()), awkwardTextCase(userRecord(), awkwardUser)))
	if want.organizations {
		orgs := organizationRecord(want.organizationReader)
		run("Organizations", append(recordCases(orgs), awkwardTextCase(orgs, awkwardOrganization)))
	}
	if want.memberships {
		run("Memberships", append(membershipCases(want.organizations), awkwardMembershipCase(want.organizations)))
	}
	if want.deduplicator {
		run("Deduplicator", deduplicatorCases(want.claimLapser))
	}
	if want.deliveryWriter {
		run("DeliveryWriter", deliveryWriterCases(want.deduplicator))
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

// capabilities lists the interfaces of package clerkhook a store
// implements.
type capabilities struct {
	organizations      bool
	organizationReader bool
	memberships        bool
	membershipReader   bool
	deduplicator       bool
	deliveryWriter     bool
	userLister         bool
	claimLapser        bool
}

func capabilitiesOf(s Store) capabilities {
	_, orgs := s.(clerkhook.OrganizationStore)
	_, orgReader := s.(clerkhook.OrganizationReader)
	_, members := s.(clerkhook.MembershipStore)
	_, memberReader := s.(clerkhook.MembershipReader)
	_, dedup := s.(clerkhook.Deduplicator)
	_, writer := s.(clerkhook.DeliveryWriter)
	_, lister := s.(clerkhook.UserLister)
	_, lapser := s.(ClaimLapser)
	return capabilities{
		organizations:      orgs,
		organizationReader: orgs && orgReader,
		memberships:        members,
		membershipReader:   members && memberReader,
		deduplicator:       dedup,
		deliveryWriter:     writer,
		userLister:         lister,
		claimLapser:        dedup && lapser,
	}
}

func (c capabilities) String() string {
	return fmt.Sprintf("OrganizationStore=%t OrganizationReader=%t MembershipStore=%t MembershipReader=%t Deduplicator=%t DeliveryWriter=%t UserLister=%t ClaimLapser=%t",
		c.organizations, c.organizationReader, c.memberships, c.membershipReader, c.deduplicator, c.deliveryWriter, c.userLister, c.claimLapser)
}

// harness is the state of one subtest.
type harness struct {
	t   *testing.T
	ctx context.Context
	s   Store
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
