package clerkhook_test

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// simClock is a clock that moves only when the test moves it.
type simClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var errInjected = errors.New("injected fault")

// faultyStore is a MemoryStore whose writes fail now and then: every
// every-th call, and otherwise with probability p. Half the faults happen
// before the write and half after it, as when a connection drops after the
// database committed.
type faultyStore struct {
	mem   *clerkhook.MemoryStore
	every int
	p     float64

	mu     sync.Mutex
	rng    *rand.Rand
	calls  int
	faults int
	// completeFailed holds the deliveries whose CompleteDelivery failed:
	// the Deduplicator contract lets those run again.
	completeFailed map[string]bool
}

// do runs write, failing before or after it when a fault is due.
func (s *faultyStore) do(write func() error) error {
	s.mu.Lock()
	s.calls++
	fault := s.calls%s.every == 0 || s.rng.Float64() < s.p
	after := s.rng.Intn(2) == 0
	if fault {
		s.faults++
	}
	s.mu.Unlock()
	if fault && !after {
		return errInjected
	}
	err := write()
	if fault {
		return fmt.Errorf("%w after the write", errInjected)
	}
	return err
}

func (s *faultyStore) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	return s.do(func() error { return s.mem.UpsertUser(ctx, u) })
}

func (s *faultyStore) DeleteUser(ctx context.Context, id string, at time.Time) error {
	return s.do(func() error { return s.mem.DeleteUser(ctx, id, at) })
}

func (s *faultyStore) UpsertOrganization(ctx context.Context, o *clerkhook.Organization) error {
	return s.do(func() error { return s.mem.UpsertOrganization(ctx, o) })
}

func (s *faultyStore) DeleteOrganization(ctx context.Context, id string, at time.Time) error {
	return s.do(func() error { return s.mem.DeleteOrganization(ctx, id, at) })
}

func (s *faultyStore) UpsertMembership(ctx context.Context, m *clerkhook.OrganizationMembership) error {
	return s.do(func() error { return s.mem.UpsertMembership(ctx, m) })
}

func (s *faultyStore) DeleteMembership(ctx context.Context, org, user string, at time.Time) error {
	return s.do(func() error { return s.mem.DeleteMembership(ctx, org, user, at) })
}

func (s *faultyStore) ClaimDelivery(ctx context.Context, id, typ string) (token string, err error) {
	err = s.do(func() (err error) {
		token, err = s.mem.ClaimDelivery(ctx, id, typ)
		return err
	})
	return token, err
}

func (s *faultyStore) CompleteDelivery(ctx context.Context, id, token string) error {
	err := s.do(func() error { return s.mem.CompleteDelivery(ctx, id, token) })
	if err != nil {
		s.mu.Lock()
		s.completeFailed[id] = true
		s.mu.Unlock()
	}
	return err
}

func (s *faultyStore) ReleaseDelivery(ctx context.Context, id, token string) error {
	return s.do(func() error { return s.mem.ReleaseDelivery(ctx, id, token) })
}

func (s *faultyStore) UpsertUserDelivery(ctx context.Context, id, typ string, u *clerkhook.User) error {
	return s.do(func() error { return s.mem.UpsertUserDelivery(ctx, id, typ, u) })
}

func (s *faultyStore) DeleteUserDelivery(ctx context.Context, id, typ, userID string, at time.Time) error {
	return s.do(func() error { return s.mem.DeleteUserDelivery(ctx, id, typ, userID, at) })
}

// faultDelivery is one delivery of a history, and the entity it is about.
type faultDelivery struct {
	id, typ string
	at      time.Time
	data    any
}

// faultTruth is the final state of a history: the last version of each
// record, 0 for one deleted.
type faultTruth struct {
	users, orgs map[string]int
	memberships map[[2]string]int
}

// faultHistory returns the deliveries of a random history of users,
// organizations and memberships, in the order they happened, and its final
// state. Version v of a record is updated v seconds after base; deletions
// of users and organizations come after everything else about them.
func faultHistory(rng *rand.Rand, nUsers, nOrgs, nMemberships int) ([]faultDelivery, faultTruth) {
	base := testNow.Add(-time.Hour)
	at := func(v int) time.Time { return base.Add(time.Duration(v) * time.Second) }
	truth := faultTruth{users: map[string]int{}, orgs: map[string]int{}, memberships: map[[2]string]int{}}
	var out []faultDelivery
	add := func(typ string, when time.Time, data any) {
		out = append(out, faultDelivery{id: fmt.Sprintf("msg_2fault%05d", len(out)), typ: typ, at: when, data: data})
	}
	const end = 1000 // the version time of the final deletions

	for i := range nUsers {
		id := fmt.Sprintf("user_2fault%03d", i)
		n := 1 + rng.Intn(5)
		for v := 1; v <= n; v++ {
			u := testUser(id, v)
			u.UpdatedAt = clerkhook.UnixMilli(at(v).UnixMilli())
			typ := clerkhook.EventUserUpdated
			if v == 1 {
				typ = clerkhook.EventUserCreated
			}
			add(typ, at(v), u)
		}
		truth.users[id] = n
		if rng.Intn(5) == 0 {
			add(clerkhook.EventUserDeleted, at(end), &clerkhook.DeletedObject{Object: "user", ID: id, Deleted: true})
			truth.users[id] = 0
		}
	}
	for i := range nOrgs {
		id := fmt.Sprintf("org_2fault%03d", i)
		n := 1 + rng.Intn(4)
		for v := 1; v <= n; v++ {
			typ := clerkhook.EventOrganizationUpdated
			if v == 1 {
				typ = clerkhook.EventOrganizationCreated
			}
			add(typ, at(v), &clerkhook.Organization{
				ID: id, Object: "organization", Name: fmt.Sprintf("v%d", v),
				CreatedAt: clerkhook.UnixMilli(at(1).UnixMilli()), UpdatedAt: clerkhook.UnixMilli(at(v).UnixMilli()),
			})
		}
		truth.orgs[id] = n
		if rng.Intn(6) == 0 {
			add(clerkhook.EventOrganizationDeleted, at(end+1), &clerkhook.DeletedObject{Object: "organization", ID: id, Deleted: true})
			truth.orgs[id] = 0
		}
	}
	membership := func(org, user string, v int) *clerkhook.OrganizationMembership {
		return &clerkhook.OrganizationMembership{
			ID: "orgmem_" + org + "_" + user, Object: "organization_membership", Role: fmt.Sprintf("org:v%d", v),
			Organization:   clerkhook.Organization{ID: org, Object: "organization"},
			PublicUserData: clerkhook.PublicUserData{UserID: user},
			UpdatedAt:      clerkhook.UnixMilli(at(v).UnixMilli()),
		}
	}
	for len(truth.memberships) < nMemberships {
		key := [2]string{fmt.Sprintf("org_2fault%03d", rng.Intn(nOrgs)), fmt.Sprintf("user_2fault%03d", rng.Intn(nUsers))}
		if _, ok := truth.memberships[key]; ok {
			continue
		}
		org, user := key[0], key[1]
		// Versions 1 to n, possibly a removal, possibly an invitation
		// accepted again after it, with a new version.
		n, v := 1+rng.Intn(3), 1
		for ; v <= n; v++ {
			typ := clerkhook.EventOrganizationMembershipUpdated
			if v == 1 {
				typ = clerkhook.EventOrganizationMembershipCreated
			}
			add(typ, at(v), membership(org, user, v))
		}
		final := n
		for rng.Intn(3) == 0 {
			add(clerkhook.EventOrganizationMembershipDeleted, at(v).Add(-500*time.Millisecond), membership(org, user, v-1))
			final = 0
			if rng.Intn(2) == 0 {
				break
			}
			add(clerkhook.EventOrganizationMembershipCreated, at(v), membership(org, user, v))
			final = v
			v++
		}
		if truth.users[user] == 0 || truth.orgs[org] == 0 {
			final = 0
		}
		truth.memberships[key] = final
	}
	return out, truth
}

// svixSchedule is how long Svix waits before each retry of a failed
// delivery.
var svixSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// attempt is one sending of a delivery, due at a simulated time.
type attempt struct {
	due       time.Time
	seq       int // breaks ties in the order attempts were scheduled
	delivery  int
	attemptNo int
}

type attemptQueue []attempt

func (q attemptQueue) Len() int { return len(q) }
func (q attemptQueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].seq < q[j].seq
}
func (q attemptQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *attemptQueue) Push(x any)   { *q = append(*q, x.(attempt)) }
func (q *attemptQueue) Pop() any {
	old := *q
	a := old[len(old)-1]
	*q = old[:len(old)-1]
	return a
}

// TestHandlerConvergesDespiteStoreFaults delivers a random history of
// users, organizations and memberships through a store that fails now and
// then, in random order, some deliveries twice, some answers lost on the
// way back; every delivery not answered 2xx is sent again on Svix's retry
// schedule, interleaved with the others, on a simulated clock. The store
// must end in the history's final state with no delivery given up, and
// the event handlers must have taken effect once per delivery.
func TestHandlerConvergesDespiteStoreFaults(t *testing.T) {
	for _, withHandlers := range []bool{true, false} {
		// With event handlers, the Handler claims and completes each
		// delivery; without, user events take the DeliveryWriter path.
		t.Run(fmt.Sprintf("event handlers %v", withHandlers), func(t *testing.T) {
			seed := time.Now().UnixNano()
			t.Logf("seed %d", seed)
			// One source each for the history, the store, the event
			// handlers and the network, so that none draws from another's.
			rng := rand.New(rand.NewSource(seed))
			deliveries, truth := faultHistory(rng, 150, 20, 120)
			storeRng, handlerRng := rand.New(rand.NewSource(rng.Int63())), rand.New(rand.NewSource(rng.Int63()))

			clock := &simClock{now: testNow}
			store := &faultyStore{
				mem:   clerkhook.NewMemoryStore(clerkhook.WithStoreClock(clock.Now)),
				every: 31, p: 0.03, rng: storeRng, completeFailed: map[string]bool{},
			}
			var mu sync.Mutex
			applied := map[string]int{}
			handlerFaults := 0
			count := func(_ context.Context, evt *clerkhook.Event) error {
				mu.Lock()
				defer mu.Unlock()
				if handlerRng.Float64() < 0.03 {
					handlerFaults++
					return errors.New("side effect failed")
				}
				applied[evt.ID]++
				return nil
			}
			opts := []clerkhook.HandlerOption{clerkhook.WithClock(clock.Now)}
			if withHandlers {
				for _, typ := range []string{
					clerkhook.EventUserCreated, clerkhook.EventUserUpdated, clerkhook.EventUserDeleted,
					clerkhook.EventOrganizationCreated, clerkhook.EventOrganizationUpdated, clerkhook.EventOrganizationDeleted,
					clerkhook.EventOrganizationMembershipCreated, clerkhook.EventOrganizationMembershipUpdated,
					clerkhook.EventOrganizationMembershipDeleted,
				} {
					opts = append(opts, clerkhook.WithSupersededEventHandler(typ, count))
				}
			}
			h := newTestHandler(t, store, opts...)

			// Every delivery is sent at a random moment of the first ten
			// minutes; one in ten is sent a second time, independently.
			var queue attemptQueue
			scheduled := 0
			schedule := func(d int, due time.Time, n int) {
				scheduled++
				heap.Push(&queue, attempt{due: due, seq: scheduled, delivery: d, attemptNo: n})
			}
			window := int64(10 * time.Minute)
			for i := range deliveries {
				schedule(i, testNow.Add(time.Duration(rng.Int63n(window))), 0)
				if rng.Intn(10) == 0 {
					schedule(i, testNow.Add(time.Duration(rng.Int63n(window))), 0)
				}
			}
			bodies := make([][]byte, len(deliveries))
			for i, d := range deliveries {
				bodies[i] = envelope(t, d.typ, d.at, d.data)
			}

			statuses := map[int]int{}
			lostAnswers, sends := 0, 0
			for queue.Len() > 0 {
				a := heap.Pop(&queue).(attempt)
				clock.Set(a.due)
				d := deliveries[a.delivery]
				w := serve(h, signedAt(t, testSecret, d.id, a.due, bodies[a.delivery]))
				sends++
				statuses[w.Code]++
				ok := w.Code >= 200 && w.Code < 300
				if ok && rng.Intn(50) == 0 {
					ok = false // the answer was lost; Svix sees a timeout
					lostAnswers++
				}
				if ok {
					continue
				}
				require.Contains(t, []int{200, 409, 500}, w.Code, "delivery %s", d.id)
				require.Less(t, a.attemptNo, len(svixSchedule), "delivery %s given up after %d attempts", d.id, a.attemptNo+1)
				schedule(a.delivery, a.due.Add(svixSchedule[a.attemptNo]), a.attemptNo+1)
			}
			t.Logf("%d deliveries, %d sends, statuses %v, %d store faults in %d calls, %d event handler faults, %d answers lost, %d completions failed",
				len(deliveries), sends, statuses, store.faults, store.calls, handlerFaults, lostAnswers, len(store.completeFailed))
			require.NotZero(t, store.faults)
			require.NotZero(t, statuses[http.StatusInternalServerError])

			assertFaultTruth(t, store.mem, truth)
			if withHandlers {
				require.NotZero(t, handlerFaults)
				twice := 0
				for _, d := range deliveries {
					n := applied[d.id]
					if n > 1 && store.completeFailed[d.id] {
						twice++
						continue
					}
					assert.Equal(t, 1, n, "event handlers of delivery %s", d.id)
				}
				t.Logf("%d deliveries applied again after their completion failed to be recorded", twice)
			}
		})
	}
}

// assertFaultTruth checks that store holds the final state of a history.
func assertFaultTruth(t *testing.T, store *clerkhook.MemoryStore, truth faultTruth) {
	t.Helper()
	ctx := context.Background()
	for id, v := range truth.users {
		u, err := store.User(ctx, id)
		if v == 0 {
			assert.ErrorIs(t, err, clerkhook.ErrUserNotFound, id)
			continue
		}
		if assert.NoError(t, err, id) {
			assert.Equal(t, fmt.Sprintf("Version%d", v), *u.LastName, id)
		}
	}
	for id, v := range truth.orgs {
		o, err := store.Organization(ctx, id)
		if v == 0 {
			assert.ErrorIs(t, err, clerkhook.ErrOrganizationNotFound, id)
			continue
		}
		if assert.NoError(t, err, id) {
			assert.Equal(t, fmt.Sprintf("v%d", v), o.Name, id)
		}
	}
	for key, v := range truth.memberships {
		m, err := store.Membership(ctx, key[0], key[1])
		if v == 0 {
			assert.ErrorIs(t, err, clerkhook.ErrMembershipNotFound, key)
			continue
		}
		if assert.NoError(t, err, key) {
			assert.Equal(t, fmt.Sprintf("org:v%d", v), m.Role, key)
		}
	}
}

// hangingStore is a MemoryStore whose claims and one-step user writes
// block until unblock is closed, ignoring their context, as a store stuck
// on a dead connection without a deadline does.
type hangingStore struct {
	*clerkhook.MemoryStore
	unblock <-chan struct{}
}

// NonBlocking overrides the MemoryStore's: this store blocks.
func (s *hangingStore) NonBlocking() bool { return false }

func (s *hangingStore) ClaimDelivery(ctx context.Context, id, typ string) (string, error) {
	<-s.unblock
	return s.MemoryStore.ClaimDelivery(ctx, id, typ)
}

func (s *hangingStore) UpsertUserDelivery(ctx context.Context, id, typ string, u *clerkhook.User) error {
	<-s.unblock
	return s.MemoryStore.UpsertUserDelivery(ctx, id, typ, u)
}

// TestHandlerAnswersManyHungDeliveriesInTime sends concurrent deliveries
// whose store or event handler hangs: each is answered 503 at the deadline
// while the work still hangs, the goroutines running the work end once it
// returns, and the retries are processed.
func TestHandlerAnswersManyHungDeliveriesInTime(t *testing.T) {
	const concurrent = 32
	tests := []struct {
		name string
		// setup returns the store and the options of the hanging handler.
		setup func(unblock <-chan struct{}) (clerkhook.UserStore, []clerkhook.HandlerOption)
	}{
		{"event handler honours its context", func(unblock <-chan struct{}) (clerkhook.UserStore, []clerkhook.HandlerOption) {
			return clerkhook.NewMemoryStore(), []clerkhook.HandlerOption{clerkhook.WithEventHandler(clerkhook.EventUserCreated,
				func(ctx context.Context, _ *clerkhook.Event) error {
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-unblock:
						return nil
					}
				})}
		}},
		{"event handler ignores its context", func(unblock <-chan struct{}) (clerkhook.UserStore, []clerkhook.HandlerOption) {
			return clerkhook.NewMemoryStore(), []clerkhook.HandlerOption{clerkhook.WithEventHandler(clerkhook.EventUserCreated,
				func(context.Context, *clerkhook.Event) error {
					<-unblock
					return nil
				})}
		}},
		{"store claim hangs", func(unblock <-chan struct{}) (clerkhook.UserStore, []clerkhook.HandlerOption) {
			return &hangingStore{clerkhook.NewMemoryStore(), unblock}, []clerkhook.HandlerOption{clerkhook.WithEventHandler(clerkhook.EventUserCreated,
				func(context.Context, *clerkhook.Event) error { return nil })}
		}},
		{"store one-step write hangs", func(unblock <-chan struct{}) (clerkhook.UserStore, []clerkhook.HandlerOption) {
			return &hangingStore{clerkhook.NewMemoryStore(), unblock}, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unblock := make(chan struct{})
			store, opts := tt.setup(unblock)
			h := newTestHandler(t, store, append(opts, clerkhook.WithTimeout(50*time.Millisecond))...)
			requests := make([]func() *httptest.ResponseRecorder, concurrent)
			for i := range requests {
				id := fmt.Sprintf("user_2hung%02d", i)
				body := userBody(t, clerkhook.EventUserCreated, testUser(id, 1))
				msg := "msg_2hung_" + id
				requests[i] = func() *httptest.ResponseRecorder { return serve(h, signedRequest(t, msg, body)) }
			}
			before := runtime.NumGoroutine()

			codes := make(chan int, concurrent)
			for _, send := range requests {
				go func() { codes <- send().Code }()
			}
			// Every answer arrives while the work still hangs.
			for range concurrent {
				assert.Equal(t, http.StatusServiceUnavailable, <-codes)
			}
			close(unblock)
			assertGoroutinesReturnTo(t, before)

			for _, send := range requests {
				assert.Equal(t, http.StatusOK, send().Code, "the retry")
			}
			reader := store.(clerkhook.UserReader)
			for i := range concurrent {
				_, err := reader.User(context.Background(), fmt.Sprintf("user_2hung%02d", i))
				assert.NoError(t, err)
			}
		})
	}
}
