package pgxstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// TestChangeHookReplicas runs four Handlers, each with its own pool and a
// Store with a change log as its hook, over the same tables, and sends
// them a shuffled history with duplicates from concurrent clients,
// retrying what Svix retries; one hook call in 23 fails, and its delivery
// is retried. The log must hold each change once: exactly one creation
// for each user not deleted before its first version arrived, none for
// the others, and for every record a sequence of changes (created, then
// updated to newer versions, then deleted; a membership may be created
// again) that ends in the record's final state.
func TestChangeHookReplicas(t *testing.T) {
	forEachIsolationLevel(t, func(t *testing.T, level string) {
		users := 400
		if level != "read committed" {
			users = 100
		}
		testChangeHookReplicas(t, level, users)
	})
}

func testChangeHookReplicas(t *testing.T, level string, users int) {
	const replicas, clients, maxPasses = 4, 16, 200
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(uint64(seed), 0))
	secret := clerkhooktest.NewSecret()
	hist := newHistory(t, r, secret, users, 0.15)

	setup := pgtest.Connect(t, nil)
	f := newFixtureOn(t, setup)
	log := newChangeLog(t, f)
	var calls atomic.Int64
	log.fail = func(pgxstore.Change) error {
		if calls.Add(1)%23 == 0 {
			return errOutbox
		}
		return nil
	}
	urls := make([]string, replicas)
	var migrating sync.WaitGroup
	for i := range urls {
		store := pgxstore.New(connectAt(t, level, 3), pgxstore.WithSchema(f.schema), pgxstore.WithChangeHook(log.hook))
		h, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		require.NoError(t, err)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		urls[i] = srv.URL + "/webhooks/clerk"
		migrating.Go(func() { assert.NoError(t, store.Migrate(context.Background()), "every replica migrates at start-up") })
	}
	migrating.Wait()

	deliverToReplicas(t, urls, hist.deliveries, clients, maxPasses)

	assert.Zero(t, log.conflicts.Load(), "no change logged twice")
	assert.GreaterOrEqual(t, calls.Load(), int64(23), "some hook calls failed")
	rows, last, created := log.replay(t)
	for _, c := range rows {
		require.NotEmpty(t, c.deliveryID, c.id)
		require.Equal(t, c.deliveryID, c.contextDelivery, "%s: EventFromContext in the hook", c.id)
	}
	// final checks that the last change of a record leaves it as its
	// history does: at version v, or deleted for 0; a record that was
	// never written has no change when mayBeUnknown.
	final := func(key string, v int, mayBeUnknown bool) {
		c, ok := last[key]
		switch {
		case !ok:
			assert.True(t, mayBeUnknown && v == 0, "%s has no change", key)
		case v == 0:
			assert.Equal(t, "deleted", c.kind, key)
		default:
			assert.NotEqual(t, "deleted", c.kind, key)
			assert.Equal(t, int64(at(v)), c.version, key)
		}
	}
	deletedFirst := 0
	for id, v := range hist.users {
		final("user/"+id, v, false)
		assert.LessOrEqual(t, created[id], 1, id)
		if v != 0 {
			assert.Equal(t, 1, created[id], "%s: one creation", id)
		} else if created[id] == 0 {
			deletedFirst++
		}
	}
	for id, v := range hist.orgs {
		final("organization/"+id, v, false)
	}
	for key, v := range hist.memberships {
		final(fmt.Sprintf("membership/%s/%s", key[0], key[1]), v, true)
	}
	t.Logf("%d changes; %d users deleted before their first version arrived", len(rows), deletedFirst)

	// The log agrees with the tables.
	var liveUsers int
	require.NoError(t, setup.QueryRow(context.Background(), `SELECT count(*) FROM `+f.table("clerk_users")+` WHERE deleted_at IS NULL`).Scan(&liveUsers))
	loggedLive := 0
	for _, c := range last {
		if c.object == "user" && c.kind != "deleted" {
			loggedLive++
		}
	}
	assert.Equal(t, liveUsers, loggedLive, "live users")
}

// TestChangeHookConcurrentWriters has 16 writers on 4 Stores write every
// version of the same users, organizations and memberships at once, in
// orders of their own, then delete the users at once while writing their
// memberships: each change is logged once, in an order that replays to
// the final state.
func TestChangeHookConcurrentWriters(t *testing.T) {
	const writers, stores, users, versions = 16, 4, 4, 6
	setup := pgtest.Connect(t, nil)
	f := newFixtureOn(t, setup)
	log := newChangeLog(t, f)
	replicas := make([]*pgxstore.Store, stores)
	for i := range replicas {
		replicas[i] = pgxstore.New(pgtest.Connect(t, func(c *pgxpool.Config) { c.MaxConns = 4 }),
			pgxstore.WithSchema(f.schema), pgxstore.WithChangeHook(log.hook))
	}
	ctx := context.Background()
	user := func(i int) string { return fmt.Sprintf("user_2writers_%d", i) }
	const org = "org_2writers"
	ignoreStale := func(err error) error {
		if errorsIsStale(err) {
			return nil
		}
		return err
	}
	run(t, writers, func(w int) error {
		s := replicas[w%stores]
		type write struct{ user, version int }
		var writes []write
		for u := range users {
			for v := 1; v <= versions; v++ {
				writes = append(writes, write{u, v}, write{-1, v}, write{u + users, v})
			}
		}
		rand.Shuffle(len(writes), func(i, j int) { writes[i], writes[j] = writes[j], writes[i] })
		for i, wr := range writes {
			var err error
			switch {
			case wr.user < 0:
				err = s.UpsertOrganization(ctx, testOrganization(org, wr.version))
			case wr.user >= users:
				err = s.UpsertMembership(ctx, testMembership(org, user(wr.user-users), wr.version))
			case i%2 == 0:
				err = s.UpsertUser(ctx, testUser(user(wr.user), wr.version))
			default:
				err = s.UpsertUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserUpdated, testUser(user(wr.user), wr.version))
			}
			if err := ignoreStale(err); err != nil {
				return err
			}
		}
		return nil
	})
	run(t, writers, func(w int) error {
		s := replicas[w%stores]
		for u := range users {
			var err error
			switch w % 3 {
			case 0:
				err = s.DeleteUser(ctx, user(u), deletedAt(versions+1))
			case 1:
				err = s.DeleteUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserDeleted, user(u), deletedAt(versions+1))
			default:
				err = ignoreStale(s.UpsertMembership(ctx, testMembership(org, user(u), versions+1)))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	assert.Zero(t, log.conflicts.Load(), "no change logged twice")
	_, last, created := log.replay(t)
	for u := range users {
		assert.Equal(t, 1, created[user(u)], user(u))
		assert.Equal(t, "deleted", last["user/"+user(u)].kind, user(u))
		assert.Equal(t, "deleted", last["membership/"+org+"/"+user(u)].kind, user(u))
	}
	assert.Equal(t, int64(at(versions)), last["organization/"+org].version)
}
