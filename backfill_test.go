package clerkhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// backfillKey is the secret key the fake Backend API accepts; invented.
const backfillKey = "sk_test_bF9kQ2xZr7VnT4pLw8YcHd3MsJ6aEu1G"

// backfillNow is the clock of the backfill tests.
var backfillNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// clerkUser is a user as the fake Backend API holds it: the JSON Clerk
// sends, and its decoded form for comparisons.
type clerkUser struct {
	raw  json.RawMessage
	user *clerkhook.User
}

// newClerkUsers makes n realistic users, created one millisecond apart in
// the order returned, each updated an hour after it was created.
func newClerkUsers(t testing.TB, n int) []clerkUser {
	t.Helper()
	first := backfillNow.Add(-30 * 24 * time.Hour).UnixMilli()
	users := make([]clerkUser, n)
	for i := range users {
		created := clerkhook.UnixMilli(first + int64(i))
		evt, err := clerkhooktest.UserUpdated(func(u *clerkhook.User) {
			u.CreatedAt = created
			u.UpdatedAt = created + clerkhook.UnixMilli(time.Hour/time.Millisecond)
		})
		require.NoError(t, err)
		u, err := evt.User()
		require.NoError(t, err)
		users[i] = clerkUser{raw: evt.Data, user: u}
	}
	return users
}

// cannedAnswer is an answer the fake Backend API gives instead of the real
// one, to simulate failures.
type cannedAnswer struct {
	status     int
	retryAfter string
	// hangUp closes the connection without an answer.
	hangUp bool
}

// fakeClerkAPI serves GET /v1/users, GET /v1/users/{id} and GET
// /v1/instance as Clerk's Backend API does: the list is a bare JSON array
// of users, oldest first, filtered by created_at_after and paged by limit
// and offset.
type fakeClerkAPI struct {
	t   *testing.T
	url string

	mu sync.Mutex
	// listed are the users the list returns, oldest first.
	listed []clerkUser
	// unlisted are users that GET /v1/users/{id} finds but the list does
	// not return, as when a deletion shifted them to a page already read.
	unlisted []clerkUser
	// script is answered, in order, before any real answer.
	script []cannedAnswer
	// requests are the request URIs received, in order.
	requests []string
	// beforeList runs before the nth list request (from 0) is answered.
	beforeList func(n int)
	lists      int
	// afterIncludes makes created_at_after include the millisecond it
	// names, the other reading of Clerk's documentation; ignoreAfter
	// makes the list ignore it.
	afterIncludes, ignoreAfter bool
	// instanceID is the id GET /v1/instance answers.
	instanceID string
}

func newFakeClerkAPI(t *testing.T, users []clerkUser) (*fakeClerkAPI, *clerkhook.BackendAPI) {
	f := &fakeClerkAPI{t: t, listed: users, instanceID: "ins_2bfInventedProd"}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	api, err := clerkhook.NewBackendAPI(backfillKey, clerkhook.WithBackendURL(srv.URL), clerkhook.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	return f, api
}

func (f *fakeClerkAPI) requestURIs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *fakeClerkAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.URL.RequestURI())
	var canned *cannedAnswer
	if len(f.script) > 0 {
		canned = &f.script[0]
		f.script = f.script[1:]
	}
	f.mu.Unlock()
	switch {
	case canned != nil && canned.hangUp:
		conn, _, err := http.NewResponseController(w).Hijack()
		if assert.NoError(f.t, err) {
			conn.Close()
		}
	case canned != nil:
		if canned.retryAfter != "" {
			w.Header().Set("Retry-After", canned.retryAfter)
		}
		clerkError(w, canned.status, "canned_failure")
	case r.Method != http.MethodGet:
		clerkError(w, http.StatusMethodNotAllowed, "method_not_allowed")
	case r.Header.Get("Authorization") != "Bearer "+backfillKey:
		clerkError(w, http.StatusUnauthorized, "authentication_invalid")
	case r.URL.Path == "/v1/users":
		f.list(w, r.URL.Query())
	case r.URL.Path == "/v1/instance":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"object":"instance","id":%q,"environment_type":"production"}`, f.instanceID)
	case strings.HasPrefix(r.URL.Path, "/v1/users/"):
		f.user(w, strings.TrimPrefix(r.URL.Path, "/v1/users/"))
	default:
		clerkError(w, http.StatusNotFound, "resource_not_found")
	}
}

func (f *fakeClerkAPI) list(w http.ResponseWriter, q url.Values) {
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > 500 {
		clerkError(w, http.StatusUnprocessableEntity, "form_param_value_invalid")
		return
	}
	offset, err := strconv.Atoi(q.Get("offset"))
	if err != nil || offset < 0 || q.Get("order_by") != "+created_at" {
		clerkError(w, http.StatusUnprocessableEntity, "form_param_value_invalid")
		return
	}
	after, hasAfter := int64(0), q.Has("created_at_after")
	if hasAfter {
		if after, err = strconv.ParseInt(q.Get("created_at_after"), 10, 64); err != nil {
			clerkError(w, http.StatusUnprocessableEntity, "form_param_value_invalid")
			return
		}
	}
	f.mu.Lock()
	n := f.lists
	f.lists++
	f.mu.Unlock()
	if f.beforeList != nil {
		f.beforeList(n)
	}
	f.mu.Lock()
	var window []clerkUser
	for _, u := range f.listed {
		created := int64(u.user.CreatedAt)
		if !hasAfter || f.ignoreAfter || created > after || f.afterIncludes && created == after {
			window = append(window, u)
		}
	}
	page := window[min(offset, len(window)):min(offset+limit, len(window))]
	raws := make([]json.RawMessage, len(page))
	for i, u := range page {
		raws[i] = u.raw
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	assert.NoError(f.t, json.NewEncoder(w).Encode(raws))
}

func (f *fakeClerkAPI) user(w http.ResponseWriter, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, users := range [][]clerkUser{f.listed, f.unlisted} {
		for _, u := range users {
			if u.user.ID == id {
				w.Header().Set("Content-Type", "application/json")
				w.Write(u.raw)
				return
			}
		}
	}
	clerkError(w, http.StatusNotFound, "resource_not_found")
}

// clerkError answers as the Backend API answers its errors.
func clerkError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"message":"%s","long_message":"%s","code":"%s"}],"clerk_trace_id":"trace_0f1e2d3c"}`,
		http.StatusText(status), http.StatusText(status), code)
}

// sleepRecorder replaces Backfill's sleep: it records the waits and
// returns at once.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// backfillOptions are the options every test passes: the fixed clock and
// the recording sleep.
func backfillOptions(s *sleepRecorder, more ...clerkhook.BackfillOption) []clerkhook.BackfillOption {
	return append([]clerkhook.BackfillOption{
		clerkhook.WithBackfillClock(func() time.Time { return backfillNow }),
		clerkhook.WithBackfillSleep(s.sleep),
	}, more...)
}

// listURI is the request for a page of limit users from offset among
// those created since the user last, nil for the first page.
func listURI(limit int, last *clerkUser, offset int) string {
	if last == nil {
		return fmt.Sprintf("/v1/users?limit=%d&offset=0&order_by=%%2Bcreated_at", limit)
	}
	return fmt.Sprintf("/v1/users?created_at_after=%d&limit=%d&offset=%d&order_by=%%2Bcreated_at", last.user.CreatedAt-1, limit, offset)
}

// assertStoreHolds checks that store holds each user as Clerk has it.
func assertStoreHolds(t *testing.T, store clerkhook.UserReader, users []clerkUser) {
	t.Helper()
	for _, want := range users {
		got, err := store.User(context.Background(), want.user.ID)
		if !assert.NoError(t, err, want.user.ID) {
			continue
		}
		assert.Equal(t, want.user.UpdatedAt, got.UpdatedAt, want.user.ID)
		assert.Equal(t, want.user.PrimaryEmail(), got.PrimaryEmail(), want.user.ID)
	}
}

func TestBackfillPagesThroughEveryUser(t *testing.T) {
	// page is a request after the first: for users created since the
	// user of index last, from offset.
	type page struct{ last, offset int }
	tests := []struct {
		name     string
		users    int
		pageSize int // 0 for the default
		// pages are the requests after the first. Each starts from the
		// last user listed, and so lists it again.
		pages []page
		// seen is the count of users listed after each page.
		seen []int
	}{
		{"1234 users in pages of 500", 1234, 0, []page{{499, 0}, {998, 0}}, []int{500, 999, 1234}},
		{"a multiple of the page size", 6, 3, []page{{2, 0}, {4, 0}}, []int{3, 5, 6}},
		{"small pages", 7, 3, []page{{2, 0}, {4, 0}, {6, 0}}, []int{3, 5, 7, 7}},
		// A page of one user created in the millisecond the request
		// starts from does not get past it: the next one pages on.
		{"pages of one", 2, 1, []page{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, []int{1, 1, 2, 2, 2}},
		{"no users", 0, 0, nil, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := newClerkUsers(t, tt.users)
			api, backend := newFakeClerkAPI(t, users)
			store := clerkhook.NewMemoryStore()
			var progress []clerkhook.BackfillReport
			sleeps := &sleepRecorder{}
			opts := backfillOptions(sleeps, clerkhook.WithProgress(func(r clerkhook.BackfillReport) { progress = append(progress, r) }))
			limit := 500
			if tt.pageSize != 0 {
				limit = tt.pageSize
				opts = append(opts, clerkhook.WithPageSize(tt.pageSize))
			}

			report, err := clerkhook.Backfill(context.Background(), backend, store, opts...)

			require.NoError(t, err)
			want := clerkhook.BackfillReport{Pages: len(tt.seen), Seen: tt.users, Written: tt.users}
			assert.Equal(t, want, report)
			wantURIs := []string{listURI(limit, nil, 0)}
			for _, p := range tt.pages {
				wantURIs = append(wantURIs, listURI(limit, &users[p.last], p.offset))
			}
			assert.Equal(t, wantURIs, api.requestURIs())
			require.Len(t, progress, len(tt.seen), "one progress report per page")
			for i, p := range progress {
				assert.Equal(t, clerkhook.BackfillReport{Pages: i + 1, Seen: tt.seen[i], Written: tt.seen[i]}, p, "after page %d", i+1)
			}
			assertStoreHolds(t, store, users)
			ids, err := store.UserIDs(context.Background())
			require.NoError(t, err)
			assert.Len(t, ids, tt.users)
			assert.Empty(t, sleeps.recorded())
		})
	}
}

func TestBackfillRetries(t *testing.T) {
	retryDate := backfillNow.Add(30 * time.Second).Format(http.TimeFormat)
	tests := []struct {
		name   string
		script []cannedAnswer
		waits  []time.Duration
	}{
		{"429 waits for Retry-After", []cannedAnswer{{status: 429, retryAfter: "7"}}, []time.Duration{7 * time.Second}},
		{"429 without Retry-After waits for the rate-limit window", []cannedAnswer{{status: 429}}, []time.Duration{10 * time.Second}},
		{"429 with an unreadable Retry-After", []cannedAnswer{{status: 429, retryAfter: "soon"}}, []time.Duration{10 * time.Second}},
		{"429 with a Retry-After date", []cannedAnswer{{status: 429, retryAfter: retryDate}}, []time.Duration{30 * time.Second}},
		{"429 with a huge Retry-After waits a minute", []cannedAnswer{{status: 429, retryAfter: "86400"}}, []time.Duration{time.Minute}},
		{"500 then success", []cannedAnswer{{status: 500}}, []time.Duration{time.Second}},
		{"5xx back off exponentially", []cannedAnswer{{status: 500}, {status: 502}, {status: 504}}, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"503 with Retry-After", []cannedAnswer{{status: 503, retryAfter: "4"}}, []time.Duration{4 * time.Second}},
		{"a dropped connection", []cannedAnswer{{hangUp: true}, {hangUp: true}}, []time.Duration{time.Second, 2 * time.Second}},
		{"rate limits do not use up the retries", []cannedAnswer{
			{status: 500}, {status: 429, retryAfter: "1"}, {status: 500}, {status: 500}, {status: 429, retryAfter: "2"}, {status: 500}, {status: 500},
		}, []time.Duration{time.Second, time.Second, 2 * time.Second, 4 * time.Second, 2 * time.Second, 8 * time.Second, 16 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := newClerkUsers(t, 5)
			api, backend := newFakeClerkAPI(t, users)
			api.script = tt.script
			store := clerkhook.NewMemoryStore()
			sleeps := &sleepRecorder{}

			report, err := clerkhook.Backfill(context.Background(), backend, store, backfillOptions(sleeps)...)

			require.NoError(t, err)
			assert.Equal(t, clerkhook.BackfillReport{Pages: 1, Seen: 5, Written: 5}, report)
			assert.Equal(t, tt.waits, sleeps.recorded())
			assert.Len(t, api.requestURIs(), len(tt.script)+1, "the failed request is sent again")
			assertStoreHolds(t, store, users)
		})
	}
}

func TestBackfillGivesUp(t *testing.T) {
	repeat := func(a cannedAnswer, n int) []cannedAnswer {
		s := make([]cannedAnswer, n)
		for i := range s {
			s[i] = a
		}
		return s
	}
	tests := []struct {
		name     string
		script   []cannedAnswer
		status   int
		code     string
		attempts int
	}{
		{"after 5 retries of a 5xx", repeat(cannedAnswer{status: 500}, 10), 500, "canned_failure", 6},
		{"after 30 waits for the rate limit", repeat(cannedAnswer{status: 429, retryAfter: "1"}, 40), 429, "canned_failure", 31},
		{"at once on a 403", []cannedAnswer{{status: 403}}, 403, "canned_failure", 1},
		{"at once on a 422", []cannedAnswer{{status: 422}}, 422, "canned_failure", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, backend := newFakeClerkAPI(t, newClerkUsers(t, 3))
			api.script = tt.script
			sleeps := &sleepRecorder{}

			report, err := clerkhook.Backfill(context.Background(), backend, clerkhook.NewMemoryStore(), backfillOptions(sleeps)...)

			var apiErr *clerkhook.BackendAPIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.code, apiErr.Code)
			assert.Equal(t, "trace_0f1e2d3c", apiErr.TraceID)
			assert.Equal(t, clerkhook.BackfillReport{}, report)
			assert.Len(t, api.requestURIs(), tt.attempts)
			assert.Len(t, sleeps.recorded(), tt.attempts-1)
		})
	}
}

func TestBackfillWithAWrongKey(t *testing.T) {
	api, _ := newFakeClerkAPI(t, newClerkUsers(t, 3))
	const wrongKey = "sk_test_WrongWrongWrongWrongWrongWrong00"
	backend, err := clerkhook.NewBackendAPI(wrongKey, clerkhook.WithBackendURL(api.url))
	require.NoError(t, err)
	sleeps := &sleepRecorder{}

	_, err = clerkhook.Backfill(context.Background(), backend, clerkhook.NewMemoryStore(), backfillOptions(sleeps)...)

	var apiErr *clerkhook.BackendAPIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	assert.Equal(t, "authentication_invalid", apiErr.Code)
	assert.Contains(t, err.Error(), "401 Unauthorized (authentication_invalid)")
	assert.NotContains(t, err.Error(), wrongKey)
	assert.Empty(t, sleeps.recorded(), "a wrong key is not retried")
}

func TestBackfillRefusesAnswersThatAreNotUserLists(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"a wrapped list", `{"data":[],"total_count":0}`, "not a JSON array of users"},
		{"truncated JSON", `[{"id":"user_1"`, "not a JSON array of users"},
		{"a user without an id", `[{"object":"user","first_name":"Ines"}]`, "user 0 of page 1 has no id"},
		{"a null user", `[null]`, "has no id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, err := w.Write([]byte(tt.body))
				assert.NoError(t, err)
			}))
			t.Cleanup(srv.Close)
			backend, err := clerkhook.NewBackendAPI(backfillKey, clerkhook.WithBackendURL(srv.URL))
			require.NoError(t, err)

			_, err = clerkhook.Backfill(context.Background(), backend, clerkhook.NewMemoryStore(), backfillOptions(&sleepRecorder{})...)

			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "Ines", "errors do not quote the answer")
		})
	}
}

func TestBackfillStopsWhenTheStoreFails(t *testing.T) {
	users := newClerkUsers(t, 4)
	_, backend := newFakeClerkAPI(t, users)
	boom := errors.New("disk full")
	store := &flakyUserStore{MemoryStore: clerkhook.NewMemoryStore(), failOn: users[2].user.ID, err: boom}

	report, err := clerkhook.Backfill(context.Background(), backend, store, backfillOptions(&sleepRecorder{})...)

	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), users[2].user.ID)
	assert.Equal(t, clerkhook.BackfillReport{Seen: 3, Written: 2}, report)
}

// flakyUserStore fails the upsert of one user.
type flakyUserStore struct {
	*clerkhook.MemoryStore
	failOn string
	err    error
}

func (s *flakyUserStore) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	if u.ID == s.failOn {
		return s.err
	}
	return s.MemoryStore.UpsertUser(ctx, u)
}

func TestBackfillKeepsNewerWebhookData(t *testing.T) {
	users := newClerkUsers(t, 6)
	api, backend := newFakeClerkAPI(t, users)
	store := clerkhook.NewMemoryStore()
	secret := clerkhooktest.NewSecret()
	h, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)

	renamed := users[4].user.ID
	deleted := users[1].user.ID
	newer, err := clerkhooktest.UserUpdated(func(u *clerkhook.User) {
		u.ID = renamed
		u.CreatedAt = users[4].user.CreatedAt
		u.UpdatedAt = users[4].user.UpdatedAt + 1000
		name := "Renamed"
		u.FirstName = &name
	})
	require.NoError(t, err)
	del, err := clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = deleted })
	require.NoError(t, err)
	// The webhooks arrive while the backfill is listing the page that holds
	// the older versions of both users.
	api.beforeList = func(n int) {
		if n != 1 {
			return
		}
		for _, evt := range []*clerkhook.Event{newer, del} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
			assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		}
	}

	report, err := clerkhook.Backfill(context.Background(), backend, store, backfillOptions(&sleepRecorder{}, clerkhook.WithPageSize(3))...)

	require.NoError(t, err)
	// users[1] was written on the first page and deleted by the webhook
	// afterwards; users[4] was refused as older than the webhook's version.
	assert.Equal(t, clerkhook.BackfillReport{Pages: 3, Seen: 6, Written: 5, Stale: 1}, report)
	got, err := store.User(context.Background(), renamed)
	require.NoError(t, err)
	assert.Equal(t, "Renamed", *got.FirstName)
	assert.Equal(t, users[4].user.UpdatedAt+1000, got.UpdatedAt)
	_, err = store.User(context.Background(), deleted)
	assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)

	// A second run finds the deleted user's tombstone: the backfill cannot
	// bring it back.
	report, err = clerkhook.Backfill(context.Background(), backend, store, backfillOptions(&sleepRecorder{})...)
	require.NoError(t, err)
	assert.Equal(t, clerkhook.BackfillReport{Pages: 1, Seen: 6, Written: 4, Stale: 2}, report)
	_, err = store.User(context.Background(), deleted)
	assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
}

// seedStore writes users into a new MemoryStore.
func seedStore(t *testing.T, users ...clerkUser) *clerkhook.MemoryStore {
	t.Helper()
	store := clerkhook.NewMemoryStore()
	for _, u := range users {
		require.NoError(t, store.UpsertUser(context.Background(), u.user))
	}
	return store
}

func TestBackfillStopsWhenCancelled(t *testing.T) {
	users := newClerkUsers(t, 25)
	gone := newClerkUsers(t, 2)
	api, backend := newFakeClerkAPI(t, users)
	store := seedStore(t, gone...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var progress []clerkhook.BackfillReport
	stopAfterFirstPage := clerkhook.WithProgress(func(r clerkhook.BackfillReport) {
		progress = append(progress, r)
		cancel()
	})

	opts := backfillOptions(&sleepRecorder{}, clerkhook.WithPageSize(10), stopAfterFirstPage, clerkhook.WithReconcile())

	report, err := clerkhook.Backfill(ctx, backend, store, opts...)

	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, clerkhook.BackfillReport{Pages: 1, Seen: 10, Written: 10}, report)
	assert.Equal(t, []clerkhook.BackfillReport{report}, progress)
	assert.Equal(t, []string{listURI(10, nil, 0)}, api.requestURIs(), "no request after the cancellation")
	assertStoreHolds(t, store, users[:10])
	assertStoreHolds(t, store, gone) // a partial listing deletes nothing
}

func TestBackfillStopsWhenCancelledDuringAWait(t *testing.T) {
	api, backend := newFakeClerkAPI(t, newClerkUsers(t, 3))
	api.script = []cannedAnswer{{status: 429, retryAfter: "5"}}
	gone := newClerkUsers(t, 1)
	store := seedStore(t, gone...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sleepUntilCancelled := clerkhook.WithBackfillSleep(func(ctx context.Context, d time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	})

	report, err := clerkhook.Backfill(ctx, backend, store, clerkhook.WithReconcile(), sleepUntilCancelled)

	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, clerkhook.BackfillReport{}, report)
	assert.Len(t, api.requestURIs(), 1)
	assertStoreHolds(t, store, gone)
}

func TestBackfillReconcile(t *testing.T) {
	users := newClerkUsers(t, 8)
	gone := newClerkUsers(t, 2)   // deleted in Clerk; their deliveries were lost
	missed := newClerkUsers(t, 1) // in Clerk, but the listing did not return it
	deletedEarlier := newClerkUsers(t, 1)
	api, backend := newFakeClerkAPI(t, users)
	api.unlisted = missed
	store := seedStore(t, append(append(append([]clerkUser{}, users[:5]...), gone...), missed...)...)
	require.NoError(t, store.DeleteUser(context.Background(), deletedEarlier[0].user.ID, backfillNow.Add(-time.Hour)))
	var progress []clerkhook.BackfillReport
	opts := backfillOptions(&sleepRecorder{}, clerkhook.WithPageSize(3), clerkhook.WithReconcile(),
		clerkhook.WithProgress(func(r clerkhook.BackfillReport) { progress = append(progress, r) }))

	report, err := clerkhook.Backfill(context.Background(), backend, store, opts...)

	require.NoError(t, err)
	assert.Equal(t, clerkhook.BackfillReport{Pages: 4, Seen: 9, Written: 9, Deleted: 2, Missing: 3}, report)
	require.Len(t, progress, 5, "one report per page and one after reconciling")
	assert.Equal(t, report, progress[4])
	assertStoreHolds(t, store, users)
	assertStoreHolds(t, store, missed)
	for _, u := range gone {
		_, err := store.User(context.Background(), u.user.ID)
		assert.ErrorIs(t, err, clerkhook.ErrUserNotFound, "deleted: %s", u.user.ID)
		assert.ErrorIs(t, store.UpsertUser(context.Background(), u.user), clerkhook.ErrStale, "a tombstone keeps it deleted")
	}
	ids, err := store.UserIDs(context.Background())
	require.NoError(t, err)
	assert.Len(t, ids, len(users)+len(missed))
	var checked []string
	for _, uri := range api.requestURIs() {
		if id, ok := strings.CutPrefix(uri, "/v1/users/"); ok {
			checked = append(checked, id)
		}
	}
	wantChecked := []string{missed[0].user.ID}
	for _, u := range gone {
		wantChecked = append(wantChecked, u.user.ID)
	}
	assert.ElementsMatch(t, wantChecked, checked, "only the stored users the listing did not return are checked")
}

func TestBackfillReconcileFailsWithoutDeleting(t *testing.T) {
	users := newClerkUsers(t, 2)
	gone := newClerkUsers(t, 2)
	api, backend := newFakeClerkAPI(t, users)
	store := seedStore(t, gone...)
	// The list succeeds; the check of the first missing user fails.
	api.beforeList = func(int) {
		api.mu.Lock()
		defer api.mu.Unlock()
		api.script = []cannedAnswer{{status: 403}}
	}

	report, err := clerkhook.Backfill(context.Background(), backend, store, backfillOptions(&sleepRecorder{}, clerkhook.WithReconcile())...)

	var apiErr *clerkhook.BackendAPIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
	assert.Equal(t, clerkhook.BackfillReport{Pages: 1, Seen: 2, Written: 2, Missing: 2}, report)
	assertStoreHolds(t, store, gone)
}

// userStoreOnly hides every optional interface of the MemoryStore.
type userStoreOnly struct{ clerkhook.UserStore }

func TestBackfillReconcileNeedsAUserLister(t *testing.T) {
	api, backend := newFakeClerkAPI(t, newClerkUsers(t, 2))

	_, err := clerkhook.Backfill(context.Background(), backend, userStoreOnly{clerkhook.NewMemoryStore()}, clerkhook.WithReconcile())

	require.Error(t, err)
	assert.Contains(t, err.Error(), "UserLister")
	assert.Empty(t, api.requestURIs(), "it fails before listing")
}

func TestBackfillRefusesBadArguments(t *testing.T) {
	_, backend := newFakeClerkAPI(t, nil)
	store := clerkhook.NewMemoryStore()
	tests := []struct {
		name  string
		api   *clerkhook.BackendAPI
		store clerkhook.UserStore
		opts  []clerkhook.BackfillOption
		want  string
	}{
		{"nil api", nil, store, nil, "nil BackendAPI"},
		{"nil store", backend, nil, nil, "nil UserStore"},
		{"nil option", backend, store, []clerkhook.BackfillOption{nil}, "nil BackfillOption"},
		{"page size 0", backend, store, []clerkhook.BackfillOption{clerkhook.WithPageSize(0)}, "WithPageSize(0)"},
		{"page size 501", backend, store, []clerkhook.BackfillOption{clerkhook.WithPageSize(501)}, "from 1 to 500"},
		{"nil progress", backend, store, []clerkhook.BackfillOption{clerkhook.WithProgress(nil)}, "WithProgress(nil)"},
		{"nil clock", backend, store, []clerkhook.BackfillOption{clerkhook.WithBackfillClock(nil)}, "WithBackfillClock(nil)"},
		{"nil sleep", backend, store, []clerkhook.BackfillOption{clerkhook.WithBackfillSleep(nil)}, "WithBackfillSleep(nil)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := clerkhook.Backfill(context.Background(), tt.api, tt.store, tt.opts...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestNewBackendAPI(t *testing.T) {
	tests := []struct {
		name string
		key  string
		opts []clerkhook.BackendAPIOption
		want string // "" for success
	}{
		{"a test key", "sk_test_Zq3x", nil, ""},
		{"a live key and a proxy", "sk_live_Zq3x", []clerkhook.BackendAPIOption{clerkhook.WithBackendURL("https://clerk-proxy.example.com/")}, ""},
		{"no key", "", nil, "empty secret key"},
		{"the publishable key", "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", nil, "publishable key"},
		{"the webhook secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", nil, "webhook signing secret"},
		{"a pasted newline", "sk_test_Zq3x\n", nil, "control characters"},
		{"a space", "Bearer sk_test_Zq3x", nil, "spaces"},
		{"a URL without a scheme", "sk_test_Zq3x", []clerkhook.BackendAPIOption{clerkhook.WithBackendURL("api.clerk.com")}, "want an http or https URL"},
		{"an ftp URL", "sk_test_Zq3x", []clerkhook.BackendAPIOption{clerkhook.WithBackendURL("ftp://api.clerk.com")}, "want an http or https URL"},
		{"a nil client", "sk_test_Zq3x", []clerkhook.BackendAPIOption{clerkhook.WithHTTPClient(nil)}, "WithHTTPClient(nil)"},
		{"a nil option", "sk_test_Zq3x", []clerkhook.BackendAPIOption{nil}, "nil BackendAPIOption"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, err := clerkhook.NewBackendAPI(tt.key, tt.opts...)
			if tt.want == "" {
				require.NoError(t, err)
				for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
					assert.NotContains(t, fmt.Sprintf(format, api), tt.key, format)
				}
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			if tt.key != "" {
				assert.NotContains(t, err.Error(), strings.TrimSpace(tt.key), "errors never hold the key")
			}
		})
	}
}

// FuzzBackfillAnswer has the Backend API answer the first request with
// arbitrary status, Retry-After and body, seeded with the user fixtures,
// and [] afterwards: Backfill must not panic, wait within its bounds, and
// count every user it was given.
func FuzzBackfillAnswer(f *testing.F) {
	for _, name := range []string{"user.created.json", "user.updated.large.json", "user.created.nulls.json", "user.created.non-ascii.json"} {
		var evt struct{ Data json.RawMessage }
		b, err := os.ReadFile(filepath.Join("testdata", "events", name))
		require.NoError(f, err)
		require.NoError(f, json.Unmarshal(b, &evt))
		f.Add(200, "", append(append([]byte("["), evt.Data...), ']'))
	}
	f.Add(429, "3", []byte(`{"errors":[{"code":"too_many_requests"}]}`))
	f.Add(429, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(``))
	f.Add(503, "-1", []byte(`{"errors":[],"clerk_trace_id":7}`))
	f.Add(401, "", []byte(`{"errors":[{"message":"x","code":"authentication_invalid"}],"clerk_trace_id":"t"}`))
	f.Add(200, "", []byte(`[{"id":"user_1","updated_at":"yesterday"}]`))
	f.Add(200, "", []byte(`[{"id":"user_1"},{"id":"user_1","updated_at":5}]`))

	var mu sync.Mutex
	var answer struct {
		status     int
		retryAfter string
		body       []byte
		served     bool
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if answer.served {
			io.WriteString(w, "[]")
			return
		}
		answer.served = true
		if answer.retryAfter != "" {
			w.Header().Set("Retry-After", answer.retryAfter)
		}
		w.WriteHeader(answer.status)
		w.Write(answer.body)
	}))
	f.Cleanup(srv.Close)
	backend, err := clerkhook.NewBackendAPI(backfillKey, clerkhook.WithBackendURL(srv.URL))
	require.NoError(f, err)

	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		// Keep to answers an HTTP server can send.
		status = 200 + int(uint(status)%400)
		retryAfter = strings.Map(func(r rune) rune {
			if r < ' ' || r == 0x7f {
				return -1
			}
			return r
		}, retryAfter)
		mu.Lock()
		answer.status, answer.retryAfter, answer.body, answer.served = status, retryAfter, body, false
		mu.Unlock()
		store := clerkhook.NewMemoryStore()
		sleeps := &sleepRecorder{}

		report, err := clerkhook.Backfill(context.Background(), backend, store, backfillOptions(sleeps)...)

		for _, d := range sleeps.recorded() {
			require.Positive(t, d)
			require.LessOrEqual(t, d, time.Minute)
		}
		require.Equal(t, report.Seen, report.Written+report.Stale)
		if err != nil {
			require.NotContains(t, err.Error(), backfillKey)
			return
		}
		ids, err := store.UserIDs(context.Background())
		require.NoError(t, err)
		require.LessOrEqual(t, len(ids), report.Written)
	})
}

// TestBackfillReportsAnomalies lists users whose values do not fit their
// fields, in the listing and in the answer of a reconciled user: they are
// written with the fields at zero, Raw keeps the values, and the report
// names each place once.
func TestBackfillReportsAnomalies(t *testing.T) {
	drift := func(u clerkUser, key, value string) clerkUser {
		var obj map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(u.raw, &obj))
		obj[key] = json.RawMessage(value)
		raw, err := json.Marshal(obj)
		require.NoError(t, err)
		return clerkUser{raw: raw, user: u.user}
	}
	users := newClerkUsers(t, 4)
	users[0] = drift(users[0], "has_image", `"true"`)
	users[2] = drift(drift(users[2], "has_image", `"false"`), "last_active_at", `"2026-11-27"`)
	missed := newClerkUsers(t, 1)
	missed[0] = drift(missed[0], "banned", `"no"`)
	api, backend := newFakeClerkAPI(t, users)
	api.unlisted = missed
	store := seedStore(t, missed...)

	report, err := clerkhook.Backfill(context.Background(), backend, store,
		backfillOptions(&sleepRecorder{}, clerkhook.WithReconcile())...)

	require.NoError(t, err)
	assert.Equal(t, []string{"/has_image", "/last_active_at", "/banned"}, report.Anomalies)
	assert.Equal(t, 5, report.Written)
	u, err := store.User(context.Background(), users[2].user.ID)
	require.NoError(t, err)
	assert.False(t, u.HasImage)
	assert.Nil(t, u.LastActiveAt)
	assert.JSONEq(t, string(users[2].raw), string(u.Raw), "Raw keeps the values that did not fit")
}
