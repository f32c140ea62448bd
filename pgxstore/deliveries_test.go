package pgxstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

const claimTimeout = 30 * time.Second

func TestDeduplicator(t *testing.T) {
	f := newFixture(t, pgxstore.WithClaimTimeout(claimTimeout))
	s := f.store
	ctx := context.Background()
	// Each test's steps act on one delivery; tokens holds the tokens of
	// its claims, and complete(i) and release(i) use the i-th.
	var tokens []string
	claim := func(id string) error {
		token, err := s.ClaimDelivery(ctx, id, clerkhook.EventUserUpdated)
		if err == nil {
			tokens = append(tokens, token)
		}
		return err
	}
	complete := func(i int) func(string) error {
		return func(id string) error { return s.CompleteDelivery(ctx, id, tokens[i]) }
	}
	release := func(i int) func(string) error {
		return func(id string) error { return s.ReleaseDelivery(ctx, id, tokens[i]) }
	}
	advance := func(d time.Duration) func(string) error {
		return func(string) error { f.ageLedger(t, d); return nil }
	}
	type step struct {
		name    string
		do      func(id string) error
		wantErr error
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"claim twice", []step{
			{"claim", claim, nil},
			{"claim", claim, clerkhook.ErrDeliveryInProgress},
		}},
		{"claim after completion", []step{
			{"claim", claim, nil},
			{"complete", complete(0), nil},
			{"claim", claim, clerkhook.ErrDuplicateDelivery},
			{"complete again", complete(0), nil},
			{"claim", claim, clerkhook.ErrDuplicateDelivery},
		}},
		{"claim after release", []step{
			{"claim", claim, nil},
			{"release", release(0), nil},
			{"claim", claim, nil},
			{"claim", claim, clerkhook.ErrDeliveryInProgress},
			{"release with the released token", release(0), clerkhook.ErrClaimLost},
			{"complete with the released token", complete(0), clerkhook.ErrClaimLost},
			{"claim", claim, clerkhook.ErrDeliveryInProgress},
		}},
		{"release of a completed delivery", []step{
			{"claim", claim, nil},
			{"complete", complete(0), nil},
			{"release", release(0), clerkhook.ErrClaimLost},
			{"claim", claim, clerkhook.ErrDuplicateDelivery},
		}},
		{"claim before the timeout", []step{
			{"claim", claim, nil},
			{"advance", advance(claimTimeout - time.Second), nil},
			{"claim", claim, clerkhook.ErrDeliveryInProgress},
		}},
		{"claim taken over after the timeout", []step{
			{"claim", claim, nil},
			{"advance", advance(claimTimeout + time.Millisecond), nil},
			{"claim", claim, nil},
			{"claim", claim, clerkhook.ErrDeliveryInProgress},
			{"release with the lapsed token", release(0), clerkhook.ErrClaimLost},
			{"complete with the lapsed token", complete(0), clerkhook.ErrClaimLost},
			{"claim", claim, clerkhook.ErrDeliveryInProgress},
			{"advance", advance(claimTimeout + time.Millisecond), nil},
			{"complete a lapsed claim not taken over", complete(1), nil},
			{"advance", advance(claimTimeout + time.Millisecond), nil},
			{"claim", claim, clerkhook.ErrDuplicateDelivery},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := newDeliveryID()
			tokens = nil
			for i, st := range tt.steps {
				err := st.do(id)
				if st.wantErr == nil {
					require.NoError(t, err, "step %d: %s", i, st.name)
				} else {
					require.ErrorIs(t, err, st.wantErr, "step %d: %s", i, st.name)
				}
			}
		})
	}
	t.Run("release and complete of unknown deliveries", func(t *testing.T) {
		id := newDeliveryID()
		require.ErrorIs(t, s.ReleaseDelivery(ctx, id, "token"), clerkhook.ErrClaimLost)
		require.ErrorIs(t, s.CompleteDelivery(ctx, id, "token"), clerkhook.ErrClaimLost)
		_, err := s.ClaimDelivery(ctx, id, clerkhook.EventUserUpdated)
		require.NoError(t, err, "nothing was recorded")
	})
	t.Run("claims are dated by the database", func(t *testing.T) {
		id := newDeliveryID()
		_, err := s.ClaimDelivery(ctx, id, clerkhook.EventUserUpdated)
		require.NoError(t, err)
		var micros int64
		require.NoError(t, f.pool.QueryRow(ctx, `SELECT (extract(epoch FROM now() - claimed_at) * 1e6)::bigint FROM `+
			f.table("clerk_webhook_deliveries")+` WHERE id = $1`, id).Scan(&micros))
		assert.Less(t, (time.Duration(micros) * time.Microsecond).Abs(), 5*time.Second)
	})
}

func TestDeliveryWriter(t *testing.T) {
	f := newFixture(t, pgxstore.WithClaimTimeout(claimTimeout))
	s := f.store
	ctx := context.Background()

	t.Run("records the delivery with the write", func(t *testing.T) {
		d := newDeliveryID()
		require.NoError(t, s.UpsertUserDelivery(ctx, d, clerkhook.EventUserCreated, testUser("user_dw_1", 1)))
		assertUserVersion(t, s, "user_dw_1", 1)
		_, err := s.ClaimDelivery(ctx, d, clerkhook.EventUserCreated)
		require.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery)
		row := f.row(t, "clerk_webhook_deliveries", "id = $1", d)
		assert.Equal(t, clerkhook.EventUserCreated, row["type"])
		assert.NotNil(t, row["processed_at"])

		err = s.UpsertUserDelivery(ctx, d, clerkhook.EventUserCreated, testUser("user_dw_1", 2))
		require.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery)
		assertUserVersion(t, s, "user_dw_1", 1)
	})

	t.Run("stale write records the delivery", func(t *testing.T) {
		require.NoError(t, s.UpsertUser(ctx, testUser("user_dw_2", 5)))
		d := newDeliveryID()
		err := s.UpsertUserDelivery(ctx, d, clerkhook.EventUserUpdated, testUser("user_dw_2", 4))
		require.ErrorIs(t, err, clerkhook.ErrStale)
		assert.NotErrorIs(t, err, clerkhook.ErrDuplicateDelivery)
		assertUserVersion(t, s, "user_dw_2", 5)
		err = s.UpsertUserDelivery(ctx, d, clerkhook.EventUserUpdated, testUser("user_dw_2", 4))
		require.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery)
		assert.NotErrorIs(t, err, clerkhook.ErrStale)
	})

	t.Run("claimed delivery writes nothing", func(t *testing.T) {
		d := newDeliveryID()
		_, err := s.ClaimDelivery(ctx, d, clerkhook.EventUserUpdated)
		require.NoError(t, err)
		err = s.UpsertUserDelivery(ctx, d, clerkhook.EventUserUpdated, testUser("user_dw_3", 1))
		require.ErrorIs(t, err, clerkhook.ErrDeliveryInProgress)
		err = s.DeleteUserDelivery(ctx, d, clerkhook.EventUserDeleted, "user_dw_3", deletedAt(1))
		require.ErrorIs(t, err, clerkhook.ErrDeliveryInProgress)
		_, err = s.User(ctx, "user_dw_3")
		require.ErrorIs(t, err, clerkhook.ErrUserNotFound)
		assert.Zero(t, count(t, f, "clerk_users", "id = $1", "user_dw_3"), "no tombstone either")

		f.ageLedger(t, claimTimeout+time.Millisecond)
		require.NoError(t, s.UpsertUserDelivery(ctx, d, clerkhook.EventUserUpdated, testUser("user_dw_3", 1)),
			"a lapsed claim is taken over")
		assertUserVersion(t, s, "user_dw_3", 1)
	})

	t.Run("delete", func(t *testing.T) {
		require.NoError(t, s.UpsertUser(ctx, testUser("user_dw_4", 1)))
		require.NoError(t, s.UpsertMembership(ctx, testMembership("org_dw", "user_dw_4", 1)))
		d := newDeliveryID()
		require.NoError(t, s.DeleteUserDelivery(ctx, d, clerkhook.EventUserDeleted, "user_dw_4", deletedAt(2)))
		_, err := s.User(ctx, "user_dw_4")
		require.ErrorIs(t, err, clerkhook.ErrUserNotFound)
		_, err = s.Membership(ctx, "org_dw", "user_dw_4")
		require.ErrorIs(t, err, clerkhook.ErrMembershipNotFound)
		assertTombstone(t, f.row(t, "clerk_users", "id = $1", "user_dw_4"), "id")
		require.ErrorIs(t, s.DeleteUserDelivery(ctx, d, clerkhook.EventUserDeleted, "user_dw_4", deletedAt(2)),
			clerkhook.ErrDuplicateDelivery)

		require.NoError(t, s.DeleteUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserDeleted, "user_dw_5", deletedAt(1)))
		require.ErrorIs(t, s.UpsertUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserCreated, testUser("user_dw_5", 2)),
			clerkhook.ErrStale, "the delete of an unknown user leaves a tombstone")
	})
}

func TestConcurrentClaims(t *testing.T) {
	f := newFixture(t)
	const attempts = 16
	writers := map[string]func(ctx context.Context, d string) error{
		"ClaimDelivery": func(ctx context.Context, d string) error {
			_, err := f.store.ClaimDelivery(ctx, d, clerkhook.EventUserUpdated)
			return err
		},
		"UpsertUserDelivery": func(ctx context.Context, d string) error {
			return f.store.UpsertUserDelivery(ctx, d, clerkhook.EventUserUpdated, testUser("user_claims", 1))
		},
		"DeleteUserDelivery": func(ctx context.Context, d string) error {
			return f.store.DeleteUserDelivery(ctx, d, clerkhook.EventUserDeleted, "user_claims_deleted", deletedAt(1))
		},
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			for range 5 {
				d := newDeliveryID()
				errs := make([]error, attempts)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range attempts {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						errs[i] = write(context.Background(), d)
					}()
				}
				close(start)
				wg.Wait()
				won := 0
				for _, err := range errs {
					switch {
					case err == nil:
						won++
					case errors.Is(err, clerkhook.ErrDeliveryInProgress), errors.Is(err, clerkhook.ErrDuplicateDelivery):
					default:
						t.Fatalf("unexpected error: %v", err)
					}
				}
				require.Equal(t, 1, won, "exactly one attempt claims the delivery")
			}
		})
	}
}

func TestPrune(t *testing.T) {
	f := newFixture(t)
	s := f.store
	ctx := context.Background()
	claim := func(id string) (string, error) { return s.ClaimDelivery(ctx, id, clerkhook.EventUserCreated) }

	oldDone, oldClaim, recentDone, recentClaim := newDeliveryID(), newDeliveryID(), newDeliveryID(), newDeliveryID()
	token, err := claim(oldDone)
	require.NoError(t, err)
	require.NoError(t, s.CompleteDelivery(ctx, oldDone, token))
	_, err = claim(oldClaim)
	require.NoError(t, err)
	f.ageLedger(t, 24*time.Hour)
	require.NoError(t, s.UpsertUserDelivery(ctx, recentDone, clerkhook.EventUserCreated, testUser("user_prune", 1)))
	_, err = claim(recentClaim)
	require.NoError(t, err)
	f.ageLedger(t, 49*time.Hour)

	n, err := s.Prune(ctx, 72*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	n, err = s.Prune(ctx, 72*time.Hour)
	require.NoError(t, err)
	assert.Zero(t, n, "pruning again deletes nothing")

	_, err = claim(oldDone)
	require.NoError(t, err, "forgotten")
	_, err = claim(recentDone)
	require.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery, "kept")
	assert.Equal(t, 1, count(t, f, "clerk_webhook_deliveries", "id = $1", recentClaim), "kept")
	assert.Zero(t, count(t, f, "clerk_webhook_deliveries", "id = $1", oldClaim), "forgotten")
}

// assertUserVersion checks that the store holds version v of the user.
func assertUserVersion(t *testing.T, s *pgxstore.Store, id string, v int) {
	t.Helper()
	u, err := s.User(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, at(v), u.UpdatedAt)
}

// count returns the number of rows of table that match where.
func count(t *testing.T, f *fixture, table, where string, args ...any) int {
	t.Helper()
	var n int
	err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+f.table(table)+` WHERE `+where, args...).Scan(&n)
	require.NoError(t, err)
	return n
}
