package pgxstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

func TestMembershipOrdering(t *testing.T) {
	type step struct {
		delete  bool
		version int
		wantErr error
	}
	up := func(v int) step { return step{version: v} }
	stale := func(v int) step { return step{version: v, wantErr: clerkhook.ErrStale} }
	del := func(v int) step { return step{delete: true, version: v} }
	staleDel := func(v int) step { return step{delete: true, version: v, wantErr: clerkhook.ErrStale} }
	tests := []struct {
		name  string
		steps []step
		want  int // the version readers see; 0 for none
	}{
		{"newer after older", []step{up(1), up(2)}, 2},
		{"older after newer", []step{up(2), stale(1)}, 2},
		{"same version twice", []step{up(1), up(1)}, 1},
		{"delete", []step{up(1), del(2)}, 0},
		{"older after delete", []step{up(1), del(3), stale(2)}, 0},
		{"same time as delete", []step{up(1), del(3), stale(3)}, 0},
		{"invited again after delete", []step{up(1), del(2), up(3)}, 3},
		{"late delete of an earlier membership", []step{up(1), del(2), up(4), staleDel(3)}, 4},
		{"delete older than the membership", []step{up(3), staleDel(2)}, 3},
		{"delete of unknown membership", []step{del(2), stale(1), up(3)}, 3},
		{"delete twice", []step{up(1), del(2), del(3), stale(3), up(4)}, 4},
	}
	f := newFixture(t)
	ctx := context.Background()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org, user := fmt.Sprintf("org_%d", i), fmt.Sprintf("user_%d", i)
			for _, s := range tt.steps {
				var err error
				if s.delete {
					err = f.store.DeleteMembership(ctx, org, user, deletedAt(s.version))
				} else {
					err = f.store.UpsertMembership(ctx, testMembership(org, user, s.version))
				}
				if s.wantErr == nil {
					require.NoError(t, err, "step %+v", s)
				} else {
					require.ErrorIs(t, err, s.wantErr, "step %+v", s)
				}
			}
			got, err := f.store.Membership(ctx, org, user)
			if tt.want == 0 {
				require.ErrorIs(t, err, clerkhook.ErrMembershipNotFound)
				assertTombstone(t, f.row(t, "clerk_organization_memberships", "organization_id = $1 AND user_id = $2", org, user),
					"organization_id", "user_id", "updated_at")
				return
			}
			require.NoError(t, err)
			assertSameJSON(t, testMembership(org, user, tt.want), got)
			row := f.row(t, "clerk_organization_memberships", "organization_id = $1 AND user_id = $2", org, user)
			assert.Equal(t, fmt.Sprintf("org:role_%d", tt.want), row["role"])
			assert.Equal(t, testMembership(org, user, tt.want).ID, row["id"])
			assert.Nil(t, row["deleted_at"])
		})
	}
}

func TestDeleteUserRemovesMemberships(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := f.store
	require.NoError(t, s.UpsertUser(ctx, testUser("user_gone", 1)))
	for _, org := range []string{"org_1", "org_2"} {
		require.NoError(t, s.UpsertMembership(ctx, testMembership(org, "user_gone", 1)))
		require.NoError(t, s.UpsertMembership(ctx, testMembership(org, "user_stays", 1)))
	}
	require.NoError(t, s.DeleteUser(ctx, "user_gone", deletedAt(2)))

	for _, org := range []string{"org_1", "org_2"} {
		_, err := s.Membership(ctx, org, "user_gone")
		require.ErrorIs(t, err, clerkhook.ErrMembershipNotFound)
		_, err = s.Membership(ctx, org, "user_stays")
		require.NoError(t, err)
	}
	require.ErrorIs(t, s.UpsertMembership(ctx, testMembership("org_1", "user_gone", 9)), clerkhook.ErrStale,
		"no membership of a deleted user")
	require.ErrorIs(t, s.UpsertMembership(ctx, testMembership("org_3", "user_gone", 9)), clerkhook.ErrStale,
		"no new membership of a deleted user")
}
