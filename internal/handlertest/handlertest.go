// Package handlertest checks, through a clerkhook.Handler, that event
// handlers run once per delivery and never for a superseded one, on any
// store with a Deduplicator: the root package's tests run it on the
// MemoryStore, pgxstore's on PostgreSQL.
package handlertest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// Store is what Run needs of a store: users and a ledger whose claims
// lapse.
type Store interface {
	clerkhook.UserStore
	clerkhook.Deduplicator
	clerkhook.ClaimTimeouter
}

// NewStore returns a fresh store and a function that makes its claims
// lapse at once, as if its claim timeout had passed.
type NewStore func(t *testing.T) (s Store, lapse func(t *testing.T))

// Run runs the checks as subtests of t, each on a store of its own.
func Run(t *testing.T, newStore NewStore) {
	t.Run("LateCreateAfterDeleteRunsNoHandler", func(t *testing.T) { lateCreateAfterDelete(t, newStore) })
	t.Run("OlderUpdateRunsNoHandler", func(t *testing.T) { olderUpdate(t, newStore) })
	t.Run("HandlerPastTimeoutRunsOnce", func(t *testing.T) { handlerPastTimeout(t, newStore) })
	t.Run("ClaimTimeoutUnderTwiceTimeoutRefused", func(t *testing.T) {
		s, _ := newStore(t)
		_, err := clerkhook.NewHandler(clerkhooktest.NewSecret(), s, clerkhook.WithTimeout(s.ClaimTimeout()))
		require.ErrorContains(t, err, "less than twice WithTimeout")
		_, err = clerkhook.NewHandler(clerkhooktest.NewSecret(), s, clerkhook.WithTimeout(s.ClaimTimeout()/2))
		require.NoError(t, err)
	})
}

// completions tells of each completed claim.
type completions struct {
	Store
	done chan string
}

func (s completions) CompleteDelivery(ctx context.Context, id, token string) error {
	err := s.Store.CompleteDelivery(ctx, id, token)
	s.done <- id
	return err
}

// fixture is a Handler over a store, with the secret its deliveries are
// signed with.
type fixture struct {
	h           *clerkhook.Handler
	secret      string
	completions chan string
	lapse       func(t *testing.T)
}

func newFixture(t *testing.T, newStore NewStore, opts ...clerkhook.HandlerOption) *fixture {
	t.Helper()
	s, lapse := newStore(t)
	f := &fixture{secret: clerkhooktest.NewSecret(), completions: make(chan string, 64), lapse: lapse}
	opts = append([]clerkhook.HandlerOption{clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	h, err := clerkhook.NewHandler(f.secret, completions{s, f.completions}, opts...)
	require.NoError(t, err)
	f.h = h
	return f
}

// send delivers evt with the svix-id id and checks the answer.
func (f *fixture) send(t *testing.T, evt *clerkhook.Event, id string, status int, outcome clerkhook.Outcome) {
	t.Helper()
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, clerkhooktest.NewEventRequest(t, f.secret, evt, clerkhooktest.WithDeliveryID(id)))
	require.Equal(t, status, w.Code, "delivery %s of %s", id, evt.Type)
	require.Equal(t, string(outcome), strings.TrimSpace(w.Body.String()), "delivery %s of %s", id, evt.Type)
}

// recorder records the runs of event handlers.
type recorder struct {
	mu   sync.Mutex
	runs []run
}

type run struct {
	handler, deliveryID, objectID string
	result                        clerkhook.WriteResult
}

func (r *recorder) handler(name string) clerkhook.EventHandlerFunc {
	return func(ctx context.Context, evt *clerkhook.Event) error {
		result, ok := clerkhook.WriteResultFromContext(ctx)
		if !ok {
			return errors.New("no WriteResult in the event handler's context")
		}
		var id string
		if u, err := evt.User(); err == nil {
			id = u.ID
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.runs = append(r.runs, run{name, evt.ID, id, result})
		return nil
	}
}

func (r *recorder) of(name string) []run {
	r.mu.Lock()
	defer r.mu.Unlock()
	var runs []run
	for _, x := range r.runs {
		if x.handler == name {
			runs = append(runs, x)
		}
	}
	return runs
}

// must returns a function that returns a builder's event, failing t on
// the builder's error.
func must(t *testing.T) func(*clerkhook.Event, error) *clerkhook.Event {
	return func(evt *clerkhook.Event, err error) *clerkhook.Event {
		t.Helper()
		require.NoError(t, err)
		return evt
	}
}

// lateCreateAfterDelete: user.created, user.deleted and a retry of the
// user.created; then a user.created whose first attempt was lost and whose
// retry comes after the user.deleted. The welcome goes out once, for the
// first user.
func lateCreateAfterDelete(t *testing.T, newStore NewStore) {
	var rec recorder
	f := newFixture(t, newStore,
		clerkhook.WithEventHandler(clerkhook.EventUserCreated, rec.handler("welcome")),
		clerkhook.WithSupersededEventHandler(clerkhook.EventUserCreated, rec.handler("audit")))
	first := must(t)(clerkhooktest.UserCreated())
	firstUser, err := first.User()
	require.NoError(t, err)
	f.send(t, first, "msg_created_1", http.StatusOK, clerkhook.OutcomeProcessed)
	f.send(t, must(t)(clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = firstUser.ID })),
		"msg_deleted_1", http.StatusOK, clerkhook.OutcomeProcessed)
	f.send(t, first, "msg_created_1", http.StatusOK, clerkhook.OutcomeDuplicate)

	late := must(t)(clerkhooktest.UserCreated())
	lateUser, err := late.User()
	require.NoError(t, err)
	f.send(t, must(t)(clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = lateUser.ID })),
		"msg_deleted_2", http.StatusOK, clerkhook.OutcomeProcessed)
	f.send(t, late, "msg_created_2", http.StatusOK, clerkhook.OutcomeStale)

	assert.Equal(t, []run{{"welcome", "msg_created_1", firstUser.ID, clerkhook.WriteApplied}}, rec.of("welcome"),
		"the welcome ran once, for the user created before the deletion")
	assert.Equal(t, []run{
		{"audit", "msg_created_1", firstUser.ID, clerkhook.WriteApplied},
		{"audit", "msg_created_2", lateUser.ID, clerkhook.WriteSuperseded},
	}, rec.of("audit"), "the opted-in handler saw both, and which was superseded")
}

// olderUpdate: a user.updated older than the one the store holds pushes
// nothing to the CRM.
func olderUpdate(t *testing.T, newStore NewStore) {
	var rec recorder
	f := newFixture(t, newStore,
		clerkhook.WithEventHandler(clerkhook.EventUserUpdated, rec.handler("crm")),
		clerkhook.WithSupersededEventHandler(clerkhook.EventUserUpdated, rec.handler("audit")))
	newer := must(t)(clerkhooktest.UserUpdated())
	u, err := newer.User()
	require.NoError(t, err)
	older := must(t)(clerkhooktest.UserUpdated(func(o *clerkhook.User) {
		o.ID = u.ID
		o.UpdatedAt = u.UpdatedAt - 1000
	}))
	f.send(t, newer, "msg_updated_new", http.StatusOK, clerkhook.OutcomeProcessed)
	f.send(t, older, "msg_updated_old", http.StatusOK, clerkhook.OutcomeStale)
	assert.Equal(t, []run{{"crm", "msg_updated_new", u.ID, clerkhook.WriteApplied}}, rec.of("crm"))
	assert.Equal(t, []run{
		{"audit", "msg_updated_new", u.ID, clerkhook.WriteApplied},
		{"audit", "msg_updated_old", u.ID, clerkhook.WriteSuperseded},
	}, rec.of("audit"))
}

// handlerPastTimeout: an event handler that ignores its context and
// returns after WithTimeout, its work done, runs once over three attempts:
// the first is answered 503 at the deadline, a retry while it still runs
// 409, the retry right after it returned finds the delivery processed, and
// so does one after the claim timeout.
func handlerPastTimeout(t *testing.T, newStore NewStore) {
	proceed := make(chan struct{})
	var (
		mu      sync.Mutex
		runs    int
		lateErr error
	)
	slow := func(ctx context.Context, evt *clerkhook.Event) error {
		<-proceed // a mail client with a timeout of its own
		mu.Lock()
		defer mu.Unlock()
		runs++
		lateErr = ctx.Err()
		return nil
	}
	// Short, and long enough for a database's round trips on a busy
	// machine: the second attempt must find the claim, not run out of time.
	f := newFixture(t, newStore,
		clerkhook.WithTimeout(500*time.Millisecond),
		clerkhook.WithEventHandler(clerkhook.EventUserCreated, slow))
	evt := must(t)(clerkhooktest.UserCreated())
	const id = "msg_slow"
	f.send(t, evt, id, http.StatusServiceUnavailable, clerkhook.OutcomeFailed)
	f.send(t, evt, id, http.StatusConflict, clerkhook.OutcomeInProgress)
	close(proceed)
	select {
	case got := <-f.completions:
		require.Equal(t, id, got)
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery was not completed after its event handler returned")
	}
	f.send(t, evt, id, http.StatusOK, clerkhook.OutcomeDuplicate)
	f.lapse(t)
	f.send(t, evt, id, http.StatusOK, clerkhook.OutcomeDuplicate)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, runs, "runs of the event handler")
	assert.ErrorIs(t, lateErr, context.DeadlineExceeded, "the handler returned after the deadline")
}
