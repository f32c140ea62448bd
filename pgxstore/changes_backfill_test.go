package pgxstore_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// fakeUserListing is a Backend API that lists users, one page, and knows
// no user it does not list.
type fakeUserListing struct {
	mu    sync.Mutex
	users []*clerkhook.User
}

func (l *fakeUserListing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if id, ok := strings.CutPrefix(r.URL.Path, "/v1/users/"); ok {
		for _, u := range l.users {
			if u.ID == id {
				_ = json.NewEncoder(w).Encode(u)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"errors":[{"code":"resource_not_found","message":"not found"}]}`))
		return
	}
	page := l.users
	if r.URL.Query().Get("offset") != "" && r.URL.Query().Get("offset") != "0" {
		page = nil
	}
	if page == nil {
		page = []*clerkhook.User{}
	}
	_ = json.NewEncoder(w).Encode(page)
}

// TestBackfillReachesTheChangeHook backfills a store with a change hook
// from a fake Backend API: the users it creates, updates and, reconciling,
// deletes reach the hook with no delivery, and a backfill run again
// reports nothing.
func TestBackfillReachesTheChangeHook(t *testing.T) {
	rec := &changeRecorder{}
	f := newFixture(t, pgxstore.WithChangeHook(rec.hook))
	listing := &fakeUserListing{users: []*clerkhook.User{testUser("user_2fill_a", 1), testUser("user_2fill_b", 1)}}
	srv := httptest.NewServer(listing)
	t.Cleanup(srv.Close)
	api, err := clerkhook.NewBackendAPI("sk_test_bF9kQ2xZr7VnT4pLw8YcHd3MsJ6aEu1G",
		clerkhook.WithBackendURL(srv.URL), clerkhook.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	backfill := func(opts ...clerkhook.BackfillOption) {
		t.Helper()
		opts = append([]clerkhook.BackfillOption{clerkhook.WithBackfillClock(func() time.Time { return at(300).Time() })}, opts...)
		_, err := clerkhook.Backfill(context.Background(), api, f.store, opts...)
		require.NoError(t, err)
	}

	backfill()
	assert.Equal(t, []*clerkhook.Event{nil, nil}, rec.contextEvents(), "no delivery's event in the hooks' context")
	assert.Equal(t, []seen{userCreated("user_2fill_a", 1), userCreated("user_2fill_b", 1)}, rec.take())

	backfill()
	assert.Empty(t, rec.take(), "a backfill run again changes nothing")

	listing.mu.Lock()
	listing.users = []*clerkhook.User{testUser("user_2fill_a", 2)}
	listing.mu.Unlock()
	backfill(clerkhook.WithReconcile())
	assert.Equal(t, []seen{userUpdated("user_2fill_a", 2), userDeleted("user_2fill_b")}, rec.take(),
		"the reconcile deletes the user Clerk no longer has")
}
