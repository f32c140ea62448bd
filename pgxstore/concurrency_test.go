package pgxstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// run starts n goroutines running fn(i) at the same moment, waits for
// them, and fails the test with the first error one returned.
func run(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	errs := make(chan error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs <- fn(i)
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestConcurrentUserWriters(t *testing.T) { forEachIsolationLevel(t, concurrentUserWriters) }

func concurrentUserWriters(t *testing.T, level string) {
	const (
		writers  = 16
		users    = 6
		versions = 30
	)
	f := newFixtureOn(t, connectAt(t, level, 8))
	ctx := context.Background()
	run(t, writers, func(w int) error {
		// Each writer sends every version of every user in its own
		// random order, half of them through the DeliveryWriter.
		type write struct{ user, version int }
		var writes []write
		for u := range users {
			for v := 1; v <= versions; v++ {
				writes = append(writes, write{u, v})
			}
		}
		rand.Shuffle(len(writes), func(i, j int) { writes[i], writes[j] = writes[j], writes[i] })
		for i, wr := range writes {
			u := testUser(fmt.Sprintf("user_concurrent_%d", wr.user), wr.version)
			var err error
			if i%2 == 0 {
				err = f.store.UpsertUser(ctx, u)
			} else {
				err = f.store.UpsertUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserUpdated, u)
			}
			if err != nil && !errorsIsStale(err) {
				return err
			}
		}
		return nil
	})
	for u := range users {
		id := fmt.Sprintf("user_concurrent_%d", u)
		got, err := f.store.User(ctx, id)
		require.NoError(t, err)
		assertSameJSON(t, testUser(id, versions), got)
		row := f.row(t, "clerk_users", "id = $1", id)
		assert.Equal(t, fmt.Sprintf("First %d", versions), row["first_name"], "columns and data agree")
	}
}

// TestConcurrentMembershipsAndDeletes checks that a membership written
// while its user or organization is deleted does not outlive them, and
// that no caller sees a serialization failure, whatever isolation level
// the connections default to.
func TestConcurrentMembershipsAndDeletes(t *testing.T) {
	forEachIsolationLevel(t, concurrentMembershipsAndDeletes)
}

func concurrentMembershipsAndDeletes(t *testing.T, level string) {
	const pairs = 40
	f := newFixtureOn(t, connectAt(t, level, 8))
	ctx := context.Background()
	run(t, 3*pairs, func(i int) error {
		p := i / 3
		org, user := fmt.Sprintf("org_race_%d", p), fmt.Sprintf("user_race_%d", p)
		switch i % 3 {
		case 0:
			if err := f.store.UpsertMembership(ctx, testMembership(org, user, 1)); err != nil && !errorsIsStale(err) {
				return err
			}
			return nil
		case 1:
			if p%2 == 0 {
				return f.store.DeleteUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserDeleted, user, deletedAt(2))
			}
			return f.store.DeleteUser(ctx, user, deletedAt(2))
		default:
			if p%3 == 0 {
				return f.store.DeleteOrganization(ctx, org, deletedAt(2))
			}
			return nil
		}
	})
	var orphans int
	err := f.pool.QueryRow(ctx, `SELECT count(*) FROM `+f.table("clerk_organization_memberships")+` m
		WHERE m.deleted_at IS NULL AND (
			EXISTS (SELECT 1 FROM `+f.table("clerk_users")+` u WHERE u.id = m.user_id AND u.deleted_at IS NOT NULL) OR
			EXISTS (SELECT 1 FROM `+f.table("clerk_organizations")+` o WHERE o.id = m.organization_id AND o.deleted_at IS NOT NULL))`,
	).Scan(&orphans)
	require.NoError(t, err)
	assert.Zero(t, orphans, "live memberships of deleted users or organizations")
}

func errorsIsStale(err error) bool { return errors.Is(err, clerkhook.ErrStale) }
