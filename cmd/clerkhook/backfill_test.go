package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// clerkKey is the secret key the fake Backend API accepts; invented.
const clerkKey = "sk_test_cLi4Wq8ZbN2rT6yHk9PxVd3GmJ5sEa7U"

// fakeClerk serves GET /v1/users as Clerk's Backend API does, a bare JSON
// array of users oldest first, created after created_at_after; GET
// /v1/users/{id}; and GET /v1/instance.
type fakeClerk struct {
	t     *testing.T
	url   string
	users []*clerkhook.User
	raws  []json.RawMessage
	// onList runs before the nth list request (from 0) is answered.
	onList func(n int)

	mu       sync.Mutex
	requests int
	lists    int
}

// newFakeClerk serves n realistic users, created a millisecond apart.
func newFakeClerk(t *testing.T, n int) *fakeClerk {
	t.Helper()
	f := &fakeClerk{t: t}
	first := time.Now().Add(-90 * 24 * time.Hour).UnixMilli()
	for i := range n {
		created := clerkhook.UnixMilli(first + int64(i))
		evt, err := clerkhooktest.UserUpdated(func(u *clerkhook.User) {
			u.CreatedAt = created
			u.UpdatedAt = created + 60_000
		})
		require.NoError(t, err)
		u, err := evt.User()
		require.NoError(t, err)
		f.users = append(f.users, u)
		f.raws = append(f.raws, evt.Data)
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fakeClerk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+clerkKey {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"errors":[{"message":"Unauthorized","long_message":"The provided secret key is invalid","code":"authentication_invalid"}],"clerk_trace_id":"trace_cli"}`)
		return
	}
	if r.URL.Path == "/v1/instance" {
		io.WriteString(w, `{"object":"instance","id":"ins_2cliInventedProd","environment_type":"production"}`)
		return
	}
	if r.URL.Path == "/v1/users/count" {
		fmt.Fprintf(w, `{"object":"total_count","total_count":%d}`, len(f.users))
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/v1/users/"); ok {
		for i, u := range f.users {
			if u.ID == id {
				w.Write(f.raws[i])
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"errors":[{"message":"not found","long_message":"not found","code":"resource_not_found"}]}`)
		return
	}
	q := r.URL.Query()
	limit, errLimit := strconv.Atoi(q.Get("limit"))
	offset, errOffset := strconv.Atoi(q.Get("offset"))
	if r.URL.Path != "/v1/users" || errLimit != nil || errOffset != nil || q.Get("order_by") != "+created_at" {
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"errors":[{"message":"bad request","long_message":"bad request","code":"form_param_value_invalid"}]}`)
		return
	}
	after, errAfter := int64(0), error(nil)
	if q.Has("created_at_after") {
		after, errAfter = strconv.ParseInt(q.Get("created_at_after"), 10, 64)
	}
	if errAfter != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	f.mu.Lock()
	n := f.lists
	f.lists++
	f.mu.Unlock()
	if f.onList != nil {
		f.onList(n)
	}
	var window []json.RawMessage
	for i, u := range f.users {
		if int64(u.CreatedAt) > after {
			window = append(window, f.raws[i])
		}
	}
	page := window[min(offset, len(window)):min(offset+limit, len(window))]
	assert.NoError(f.t, json.NewEncoder(w).Encode(page))
}

func TestBackfillWithPostgreSQL(t *testing.T) {
	cleanEnv(t)
	db := newTestDatabase(t)
	store := db.store(t)
	ctx := context.Background()
	clerk := newFakeClerk(t, 12)
	// A user whose user.deleted delivery was lost: without -reconcile, the
	// backfill leaves it alone.
	gone := &clerkhook.User{ID: "user_2goneFromClerk", Object: "user", CreatedAt: 1, UpdatedAt: 1}
	require.NoError(t, store.UpsertUser(ctx, gone))
	// While the backfill lists the second page, a webhook delivers a newer
	// version of a user on it.
	secret := clerkhooktest.NewSecret()
	webhook, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)
	renamed := clerk.users[7]
	newer, err := clerkhooktest.UserUpdated(func(u *clerkhook.User) {
		u.ID, u.CreatedAt, u.UpdatedAt = renamed.ID, renamed.CreatedAt, renamed.UpdatedAt+1
		name := "Renamed"
		u.FirstName = &name
	})
	require.NoError(t, err)
	clerk.onList = func(n int) {
		if n == 1 {
			rec := httptest.NewRecorder()
			webhook.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, newer))
			assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		}
	}
	t.Setenv("CLERK_SECRET_KEY", clerkKey)

	code, stdout, stderr := runCLI(t, "backfill", "-database-url", db.url, "-schema", db.schema, "-base-url", clerk.url, "-page-size", "5")

	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "pages:   3\nseen:    12\nwritten: 11\nstale:   1\ndeleted: 0\n", stdout)
	assert.Regexp(t, `^page 1: 5 of 12 users \(41%\), 5 written, 0 stale, 0 deleted(; \d+ users/s, about \d+s left)?\n`+
		`page 2: 9 of 12 users \(75%\), 8 written, 1 stale, 0 deleted(; \d+ users/s, about \d+s left)?\n`+
		`page 3: 12 of 12 users \(100%\), 11 written, 1 stale, 0 deleted(; \d+ users/s)?\n$`, stderr)
	for _, want := range clerk.users {
		got, err := store.User(ctx, want.ID)
		require.NoError(t, err)
		if want.ID == renamed.ID {
			assert.Equal(t, "Renamed", *got.FirstName, "the webhook's newer version stays")
			continue
		}
		assert.Equal(t, want.UpdatedAt, got.UpdatedAt)
		assert.Equal(t, want.PrimaryEmail(), got.PrimaryEmail())
	}
	_, err = store.User(ctx, gone.ID)
	assert.NoError(t, err)

	// Again, with the database from DATABASE_URL and pages of 500.
	clerk.onList = nil
	t.Setenv("DATABASE_URL", db.url)

	code, stdout, stderr = runCLI(t, "backfill", "-schema", db.schema, "-base-url", clerk.url)

	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "pages:   1\nseen:    12\nwritten: 11\nstale:   1\ndeleted: 0\n", stdout)
}

func TestBackfillReconcileWithPostgreSQL(t *testing.T) {
	cleanEnv(t)
	db := newTestDatabase(t)
	store := db.store(t)
	ctx := context.Background()
	clerk := newFakeClerk(t, 4)
	gone := &clerkhook.User{ID: "user_2goneFromClerk", Object: "user", CreatedAt: 1, UpdatedAt: 1}
	require.NoError(t, store.UpsertUser(ctx, gone))

	code, stdout, stderr := runCLI(t, "backfill", "-database-url", db.url, "-schema", db.schema, "-base-url", clerk.url,
		"-api-key", clerkKey, "-reconcile")

	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "pages:   1\nseen:    4\nwritten: 4\nstale:   0\ndeleted: 1\nmissing: 1\n", stdout)
	_, err := store.User(ctx, gone.ID)
	assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
	for _, u := range clerk.users {
		_, err := store.User(ctx, u.ID)
		assert.NoError(t, err)
	}
}

func TestBackfillWithAWrongKey(t *testing.T) {
	cleanEnv(t)
	db := newTestDatabase(t)
	clerk := newFakeClerk(t, 2)
	const wrongKey = "sk_test_wrongWrongWrongWrongWrongWrong1"
	t.Setenv("CLERK_SECRET_KEY", wrongKey)

	code, stdout, stderr := runCLI(t, "backfill", "-database-url", db.url, "-schema", db.schema, "-base-url", clerk.url)

	assert.Equal(t, 1, code)
	assert.Equal(t, "pages:   0\nseen:    0\nwritten: 0\nstale:   0\ndeleted: 0\n", stdout)
	assert.Contains(t, stderr, "clerkhook backfill: clerkhook: backfill: listing page 1 of the users: Clerk Backend API answered 401 Unauthorized (authentication_invalid)")
	assert.NotContains(t, stderr, wrongKey)
	assert.Equal(t, 2, clerk.requests, "the count and the first page; a wrong key is not retried")
	_, err := pgxstore.New(db.pool, pgxstore.WithSchema(db.schema)).User(context.Background(), clerk.users[0].ID)
	assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
}

func TestBackfillStopsWhenInterrupted(t *testing.T) {
	cleanEnv(t)
	db := newTestDatabase(t)
	clerk := newFakeClerk(t, 6)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clerk.onList = func(n int) {
		if n == 1 {
			cancel() // as SIGINT does, while the second page is requested
		}
	}
	var stdout, stderr strings.Builder

	code := run(ctx, []string{"backfill", "-database-url", db.url, "-schema", db.schema, "-base-url", clerk.url,
		"-api-key", clerkKey, "-page-size", "3"}, &stdout, &stderr)

	assert.Equal(t, 1, code)
	assert.Equal(t, "pages:   1\nseen:    3\nwritten: 3\nstale:   0\ndeleted: 0\n", stdout.String())
	assert.Contains(t, stderr.String(), "clerkhook backfill: interrupted; what was written stays, and running backfill again is harmless\n")
}

func TestBackfillFailures(t *testing.T) {
	cleanEnv(t)
	database := "postgres://postgres@" + closedAddress(t) + "/test?sslmode=disable"
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no database", []string{"-api-key", clerkKey}, 2, "no database: pass -database-url or set DATABASE_URL"},
		{"no key", []string{"-database-url", database}, 2, "no secret key: set CLERK_SECRET_KEY (or pass -api-key) to the instance's Secret Key from the Clerk Dashboard"},
		{"the publishable key", []string{"-database-url", database, "-api-key", "pk_test_Y2xpLmV4YW1wbGUuY29tJA"}, 2, "that is the publishable key"},
		{"a bad page size", []string{"-database-url", database, "-api-key", clerkKey, "-page-size", "1000"}, 2, "-page-size 1000: want 1 to 500"},
		{"-max-deletions without -reconcile", []string{"-database-url", database, "-api-key", clerkKey, "-max-deletions", "5"}, 2, "-max-deletions 5: want 0 or more, with -reconcile"},
		{"a negative -max-deletions", []string{"-database-url", database, "-api-key", clerkKey, "-reconcile", "-max-deletions", "-2"}, 2, "-max-deletions -2: want 0 or more"},
		{"a key as the instance", []string{"-database-url", database, "-api-key", clerkKey, "-instance", clerkKey}, 2, "-instance: want an instance id, ins_…"},
		{"a bad base URL", []string{"-database-url", database, "-api-key", clerkKey, "-base-url", "api.clerk.com"}, 2, "want an http or https URL"},
		{"an unreachable database", []string{"-database-url", database, "-api-key", clerkKey}, 1, "clerkhook backfill: migrating the schema \"public\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"backfill"}, tt.args...)...)

			assert.Equal(t, tt.code, code)
			assert.Empty(t, stdout)
			assert.True(t, strings.HasPrefix(stderr, "clerkhook backfill: "), stderr)
			assert.Contains(t, stderr, tt.stderr)
			assert.NotContains(t, stderr, clerkKey)
			assert.NotContains(t, stderr, "pk_test_Y2xpLmV4YW1wbGUuY29tJA")
		})
	}
}

// TestBackfillReconcileSafetyWithPostgreSQL fills the database with 40
// users of which Clerk then seems to have lost 4, or all.
func TestBackfillReconcileSafetyWithPostgreSQL(t *testing.T) {
	cleanEnv(t)
	db := newTestDatabase(t)
	store := db.store(t)
	ctx := context.Background()
	clerk := newFakeClerk(t, 40)
	for _, u := range clerk.users {
		require.NoError(t, store.UpsertUser(ctx, u))
	}
	gone := clerk.users[10:14]
	clerk.users = slices.Delete(slices.Clone(clerk.users), 10, 14)
	clerk.raws = slices.Delete(clerk.raws, 10, 14)
	t.Setenv("CLERK_SECRET_KEY", clerkKey)
	backfill := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"backfill", "-database-url", db.url, "-schema", db.schema, "-base-url", clerk.url, "-reconcile"}, args...)...)
	}
	assertKept := func() {
		t.Helper()
		for _, u := range gone {
			_, err := store.User(ctx, u.ID)
			require.NoError(t, err, "not deleted")
		}
	}

	code, stdout, stderr := backfill()
	assert.Equal(t, 1, code)
	assert.Equal(t, "pages:   1\nseen:    36\nwritten: 36\nstale:   0\ndeleted: 0\nmissing: 4\n", stdout)
	assert.Contains(t, stderr, "4 of the 40 stored users are missing from the listing")
	assert.Contains(t, stderr, "nothing was deleted")
	assert.Contains(t, stderr, "With this command: -max-deletions 4 allows them; add -dry-run to list them first.")
	assertKept()

	code, stdout, stderr = backfill("-max-deletions", "4", "-dry-run")
	require.Equal(t, 0, code, stderr)
	want := "pages:   1\nseen:    36\nwritten: 0\nstale:   0\ndeleted: 0\nmissing: 4\nwould delete: 4\n"
	for _, u := range gone {
		want += "  " + u.ID + "\n"
	}
	assert.Equal(t, want, stdout)
	assertKept()

	code, stdout, stderr = backfill("-instance", "ins_2cliInventedDev", "-max-deletions", "4")
	assert.Equal(t, 1, code)
	assert.Equal(t, "pages:   0\nseen:    0\nwritten: 0\nstale:   0\ndeleted: 0\nmissing: 0\n", stdout)
	assert.Contains(t, stderr, "the secret key is another instance's: it belongs to instance ins_2cliInventedProd, not ins_2cliInventedDev")
	assertKept()

	code, stdout, stderr = backfill("-instance", "ins_2cliInventedProd", "-max-deletions", "4")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "pages:   1\nseen:    36\nwritten: 36\nstale:   0\ndeleted: 4\nmissing: 4\n", stdout)
	for _, u := range gone {
		_, err := store.User(ctx, u.ID)
		assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
	}

	// An API incident: the listing comes back empty.
	clerk.users, clerk.raws = nil, nil
	code, stdout, stderr = backfill("-max-deletions", "100")
	assert.Equal(t, 1, code)
	assert.Equal(t, "pages:   1\nseen:    0\nwritten: 0\nstale:   0\ndeleted: 0\nmissing: 36\n", stdout)
	assert.Contains(t, stderr, "the Backend API listed no users while the store holds 36; reconcile deletes nothing after an empty listing")
	ids, err := store.UserIDs(ctx)
	require.NoError(t, err)
	assert.Len(t, ids, 36)
}

// TestBackfillPrintsAnomalies shows the places of the values that did not
// fit their fields, and never the values.
func TestBackfillPrintsAnomalies(t *testing.T) {
	cleanEnv(t)
	clerk := newFakeClerk(t, 3)
	var obj map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(clerk.raws[1], &obj))
	obj["has_image"] = json.RawMessage(`"sometimes"`)
	raw, err := json.Marshal(obj)
	require.NoError(t, err)
	clerk.raws[1] = raw
	t.Setenv("CLERK_SECRET_KEY", clerkKey)

	code, stdout, stderr := runCLI(t, "backfill", "-database-url", "sqlite:"+t.TempDir()+"/clerk.db", "-base-url", clerk.url)

	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "pages:   1\nseen:    3\nwritten: 3\nstale:   0\ndeleted: 0\n"+
		"values left at zero, which did not fit their fields (Raw keeps them):\n  /has_image\n", stdout)
	assert.NotContains(t, stdout+stderr, "sometimes")
}
