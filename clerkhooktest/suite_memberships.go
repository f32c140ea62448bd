package clerkhooktest

import (
	"errors"
	"fmt"

	"github.com/clerkhook/clerkhook"
)

// membershipCases returns the cases of the rules of
// clerkhook.MembershipStore; those of DeleteOrganization need an
// OrganizationStore too.
func membershipCases(withOrganizations bool) []storeCase {
	cases := []storeCase{
		{"UnknownUserAndOrganization", func(h *harness) {
			m := newMember().version(h, 1, 1)
			h.mustUpsertMembership(m)
			h.expectMembership(m)
		}},
		{"NewerReplacesOlder", func(h *harness) {
			mb := newMember()
			h.mustUpsertMembership(mb.version(h, 1, 1))
			v2 := mb.version(h, 2, 2)
			h.mustUpsertMembership(v2)
			h.expectMembership(v2)
		}},
		{"OlderDoesNotReplaceNewer", func(h *harness) {
			mb := newMember()
			v2 := mb.version(h, 2, 2)
			h.mustUpsertMembership(v2)
			h.mustRefuseMembership(mb.version(h, 1, 1))
			h.expectMembership(v2)
		}},
		{"EqualUpdatedAtReplaces", func(h *harness) {
			mb := newMember()
			h.mustUpsertMembership(mb.version(h, 1, 1))
			again := mb.version(h, 1, 2)
			h.mustUpsertMembership(again)
			h.expectMembership(again)
		}},
		{"DeleteHides", func(h *harness) {
			mb := newMember()
			h.mustUpsertMembership(mb.version(h, 1, 1))
			h.mustDeleteMembership(mb, 2)
			h.expectNoMembership(mb)
		}},
		{"LateUpsertAfterDeleteRefused", func(h *harness) {
			mb := newMember()
			h.mustUpsertMembership(mb.version(h, 1, 1))
			h.mustDeleteMembership(mb, 3)
			h.mustRefuseMembership(mb.version(h, 2, 2))
			h.mustRefuseMembership(mb.version(h, 3, 3))
			h.expectNoMembership(mb)
		}},
		{"RejoinAfterDeleteStored", func(h *harness) {
			mb := newMember()
			h.mustUpsertMembership(mb.version(h, 1, 1))
			h.mustDeleteMembership(mb, 2)
			// Clerk gives a user who joins again a new membership id.
			mb.id = newID("orgmem_")
			rejoined := mb.version(h, 3, 3)
			h.mustUpsertMembership(rejoined)
			h.expectMembership(rejoined)
		}},
		{"DeleteUnknownRefusesOlderUpsert", func(h *harness) {
			mb := newMember()
			h.mustDeleteMembership(mb, 2)
			h.mustRefuseMembership(mb.version(h, 1, 1))
			h.mustRefuseMembership(mb.version(h, 2, 2))
			h.expectNoMembership(mb)
			later := mb.version(h, 3, 3)
			h.mustUpsertMembership(later)
			h.expectMembership(later)
		}},
		{"OlderDeleteIgnored", func(h *harness) {
			mb := newMember()
			v3 := mb.version(h, 3, 3)
			h.mustUpsertMembership(v3)
			if err := h.s.(clerkhook.MembershipStore).DeleteMembership(h.ctx, mb.org, mb.user, h.time(2)); err != nil && !errors.Is(err, clerkhook.ErrStale) {
				h.t.Fatalf("DeleteMembership(%s, T+2s) older than the membership = %v; want nil or an error matching clerkhook.ErrStale", mb, err)
			}
			h.expectMembership(v3)
		}},
		{"RepeatedDelete", func(h *harness) {
			mb := newMember()
			h.mustUpsertMembership(mb.version(h, 1, 1))
			h.mustDeleteMembership(mb, 2)
			h.mustDeleteMembership(mb, 2)
			h.expectNoMembership(mb)
			h.mustRefuseMembership(mb.version(h, 2, 2))
			h.expectNoMembership(mb)
		}},
		{"DeleteUserRemovesMemberships", func(h *harness) {
			mine, other := newMember(), newMember()
			elsewhere := member{org: other.org, user: mine.user, id: newID("orgmem_")}
			for _, mb := range []member{mine, elsewhere, other} {
				h.mustUpsertMembership(mb.version(h, 1, 1))
			}
			if err := h.s.DeleteUser(h.ctx, mine.user, h.time(2)); err != nil {
				h.t.Fatalf("DeleteUser(%s, T+2s) = %v; want nil", mine.user, err)
			}
			h.expectNoMembership(mine)
			h.expectNoMembership(elsewhere)
			h.expectMembership(other.version(h, 1, 1))
		}},
		{"DeletedUserRefusesMembership", func(h *harness) {
			mb := newMember()
			if err := h.s.DeleteUser(h.ctx, mb.user, h.time(2)); err != nil {
				h.t.Fatalf("DeleteUser(%s, T+2s) = %v; want nil", mb.user, err)
			}
			h.mustRefuseMembership(mb.version(h, 1, 1))
			h.mustRefuseMembership(mb.version(h, 3, 3))
			h.expectNoMembership(mb)
		}},
	}
	if !withOrganizations {
		return cases
	}
	return append(cases,
		storeCase{"DeleteOrganizationRemovesMemberships", func(h *harness) {
			mine, other := newMember(), newMember()
			colleague := member{org: mine.org, user: other.user, id: newID("orgmem_")}
			for _, mb := range []member{mine, colleague, other} {
				h.mustUpsertMembership(mb.version(h, 1, 1))
			}
			if err := h.s.(clerkhook.OrganizationStore).DeleteOrganization(h.ctx, mine.org, h.time(2)); err != nil {
				h.t.Fatalf("DeleteOrganization(%s, T+2s) = %v; want nil", mine.org, err)
			}
			h.expectNoMembership(mine)
			h.expectNoMembership(colleague)
			h.expectMembership(other.version(h, 1, 1))
		}},
		storeCase{"DeletedOrganizationRefusesMembership", func(h *harness) {
			mb := newMember()
			if err := h.s.(clerkhook.OrganizationStore).DeleteOrganization(h.ctx, mb.org, h.time(2)); err != nil {
				h.t.Fatalf("DeleteOrganization(%s, T+2s) = %v; want nil", mb.org, err)
			}
			h.mustRefuseMembership(mb.version(h, 1, 1))
			h.mustRefuseMembership(mb.version(h, 3, 3))
			h.expectNoMembership(mb)
		}},
	)
}

// member names a membership: a user in an organization, and the id Clerk
// gave that membership.
type member struct{ org, user, id string }

func newMember() member {
	return member{org: newID("org_"), user: newID("user_"), id: newID("orgmem_")}
}

// version returns version v of the membership, updated at T+n seconds.
func (mb member) version(h *harness, n, v int) *clerkhook.OrganizationMembership {
	return membershipVersion(mb.org, mb.user, mb.id, h.at(n), v)
}

func (mb member) String() string { return fmt.Sprintf("%s, %s", mb.org, mb.user) }

func describeMembership(h *harness, m *clerkhook.OrganizationMembership) string {
	return fmt.Sprintf("%s in %s updated at %s", m.UserID(), m.OrganizationID(), h.offset(m.UpdatedAt))
}

func (h *harness) mustUpsertMembership(m *clerkhook.OrganizationMembership) {
	h.t.Helper()
	if err := h.s.(clerkhook.MembershipStore).UpsertMembership(h.ctx, m); err != nil {
		h.t.Fatalf("UpsertMembership(%s) = %v; want nil, as no newer version or deletion is stored", describeMembership(h, m), err)
	}
}

func (h *harness) mustRefuseMembership(m *clerkhook.OrganizationMembership) {
	h.t.Helper()
	if err := h.s.(clerkhook.MembershipStore).UpsertMembership(h.ctx, m); err != nil && !errors.Is(err, clerkhook.ErrStale) {
		h.t.Fatalf("UpsertMembership(%s) = %v; want nil or an error matching clerkhook.ErrStale, as a newer version or a deletion is stored", describeMembership(h, m), err)
	}
}

func (h *harness) mustDeleteMembership(mb member, at int) {
	h.t.Helper()
	if err := h.s.(clerkhook.MembershipStore).DeleteMembership(h.ctx, mb.org, mb.user, h.time(at)); err != nil {
		h.t.Fatalf("DeleteMembership(%s, T%+ds) = %v; want nil", mb, at, err)
	}
}

// expectMembership checks that the store returns want, or at least the
// fields of want it keeps, when it has a MembershipReader.
func (h *harness) expectMembership(want *clerkhook.OrganizationMembership) {
	h.t.Helper()
	r, ok := h.s.(clerkhook.MembershipReader)
	if !ok {
		return
	}
	org, user := want.OrganizationID(), want.UserID()
	got, err := r.Membership(h.ctx, org, user)
	if err != nil {
		h.t.Fatalf("Membership(%s, %s) = %v; want the version updated at %s", org, user, err, h.offset(want.UpdatedAt))
	}
	if got == nil {
		h.t.Fatalf("Membership(%s, %s) returned nil and no error; want the version updated at %s", org, user, h.offset(want.UpdatedAt))
	}
	if problems := compare(h, membershipFields(got), membershipFields(want)); problems != "" {
		h.t.Fatalf("Membership(%s, %s) returned another version than the one updated at %s:%s", org, user, h.offset(want.UpdatedAt), problems)
	}
}

// expectNoMembership checks that the store does not return the
// membership, when it has a MembershipReader.
func (h *harness) expectNoMembership(mb member) {
	h.t.Helper()
	r, ok := h.s.(clerkhook.MembershipReader)
	if !ok {
		return
	}
	got, err := r.Membership(h.ctx, mb.org, mb.user)
	switch {
	case err == nil && got == nil:
		h.t.Fatalf("Membership(%s) returned nil and no error; want an error matching clerkhook.ErrMembershipNotFound", mb)
	case err == nil:
		h.t.Fatalf("Membership(%s) returned the membership updated at %s; want an error matching clerkhook.ErrMembershipNotFound", mb, h.offset(got.UpdatedAt))
	case !errors.Is(err, clerkhook.ErrMembershipNotFound):
		h.t.Fatalf("Membership(%s) = %v; want an error matching clerkhook.ErrMembershipNotFound", mb, err)
	}
}
