package pgxstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

func TestOrganizations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := f.store

	require.NoError(t, s.UpsertOrganization(ctx, testOrganization("org_a", 2)))
	require.ErrorIs(t, s.UpsertOrganization(ctx, testOrganization("org_a", 1)), clerkhook.ErrStale)
	require.NoError(t, s.UpsertOrganization(ctx, testOrganization("org_a", 2)), "same version again")
	got, err := s.Organization(ctx, "org_a")
	require.NoError(t, err)
	assertSameJSON(t, testOrganization("org_a", 2), got)

	row := f.row(t, "clerk_organizations", "id = $1", "org_a")
	assert.Equal(t, "Org org_a v2", row["name"])
	assert.Equal(t, "org_a-v2", row["slug"])
	assert.Equal(t, "https://img.example.test/org_a", row["image_url"])
	assert.Nil(t, row["deleted_at"])

	require.NoError(t, s.UpsertMembership(ctx, testMembership("org_a", "user_1", 1)))
	require.NoError(t, s.UpsertMembership(ctx, testMembership("org_a", "user_2", 1)))
	require.NoError(t, s.UpsertMembership(ctx, testMembership("org_b", "user_1", 1)))

	require.NoError(t, s.DeleteOrganization(ctx, "org_a", deletedAt(3)))
	require.NoError(t, s.DeleteOrganization(ctx, "org_a", deletedAt(4)), "delete twice")
	_, err = s.Organization(ctx, "org_a")
	require.ErrorIs(t, err, clerkhook.ErrOrganizationNotFound)
	assertTombstone(t, f.row(t, "clerk_organizations", "id = $1", "org_a"), "id")
	require.ErrorIs(t, s.UpsertOrganization(ctx, testOrganization("org_a", 9)), clerkhook.ErrStale, "no revival")

	for _, user := range []string{"user_1", "user_2"} {
		_, err = s.Membership(ctx, "org_a", user)
		require.ErrorIs(t, err, clerkhook.ErrMembershipNotFound, user)
		assertTombstone(t, f.row(t, "clerk_organization_memberships", "organization_id = $1 AND user_id = $2", "org_a", user),
			"organization_id", "user_id", "updated_at")
	}
	_, err = s.Membership(ctx, "org_b", "user_1")
	require.NoError(t, err, "a membership of another organization stays")

	require.ErrorIs(t, s.UpsertMembership(ctx, testMembership("org_a", "user_3", 9)), clerkhook.ErrStale,
		"no membership of a deleted organization")

	require.NoError(t, s.DeleteOrganization(ctx, "org_unknown", deletedAt(1)))
	require.ErrorIs(t, s.UpsertOrganization(ctx, testOrganization("org_unknown", 2)), clerkhook.ErrStale,
		"the delete of an unknown id leaves a tombstone")
	_, err = s.Organization(ctx, "org_missing")
	require.ErrorIs(t, err, clerkhook.ErrOrganizationNotFound)
}
