package pgxstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/internal/shuffle"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// signedDelivery is a request body with its svix-* headers, ready to send
// any number of times.
type signedDelivery struct {
	id        string
	eventType string
	body      []byte
	header    http.Header
}

// history is a randomized sequence of Clerk's deliveries about users,
// organizations and memberships, and the state they lead to. Each record
// has a timeline of versions; version v is updated at at(v), and a
// deletion after version v happens at at(v+1).
type history struct {
	deliveries []signedDelivery
	// The final version of each record; 0 when it ends deleted.
	users       map[string]int
	orgs        map[string]int
	memberships map[[2]string]int
}

// newHistory invents the history of the given number of users, signed with
// secret, in a random order with duplicates (see shuffle.WithDuplicates).
func newHistory(t *testing.T, r *rand.Rand, secret string, users int, dupRate float64) *history {
	signer, err := clerkhooktest.NewSigner(secret)
	require.NoError(t, err)
	h := &history{users: map[string]int{}, orgs: map[string]int{}, memberships: map[[2]string]int{}}
	signedAt := time.Now()
	add := func(eventType string, data any, timestamp clerkhook.UnixMilli) {
		evt, err := clerkhooktest.NewEvent(eventType, data)
		require.NoError(t, err)
		evt.Timestamp = int64(timestamp)
		body, err := json.Marshal(evt)
		require.NoError(t, err)
		id := newDeliveryID()
		h.deliveries = append(h.deliveries,
			signedDelivery{id: id, eventType: eventType, body: body, header: signer.Headers(id, signedAt, body)})
	}
	// timeline adds versions 1..n of a record, then maybe its deletion,
	// and returns its final version.
	timeline := func(n int, deleteRate float64, upsert func(v int), del func(v int)) int {
		for v := 1; v <= n; v++ {
			upsert(v)
		}
		if r.Float64() < deleteRate {
			del(n + 1)
			return 0
		}
		return n
	}

	orgIDs := make([]string, max(users/20, 1))
	for i := range orgIDs {
		id := fmt.Sprintf("org_replica_%03d", i)
		orgIDs[i] = id
		h.orgs[id] = timeline(1+r.IntN(2), 0.1,
			func(v int) {
				add(upsertType(v, clerkhook.EventOrganizationCreated, clerkhook.EventOrganizationUpdated), testOrganization(id, v), at(v))
			},
			func(v int) {
				add(clerkhook.EventOrganizationDeleted, clerkhook.DeletedObject{Object: "organization", ID: id, Deleted: true}, at(v))
			})
	}
	for i := range users {
		id := fmt.Sprintf("user_replica_%04d", i)
		h.users[id] = timeline(1+r.IntN(2), 0.25,
			func(v int) {
				add(upsertType(v, clerkhook.EventUserCreated, clerkhook.EventUserUpdated), testUser(id, v), at(v))
			},
			func(v int) {
				add(clerkhook.EventUserDeleted, clerkhook.DeletedObject{Object: "user", ID: id, Deleted: true}, at(v))
			})
		if i%2 == 1 {
			continue
		}
		// Every other user joins an organization, may leave it and
		// may be invited again.
		org := orgIDs[r.IntN(len(orgIDs))]
		key := [2]string{org, id}
		v, final := 0, 0
		for stint := 0; stint == 0 || r.IntN(2) == 0 && stint < 2; stint++ {
			for range 1 + r.IntN(2) {
				v++
				typ := clerkhook.EventOrganizationMembershipUpdated
				if v == 1 || final == 0 {
					typ = clerkhook.EventOrganizationMembershipCreated
				}
				add(typ, testMembership(org, id, v), at(v))
				final = v
			}
			if r.IntN(3) == 0 {
				v++
				add(clerkhook.EventOrganizationMembershipDeleted, testMembership(org, id, v-1), at(v))
				final = 0
			}
		}
		if h.users[id] == 0 || h.orgs[org] == 0 {
			final = 0
		}
		h.memberships[key] = final
	}
	h.deliveries = shuffle.WithDuplicates(r, h.deliveries, dupRate)
	return h
}

func upsertType(v int, created, updated string) string {
	if v == 1 {
		return created
	}
	return updated
}

// TestReplicas runs four Handlers, each with its own pool and Store over
// the same tables, as four replicas of a service would, and sends them a
// shuffled history with duplicates from concurrent clients, retrying what
// Svix retries. The tables must end in the state the history leads to, and
// the event handlers must have run once per delivery. It runs with the
// connections of the replicas defaulting to each isolation level; the
// levels other than PostgreSQL's default get a shorter history, since the
// races they are about need concurrency rather than volume.
func TestReplicas(t *testing.T) { forEachIsolationLevel(t, testReplicas) }

func testReplicas(t *testing.T, level string) {
	users := 2000
	if level != "read committed" {
		users = 300
	}
	const (
		replicas = 4
		clients  = 16
		// maxPasses bounds the retries of one delivery, which are
		// needed only while another replica processes the same one.
		maxPasses = 200
	)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(uint64(seed), 0))
	secret := clerkhooktest.NewSecret()
	hist := newHistory(t, r, secret, users, 0.15)

	setup := pgtest.Connect(t, nil)
	schema := pgtest.FreshSchema(t, setup)
	var handled sync.Map // delivery id -> *atomic.Int32
	countHandled := func(_ context.Context, evt *clerkhook.Event) error {
		n, _ := handled.LoadOrStore(evt.ID, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		return nil
	}
	handledTypes := map[string]bool{
		clerkhook.EventUserCreated:                   true,
		clerkhook.EventOrganizationUpdated:           true,
		clerkhook.EventOrganizationMembershipDeleted: true,
	}
	opts := []clerkhook.HandlerOption{clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	for typ := range handledTypes {
		opts = append(opts, clerkhook.WithSupersededEventHandler(typ, countHandled))
	}
	urls := startReplicas(t, replicas, level, secret, []pgxstore.Option{pgxstore.WithSchema(schema)}, opts)
	deliverToReplicas(t, urls, hist.deliveries, clients, maxPasses)

	f := &fixture{store: pgxstore.New(setup, pgxstore.WithSchema(schema)), pool: setup, schema: schema}
	ctx := context.Background()
	liveUsers, liveOrgs := 0, 0
	for id, v := range hist.users {
		got, err := f.store.User(ctx, id)
		if v == 0 {
			require.ErrorIs(t, err, clerkhook.ErrUserNotFound, id)
			continue
		}
		liveUsers++
		require.NoError(t, err, id)
		require.Equal(t, at(v), got.UpdatedAt, id)
		require.Equal(t, fmt.Sprintf("First %d", v), *got.FirstName, id)
	}
	for id, v := range hist.orgs {
		got, err := f.store.Organization(ctx, id)
		if v == 0 {
			require.ErrorIs(t, err, clerkhook.ErrOrganizationNotFound, id)
			continue
		}
		liveOrgs++
		require.NoError(t, err, id)
		require.Equal(t, at(v), got.UpdatedAt, id)
	}
	assert.Equal(t, liveUsers, count(t, f, "clerk_users", "deleted_at IS NULL"), "no other live user")
	assert.Equal(t, len(hist.users), count(t, f, "clerk_users", "true"), "a tombstone for each deleted user")
	assert.Equal(t, liveOrgs, count(t, f, "clerk_organizations", "deleted_at IS NULL"))
	assert.Equal(t, len(hist.orgs), count(t, f, "clerk_organizations", "true"))

	wantMembers := map[[2]string]int{}
	for k, v := range hist.memberships {
		if v != 0 {
			wantMembers[k] = v
		}
	}
	gotMembers := map[[2]string]int{}
	rows, err := setup.Query(ctx, `SELECT organization_id, user_id, role FROM `+f.table("clerk_organization_memberships")+
		` WHERE deleted_at IS NULL`)
	require.NoError(t, err)
	for rows.Next() {
		var org, user, role string
		require.NoError(t, rows.Scan(&org, &user, &role))
		var v int
		_, err := fmt.Sscanf(role, "org:role_%d", &v)
		require.NoError(t, err)
		gotMembers[[2]string{org, user}] = v
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, wantMembers, gotMembers, "live memberships")

	want := map[string]bool{}
	for _, d := range hist.deliveries {
		if handledTypes[d.eventType] {
			want[d.id] = true
		}
	}
	ran := 0
	handled.Range(func(id, n any) bool {
		ran++
		assert.True(t, want[id.(string)], "handler ran for an unexpected delivery")
		assert.Equal(t, int32(1), n.(*atomic.Int32).Load(), "runs of the event handlers of one delivery")
		return true
	})
	assert.Equal(t, len(want), ran, "deliveries whose event handlers ran")
}

// deliverToReplicas sends the deliveries to the replicas' urls from
// concurrent clients, in turn, each to the replica of its index, and
// retries what Svix retries (409, 500, 503) on the next replica, at most
// maxPasses times.
func deliverToReplicas(t *testing.T, urls []string, deliveries []signedDelivery, clients, maxPasses int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 30 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	var refused atomic.Int64
	// send delivers d to one replica and reports whether it was accepted.
	send := func(d signedDelivery, replica int) (bool, error) {
		req, err := http.NewRequest(http.MethodPost, urls[replica%len(urls)], bytes.NewReader(d.body))
		if err != nil {
			return false, err
		}
		for k, v := range d.header {
			req.Header[k] = v
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			return true, nil
		case http.StatusConflict, http.StatusInternalServerError, http.StatusServiceUnavailable:
			refused.Add(1)
			return false, nil // Svix retries these.
		default:
			return false, fmt.Errorf("delivery of a %s event: status %d", d.eventType, resp.StatusCode)
		}
	}
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for i := range deliveries {
			jobs <- i
		}
	}()
	start := time.Now()
	run(t, clients, func(int) error {
		var retry []int
		for i := range jobs {
			ok, err := send(deliveries[i], i)
			if err != nil {
				return err
			}
			if !ok {
				retry = append(retry, i)
			}
		}
		for pass := 1; len(retry) > 0; pass++ {
			if pass > maxPasses {
				return fmt.Errorf("%d deliveries still refused after %d passes", len(retry), maxPasses)
			}
			var again []int
			for _, i := range retry {
				ok, err := send(deliveries[i], i+pass)
				if err != nil {
					return err
				}
				if !ok {
					again = append(again, i)
				}
			}
			retry = again
		}
		return nil
	})
	t.Logf("%d deliveries in %v, %d attempts refused and retried", len(deliveries), time.Since(start), refused.Load())

}

// startReplicas starts n Handlers, each with a pool of 3 connections
// defaulting to the isolation level and a Store made with storeOpts, which
// migrate at once as replicas do at start-up, and returns their URLs.
func startReplicas(t *testing.T, n int, level, secret string, storeOpts []pgxstore.Option, handlerOpts []clerkhook.HandlerOption) []string {
	t.Helper()
	urls := make([]string, n)
	var migrating sync.WaitGroup
	for i := range urls {
		store := pgxstore.New(connectAt(t, level, 3), storeOpts...)
		h, err := clerkhook.NewHandler(secret, store, handlerOpts...)
		require.NoError(t, err)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		urls[i] = srv.URL + "/webhooks/clerk"
		migrating.Go(func() { assert.NoError(t, store.Migrate(context.Background()), "every replica migrates at start-up") })
	}
	migrating.Wait()
	return urls
}
