package pgxstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// userWriter applies user events to a store, through the plain UserStore
// methods or through the DeliveryWriter ones.
type userWriter struct {
	name   string
	upsert func(ctx context.Context, f *fixture, u *clerkhook.User) error
	delete func(ctx context.Context, f *fixture, id string, at time.Time) error
}

var userWriters = []userWriter{
	{
		name: "UserStore",
		upsert: func(ctx context.Context, f *fixture, u *clerkhook.User) error {
			return f.store.UpsertUser(ctx, u)
		},
		delete: func(ctx context.Context, f *fixture, id string, at time.Time) error {
			return f.store.DeleteUser(ctx, id, at)
		},
	},
	{
		name: "DeliveryWriter",
		upsert: func(ctx context.Context, f *fixture, u *clerkhook.User) error {
			return f.store.UpsertUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserUpdated, u)
		},
		delete: func(ctx context.Context, f *fixture, id string, at time.Time) error {
			return f.store.DeleteUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserDeleted, id, at)
		},
	},
}

func TestUserOrdering(t *testing.T) {
	type step struct {
		delete  bool
		version int
		wantErr error
	}
	up := func(v int) step { return step{version: v} }
	stale := func(v int) step { return step{version: v, wantErr: clerkhook.ErrStale} }
	del := func(v int) step { return step{delete: true, version: v} }
	tests := []struct {
		name  string
		steps []step
		want  int // the version readers see; 0 for none
	}{
		{"newer after older", []step{up(1), up(2)}, 2},
		{"older after newer", []step{up(2), stale(1)}, 2},
		{"same version twice", []step{up(1), up(1)}, 1},
		{"delete", []step{up(1), del(2)}, 0},
		{"newer after delete", []step{up(1), del(2), stale(3)}, 0},
		{"older after delete", []step{up(2), del(3), stale(1)}, 0},
		{"delete of unknown id", []step{del(1), stale(2)}, 0},
		{"delete with older time than the user", []step{up(5), del(1), stale(6)}, 0},
		{"delete twice", []step{up(1), del(2), del(3)}, 0},
	}
	f := newFixture(t)
	ctx := context.Background()
	for _, w := range userWriters {
		for i, tt := range tests {
			t.Run(w.name+"/"+tt.name, func(t *testing.T) {
				id := fmt.Sprintf("user_order_%s_%d", w.name, i)
				for _, s := range tt.steps {
					var err error
					if s.delete {
						err = w.delete(ctx, f, id, deletedAt(s.version))
					} else {
						err = w.upsert(ctx, f, testUser(id, s.version))
					}
					if s.wantErr == nil {
						require.NoError(t, err, "step %+v", s)
					} else {
						require.ErrorIs(t, err, s.wantErr, "step %+v", s)
					}
				}
				got, err := f.store.User(ctx, id)
				if tt.want == 0 {
					require.ErrorIs(t, err, clerkhook.ErrUserNotFound)
					assert.Nil(t, got)
					return
				}
				require.NoError(t, err)
				assertSameJSON(t, testUser(id, tt.want), got)
			})
		}
	}
}

func TestUserColumns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := testUser("user_columns", 3)
	require.NoError(t, f.store.UpsertUser(ctx, u))

	row := f.row(t, "clerk_users", "id = $1", u.ID)
	assert.Equal(t, "user_columns-v3@example.test", row["email"], "the primary email, not the first")
	assert.Equal(t, "+15550000003", row["phone"])
	assert.Equal(t, "First 3", row["first_name"])
	assert.Equal(t, "Example", row["last_name"])
	assert.Equal(t, "user_columns_v3", row["username"])
	assert.Equal(t, "https://img.example.test/user_columns", row["image_url"])
	assert.Equal(t, "ext-user_columns", row["external_id"])
	assert.Equal(t, true, row["banned"])
	assert.Nil(t, row["deleted_at"])

	var created, updated time.Time
	var plan string
	err := f.pool.QueryRow(ctx, `SELECT created_at, updated_at, data->'public_metadata'->>'plan' FROM `+
		f.table("clerk_users")+` WHERE id = $1`, u.ID).Scan(&created, &updated, &plan)
	require.NoError(t, err)
	assert.True(t, created.Equal(epoch.Time()), "created_at %v", created)
	assert.True(t, updated.Equal(at(3).Time()), "updated_at %v", updated)
	assert.Equal(t, "plan-3", plan)

	// A user without a primary email or phone stores NULL, not "".
	bare := &clerkhook.User{ID: "user_bare", Object: "user", CreatedAt: epoch, UpdatedAt: at(1)}
	require.NoError(t, f.store.UpsertUser(ctx, bare))
	row = f.row(t, "clerk_users", "id = $1", bare.ID)
	for _, col := range []string{"email", "phone", "first_name", "image_url", "external_id"} {
		assert.Nil(t, row[col], col)
	}
	got, err := f.store.User(ctx, bare.ID)
	require.NoError(t, err)
	assertSameJSON(t, bare, got)
}

func TestDeleteUserErasesPersonalData(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, w := range userWriters {
		t.Run(w.name, func(t *testing.T) {
			id := "user_erase_" + w.name
			require.NoError(t, w.upsert(ctx, f, testUser(id, 1)))
			require.NoError(t, f.store.UpsertMembership(ctx, testMembership("org_erase", id, 1)))
			require.NoError(t, w.delete(ctx, f, id, deletedAt(2)))

			assertTombstone(t, f.row(t, "clerk_users", "id = $1", id), "id")
			assertTombstone(t, f.row(t, "clerk_organization_memberships", "user_id = $1", id),
				"organization_id", "user_id", "updated_at")
		})
	}
}

// assertTombstone checks that row holds nothing but deleted_at and the
// columns named in keep.
func assertTombstone(t *testing.T, row map[string]any, keep ...string) {
	t.Helper()
	require.NotNil(t, row["deleted_at"])
	kept := map[string]bool{"deleted_at": true}
	for _, k := range keep {
		kept[k] = true
	}
	for col, v := range row {
		if !kept[col] {
			assert.Nil(t, v, "column %s of a tombstone", col)
		}
	}
}

func TestStoreErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := testUser("user_errors", 2)
	require.NoError(t, f.store.UpsertUser(ctx, u))

	err := f.store.UpsertUser(ctx, testUser(u.ID, 1))
	require.ErrorIs(t, err, clerkhook.ErrStale)
	assertNoPersonalData(t, err, u)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, claimErr := f.store.ClaimDelivery(canceled, newDeliveryID(), clerkhook.EventUserUpdated)
	for name, err := range map[string]error{
		"UpsertUser":         f.store.UpsertUser(canceled, testUser(u.ID, 3)),
		"UpsertUserDelivery": f.store.UpsertUserDelivery(canceled, newDeliveryID(), clerkhook.EventUserUpdated, testUser(u.ID, 3)),
		"DeleteUser":         f.store.DeleteUser(canceled, u.ID, deletedAt(3)),
		"ClaimDelivery":      claimErr,
	} {
		require.ErrorIs(t, err, context.Canceled, name)
		assert.NotErrorIs(t, err, clerkhook.ErrStale, name)
		assertNoPersonalData(t, err, u)
	}
	got, err := f.store.User(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, at(2), got.UpdatedAt, "a failed write changes nothing")

	_, err = f.store.User(ctx, "user_unknown")
	require.ErrorIs(t, err, clerkhook.ErrUserNotFound)
	assert.NotContains(t, err.Error(), "user_unknown")
}

// assertNoPersonalData checks that err's text names none of u's fields.
func assertNoPersonalData(t *testing.T, err error, u *clerkhook.User) {
	t.Helper()
	for _, s := range []string{u.ID, u.PrimaryEmail(), u.PrimaryPhone(), *u.FirstName, *u.Username} {
		assert.NotContains(t, err.Error(), s)
	}
}

// assertSameJSON checks that got encodes to the same JSON as want: the
// store keeps metadata as jsonb, which does not keep its spacing.
func assertSameJSON(t *testing.T, want, got any) {
	t.Helper()
	w, err := json.Marshal(want)
	require.NoError(t, err)
	g, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, string(w), string(g))
}
