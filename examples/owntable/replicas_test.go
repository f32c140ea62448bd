package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/internal/shuffle"
)

// TestReplicasConverge runs four copies of the program over one schema and
// sends them, from concurrent clients, the shuffled history of many users
// with duplicates, retrying every answer but a 2xx as Svix does, while a
// trigger fails one write of app_users in ten, as a deadlock or a lost
// connection would. Some users are deleted, some of them before their
// user.created arrives; while the history arrives, the app sets some
// users' plan and adds projects. app_users must end on Clerk's truth, row
// for row with clerk_users: one row per live user with the newest email
// and display name and the plan the app set, none for a deleted user, and
// no projects of deleted users.
//
// Besides the app's actions at random moments, which may find the user not
// there yet or deleted already, one user in eight gets a plan and projects
// after the rest of the history and before its own last update, and half
// of those before their deletion: the plan must survive the update, and
// the projects must go with the user.
func TestReplicasConverge(t *testing.T) {
	const (
		users    = 400
		replicas = 4
		clients  = 16
		// actionEvery is how many deliveries go by between two actions of
		// the app.
		actionEvery = 10
		// maxPasses bounds the retries of one delivery, needed after a
		// failed write of app_users, while another replica processes the
		// same delivery, or when a deadlock is broken.
		maxPasses = 200
	)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(uint64(seed), 0))
	secret := clerkhooktest.NewSecret()
	sign := newSigner(t, secret)

	randomPlan := func() string { return []string{"pro", "team"}[r.IntN(2)] }
	people := map[string]person{}
	final := map[string]int{} // the final version of each user; 0 when deleted
	var deletedFirst, history, last []delivery
	var before []step // the app's actions before the last deliveries
	for i := range users {
		p := person{
			id:         fmt.Sprintf("user_own_%04d", i),
			noName:     i%5 == 1,
			noUsername: i%10 == 1 || i%3 == 0,
			noEmail:    i%7 == 3,
		}
		people[p.id] = p
		held := i%8 == 0 // its last version, and its deletion, come last
		n := 1 + r.IntN(4)
		if held {
			n = 2 + r.IntN(3)
			before = append(before, step{a: &action{user: p.id, plan: randomPlan(), projects: 2}})
		}
		for v := 1; v <= n; v++ {
			if held && v == n {
				last = append(last, sign.upsert(p.version(v), v))
			} else {
				history = append(history, sign.upsert(p.version(v), v))
			}
		}
		switch {
		case i%10 == 7:
			deletedFirst = append(deletedFirst, sign.deletion(p.id, at(n+1)))
		case held && i%16 == 0:
			last = append(last, sign.deletion(p.id, at(n+1)))
		case !held && r.IntN(4) == 0:
			history = append(history, sign.deletion(p.id, at(n+1)))
		default:
			final[p.id] = n
		}
	}
	// The app's actions at random moments, each on a user of its own.
	targets := slices.Sorted(maps.Keys(people))
	r.Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
	for _, s := range before {
		targets = slices.DeleteFunc(targets, func(id string) bool { return id == s.a.user })
	}
	history = shuffle.WithDuplicates(r, history, 0.15)
	var steps []step
	for i := range history {
		steps = append(steps, step{d: &history[i]})
		if i%actionEvery == actionEvery-1 && len(targets) > 0 {
			steps = append(steps, step{a: &action{user: targets[0], plan: randomPlan(), projects: 1 + r.IntN(2)}})
			targets = targets[1:]
		}
	}
	phases := [][]step{stepsOf(shuffle.WithDuplicates(r, deletedFirst, 0.15)), steps, before,
		stepsOf(shuffle.WithDuplicates(r, last, 0.15))}

	setupPool := pgtest.Connect(t, nil)
	schema := pgtest.FreshSchema(t, setupPool)
	d := db{t: t, pool: setupPool, schema: schema}
	urls := make([]string, replicas)
	pools := make([]*pgxpool.Pool, replicas)
	for i := range pools {
		pools[i] = pgtest.Connect(t, func(c *pgxpool.Config) { c.MaxConns = 4 })
	}
	// Every replica migrates at start-up, all at once.
	handlers := make([]http.Handler, replicas)
	errs := make([]error, replicas)
	var migrating sync.WaitGroup
	for i := range handlers {
		migrating.Go(func() { handlers[i], errs[i] = setup(context.Background(), pools[i], schema, secret, quiet()) })
	}
	migrating.Wait()
	require.NoError(t, errors.Join(errs...))
	d.exec(`CREATE FUNCTION {flaky}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF random() < 0.1 THEN
        RAISE EXCEPTION 'the test fails this write' USING ERRCODE = '40001';
    END IF;
    RETURN NULL;
END $$`)
	// The app's own writes (plan) do not fire it; the hook's do.
	d.exec(`CREATE TRIGGER flaky AFTER INSERT OR DELETE OR UPDATE OF email, display_name ON {app_users}
FOR EACH ROW EXECUTE FUNCTION {flaky}()`)
	for i, h := range handlers {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		urls[i] = srv.URL + "/webhooks/clerk"
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: time.Minute}
	t.Cleanup(client.CloseIdleConnections)
	ctx := context.Background()
	var refused atomic.Int64
	// send delivers dl to a replica and reports whether it was accepted.
	send := func(dl *delivery, replica int) (bool, error) {
		status, _, err := post(ctx, client, urls[replica%replicas], *dl)
		switch {
		case err != nil:
			return false, err
		case status == http.StatusOK:
			return true, nil
		case status == http.StatusConflict || status >= 500:
			refused.Add(1)
			return false, nil // Svix retries these.
		default:
			return false, fmt.Errorf("delivery of a %s event: status %d", dl.eventType, status)
		}
	}
	var mu sync.Mutex
	plans := map[string]string{} // the plans the app set
	projects := map[string]int{} // the projects it added
	act := func(a *action) error {
		applied, err := setPlan(ctx, d, a.user, a.plan, a.projects)
		if err != nil || !applied {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		plans[a.user] = a.plan
		projects[a.user] += a.projects
		return nil
	}
	// deliver runs the steps on concurrent clients, then retries what was
	// refused until it is accepted.
	deliver := func(steps []step) {
		jobs := make(chan int)
		go func() {
			defer close(jobs)
			for i := range steps {
				jobs <- i
			}
		}()
		concurrently(t, clients, func(w int) error {
			var retry []*delivery
			for i := range jobs {
				s := steps[i]
				if s.a != nil {
					if err := act(s.a); err != nil {
						return err
					}
					continue
				}
				ok, err := send(s.d, i)
				if err != nil {
					return err
				}
				if !ok {
					retry = append(retry, s.d)
				}
			}
			for pass := 1; len(retry) > 0; pass++ {
				if pass > maxPasses {
					return fmt.Errorf("%d deliveries still refused after %d passes", len(retry), maxPasses)
				}
				var again []*delivery
				for i, dl := range retry {
					ok, err := send(dl, w+i+pass)
					if err != nil {
						return err
					}
					if !ok {
						again = append(again, dl)
					}
				}
				retry = again
			}
			return nil
		})
	}
	start := time.Now()
	sent := 0
	for _, steps := range phases {
		deliver(steps)
		for _, s := range steps {
			if s.d != nil {
				sent++
			}
		}
	}
	t.Logf("%d deliveries in %v, %d attempts refused and retried", sent, time.Since(start), refused.Load())
	require.NotZero(t, refused.Load(), "no delivery was retried: the test checks nothing of retries")
	for _, s := range before {
		_, ok := plans[s.a.user]
		require.True(t, ok, "the app found no app user for %s, whose deletion had not been sent", s.a.user)
	}

	got := d.appUsers()
	kept, gone := 0, 0
	for id, v := range final {
		u, ok := got[id]
		if !assert.True(t, ok, "%s is live and has no app user", id) {
			continue
		}
		email, name := people[id].want(v)
		assert.Equal(t, email, u.email, id)
		assert.Equal(t, name, u.displayName, id)
		plan, set := plans[id]
		if !set {
			plan = "free"
		} else {
			kept++
		}
		assert.Equal(t, plan, u.plan, "%s: the plan the app set", id)
	}
	for id := range projects {
		if final[id] == 0 {
			gone++
		}
	}
	assert.Len(t, got, len(final), "an app user for each live user and no other")
	assert.Zero(t, d.disagreements(), "app_users agrees with clerk_users row for row")
	assert.Equal(t, users, d.count(`SELECT count(*) FROM {clerk_users}`), "a row for each user, live or a tombstone")
	t.Logf("%d of %d live users have the plan the app set; %d users the app gave projects were deleted", kept, len(final), gone)

	wantProjects := map[string]int{}
	for id, n := range projects {
		if final[id] != 0 {
			wantProjects[id] = n
		}
	}
	gotProjects := map[string]int{}
	rows, err := setupPool.Query(ctx, d.expand(`SELECT a.clerk_id, count(*) FROM {projects} p JOIN {app_users} a ON a.id = p.owner_id GROUP BY 1`))
	require.NoError(t, err)
	for rows.Next() {
		var id string
		var n int
		require.NoError(t, rows.Scan(&id, &n))
		gotProjects[id] = n
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, wantProjects, gotProjects, "the projects of live users, and none of deleted users")
	total := 0
	for _, n := range wantProjects {
		total += n
	}
	assert.Equal(t, total, d.count(`SELECT count(*) FROM {projects}`))
}

// setPlan is the app at work: it sets the plan of the user whose Clerk id
// is clerkID and adds projects for it, and reports whether the user had an
// app user. The UPDATE locks the row, so the user cannot be deleted before
// the projects are in; deleted after, the user takes them along.
func setPlan(ctx context.Context, d db, clerkID, plan string, projects int) (bool, error) {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback(ctx) }() // a no-op after Commit
	var id int64
	err = tx.QueryRow(ctx, d.expand(`UPDATE {app_users} SET plan = $2 WHERE clerk_id = $1 RETURNING id`), clerkID, plan).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for i := range projects {
		if _, err := tx.Exec(ctx, d.expand(`INSERT INTO {projects} (owner_id, name) VALUES ($1, $2)`), id, fmt.Sprintf("project %d", i)); err != nil {
			return false, err
		}
	}
	return true, tx.Commit(ctx)
}

// An action is the app at work on a user: it sets the plan and adds
// projects.
type action struct {
	user, plan string
	projects   int
}

// A step is a delivery to send or an action of the app.
type step struct {
	d *delivery
	a *action
}

// stepsOf returns the steps that send ds.
func stepsOf(ds []delivery) []step {
	steps := make([]step, len(ds))
	for i := range ds {
		steps[i] = step{d: &ds[i]}
	}
	return steps
}
