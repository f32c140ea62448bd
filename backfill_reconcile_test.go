package clerkhook_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// checkedUsers returns the ids of the users the reconcile asked the fake
// Backend API about.
func checkedUsers(api *fakeClerkAPI) []string {
	var ids []string
	for _, uri := range api.requestURIs() {
		if id, ok := strings.CutPrefix(uri, "/v1/users/"); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// TestBackfillReconcileLimits stores 40 users (or 1000), of which Clerk
// has lost some, as after lost user.deleted deliveries, or seems to have
// lost many, as with another instance's key.
func TestBackfillReconcileLimits(t *testing.T) {
	tests := []struct {
		name          string
		stored        int
		missing       int
		opts          []clerkhook.BackfillOption
		wantErr       error
		wantInMessage []string
	}{
		{"1 missing of 40 is repaired", 40, 1, nil, nil, nil},
		{"3 missing of 40, the floor", 40, 3, nil, nil, nil},
		{"4 missing of 40 are refused", 40, 4, nil, clerkhook.ErrTooManyDeletions,
			[]string{"4 of the 40 stored users are missing", "more than the 3 it deletes by default (5% of the stored users, at least 3)",
				"nothing was deleted", "WithMaxReconcileDeletions(4)"}},
		{"4 missing of 40 when allowed", 40, 4, []clerkhook.BackfillOption{clerkhook.WithMaxReconcileDeletions(4)}, nil, nil},
		{"4 missing of 40 when fewer are allowed", 40, 4, []clerkhook.BackfillOption{clerkhook.WithMaxReconcileDeletions(2)},
			clerkhook.ErrTooManyDeletions, []string{"more than the 2 WithMaxReconcileDeletions allows"}},
		{"39 missing of 40 are refused", 40, 39, nil, clerkhook.ErrTooManyDeletions, []string{"39 of the 40"}},
		{"an empty listing", 40, 40, nil, clerkhook.ErrEmptyListing, []string{"while the store holds 40", "deletes nothing"}},
		{"an empty listing whatever is allowed", 40, 40, []clerkhook.BackfillOption{clerkhook.WithMaxReconcileDeletions(40)},
			clerkhook.ErrEmptyListing, nil},
		{"5% of 1000", 1000, 50, nil, nil, nil},
		{"more than 5% of 1000", 1000, 51, nil, clerkhook.ErrTooManyDeletions, []string{"more than the 50 it deletes by default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := newClerkUsers(t, tt.stored)
			store := seedStore(t, users...)
			// Clerk deleted the first users; the stored ones it still has
			// are listed.
			gone, kept := users[:tt.missing], users[tt.missing:]
			api, backend := newFakeClerkAPI(t, kept)
			opts := backfillOptions(&sleepRecorder{}, append([]clerkhook.BackfillOption{clerkhook.WithReconcile()}, tt.opts...)...)

			report, err := clerkhook.Backfill(context.Background(), backend, store, opts...)

			assert.Equal(t, len(kept), report.Seen)
			assert.Equal(t, tt.missing, report.Missing)
			assertStoreHolds(t, store, kept)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				for _, want := range tt.wantInMessage {
					assert.Contains(t, err.Error(), want)
				}
				assert.Zero(t, report.Deleted)
				assertStoreHolds(t, store, gone)
				assert.Empty(t, checkedUsers(api), "refused before asking about any user")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.missing, report.Deleted)
			for _, u := range gone {
				_, err := store.User(context.Background(), u.user.ID)
				assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
			}
			assert.Len(t, checkedUsers(api), tt.missing)
		})
	}
}

func TestBackfillDryRun(t *testing.T) {
	users := newClerkUsers(t, 41)
	stored, unstored := users[:40], users[40]
	store := seedStore(t, stored...)
	gone := stored[7]
	listed := slices.Delete(slices.Clone(users), 7, 8)
	api, backend := newFakeClerkAPI(t, listed)
	var progress []clerkhook.BackfillReport
	opts := backfillOptions(&sleepRecorder{}, clerkhook.WithReconcile(), clerkhook.WithDryRun(),
		clerkhook.WithProgress(func(r clerkhook.BackfillReport) { progress = append(progress, r) }))

	report, err := clerkhook.Backfill(context.Background(), backend, store, opts...)

	require.NoError(t, err)
	assert.Equal(t, clerkhook.BackfillReport{Pages: 1, Seen: 40, Missing: 1, WouldDelete: []string{gone.user.ID}}, report)
	assert.Equal(t, report, progress[len(progress)-1])
	assert.Equal(t, []string{gone.user.ID}, checkedUsers(api))
	assertStoreHolds(t, store, stored)
	_, err = store.User(context.Background(), unstored.user.ID)
	assert.ErrorIs(t, err, clerkhook.ErrUserNotFound, "a dry run writes nothing")

	// A dry run refuses what the real run would refuse.
	api.mu.Lock()
	api.listed = users[:30]
	api.mu.Unlock()
	report, err = clerkhook.Backfill(context.Background(), backend, store, opts...)
	require.ErrorIs(t, err, clerkhook.ErrTooManyDeletions)
	assert.Equal(t, 10, report.Missing)
	assert.Nil(t, report.WouldDelete)
}

// newClerkUsersCreatedAt makes a user created at each of the times.
func newClerkUsersCreatedAt(t *testing.T, created []clerkhook.UnixMilli) []clerkUser {
	t.Helper()
	users := make([]clerkUser, len(created))
	for i, at := range created {
		evt, err := clerkhooktest.UserUpdated(func(u *clerkhook.User) {
			u.CreatedAt, u.UpdatedAt = at, at+1000
		})
		require.NoError(t, err)
		u, err := evt.User()
		require.NoError(t, err)
		users[i] = clerkUser{raw: evt.Data, user: u}
	}
	return users
}

// TestBackfillListsEveryUserWhileUsersAreDeleted deletes users from Clerk
// on pages already listed, which shifts later users to earlier offsets:
// no user may be skipped, whichever way Clerk reads created_at_after, also
// when users share a millisecond of creation across a page boundary
// (fewer than a page, which the cursor pages through by offset).
func TestBackfillListsEveryUserWhileUsersAreDeleted(t *testing.T) {
	first := clerkhook.UnixMilli(backfillNow.Add(-time.Hour).UnixMilli())
	oneApart, inPairs, inThrees := make([]clerkhook.UnixMilli, 14), make([]clerkhook.UnixMilli, 14), make([]clerkhook.UnixMilli, 14)
	for i := range oneApart {
		oneApart[i], inPairs[i], inThrees[i] = first+clerkhook.UnixMilli(i), first+clerkhook.UnixMilli(i/2), first+clerkhook.UnixMilli(i/3)
	}
	for _, tt := range []struct {
		name          string
		created       []clerkhook.UnixMilli
		afterIncludes bool
	}{
		{"a millisecond apart", oneApart, false},
		{"in pairs", inPairs, false},
		{"three to a millisecond", inThrees, false},
		{"a millisecond apart, after including its millisecond", oneApart, true},
		{"in pairs, after including its millisecond", inPairs, true},
		{"three to a millisecond, after including its millisecond", inThrees, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			users := newClerkUsersCreatedAt(t, tt.created)
			api, backend := newFakeClerkAPI(t, slices.Clone(users))
			api.afterIncludes = tt.afterIncludes
			// Before each page after the first, Clerk deletes the first
			// user left of the ones already listed.
			listedSoFar := 0
			api.beforeList = func(n int) {
				api.mu.Lock()
				defer api.mu.Unlock()
				if n > 0 && n < 4 {
					api.listed = slices.Delete(api.listed, n-1, n)
				}
			}
			store := clerkhook.NewMemoryStore()
			opts := backfillOptions(&sleepRecorder{}, clerkhook.WithPageSize(4),
				clerkhook.WithProgress(func(r clerkhook.BackfillReport) { listedSoFar = r.Seen }))

			report, err := clerkhook.Backfill(context.Background(), backend, store, opts...)

			require.NoError(t, err)
			assert.Equal(t, len(users), report.Seen, "each user once")
			assert.Equal(t, len(users), listedSoFar)
			assertStoreHolds(t, store, users)
		})
	}
}

func TestBackfillRefusesAListThatIgnoresCreatedAtAfter(t *testing.T) {
	api, backend := newFakeClerkAPI(t, newClerkUsers(t, 7))
	api.ignoreAfter = true

	_, err := clerkhook.Backfill(context.Background(), backend, clerkhook.NewMemoryStore(),
		backfillOptions(&sleepRecorder{}, clerkhook.WithPageSize(3))...)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "page 2: the Backend API listed user")
	assert.Contains(t, err.Error(), "created before the created_at_after it was asked for")
	assert.Len(t, api.requestURIs(), 2)
}

func TestBackfillChecksTheInstance(t *testing.T) {
	users := newClerkUsers(t, 3)
	gone := newClerkUsers(t, 1)
	api, backend := newFakeClerkAPI(t, users)
	store := seedStore(t, gone...)

	report, err := clerkhook.Backfill(context.Background(), backend, store,
		backfillOptions(&sleepRecorder{}, clerkhook.WithReconcile(), clerkhook.WithInstanceID("ins_2bfInventedDev"))...)

	require.ErrorIs(t, err, clerkhook.ErrWrongInstance)
	assert.Contains(t, err.Error(), "it belongs to instance ins_2bfInventedProd, not ins_2bfInventedDev")
	assert.Equal(t, clerkhook.BackfillReport{}, report)
	assert.Equal(t, []string{"/v1/instance"}, api.requestURIs(), "nothing listed")
	assertStoreHolds(t, store, gone)
	ids, err := store.UserIDs(context.Background())
	require.NoError(t, err)
	assert.Len(t, ids, 1, "nothing written")

	report, err = clerkhook.Backfill(context.Background(), backend, store,
		backfillOptions(&sleepRecorder{}, clerkhook.WithReconcile(), clerkhook.WithInstanceID("ins_2bfInventedProd"))...)

	require.NoError(t, err)
	assert.Equal(t, clerkhook.BackfillReport{Pages: 1, Seen: 3, Written: 3, Missing: 1, Deleted: 1}, report)
	assert.Equal(t, "/v1/instance", api.requestURIs()[1])
}

func TestBackfillRefusesBadReconcileOptions(t *testing.T) {
	_, backend := newFakeClerkAPI(t, nil)
	for _, tt := range []struct {
		opt  clerkhook.BackfillOption
		want string
	}{
		{clerkhook.WithMaxReconcileDeletions(-1), "WithMaxReconcileDeletions(-1): want 0 or more"},
		{clerkhook.WithInstanceID(""), "WithInstanceID: want an instance id, ins_…"},
		{clerkhook.WithInstanceID("sk_test_x"), "want an instance id"},
	} {
		t.Run(fmt.Sprint(tt.want), func(t *testing.T) {
			_, err := clerkhook.Backfill(context.Background(), backend, clerkhook.NewMemoryStore(), tt.opt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
