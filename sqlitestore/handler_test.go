package sqlitestore_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/sqlitestore"
)

// deliver sends evt to h and checks that it was acknowledged.
func deliver(t *testing.T, h http.Handler, secret string, evt *clerkhook.Event) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
	require.Equal(t, http.StatusOK, rec.Code, "delivery %s of %s: %s", evt.ID, evt.Type, rec.Body)
}

func newHandler(t *testing.T, secret string, s *sqlitestore.Store) http.Handler {
	t.Helper()
	h, err := clerkhook.NewHandler(secret, s, clerkhook.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	return h
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		require.NoError(t, err)
		return v
	}
}

// TestRestartKeepsEverything delivers users, an organization, a membership
// and a deletion, closes the store as a stopping process does, and checks
// that a store reopened over the file has all of it: the records, the
// tombstone and the ledger.
func TestRestartKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "clerk.db")
	secret := clerkhooktest.NewSecret()

	first, err := sqlitestore.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, first.Migrate(ctx))
	h := newHandler(t, secret, first)
	kept := must[*clerkhook.Event](t)(clerkhooktest.UserCreated())
	gone := must[*clerkhook.Event](t)(clerkhooktest.UserCreated())
	org := must[*clerkhook.Event](t)(clerkhooktest.OrganizationCreated())
	keptUser, goneUser := must[*clerkhook.User](t)(kept.User()), must[*clerkhook.User](t)(gone.User())
	organization := must[*clerkhook.Organization](t)(org.Organization())
	member := must[*clerkhook.Event](t)(clerkhooktest.OrganizationMembershipCreated(func(m *clerkhook.OrganizationMembership) {
		m.Organization.ID = organization.ID
		m.PublicUserData.UserID = keptUser.ID
	}))
	deleted := must[*clerkhook.Event](t)(clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = goneUser.ID }))
	for _, evt := range []*clerkhook.Event{kept, gone, org, member, deleted} {
		deliver(t, h, secret, evt)
	}
	require.NoError(t, first.Close())

	again := openStore(t, path)
	got, err := again.User(ctx, keptUser.ID)
	require.NoError(t, err)
	assert.Equal(t, keptUser.PrimaryEmail(), got.PrimaryEmail())
	assert.Equal(t, keptUser.UpdatedAt, got.UpdatedAt)
	_, err = again.Organization(ctx, organization.ID)
	require.NoError(t, err)
	_, err = again.Membership(ctx, organization.ID, keptUser.ID)
	require.NoError(t, err)
	_, err = again.User(ctx, goneUser.ID)
	require.ErrorIs(t, err, clerkhook.ErrUserNotFound)

	// The tombstone refuses a late copy of the user, and the ledger the
	// deliveries it recorded.
	late := *goneUser
	late.UpdatedAt++
	require.ErrorIs(t, again.UpsertUser(ctx, &late), clerkhook.ErrStale)
	for _, evt := range []*clerkhook.Event{kept, member, deleted} {
		_, err := again.ClaimDelivery(ctx, evt.ID, evt.Type)
		assert.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery, "delivery of %s", evt.Type)
	}
}

// TestManyWritersConverge sends shuffled versions of users, with
// duplicates and deletions, through 16 goroutines into two Handlers over
// two Stores on one file, as two processes on one machine would, and
// checks that every user ends at its newest version or deleted.
func TestManyWritersConverge(t *testing.T) {
	const users, versions, writers = 40, 5, 16
	path := filepath.Join(t.TempDir(), "clerk.db")
	secret := clerkhooktest.NewSecret()
	stores := []*sqlitestore.Store{openStore(t, path), openStore(t, path)}
	handlers := []http.Handler{newHandler(t, secret, stores[0]), newHandler(t, secret, stores[1])}

	r := rand.New(rand.NewPCG(1, 2))
	want := map[string]*clerkhook.User{}
	var events []*clerkhook.Event
	for i := range users {
		var newest *clerkhook.User
		for v := 1; v <= versions; v++ {
			evt := must[*clerkhook.Event](t)(clerkhooktest.UserUpdated(func(u *clerkhook.User) {
				u.ID = fmt.Sprintf("user_converge%03d", i)
				u.UpdatedAt += clerkhook.UnixMilli(v)
				u.FirstName = ptr(fmt.Sprintf("v%d", v))
			}))
			newest = must[*clerkhook.User](t)(evt.User())
			events = append(events, evt)
		}
		want[newest.ID] = newest
		if i%4 == 0 {
			events = append(events, must[*clerkhook.Event](t)(clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = newest.ID })))
			want[newest.ID] = nil
		}
	}
	// A third of the deliveries come twice, as Svix's retries do.
	events = append(events, events[:len(events)/3]...)
	r.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })

	next := make(chan *clerkhook.Event)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for evt := range next {
				rec := httptest.NewRecorder()
				handlers[w%2].ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
				// A duplicate in flight is answered 409 and retried.
				if rec.Code != http.StatusOK && rec.Code != http.StatusConflict {
					t.Errorf("delivery %s of %s: %d %s", evt.ID, evt.Type, rec.Code, rec.Body)
				}
			}
		}()
	}
	for _, evt := range events {
		next <- evt
	}
	close(next)
	wg.Wait()

	ctx := context.Background()
	for id, u := range want {
		got, err := stores[0].User(ctx, id)
		if u == nil {
			assert.ErrorIs(t, err, clerkhook.ErrUserNotFound, "user %s was deleted", id)
			continue
		}
		require.NoError(t, err, "user %s", id)
		assert.Equal(t, *u.FirstName, *got.FirstName, "user %s", id)
	}
}

func ptr[T any](v T) *T { return &v }

// TestLedgerBesideAnotherStore attaches the Store to a Handler as the
// ledger of a store that has none, and checks that a delivery sent again
// after a restart is still known.
func TestLedgerBesideAnotherStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	secret := clerkhooktest.NewSecret()
	evt := must[*clerkhook.Event](t)(clerkhooktest.UserCreated())
	users := clerkhook.NewMemoryStore()
	for _, want := range []clerkhook.Outcome{clerkhook.OutcomeProcessed, clerkhook.OutcomeDuplicate} {
		ledger, err := sqlitestore.Open(ctx, path)
		require.NoError(t, err)
		require.NoError(t, ledger.Migrate(ctx))
		h, err := clerkhook.NewHandler(secret, onlyUsers{users}, clerkhook.WithDeduplicator(ledger),
			clerkhook.WithLogger(slog.New(slog.DiscardHandler)))
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, string(want)+"\n", rec.Body.String())
		require.NoError(t, ledger.Close())
	}
	_, err := users.User(ctx, must[*clerkhook.User](t)(evt.User()).ID)
	assert.NoError(t, err)
}

// onlyUsers hides every interface of its store but UserStore.
type onlyUsers struct{ s *clerkhook.MemoryStore }

func (o onlyUsers) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	return o.s.UpsertUser(ctx, u)
}

func (o onlyUsers) DeleteUser(ctx context.Context, id string, at time.Time) error {
	return o.s.DeleteUser(ctx, id, at)
}
