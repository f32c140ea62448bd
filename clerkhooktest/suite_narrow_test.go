package clerkhooktest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// TestVersionedStoreOwnShape checks a store that keeps a display name
// rather than Clerk's fields through its narrow readers, with every
// optional interface the suite checks.
func TestVersionedStoreOwnShape(t *testing.T) {
	clerkhooktest.TestVersionedStore(t, func(*testing.T) clerkhooktest.VersionedStore {
		return newLedgeredProfiles(profileFlaws{})
	})
}

// TestVersionedStoreMinimal shows that the narrow entry asks no more than
// a UserStore and its narrow reader of users.
func TestVersionedStoreMinimal(t *testing.T) {
	clerkhooktest.TestVersionedStore(t, func(*testing.T) clerkhooktest.VersionedStore {
		return struct{ clerkhooktest.VersionedStore }{newProfileStore(profileFlaws{})}
	})
}

// TestVersionedStoreBothReaders checks a store with both readers of users
// from either entry.
func TestVersionedStoreBothReaders(t *testing.T) {
	t.Run("TestVersionedStore", func(t *testing.T) {
		clerkhooktest.TestVersionedStore(t, func(*testing.T) clerkhooktest.VersionedStore {
			return fullProfiles{newProfileStore(profileFlaws{})}
		})
	})
	t.Run("TestUserStore", func(t *testing.T) {
		clerkhooktest.TestUserStore(t, func(*testing.T) clerkhooktest.Store {
			return fullProfiles{newProfileStore(profileFlaws{})}
		})
	})
}

// profileFlaws break the rules of a profileStore, one flag for each.
type profileFlaws struct {
	noOrdering   bool // upserts replace newer versions
	noTombstones bool // deletions remove the record and remember nothing
	noCascades   bool // DeleteUser and DeleteOrganization leave memberships
	// racyGuard checks the stored version, then writes, with no lock held
	// in between, and yields there so that other writers run.
	racyGuard bool
}

// profileStore keeps users in a shape of its own, as an application's
// table does: a display name and a handle, Clerk's updated_at and a
// deletion flag. Organizations keep a name, memberships a role.
type profileStore struct {
	flaws profileFlaws

	mu      sync.Mutex
	users   map[string]profile
	orgs    map[string]profile
	members map[seatKey]seat
}

// profile is a user or an organization.
type profile struct {
	name, handle string
	updatedAt    clerkhook.UnixMilli
	deleted      bool
}

type seatKey struct{ org, user string }

// seat is a membership; a deleted one keeps the time of its deletion.
type seat struct {
	role      string
	updatedAt clerkhook.UnixMilli
	deleted   bool
	deletedAt clerkhook.UnixMilli
}

func newProfileStore(flaws profileFlaws) *profileStore {
	return &profileStore{flaws: flaws, users: make(map[string]profile), orgs: make(map[string]profile), members: make(map[seatKey]seat)}
}

// write runs refuse under the lock and, unless it returned an error, then
// apply, under the same lock or, with the racy guard, after letting go of
// it and yielding.
func (s *profileStore) write(refuse func() error, apply func()) error {
	s.mu.Lock()
	err := refuse()
	if err == nil && !s.flaws.racyGuard {
		apply()
	}
	s.mu.Unlock()
	if err != nil || !s.flaws.racyGuard {
		return err
	}
	runtime.Gosched()
	s.mu.Lock()
	defer s.mu.Unlock()
	apply()
	return nil
}

// refuseProfile returns ErrStale when the profile held refuses a version
// updated at updatedAt.
func (s *profileStore) refuseProfile(held map[string]profile, id string, updatedAt clerkhook.UnixMilli) error {
	old, ok := held[id]
	switch {
	case !ok:
		return nil
	case old.deleted && !s.flaws.noTombstones, old.updatedAt > updatedAt && !s.flaws.noOrdering:
		return fmt.Errorf("%s: %w", id, clerkhook.ErrStale)
	}
	return nil
}

// deleteProfile deletes the profile id, and the memberships of it.
func (s *profileStore) deleteProfile(held map[string]profile, id string, memberOf func(seatKey) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flaws.noTombstones {
		delete(held, id)
	} else {
		held[id] = profile{deleted: true}
	}
	if s.flaws.noCascades {
		return
	}
	for k := range s.members {
		if memberOf(k) {
			delete(s.members, k)
		}
	}
}

func (s *profileStore) UpsertUser(_ context.Context, u *clerkhook.User) error {
	p := profile{name: u.FullName(), handle: deref(u.Username), updatedAt: u.UpdatedAt}
	return s.write(func() error { return s.refuseProfile(s.users, u.ID, u.UpdatedAt) }, func() { s.users[u.ID] = p })
}

func (s *profileStore) DeleteUser(_ context.Context, id string, _ time.Time) error {
	s.deleteProfile(s.users, id, func(k seatKey) bool { return k.user == id })
	return nil
}

func (s *profileStore) UpsertOrganization(_ context.Context, o *clerkhook.Organization) error {
	p := profile{name: o.Name, updatedAt: o.UpdatedAt}
	return s.write(func() error { return s.refuseProfile(s.orgs, o.ID, o.UpdatedAt) }, func() { s.orgs[o.ID] = p })
}

func (s *profileStore) DeleteOrganization(_ context.Context, id string, _ time.Time) error {
	s.deleteProfile(s.orgs, id, func(k seatKey) bool { return k.org == id })
	return nil
}

func (s *profileStore) UpsertMembership(_ context.Context, m *clerkhook.OrganizationMembership) error {
	k := seatKey{m.OrganizationID(), m.UserID()}
	return s.write(func() error {
		if s.users[k.user].deleted || s.orgs[k.org].deleted {
			return fmt.Errorf("membership of a deleted user or organization: %w", clerkhook.ErrStale)
		}
		old, ok := s.members[k]
		switch {
		case !ok:
		case old.deleted && m.UpdatedAt <= old.deletedAt && !s.flaws.noTombstones, !old.deleted && old.updatedAt > m.UpdatedAt && !s.flaws.noOrdering:
			return fmt.Errorf("membership: %w", clerkhook.ErrStale)
		}
		return nil
	}, func() { s.members[k] = seat{role: m.Role, updatedAt: m.UpdatedAt} })
}

func (s *profileStore) DeleteMembership(_ context.Context, orgID, userID string, deletedAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, at := seatKey{orgID, userID}, clerkhook.UnixMilli(deletedAt.UnixMilli())
	old := s.members[k]
	switch {
	case !old.deleted && old.updatedAt > at:
		return fmt.Errorf("membership deletion: %w", clerkhook.ErrStale)
	case s.flaws.noTombstones:
		delete(s.members, k)
	default:
		s.members[k] = seat{deleted: true, deletedAt: max(old.deletedAt, at)}
	}
	return nil
}

func (s *profileStore) UserVersion(_ context.Context, id string) (clerkhooktest.Version, error) {
	return s.profileVersion(s.users, id, clerkhook.ErrUserNotFound)
}

func (s *profileStore) OrganizationVersion(_ context.Context, id string) (clerkhooktest.Version, error) {
	return s.profileVersion(s.orgs, id, clerkhook.ErrOrganizationNotFound)
}

func (s *profileStore) profileVersion(held map[string]profile, id string, notFound error) (clerkhooktest.Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := held[id]
	if !ok {
		return clerkhooktest.Version{}, fmt.Errorf("%w: %s", notFound, id)
	}
	return clerkhooktest.Version{UpdatedAt: p.updatedAt, Deleted: p.deleted}, nil
}

func (s *profileStore) MembershipVersion(_ context.Context, orgID, userID string) (clerkhooktest.Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.members[seatKey{orgID, userID}]
	if !ok {
		return clerkhooktest.Version{}, fmt.Errorf("%w: %s, %s", clerkhook.ErrMembershipNotFound, orgID, userID)
	}
	return clerkhooktest.Version{UpdatedAt: m.updatedAt, Deleted: m.deleted}, nil
}

func (s *profileStore) UserIDs(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, p := range s.users {
		if !p.deleted {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ledgeredProfiles is a profileStore with a ledger in memory, and a
// DeliveryWriter that claims, writes and completes, so that the suite
// reads the writes of its deliveries through the narrow reader.
type ledgeredProfiles struct {
	*profileStore
	ledger *lapsingMemoryStore
}

func newLedgeredProfiles(flaws profileFlaws) ledgeredProfiles {
	return ledgeredProfiles{newProfileStore(flaws), newLapsingMemoryStore()}
}

func (s ledgeredProfiles) ClaimDelivery(ctx context.Context, deliveryID, eventType string) (string, error) {
	return s.ledger.ClaimDelivery(ctx, deliveryID, eventType)
}

func (s ledgeredProfiles) CompleteDelivery(ctx context.Context, deliveryID, token string) error {
	return s.ledger.CompleteDelivery(ctx, deliveryID, token)
}

func (s ledgeredProfiles) ReleaseDelivery(ctx context.Context, deliveryID, token string) error {
	return s.ledger.ReleaseDelivery(ctx, deliveryID, token)
}

func (s ledgeredProfiles) LapseClaim(ctx context.Context, deliveryID string) error {
	return s.ledger.LapseClaim(ctx, deliveryID)
}

func (s ledgeredProfiles) UpsertUserDelivery(ctx context.Context, deliveryID, eventType string, u *clerkhook.User) error {
	return s.delivery(ctx, deliveryID, eventType, func() error { return s.UpsertUser(ctx, u) })
}

func (s ledgeredProfiles) DeleteUserDelivery(ctx context.Context, deliveryID, eventType, userID string, deletedAt time.Time) error {
	return s.delivery(ctx, deliveryID, eventType, func() error { return s.DeleteUser(ctx, userID, deletedAt) })
}

// delivery claims the delivery, writes, and completes it, or releases it
// when the write failed; a refused write is recorded, and reported.
func (s ledgeredProfiles) delivery(ctx context.Context, deliveryID, eventType string, write func() error) error {
	token, err := s.ledger.ClaimDelivery(ctx, deliveryID, eventType)
	if err != nil {
		return err
	}
	stale := write()
	if stale != nil && !errors.Is(stale, clerkhook.ErrStale) {
		return errors.Join(stale, s.ledger.ReleaseDelivery(ctx, deliveryID, token))
	}
	if err := s.ledger.CompleteDelivery(ctx, deliveryID, token); err != nil {
		return err
	}
	return stale
}

// fullProfiles is a profileStore that also has a full reader of users,
// which returns the handle it keeps as the username.
type fullProfiles struct{ *profileStore }

func (s fullProfiles) User(_ context.Context, id string) (*clerkhook.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.users[id]
	if !ok || p.deleted {
		return nil, fmt.Errorf("%w: %s", clerkhook.ErrUserNotFound, id)
	}
	return &clerkhook.User{ID: id, Username: &p.handle, UpdatedAt: p.updatedAt}, nil
}

// blindFullReader is a profileStore whose full reader finds no user.
type blindFullReader struct{ *profileStore }

func (blindFullReader) User(_ context.Context, id string) (*clerkhook.User, error) {
	return nil, fmt.Errorf("%w: %s", clerkhook.ErrUserNotFound, id)
}

// blindNarrowReader is a MemoryStore whose narrow reader holds no user.
type blindNarrowReader struct{ *clerkhook.MemoryStore }

func (blindNarrowReader) UserVersion(_ context.Context, id string) (clerkhooktest.Version, error) {
	return clerkhooktest.Version{}, fmt.Errorf("%w: %s", clerkhook.ErrUserNotFound, id)
}

// unreadMemberships keeps memberships but has no reader of them.
type unreadMemberships struct {
	clerkhooktest.VersionedStore
	clerkhook.MembershipStore
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
