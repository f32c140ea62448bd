package clerkhooktest

import (
	"errors"
	"fmt"
	"time"

	"github.com/clerkhook/clerkhook"
)

// membershipCases returns the cases of the rules of
// clerkhook.MembershipStore for a store of capabilities c: those of
// DeleteOrganization need an OrganizationStore too.
func membershipCases(c capabilities) []storeCase {
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
			h.expectMembershipDeleted(mb)
		}},
		{"LateUpsertAfterDeleteRefused", func(h *harness) {
			mb := newMember()
			h.mustUpsertMembership(mb.version(h, 1, 1))
			h.mustDeleteMembership(mb, 3)
			h.mustRefuseMembership(mb.version(h, 2, 2))
			h.mustRefuseMembership(mb.version(h, 3, 3))
			h.expectMembershipDeleted(mb)
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
			h.expectMembershipDeleted(mb)
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
			h.expectMembershipDeleted(mb)
			h.mustRefuseMembership(mb.version(h, 2, 2))
			h.expectMembershipDeleted(mb)
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
	if c.membershipReader || c.membershipVersions {
		cases = append(cases, storeCase{"UnknownIsNotFound", func(h *harness) {
			h.expectMembershipUnknown(newMember())
		}})
	}
	cases = append(cases,
		storeCase{"ConcurrentUpserts", concurrentMembershipUpserts},
		storeCase{"ConcurrentDeleteUser", func(h *harness) {
			concurrentCascade(h, "DeleteUser", "user_",
				func(id string) member { return member{org: newID("org_"), user: id, id: newID("orgmem_")} },
				func(id string, at time.Time) error { return h.s.DeleteUser(h.ctx, id, at) })
		}},
	)
	if !c.organizations {
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
		storeCase{"ConcurrentDeleteOrganization", func(h *harness) {
			concurrentCascade(h, "DeleteOrganization", "org_",
				func(id string) member { return member{org: id, user: newID("user_"), id: newID("orgmem_")} },
				func(id string, at time.Time) error {
					return h.s.(clerkhook.OrganizationStore).DeleteOrganization(h.ctx, id, at)
				})
		}},
	)
}

// concurrentMembershipUpserts has writers upsert distinct versions of a
// few memberships at once, and checks that the newest versions are left.
func concurrentMembershipUpserts(h *harness) {
	raceNewest(h, func() []*clerkhook.OrganizationMembership {
		mb := newMember()
		versions := make([]*clerkhook.OrganizationMembership, concurrentWriters)
		for v := range versions {
			versions[v] = mb.version(h, v+1, v+1)
		}
		return versions
	}, h.tryUpsertMembership, h.expectMembership)
}

// concurrentCascade has each writer upsert versions of a membership of a
// new user or organization, whose ids have the given prefix, while remove
// (named deleteName in messages) deletes it, and checks that none of the
// memberships is left, nor can be stored later. memberOf returns a new
// membership of the user or organization id.
func concurrentCascade(h *harness, deleteName, prefix string, memberOf func(id string) member, remove func(id string, at time.Time) error) {
	const versions = 5
	for range concurrentRounds {
		id := newID(prefix)
		mbs := make([]member, concurrentWriters)
		orders := make([][]*clerkhook.OrganizationMembership, concurrentWriters)
		for w := range mbs {
			mbs[w] = memberOf(id)
			all := make([]*clerkhook.OrganizationMembership, versions)
			for v := range all {
				all[v] = mbs[w].version(h, v+1, v+1)
			}
			orders[w] = shuffled(all, w)
		}
		h.race(versions, func(w, k int) bool { return h.tryUpsertMembership(orders[w][k]) }, func() {
			if err := remove(id, h.time(3)); err != nil {
				h.t.Errorf("%s(%s, T+3s) concurrent with upserts of its memberships = %v; want nil", deleteName, id, err)
			}
		})
		for _, mb := range mbs {
			h.expectNoMembership(mb)
			h.mustRefuseMembership(mb.version(h, versions+1, versions+1))
			h.expectNoMembership(mb)
		}
	}
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

// tryUpsertMembership applies m from a goroutine, where the store may
// apply or refuse it; it reports false after an unexpected error.
func (h *harness) tryUpsertMembership(m *clerkhook.OrganizationMembership) bool {
	if err := h.s.(clerkhook.MembershipStore).UpsertMembership(h.ctx, m); err != nil && !errors.Is(err, clerkhook.ErrStale) {
		h.t.Errorf("concurrent UpsertMembership(%s) = %v; want nil or an error matching clerkhook.ErrStale", describeMembership(h, m), err)
		return false
	}
	return true
}

func (h *harness) mustDeleteMembership(mb member, at int) {
	h.t.Helper()
	if err := h.s.(clerkhook.MembershipStore).DeleteMembership(h.ctx, mb.org, mb.user, h.time(at)); err != nil {
		h.t.Fatalf("DeleteMembership(%s, T%+ds) = %v; want nil", mb, at, err)
	}
}

// expectMembership checks that the store holds want: its full reader
// returns want, or at least the fields of want it keeps, and its narrow
// reader reports want's version.
func (h *harness) expectMembership(want *clerkhook.OrganizationMembership) {
	h.t.Helper()
	org, user := want.OrganizationID(), want.UserID()
	if r, ok := h.s.(clerkhook.MembershipReader); ok {
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
	if x, ok := h.membershipReading(member{org: org, user: user}); ok {
		x.live(h, want.UpdatedAt)
	}
}

// expectMembershipDeleted checks that the store holds the membership as
// deleted with DeleteMembership: its full reader does not find it, and its
// narrow reader reports a tombstone.
func (h *harness) expectMembershipDeleted(mb member) {
	h.t.Helper()
	h.expectMembershipNotFound(mb)
	if x, ok := h.membershipReading(mb); ok {
		x.deleted(h, false)
	}
}

// expectNoMembership checks that the store holds the membership, which a
// cascade removed or the store refused, as deleted or not at all.
func (h *harness) expectNoMembership(mb member) {
	h.t.Helper()
	h.expectMembershipNotFound(mb)
	if x, ok := h.membershipReading(mb); ok {
		x.deleted(h, true)
	}
}

// expectMembershipUnknown checks that the store holds nothing of the
// membership.
func (h *harness) expectMembershipUnknown(mb member) {
	h.t.Helper()
	h.expectMembershipNotFound(mb)
	if x, ok := h.membershipReading(mb); ok {
		x.unknown(h)
	}
}

// expectMembershipNotFound checks that the full reader, if any, does not
// return the membership.
func (h *harness) expectMembershipNotFound(mb member) {
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

// membershipReading returns what the narrow reader holds of the
// membership, or false when the store has no narrow reader of memberships.
func (h *harness) membershipReading(mb member) (reading, bool) {
	r, ok := h.s.(MembershipVersionReader)
	if !ok {
		return reading{}, false
	}
	v, err := r.MembershipVersion(h.ctx, mb.org, mb.user)
	return reading{call: "MembershipVersion(" + mb.String() + ")", noun: "membership", notFound: clerkhook.ErrMembershipNotFound,
		notFoundName: "clerkhook.ErrMembershipNotFound", v: v, err: err}, true
}
