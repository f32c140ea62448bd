package clerkhooktest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

func TestUserStoreMemoryStore(t *testing.T) {
	clerkhooktest.TestUserStore(t, func(*testing.T) clerkhooktest.Store {
		return newLapsingMemoryStore()
	})
}

// lapsingMemoryStore is a MemoryStore on a clock that LapseClaim moves past
// the claim timeout, so that the suite checks takeovers of lapsed claims.
type lapsingMemoryStore struct {
	*clerkhook.MemoryStore
	mu  sync.Mutex
	now time.Time
}

func newLapsingMemoryStore() *lapsingMemoryStore {
	s := &lapsingMemoryStore{now: time.Now()}
	s.MemoryStore = clerkhook.NewMemoryStore(clerkhook.WithStoreClock(s.clock))
	return s
}

func (s *lapsingMemoryStore) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// LapseClaim implements clerkhooktest.ClaimLapser: it lapses every claim.
func (s *lapsingMemoryStore) LapseClaim(context.Context, string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = s.now.Add(s.ClaimTimeout())
	return nil
}

// TestUserStoreMinimalStore shows that the suite asks no more than the
// contract: a store that keeps three fields of a user, and implements no
// optional interface, passes.
func TestUserStoreMinimalStore(t *testing.T) {
	clerkhooktest.TestUserStore(t, func(*testing.T) clerkhooktest.Store {
		return newMapStore(nil)
	})
}

// brokenStoreEnv names the environment variable that selects the broken
// store TestBrokenStoreHelper checks.
const brokenStoreEnv = "CLERKHOOKTEST_BROKEN_STORE"

// TestBrokenStoreHelper runs the suite on a broken store when
// TestUserStoreCatchesBrokenStores runs it in a subprocess; on its own it
// has nothing to do. The stores whose names start with "narrow-" keep
// their own shape, and are checked through the narrow readers.
func TestBrokenStoreHelper(t *testing.T) {
	name := os.Getenv(brokenStoreEnv)
	if name == "" {
		return
	}
	full := map[string]func() clerkhooktest.Store{
		"ordering":    func() clerkhooktest.Store { return newMapStore(func(s *mapStore) { s.noOrdering = true }) },
		"tombstones":  func() clerkhooktest.Store { return newMapStore(func(s *mapStore) { s.noTombstones = true }) },
		"memberships": func() clerkhooktest.Store { return forgetfulMemberships{clerkhook.NewMemoryStore()} },
		"claims":      func() clerkhooktest.Store { return sharedClaims{clerkhook.NewMemoryStore()} },
		"tokens":      func() clerkhooktest.Store { return newIgnoredTokens() },
		"blind-narrow-reader": func() clerkhooktest.Store {
			return blindNarrowReader{clerkhook.NewMemoryStore()}
		},
	}
	narrow := map[string]func() clerkhooktest.VersionedStore{
		"narrow-ordering":   func() clerkhooktest.VersionedStore { return newProfileStore(profileFlaws{noOrdering: true}) },
		"narrow-tombstones": func() clerkhooktest.VersionedStore { return newProfileStore(profileFlaws{noTombstones: true}) },
		"narrow-cascades":   func() clerkhooktest.VersionedStore { return newProfileStore(profileFlaws{noCascades: true}) },
		"narrow-racy-guard": func() clerkhooktest.VersionedStore { return newProfileStore(profileFlaws{racyGuard: true}) },
		"narrow-blind-full-reader": func() clerkhooktest.VersionedStore {
			return blindFullReader{newProfileStore(profileFlaws{})}
		},
		"narrow-unread-memberships": func() clerkhooktest.VersionedStore {
			s := newProfileStore(profileFlaws{})
			return unreadMemberships{struct{ clerkhooktest.VersionedStore }{s}, s}
		},
	}
	if newStore, ok := full[name]; ok {
		clerkhooktest.TestUserStore(t, func(*testing.T) clerkhooktest.Store { return newStore() })
		return
	}
	if newStore, ok := narrow[name]; ok {
		clerkhooktest.TestVersionedStore(t, func(*testing.T) clerkhooktest.VersionedStore { return newStore() })
		return
	}
	t.Fatalf("unknown %s=%q", brokenStoreEnv, name)
}

// TestUserStoreCatchesBrokenStores runs the suite on stores that break one
// rule each, in a subprocess since the suite fails the test it is given,
// and checks that it fails the subtests of that rule and not others.
func TestUserStoreCatchesBrokenStores(t *testing.T) {
	tests := []struct {
		store    string
		wantFail []string
		wantPass []string
		// wantOutput is in the output of a store the suite refuses
		// before any subtest.
		wantOutput string
	}{
		{
			store:    "ordering",
			wantFail: []string{"Users/OlderDoesNotReplaceNewer", "Users/NewestWinsInAnyOrder", "Users/RepeatedUpsert"},
			wantPass: []string{"Users/NewerReplacesOlder", "Users/EqualUpdatedAtReplaces", "Users/DeleteHides", "Users/NoUpsertRevivesDeleted", "Users/DeleteUnknownRefusesUpsert"},
		},
		{
			store:    "tombstones",
			wantFail: []string{"Users/NoUpsertRevivesDeleted", "Users/DeleteUnknownRefusesUpsert", "Users/RepeatedDelete", "Users/ConcurrentUpsertsAndDelete"},
			wantPass: []string{"Users/NewerReplacesOlder", "Users/OlderDoesNotReplaceNewer", "Users/NewestWinsInAnyOrder", "Users/DeleteHides", "Users/ConcurrentUpserts"},
		},
		{
			store:    "memberships",
			wantFail: []string{"Memberships/DeleteHides", "Memberships/LateUpsertAfterDeleteRefused", "Memberships/DeleteUnknownRefusesOlderUpsert"},
			wantPass: []string{"Users/NoUpsertRevivesDeleted", "Memberships/NewerReplacesOlder", "Memberships/OlderDeleteIgnored", "Memberships/DeleteUserRemovesMemberships"},
		},
		{
			store:    "claims",
			wantFail: []string{"Deduplicator/ClaimedIsInProgress", "Deduplicator/ConcurrentClaimsOneWins"},
			wantPass: []string{"Deduplicator/CompletedIsDuplicate", "Deduplicator/ReleasedCanBeClaimed", "DeliveryWriter/UpsertAppliesAndRecords"},
		},
		{
			store: "tokens",
			wantFail: []string{"Deduplicator/ReleasedTokenChangesNothing", "Deduplicator/ForeignTokenChangesNothing",
				"Deduplicator/LapsedClaimTakenOver"},
			wantPass: []string{"Deduplicator/CompletedIsDuplicate", "Deduplicator/ClaimedIsInProgress", "Deduplicator/ReleasedCanBeClaimed",
				"Deduplicator/LapsedClaimCompletes", "Deduplicator/ConcurrentClaimsOneWins"},
		},
		{
			// A full store whose narrow reader is wrong: both are checked.
			store:    "blind-narrow-reader",
			wantFail: []string{"Users/NewerReplacesOlder", "Users/DeleteHides", "DeliveryWriter/UpsertAppliesAndRecords"},
			wantPass: []string{"Users/UnknownIsNotFound", "Organizations/NewerReplacesOlder", "Memberships/DeleteHides", "Deduplicator/CompletedIsDuplicate"},
		},
		{
			store: "narrow-ordering",
			wantFail: []string{"Users/OlderDoesNotReplaceNewer", "Users/NewestWinsInAnyOrder", "Users/RepeatedUpsert",
				"Organizations/OlderDoesNotReplaceNewer", "Memberships/OlderDoesNotReplaceNewer"},
			wantPass: []string{"Users/NewerReplacesOlder", "Users/EqualUpdatedAtReplaces", "Users/UnknownIsNotFound", "Users/DeleteHides",
				"Users/NoUpsertRevivesDeleted", "Users/DeleteUnknownRefusesUpsert", "Users/ConcurrentUpsertsAndDelete", "Users/AwkwardText",
				"Memberships/DeleteHides", "Memberships/DeleteUserRemovesMemberships", "UserLister/lists_live_users_only"},
		},
		{
			store: "narrow-tombstones",
			wantFail: []string{"Users/DeleteHides", "Users/NoUpsertRevivesDeleted", "Users/DeleteUnknownRefusesUpsert", "Users/RepeatedDelete",
				"Users/ConcurrentUpsertsAndDelete", "Organizations/DeleteUnknownRefusesUpsert", "Memberships/DeleteHides",
				"Memberships/LateUpsertAfterDeleteRefused", "Memberships/DeletedUserRefusesMembership"},
			wantPass: []string{"Users/NewerReplacesOlder", "Users/OlderDoesNotReplaceNewer", "Users/NewestWinsInAnyOrder", "Users/UnknownIsNotFound",
				"Users/ConcurrentUpserts", "Memberships/NewerReplacesOlder", "Memberships/DeleteUserRemovesMemberships"},
		},
		{
			store: "narrow-cascades",
			wantFail: []string{"Memberships/DeleteUserRemovesMemberships", "Memberships/DeleteOrganizationRemovesMemberships",
				"Memberships/ConcurrentDeleteUser", "Memberships/ConcurrentDeleteOrganization"},
			wantPass: []string{"Users/NoUpsertRevivesDeleted", "Users/ConcurrentUpsertsAndDelete", "Memberships/DeleteHides",
				"Memberships/RejoinAfterDeleteStored", "Memberships/DeletedUserRefusesMembership",
				"Memberships/DeletedOrganizationRefusesMembership", "Memberships/ConcurrentUpserts"},
		},
		{
			store: "narrow-racy-guard",
			wantFail: []string{"Users/ConcurrentUpserts", "Users/ConcurrentUpsertsAndDelete", "Organizations/ConcurrentUpserts",
				"Organizations/ConcurrentUpsertsAndDelete", "Memberships/ConcurrentUpserts", "Memberships/ConcurrentDeleteUser",
				"Memberships/ConcurrentDeleteOrganization"},
			wantPass: []string{"Users/NewerReplacesOlder", "Users/OlderDoesNotReplaceNewer", "Users/NewestWinsInAnyOrder", "Users/RepeatedUpsert",
				"Users/DeleteHides", "Users/NoUpsertRevivesDeleted", "Users/DeleteUnknownRefusesUpsert", "Memberships/LateUpsertAfterDeleteRefused",
				"Memberships/DeleteUserRemovesMemberships", "Memberships/DeletedUserRefusesMembership"},
		},
		{
			// A narrow store whose full reader is wrong: both are checked.
			store:    "narrow-blind-full-reader",
			wantFail: []string{"Users/NewerReplacesOlder", "Users/NewestWinsInAnyOrder", "Users/AwkwardText"},
			wantPass: []string{"Users/UnknownIsNotFound", "Users/DeleteHides", "Users/ConcurrentUpsertsAndDelete", "Memberships/DeleteHides"},
		},
		{
			store:      "narrow-unread-memberships",
			wantOutput: "implements clerkhook.MembershipStore but neither clerkhooktest.MembershipVersionReader nor clerkhook.MembershipReader",
		},
	}
	for _, tt := range tests {
		t.Run(tt.store, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenStoreHelper$", "-test.v")
			cmd.Env = append(os.Environ(), brokenStoreEnv+"="+tt.store)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite passed the %s store:\n%s", tt.store, out)
			assert.NotZero(t, exit.ExitCode())
			for _, name := range tt.wantFail {
				assert.Regexp(t, subtestResult("FAIL", name), string(out), "subtest %s should fail", name)
			}
			for _, name := range tt.wantPass {
				assert.Regexp(t, subtestResult("PASS", name), string(out), "subtest %s should pass", name)
			}
			assert.Contains(t, string(out), tt.wantOutput)
		})
	}
}

// forgetfulMemberships deletes no membership.
type forgetfulMemberships struct{ *clerkhook.MemoryStore }

func (forgetfulMemberships) DeleteMembership(context.Context, string, string, time.Time) error {
	return nil
}

// sharedClaims lets a delivery be claimed while another claim of it is
// outstanding.
type sharedClaims struct{ *clerkhook.MemoryStore }

func (s sharedClaims) ClaimDelivery(ctx context.Context, deliveryID, eventType string) (string, error) {
	token, err := s.MemoryStore.ClaimDelivery(ctx, deliveryID, eventType)
	if !errors.Is(err, clerkhook.ErrDeliveryInProgress) {
		return token, err
	}
	return "shared", nil
}

// ignoredTokens completes and releases a delivery's current claim whatever
// token it is given, as a ledger keyed by delivery id alone does.
type ignoredTokens struct {
	*lapsingMemoryStore
	mu      sync.Mutex
	current map[string]string
}

func newIgnoredTokens() *ignoredTokens {
	return &ignoredTokens{lapsingMemoryStore: newLapsingMemoryStore(), current: make(map[string]string)}
}

func (s *ignoredTokens) ClaimDelivery(ctx context.Context, deliveryID, eventType string) (string, error) {
	token, err := s.MemoryStore.ClaimDelivery(ctx, deliveryID, eventType)
	if err == nil {
		s.mu.Lock()
		s.current[deliveryID] = token
		s.mu.Unlock()
	}
	return token, err
}

func (s *ignoredTokens) token(deliveryID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current[deliveryID]
}

func (s *ignoredTokens) CompleteDelivery(ctx context.Context, deliveryID, _ string) error {
	return s.MemoryStore.CompleteDelivery(ctx, deliveryID, s.token(deliveryID))
}

func (s *ignoredTokens) ReleaseDelivery(ctx context.Context, deliveryID, _ string) error {
	return s.MemoryStore.ReleaseDelivery(ctx, deliveryID, s.token(deliveryID))
}

func subtestResult(result, name string) *regexp.Regexp {
	return regexp.MustCompile(`--- ` + result + `: TestBrokenStoreHelper/` + regexp.QuoteMeta(name) + ` \(`)
}

// mapStore is as small a store as the contract of clerkhook.UserStore
// allows: it keeps a user's id, first name, primary email address and
// updated_at. Its two flags break the ordering guard and the tombstones.
type mapStore struct {
	noOrdering   bool
	noTombstones bool

	mu      sync.Mutex
	users   map[string]userRow
	deleted map[string]bool
}

type userRow struct {
	firstName *string
	email     string
	updatedAt clerkhook.UnixMilli
}

func newMapStore(breakIt func(*mapStore)) *mapStore {
	s := &mapStore{users: make(map[string]userRow), deleted: make(map[string]bool)}
	if breakIt != nil {
		breakIt(s)
	}
	return s
}

func (s *mapStore) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted[u.ID] && !s.noTombstones {
		return fmt.Errorf("user %s: %w", u.ID, clerkhook.ErrStale)
	}
	if old, ok := s.users[u.ID]; ok && old.updatedAt > u.UpdatedAt && !s.noOrdering {
		return nil
	}
	s.users[u.ID] = userRow{firstName: u.FirstName, email: u.PrimaryEmail(), updatedAt: u.UpdatedAt}
	return nil
}

func (s *mapStore) DeleteUser(ctx context.Context, id string, deletedAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, id)
	s.deleted[id] = true
	return nil
}

func (s *mapStore) User(ctx context.Context, id string) (*clerkhook.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	row, ok := s.users[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", clerkhook.ErrUserNotFound, id)
	}
	emailID := "idn_" + id
	return &clerkhook.User{
		ID:                    id,
		FirstName:             row.firstName,
		PrimaryEmailAddressID: &emailID,
		EmailAddresses:        []clerkhook.EmailAddress{{ID: emailID, EmailAddress: row.email}},
		UpdatedAt:             row.updatedAt,
	}, nil
}
