package loadtest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/loadtest"
)

// recorder is a webhook endpoint that verifies each delivery and keeps
// the events it received, in order of arrival.
type recorder struct {
	t        *testing.T
	verifier *clerkhook.Verifier
	mu       sync.Mutex
	events   []*clerkhook.Event
	ids      map[string]bool
	remotes  map[string]bool
}

func newRecorder(t *testing.T, secret string) *recorder {
	v, err := clerkhook.NewVerifier(secret)
	require.NoError(t, err)
	return &recorder{t: t, verifier: v, ids: make(map[string]bool), remotes: make(map[string]bool)}
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = rec.verifier.Verify(body, r.Header)
	}
	var evt *clerkhook.Event
	if err == nil {
		evt, err = clerkhook.ParseEvent(body)
	}
	if err != nil {
		rec.t.Errorf("delivery %s: %v", r.Header.Get("svix-id"), err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	assert.Equal(rec.t, "application/json", r.Header.Get("Content-Type"))
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	assert.NoError(rec.t, err)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.events = append(rec.events, evt)
	rec.ids[r.Header.Get("svix-id")] = true
	rec.remotes[host] = true
}

func TestLoadDeliversUserHistories(t *testing.T) {
	const users, perRun = 7, 30
	secret := clerkhooktest.NewSecret()
	rec := newRecorder(t, secret)
	sim, err := loadtest.NewUsers(secret, users)
	require.NoError(t, err)
	// One client, so that the deliveries arrive in the order they were
	// built.
	cfg := loadtest.Config{Deliveries: perRun, Clients: 1, MaxDuration: time.Minute}
	for range 2 {
		r, err := loadtest.Run(context.Background(), rec, sim, cfg)
		require.NoError(t, err)
		t.Log(r)
		assert.Equal(t, perRun, r.Sent)
		assert.Zero(t, r.Errors)
		assert.NoError(t, r.Err)
		assert.Positive(t, r.EventsPerSecond)
	}

	require.Len(t, rec.events, 2*perRun)
	assert.Len(t, rec.ids, 2*perRun, "every delivery has a svix-id of its own")
	assert.Equal(t, map[string]bool{"127.0.0.1": true}, rec.remotes, "deliveries come from the loopback interface")
	last := make(map[string]*clerkhook.User)
	var order []string
	for i, evt := range rec.events {
		u, err := evt.User()
		require.NoError(t, err)
		prev, seen := last[u.ID]
		if !seen {
			assert.Equal(t, clerkhook.EventUserCreated, evt.Type, "the first event of %s", u.ID)
			order = append(order, u.ID)
		} else {
			assert.Equal(t, clerkhook.EventUserUpdated, evt.Type, "event %d", i)
			assert.Greater(t, u.UpdatedAt, prev.UpdatedAt, "each version of %s is newer", u.ID)
			assert.Equal(t, prev.CreatedAt, u.CreatedAt, "created_at of %s", u.ID)
			assert.Equal(t, prev.PrimaryEmail(), u.PrimaryEmail(), "email of %s", u.ID)
		}
		assert.Equal(t, order[i%users], u.ID, "users take turns")
		last[u.ID] = u
	}
	require.Len(t, last, users)

	latest, err := sim.Latest()
	require.NoError(t, err)
	require.Len(t, latest, users)
	for _, u := range latest {
		assert.Equal(t, last[u.ID], u, "Latest is the last version delivered")
	}
}

func TestLoadCountsErrors(t *testing.T) {
	const deliveries = 200
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Error(err)
		}
		if n.Add(1)%4 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	sim, err := loadtest.NewUsers(clerkhooktest.NewSecret(), 10)
	require.NoError(t, err)
	r, err := loadtest.Run(context.Background(), h, sim, loadtest.Config{Deliveries: deliveries, Clients: 8, MaxDuration: time.Minute})
	require.NoError(t, err)
	t.Log(r)
	assert.Equal(t, deliveries, r.Sent)
	assert.Equal(t, deliveries/4, r.Errors)
	assert.ErrorContains(t, r.Err, "500 Internal Server Error")
	assert.Positive(t, r.P50)
	assert.LessOrEqual(t, r.P50, r.P90)
	assert.LessOrEqual(t, r.P90, r.P99)
	assert.LessOrEqual(t, r.P99, r.Max)
	assert.Positive(t, r.Allocs)
	assert.LessOrEqual(t, r.GoroutinesAfter, r.GoroutinesBefore, "goroutines left after the run")
}

// TestLoadStopsAtTheDeadline runs against a handler that never answers: the
// run must end by itself at its deadline, cutting the requests short, and
// leave no goroutine behind.
func TestLoadStopsAtTheDeadline(t *testing.T) {
	const clients = 4
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Error(err)
		}
		<-r.Context().Done()
	})
	sim, err := loadtest.NewUsers(clerkhooktest.NewSecret(), 10)
	require.NoError(t, err)
	r, err := loadtest.Run(context.Background(), h, sim, loadtest.Config{Deliveries: 1000, Clients: clients, MaxDuration: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Log(r)
	assert.Equal(t, clients, r.Sent, "each client sent one delivery")
	assert.Equal(t, clients, r.Errors)
	assert.ErrorIs(t, r.Err, context.DeadlineExceeded)
	assert.Zero(t, r.EventsPerSecond)
	assert.LessOrEqual(t, r.GoroutinesAfter, r.GoroutinesBefore, "goroutines left after the run")
}

func TestLoadRefusesInvalidArguments(t *testing.T) {
	_, err := loadtest.NewUsers(clerkhooktest.NewSecret(), 0)
	assert.Error(t, err, "no users")
	_, err = loadtest.NewUsers("whsec_not base64", 1)
	assert.ErrorIs(t, err, clerkhook.ErrInvalidSecret)

	sim, err := loadtest.NewUsers(clerkhooktest.NewSecret(), 1)
	require.NoError(t, err)
	for _, cfg := range []loadtest.Config{
		{Deliveries: 0, Clients: 1, MaxDuration: time.Second},
		{Deliveries: 1, Clients: 0, MaxDuration: time.Second},
		{Deliveries: 1, Clients: 1, MaxDuration: 0},
	} {
		t.Run(fmt.Sprintf("%+v", cfg), func(t *testing.T) {
			var served atomic.Bool
			h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served.Store(true) })
			_, err := loadtest.Run(context.Background(), h, sim, cfg)
			assert.Error(t, err)
			assert.False(t, served.Load(), "nothing sent")
		})
	}
}
