package mysqlstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/mysqlstore"
)

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		require.NoError(t, err)
		return v
	}
}

// TestReplicasConverge sends a shuffled history of users, an organization
// and memberships, with duplicates and deletions, through 16 goroutines
// into four Handlers, each over a Store with a pool of its own on one
// database, as four replicas of a service would, and checks that every
// record ends at its newest version or deleted.
func TestReplicasConverge(t *testing.T) {
	const users, versions, replicas, writers = 30, 4, 4, 16
	db := testDatabase(t)
	newStore(t, db)
	secret := clerkhooktest.NewSecret()
	handlers := make([]http.Handler, replicas)
	for i := range handlers {
		h, err := clerkhook.NewHandler(secret, mysqlstore.New(db), clerkhook.WithLogger(slog.New(slog.DiscardHandler)))
		require.NoError(t, err)
		handlers[i] = h
	}

	org := must[*clerkhook.Event](t)(clerkhooktest.OrganizationCreated())
	orgID := must[*clerkhook.Organization](t)(org.Organization()).ID
	events := []*clerkhook.Event{org}
	wantUser := map[string]string{}   // id → first name of the newest version, "" when deleted
	wantMember := map[string]string{} // user id → role of the newest version, "" when gone
	for i := range users {
		id := fmt.Sprintf("user_replica%03d", i)
		for v := 1; v <= versions; v++ {
			events = append(events, must[*clerkhook.Event](t)(clerkhooktest.UserUpdated(func(u *clerkhook.User) {
				u.ID = id
				u.UpdatedAt += clerkhook.UnixMilli(v)
				u.FirstName = ptr(fmt.Sprintf("v%d", v))
			})))
			events = append(events, must[*clerkhook.Event](t)(clerkhooktest.OrganizationMembershipUpdated(func(m *clerkhook.OrganizationMembership) {
				m.Organization.ID = orgID
				m.PublicUserData.UserID = id
				m.UpdatedAt += clerkhook.UnixMilli(v)
				m.Role = fmt.Sprintf("org:v%d", v)
			})))
		}
		wantUser[id], wantMember[id] = fmt.Sprintf("v%d", versions), fmt.Sprintf("org:v%d", versions)
		if i%3 == 0 {
			events = append(events, must[*clerkhook.Event](t)(clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = id })))
			wantUser[id], wantMember[id] = "", ""
		}
	}
	events = append(events, events[:len(events)/3]...)
	r := rand.New(rand.NewPCG(3, 4))
	r.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })

	next := make(chan *clerkhook.Event)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for evt := range next {
				// An attempt answered 409 (a duplicate in flight) or 5xx
				// is retried, as Svix does.
				for attempt := 0; attempt < 5; attempt++ {
					rec := httptest.NewRecorder()
					handlers[(w+attempt)%replicas].ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
					if rec.Code == http.StatusOK {
						break
					}
					if rec.Code != http.StatusConflict {
						t.Errorf("delivery %s of %s: %d %s", evt.ID, evt.Type, rec.Code, rec.Body)
					}
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
	s := mysqlstore.New(db)
	for id, name := range wantUser {
		got, err := s.User(ctx, id)
		m, merr := s.Membership(ctx, orgID, id)
		if name == "" {
			assert.ErrorIs(t, err, clerkhook.ErrUserNotFound, "user %s was deleted", id)
			assert.ErrorIs(t, merr, clerkhook.ErrMembershipNotFound, "user %s was deleted", id)
			continue
		}
		if assert.NoError(t, err, "user %s", id) {
			assert.Equal(t, name, *got.FirstName, "user %s", id)
		}
		if assert.NoError(t, merr, "membership of %s", id) {
			assert.Equal(t, wantMember[id], m.Role, "membership of %s", id)
		}
	}
}

func ptr[T any](v T) *T { return &v }
