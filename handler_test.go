package clerkhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// The handler tests sign with the standard-webhooks library directly, not
// with clerkhooktest, so that the kit and the handler check each other.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func testClock() time.Time { return testNow }

func signedRequest(t testing.TB, id string, body []byte) *http.Request {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(testSecret)
	require.NoError(t, err)
	sig, err := wh.Sign(id, testNow, body)
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
	r.Header.Set("svix-id", id)
	r.Header.Set("svix-timestamp", strconv.FormatInt(testNow.Unix(), 10))
	r.Header.Set("svix-signature", sig)
	r.Header.Set("Content-Type", "application/json")
	return r
}

// envelope returns the body of an event of type typ carrying data.
func envelope(t testing.TB, typ string, at time.Time, data any) []byte {
	t.Helper()
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	body, err := json.Marshal(&clerkhook.Event{
		Type: typ, Object: "event", Timestamp: at.UnixMilli(), InstanceID: "ins_2testinstance", Data: raw,
		EventAttributes: &clerkhook.EventAttributes{HTTPRequest: &clerkhook.HTTPRequestAttributes{
			ClientIP: "192.0.2.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)",
		}},
	})
	require.NoError(t, err)
	return body
}

func str(s string) *string { return &s }

func testUser(id string, version int) *clerkhook.User {
	email := "idn_" + id + "_1"
	return &clerkhook.User{
		ID:                    id,
		Object:                "user",
		PrimaryEmailAddressID: &email,
		FirstName:             str("Ada"),
		LastName:              str(fmt.Sprintf("Version%d", version)),
		EmailAddresses: []clerkhook.EmailAddress{
			{ID: email, Object: "email_address", EmailAddress: "ada." + id + "@example.com"},
		},
		PublicMetadata: json.RawMessage(`{"plan":"pro"}`),
		CreatedAt:      clerkhook.UnixMilli(testNow.Add(-time.Hour).UnixMilli()),
		UpdatedAt:      clerkhook.UnixMilli(testNow.Add(-time.Hour).UnixMilli() + int64(version)),
	}
}

func userBody(t testing.TB, typ string, u *clerkhook.User) []byte {
	return envelope(t, typ, u.UpdatedAt.Time(), u)
}

func deleteBody(t testing.TB, id string, at time.Time) []byte {
	return envelope(t, clerkhook.EventUserDeleted, at, &clerkhook.DeletedObject{Object: "user", ID: id, Deleted: true})
}

func newTestHandler(t testing.TB, store clerkhook.UserStore, opts ...clerkhook.HandlerOption) *clerkhook.Handler {
	t.Helper()
	opts = append([]clerkhook.HandlerOption{clerkhook.WithClock(testClock), clerkhook.WithLogger(discardLogger())}, opts...)
	h, err := clerkhook.NewHandler(testSecret, store, opts...)
	require.NoError(t, err)
	return h
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestNewHandlerRefusesBadConfiguration(t *testing.T) {
	store := clerkhook.NewMemoryStore()
	tests := []struct {
		name   string
		secret string
		store  clerkhook.UserStore
		opts   []clerkhook.HandlerOption
		is     error
	}{
		{"nil store", testSecret, nil, nil, nil},
		{"invalid secret", "whsec_not base64!", store, nil, clerkhook.ErrInvalidSecret},
		{"empty secret", "", store, nil, clerkhook.ErrInvalidSecret},
		{"nil option", testSecret, store, []clerkhook.HandlerOption{nil}, nil},
		{"zero timeout", testSecret, store, []clerkhook.HandlerOption{clerkhook.WithTimeout(0)}, nil},
		{"negative body limit", testSecret, store, []clerkhook.HandlerOption{clerkhook.WithMaxBodyBytes(-1)}, nil},
		{"nil event handler", testSecret, store, []clerkhook.HandlerOption{clerkhook.WithEventHandler("user.created", nil)}, nil},
		{"nil logger", testSecret, store, []clerkhook.HandlerOption{clerkhook.WithLogger(nil)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := clerkhook.NewHandler(tt.secret, tt.store, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, h)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			if tt.secret != "" {
				assert.NotContains(t, err.Error(), strings.TrimPrefix(tt.secret, "whsec_"))
			}
		})
	}
}

func TestHandlerStatusCodes(t *testing.T) {
	user := testUser("user_2status", 1)
	good := userBody(t, clerkhook.EventUserCreated, user)
	tests := []struct {
		name    string
		request func(t *testing.T) *http.Request
		opts    []clerkhook.HandlerOption
		status  int
		stored  bool
	}{
		{"processed", func(t *testing.T) *http.Request { return signedRequest(t, "msg_ok", good) }, nil, 200, true},
		{"GET", func(t *testing.T) *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) }, nil, 405, false},
		{"PUT signed", func(t *testing.T) *http.Request {
			r := signedRequest(t, "msg_put", good)
			r.Method = http.MethodPut
			return r
		}, nil, 405, false},
		{"missing headers", func(t *testing.T) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(good))
		}, nil, 400, false},
		{"malformed timestamp", func(t *testing.T) *http.Request {
			r := signedRequest(t, "msg_ts", good)
			r.Header.Set("svix-timestamp", "yesterday")
			return r
		}, nil, 400, false},
		{"bad signature", func(t *testing.T) *http.Request {
			r := signedRequest(t, "msg_sig", good)
			r.Header.Set("svix-signature", "v1,"+strings.Repeat("A", 43)+"=")
			return r
		}, nil, 401, false},
		{"body byte flipped", func(t *testing.T) *http.Request {
			r := signedRequest(t, "msg_flip", good)
			flipped := bytes.Clone(good)
			flipped[len(flipped)/2] ^= 1
			r.Body = io.NopCloser(bytes.NewReader(flipped))
			return r
		}, nil, 401, false},
		{"timestamp too old", func(t *testing.T) *http.Request {
			r := signedRequest(t, "msg_old", good)
			return r
		}, []clerkhook.HandlerOption{clerkhook.WithClock(func() time.Time { return testNow.Add(6 * time.Minute) })}, 401, false},
		{"timestamp too new", func(t *testing.T) *http.Request {
			r := signedRequest(t, "msg_new", good)
			return r
		}, []clerkhook.HandlerOption{clerkhook.WithClock(func() time.Time { return testNow.Add(-6 * time.Minute) })}, 401, false},
		{"over the limit, announced", func(t *testing.T) *http.Request {
			return signedRequest(t, "msg_big", good)
		}, []clerkhook.HandlerOption{clerkhook.WithMaxBodyBytes(int64(len(good) - 1))}, 413, false},
		{"over the limit, not announced", func(t *testing.T) *http.Request {
			r := signedRequest(t, "msg_big2", good)
			r.ContentLength = -1
			return r
		}, []clerkhook.HandlerOption{clerkhook.WithMaxBodyBytes(int64(len(good) - 1))}, 413, false},
		{"exactly the limit", func(t *testing.T) *http.Request {
			return signedRequest(t, "msg_exact", good)
		}, []clerkhook.HandlerOption{clerkhook.WithMaxBodyBytes(int64(len(good)))}, 200, true},
		{"signed body not JSON", func(t *testing.T) *http.Request {
			return signedRequest(t, "msg_json", []byte("not json"))
		}, nil, 400, false},
		{"signed user.created without id", func(t *testing.T) *http.Request {
			return signedRequest(t, "msg_noid", envelope(t, clerkhook.EventUserCreated, testNow, map[string]any{"object": "user"}))
		}, nil, 400, false},
		{"signed user.created with data of the wrong shape", func(t *testing.T) *http.Request {
			return signedRequest(t, "msg_shape", envelope(t, clerkhook.EventUserCreated, testNow, map[string]any{"id": 42}))
		}, nil, 400, false},
		{"unknown event type", func(t *testing.T) *http.Request {
			return signedRequest(t, "msg_unknown", envelope(t, "gizmo.created", testNow, map[string]any{"id": "giz_1"}))
		}, nil, 200, false},
		{"known type nothing handles", func(t *testing.T) *http.Request {
			return signedRequest(t, "msg_session", envelope(t, clerkhook.EventSessionCreated, testNow, map[string]any{"id": "sess_1"}))
		}, nil, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := clerkhook.NewMemoryStore()
			h := newTestHandler(t, store, tt.opts...)
			w := serve(h, tt.request(t))
			assert.Equal(t, tt.status, w.Code, "body: %s", w.Body)
			assert.LessOrEqual(t, w.Body.Len(), 32, "response bodies stay short and generic")
			if tt.status == 405 {
				assert.Equal(t, "POST", w.Header().Get("Allow"))
			}
			_, err := store.User(context.Background(), user.ID)
			if tt.stored {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
			}
		})
	}
}

// TestHandlerReadsAtMostTheLimit checks that an oversized body is not read
// past the limit plus one byte.
func TestHandlerReadsAtMostTheLimit(t *testing.T) {
	const limit = 1024
	h := newTestHandler(t, clerkhook.NewMemoryStore(), clerkhook.WithMaxBodyBytes(limit))
	body := &countingReader{r: bytes.NewReader(make([]byte, 10*limit))}
	r := httptest.NewRequest(http.MethodPost, "/", body)
	r.ContentLength = -1
	r.Header.Set("svix-id", "msg_1")
	w := serve(h, r)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.LessOrEqual(t, body.n, int64(limit+1))
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestHandlerStoreFailures(t *testing.T) {
	body := userBody(t, clerkhook.EventUserUpdated, testUser("user_2fail", 1))
	tests := []struct {
		name   string
		fail   func(ctx context.Context) error
		status int
	}{
		{"error", func(context.Context) error { return errors.New("database is down") }, 500},
		{"panic", func(context.Context) error { panic("store bug") }, 500},
		{"deadline", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newFailingStore(tt.fail)
			h := newTestHandler(t, store, clerkhook.WithTimeout(50*time.Millisecond))
			w := serve(h, signedRequest(t, "msg_fail", body))
			assert.Equal(t, tt.status, w.Code)

			// The claim is released, after the response when the store
			// ran out of time: then the retry is processed.
			assert.Equal(t, "msg_fail", <-store.released)
			store.setFail(nil)
			w = serve(h, signedRequest(t, "msg_fail", body))
			assert.Equal(t, http.StatusOK, w.Code)
			_, err := store.User(context.Background(), "user_2fail")
			assert.NoError(t, err)
		})
	}
}

// failingStore is a UserStore and Deduplicator, but no DeliveryWriter, so
// that the handler claims deliveries; its UpsertUser runs fail first.
type failingStore struct {
	mem      *clerkhook.MemoryStore
	fail     atomic.Pointer[func(ctx context.Context) error]
	released chan string
}

func newFailingStore(fail func(ctx context.Context) error) *failingStore {
	s := &failingStore{mem: clerkhook.NewMemoryStore(), released: make(chan string, 16)}
	s.setFail(fail)
	return s
}

func (s *failingStore) setFail(fail func(ctx context.Context) error) { s.fail.Store(&fail) }

func (s *failingStore) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	if fail := *s.fail.Load(); fail != nil {
		if err := fail(ctx); err != nil {
			return err
		}
	}
	return s.mem.UpsertUser(ctx, u)
}

func (s *failingStore) DeleteUser(ctx context.Context, id string, at time.Time) error {
	return s.mem.DeleteUser(ctx, id, at)
}

func (s *failingStore) User(ctx context.Context, id string) (*clerkhook.User, error) {
	return s.mem.User(ctx, id)
}

func (s *failingStore) ClaimDelivery(ctx context.Context, id, eventType string) (string, error) {
	return s.mem.ClaimDelivery(ctx, id, eventType)
}

func (s *failingStore) CompleteDelivery(ctx context.Context, id, token string) error {
	return s.mem.CompleteDelivery(ctx, id, token)
}

func (s *failingStore) ReleaseDelivery(ctx context.Context, id, token string) error {
	err := s.mem.ReleaseDelivery(ctx, id, token)
	s.released <- id
	return err
}

func TestHandlerDeduplicates(t *testing.T) {
	for _, withHandler := range []bool{false, true} {
		// Without an event handler, the MemoryStore records the delivery
		// in the same step as the write; with one, the handler claims it.
		t.Run(fmt.Sprintf("event handler %v", withHandler), func(t *testing.T) {
			store := clerkhook.NewMemoryStore()
			var handled atomic.Int64
			var opts []clerkhook.HandlerOption
			if withHandler {
				opts = append(opts, clerkhook.WithEventHandler(clerkhook.EventUserCreated, func(context.Context, *clerkhook.Event) error {
					handled.Add(1)
					return nil
				}))
			}
			h := newTestHandler(t, store, opts...)
			u := testUser("user_2dup", 1)
			body := userBody(t, clerkhook.EventUserCreated, u)
			for range 3 {
				w := serve(h, signedRequest(t, "msg_dup", body))
				require.Equal(t, http.StatusOK, w.Code)
			}
			// The user changes in the dashboard, but a redelivery of the
			// first message must not touch it.
			newer := testUser(u.ID, 2)
			require.NoError(t, store.UpsertUser(context.Background(), newer))
			w := serve(h, signedRequest(t, "msg_dup", body))
			assert.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, "duplicate\n", w.Body.String())
			got, err := store.User(context.Background(), u.ID)
			require.NoError(t, err)
			assert.Equal(t, newer.UpdatedAt, got.UpdatedAt)
			if withHandler {
				assert.EqualValues(t, 1, handled.Load())
			}
		})
	}
}

func TestHandlerRunsEventHandlersOnceForConcurrentDuplicates(t *testing.T) {
	store := clerkhook.NewMemoryStore()
	var runs atomic.Int64
	started, release := make(chan struct{}), make(chan struct{})
	h := newTestHandler(t, store, clerkhook.WithEventHandler(clerkhook.EventUserCreated, func(context.Context, *clerkhook.Event) error {
		if runs.Add(1) == 1 {
			close(started)
		}
		<-release
		return nil
	}))
	body := userBody(t, clerkhook.EventUserCreated, testUser("user_2conc", 1))

	first := make(chan int)
	go func() { first <- serve(h, signedRequest(t, "msg_conc", body)).Code }()
	<-started // the first attempt holds the claim
	w := serve(h, signedRequest(t, "msg_conc", body))
	assert.Equal(t, http.StatusConflict, w.Code, "a concurrent attempt is told to retry")
	close(release)
	assert.Equal(t, http.StatusOK, <-first)
	w = serve(h, signedRequest(t, "msg_conc", body))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.EqualValues(t, 1, runs.Load())
}

func TestHandlerEventHandlerFailureIsRetried(t *testing.T) {
	store := clerkhook.NewMemoryStore()
	var calls atomic.Int64
	h := newTestHandler(t, store, clerkhook.WithEventHandler(clerkhook.EventUserCreated, func(context.Context, *clerkhook.Event) error {
		if calls.Add(1) == 1 {
			return errors.New("mail server down")
		}
		return nil
	}))
	body := userBody(t, clerkhook.EventUserCreated, testUser("user_2retry", 1))
	assert.Equal(t, http.StatusInternalServerError, serve(h, signedRequest(t, "msg_retry", body)).Code)
	assert.Equal(t, http.StatusOK, serve(h, signedRequest(t, "msg_retry", body)).Code)
	assert.Equal(t, http.StatusOK, serve(h, signedRequest(t, "msg_retry", body)).Code)
	assert.EqualValues(t, 2, calls.Load(), "the failed attempt and the retry; the duplicate runs nothing")
}

func TestHandlerEventHandlersRunInOrderAfterTheStore(t *testing.T) {
	store := clerkhook.NewMemoryStore()
	var order []string
	record := func(name string) clerkhook.EventHandlerFunc {
		return func(ctx context.Context, evt *clerkhook.Event) error {
			u, err := evt.User()
			require.NoError(t, err)
			_, err = store.User(ctx, u.ID)
			require.NoError(t, err, "the store is written before the event handlers run")
			assert.Equal(t, "msg_order", evt.ID)
			order = append(order, name)
			return nil
		}
	}
	h := newTestHandler(t, store,
		clerkhook.WithEventHandler(clerkhook.EventUserCreated, record("first")),
		clerkhook.WithEventHandler(clerkhook.EventUserCreated, record("second")),
		clerkhook.WithEventHandler(clerkhook.EventUserDeleted, record("never")))
	w := serve(h, signedRequest(t, "msg_order", userBody(t, clerkhook.EventUserCreated, testUser("user_2order", 1))))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, []string{"first", "second"}, order)
}

func TestHandlerOrdering(t *testing.T) {
	ctx := context.Background()
	store := clerkhook.NewMemoryStore()
	h := newTestHandler(t, store)
	id := "user_2order"
	send := func(msg string, body []byte) {
		t.Helper()
		require.Equal(t, http.StatusOK, serve(h, signedRequest(t, msg, body)).Code)
	}
	send("msg_1", userBody(t, clerkhook.EventUserCreated, testUser(id, 1)))
	send("msg_3", userBody(t, clerkhook.EventUserUpdated, testUser(id, 3)))
	send("msg_2", userBody(t, clerkhook.EventUserUpdated, testUser(id, 2)))
	got, err := store.User(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "Version3", *got.LastName, "a stale update arriving late is ignored")

	send("msg_del", deleteBody(t, id, testNow))
	send("msg_4", userBody(t, clerkhook.EventUserUpdated, testUser(id, 4)))
	_, err = store.User(ctx, id)
	assert.ErrorIs(t, err, clerkhook.ErrUserNotFound, "a deleted user stays deleted")
}

func TestHandlerOrganizationsAndMemberships(t *testing.T) {
	ctx := context.Background()
	store := clerkhook.NewMemoryStore()
	h := newTestHandler(t, store)
	org := clerkhook.Organization{ID: "org_2acme", Object: "organization", Name: "Acme", UpdatedAt: 1000}
	member := clerkhook.OrganizationMembership{
		ID: "orgmem_2a", Object: "organization_membership", Role: "org:admin", Organization: org,
		PublicUserData: clerkhook.PublicUserData{UserID: "user_2member"}, UpdatedAt: 1000,
	}
	send := func(msg, typ string, at time.Time, data any) {
		t.Helper()
		w := serve(h, signedRequest(t, msg, envelope(t, typ, at, data)))
		require.Equal(t, http.StatusOK, w.Code, "%s: %s", typ, w.Body)
	}
	send("msg_o1", clerkhook.EventOrganizationCreated, testNow, org)
	send("msg_m1", clerkhook.EventOrganizationMembershipCreated, testNow, member)
	got, err := store.Membership(ctx, org.ID, "user_2member")
	require.NoError(t, err)
	assert.Equal(t, "org:admin", got.Role)

	send("msg_m2", clerkhook.EventOrganizationMembershipDeleted, testNow, member)
	_, err = store.Membership(ctx, org.ID, "user_2member")
	assert.ErrorIs(t, err, clerkhook.ErrMembershipNotFound)

	send("msg_o2", clerkhook.EventOrganizationDeleted, testNow, clerkhook.DeletedObject{Object: "organization", ID: org.ID, Deleted: true})
	_, err = store.Organization(ctx, org.ID)
	assert.ErrorIs(t, err, clerkhook.ErrOrganizationNotFound)

	w := serve(h, signedRequest(t, "msg_bad", envelope(t, clerkhook.EventOrganizationMembershipCreated, testNow,
		clerkhook.OrganizationMembership{ID: "orgmem_2b", Organization: org})))
	assert.Equal(t, http.StatusBadRequest, w.Code, "a membership without a user id is not a valid event")
}

func TestHandlerLogsNothingPersonal(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := newFailingStore(nil)
	h := newTestHandler(t, store, clerkhook.WithLogger(logger))
	u := testUser("user_2private", 1)
	u.FirstName = str("Zoë")
	u.LastName = str("Ångström")
	body := userBody(t, clerkhook.EventUserCreated, u)

	serve(h, signedRequest(t, "msg_log1", body))
	serve(h, signedRequest(t, "msg_log1", body))
	bad := signedRequest(t, "msg_log2", body)
	bad.Header.Set("svix-signature", "v1,"+strings.Repeat("A", 43)+"=")
	serve(h, bad)
	store.setFail(func(context.Context) error { return errors.New("connection refused") })
	serve(h, signedRequest(t, "msg_log3", userBody(t, clerkhook.EventUserUpdated, testUser("user_2private", 2))))

	out := logs.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, "one line per delivery")
	for _, secret := range []string{"ada.", "example.com", "Zoë", "Ångström", "Version", "plan", strings.TrimPrefix(testSecret, "whsec_"), "192.0.2"} {
		assert.NotContains(t, out, secret)
	}
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, "INFO", first["level"])
	assert.Equal(t, "msg_log1", first["delivery_id"])
	assert.Equal(t, "user.created", first["event_type"])
	assert.Equal(t, "user_2private", first["object_id"])
	assert.Equal(t, "processed", first["outcome"])
	assert.EqualValues(t, 200, first["status"])
	assert.Contains(t, first, "duration")
	assert.Contains(t, lines[1], `"outcome":"duplicate"`)
	assert.Contains(t, lines[2], `"level":"WARN"`)
	assert.Contains(t, lines[3], `"level":"ERROR"`)
}

func TestMiddleware(t *testing.T) {
	v, err := clerkhook.NewVerifier(testSecret, clerkhook.WithClock(testClock))
	require.NoError(t, err)
	body := userBody(t, clerkhook.EventUserCreated, testUser("user_2mw", 1))
	var seen *clerkhook.Event
	var seenBody []byte
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evt, ok := clerkhook.EventFromContext(r.Context())
		require.True(t, ok)
		seen = evt
		seenBody, err = io.ReadAll(r.Body)
		require.NoError(t, err)
		w.WriteHeader(http.StatusAccepted)
	})
	h := clerkhook.Middleware(v)(next)

	w := serve(h, signedRequest(t, "msg_mw", body))
	require.Equal(t, http.StatusAccepted, w.Code)
	require.NotNil(t, seen)
	assert.Equal(t, "msg_mw", seen.ID)
	assert.Equal(t, clerkhook.EventUserCreated, seen.Type)
	assert.Equal(t, body, seenBody, "next reads the body unchanged")

	seen = nil
	bad := signedRequest(t, "msg_mw2", body)
	bad.Header.Set("svix-signature", "v1,"+strings.Repeat("A", 43)+"=")
	assert.Equal(t, http.StatusUnauthorized, serve(h, bad).Code)
	assert.Equal(t, http.StatusMethodNotAllowed, serve(h, httptest.NewRequest(http.MethodGet, "/", nil)).Code)
	assert.Nil(t, seen, "next is not called for a refused request")

	_, ok := clerkhook.EventFromContext(context.Background())
	assert.False(t, ok)
}

// TestHandlerAnswersHungStoresInTime checks that a store that hangs is
// answered 503 at the deadline, and that the goroutine running it ends
// once the store returns.
func TestHandlerAnswersHungStoresInTime(t *testing.T) {
	tests := []struct {
		name string
		// hang blocks until unblock is closed, or longer.
		hang func(ctx context.Context, unblock <-chan struct{}) error
	}{
		{"store honours its context", func(ctx context.Context, _ <-chan struct{}) error {
			<-ctx.Done()
			return ctx.Err()
		}},
		{"store ignores its context", func(_ context.Context, unblock <-chan struct{}) error {
			<-unblock
			return errors.New("gave up")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unblock := make(chan struct{})
			store := newFailingStore(func(ctx context.Context) error { return tt.hang(ctx, unblock) })
			h := newTestHandler(t, store, clerkhook.WithTimeout(20*time.Millisecond))
			body := userBody(t, clerkhook.EventUserCreated, testUser("user_2hang", 1))
			before := runtime.NumGoroutine()

			w := serve(h, signedRequest(t, "msg_hang", body))
			assert.Equal(t, http.StatusServiceUnavailable, w.Code)
			close(unblock)
			assert.Equal(t, "msg_hang", <-store.released)
			assertGoroutinesReturnTo(t, before)
		})
	}
}

// assertGoroutinesReturnTo waits, without sleeping, for goroutines that
// are finishing to end.
func assertGoroutinesReturnTo(t *testing.T, n int) {
	t.Helper()
	for range 100000 {
		if runtime.NumGoroutine() <= n {
			return
		}
		runtime.Gosched()
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), n, "goroutines left running")
}

func TestHandlerObserver(t *testing.T) {
	var seen []clerkhook.Observation
	store := newFailingStore(nil)
	h := newTestHandler(t, store, clerkhook.WithObserver(func(_ context.Context, o clerkhook.Observation) {
		seen = append(seen, o)
	}))
	body := userBody(t, clerkhook.EventUserCreated, testUser("user_2obs", 1))
	forged := signedRequest(t, "msg_forged", body)
	forged.Header.Set("svix-signature", "v1,"+strings.Repeat("A", 43)+"=")

	serve(h, signedRequest(t, "msg_obs", body))
	serve(h, signedRequest(t, "msg_obs", body))
	serve(h, forged)
	serve(h, httptest.NewRequest(http.MethodGet, "/", nil))
	serve(h, signedRequest(t, "msg_gizmo", envelope(t, "gizmo.created", testNow, map[string]any{"id": "giz_1"})))
	store.setFail(func(context.Context) error { return errors.New("disk full") })
	serve(h, signedRequest(t, "msg_fails", userBody(t, clerkhook.EventUserUpdated, testUser("user_2obs", 2))))

	want := []struct {
		id, typ, object string
		outcome         clerkhook.Outcome
		reason          string
		status          int
	}{
		{"msg_obs", "user.created", "user_2obs", clerkhook.OutcomeProcessed, "", 200},
		{"msg_obs", "user.created", "user_2obs", clerkhook.OutcomeDuplicate, "", 200},
		{"msg_forged", "", "", clerkhook.OutcomeRejected, "bad_signature", 401},
		{"", "", "", clerkhook.OutcomeRejected, "method_not_allowed", 405},
		{"msg_gizmo", "gizmo.created", "", clerkhook.OutcomeIgnored, "", 200},
		{"msg_fails", "user.updated", "user_2obs", clerkhook.OutcomeFailed, "", 500},
	}
	require.Len(t, seen, len(want), "one observation per request")
	for i, w := range want {
		o := seen[i]
		assert.Equal(t, w.id, o.DeliveryID, i)
		assert.Equal(t, w.typ, o.EventType, i)
		assert.Equal(t, w.object, o.ObjectID, i)
		assert.Equal(t, w.outcome, o.Outcome, i)
		assert.Equal(t, w.reason, o.Reason, i)
		assert.Equal(t, w.status, o.Status, i)
		assert.Equal(t, w.status >= 400, o.Err != nil, i)
	}
}

// TestHandlerDecodesEveryLayout checks that the one-pass decoding of stored
// event types, which guesses the type from the end of the payload, and the
// general path agree whatever the layout of the JSON.
func TestHandlerDecodesEveryLayout(t *testing.T) {
	u := testUser("user_2layout", 1)
	data, err := json.Marshal(u)
	require.NoError(t, err)
	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, userBody(t, clerkhook.EventUserCreated, u), "", "  "))
	layouts := []struct {
		name, body string
		isUser     bool
	}{
		{"compact, sorted keys", string(userBody(t, clerkhook.EventUserCreated, u)), true},
		{"indented", indented.String(), true},
		{"type first", `{"type":"user.created","object":"event","timestamp":1764244800000,"data":` + string(data) + `}`, true},
		{"decoy type at the end", `{"data":` + string(data) + `,"object":"event","type":"user.created",` +
			`"zzz":{"type":"organization.created"}}`, true},
		{"another type, a decoy user.created at the end", `{"data":` + string(data) + `,"type":"session.created",` +
			`"zzz":{"type":"user.created"}}`, false},
	}
	for _, layout := range layouts {
		t.Run(layout.name, func(t *testing.T) {
			for _, withHandler := range []bool{false, true} {
				store := clerkhook.NewMemoryStore()
				var opts []clerkhook.HandlerOption
				var handled []*clerkhook.Event
				if withHandler {
					opts = append(opts, clerkhook.WithEventHandler(clerkhook.EventUserCreated, func(_ context.Context, evt *clerkhook.Event) error {
						handled = append(handled, evt)
						return nil
					}))
				}
				w := serve(newTestHandler(t, store, opts...), signedRequest(t, "msg_layout", []byte(layout.body)))
				require.Equal(t, http.StatusOK, w.Code)
				got, err := store.User(context.Background(), u.ID)
				if !layout.isUser {
					assert.ErrorIs(t, err, clerkhook.ErrUserNotFound, "a session event is not a user")
					assert.Empty(t, handled)
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, u.UpdatedAt, got.UpdatedAt)
				assert.Equal(t, u.PrimaryEmail(), got.PrimaryEmail())
				if withHandler {
					require.Len(t, handled, 1)
					assert.JSONEq(t, string(data), string(handled[0].Data), "event handlers get the raw data")
				}
			}
		})
	}
}

// TestHandlerSaysWhichSecretMatched checks the Observation and the log line
// during a rotation: each says which configured secret verified the
// request.
func TestHandlerSaysWhichSecretMatched(t *testing.T) {
	const newSecret = "whsec_dGhlIG5ldyBzZWNyZXQgb2YgdGhlIHJvdGF0aW9u"
	oldFP, err := clerkhook.SecretFingerprint(testSecret)
	require.NoError(t, err)
	newFP, err := clerkhook.SecretFingerprint(newSecret)
	require.NoError(t, err)
	var seen []clerkhook.Observation
	var log bytes.Buffer
	h, err := clerkhook.NewHandler(newSecret, clerkhook.NewMemoryStore(),
		clerkhook.WithAdditionalSecrets(testSecret), clerkhook.WithClock(testClock),
		clerkhook.WithLogger(slog.New(slog.NewTextHandler(&log, nil))),
		clerkhook.WithObserver(func(_ context.Context, o clerkhook.Observation) { seen = append(seen, o) }))
	require.NoError(t, err)

	body := userBody(t, clerkhook.EventUserCreated, testUser("user_2rot", 1))
	serve(h, signedRequest(t, "msg_old", body)) // signed with testSecret, the additional one
	byNew := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
	wh, err := standardwebhooks.NewWebhook(newSecret)
	require.NoError(t, err)
	sig, err := wh.Sign("msg_new", testNow, body)
	require.NoError(t, err)
	byNew.Header.Set("svix-id", "msg_new")
	byNew.Header.Set("svix-timestamp", strconv.FormatInt(testNow.Unix(), 10))
	byNew.Header.Set("svix-signature", sig)
	serve(h, byNew)
	forged := signedRequest(t, "msg_forged", body)
	forged.Header.Set("svix-signature", "v1,"+strings.Repeat("A", 43)+"=")
	serve(h, forged)

	require.Len(t, seen, 3)
	assert.Equal(t, 1, seen[0].SecretIndex)
	assert.Equal(t, oldFP, seen[0].SecretFingerprint)
	assert.Equal(t, 0, seen[1].SecretIndex)
	assert.Equal(t, newFP, seen[1].SecretFingerprint)
	assert.Equal(t, -1, seen[2].SecretIndex, "no secret verified a forged request")
	assert.Empty(t, seen[2].SecretFingerprint)

	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	require.Len(t, lines, 3)
	assert.Contains(t, lines[0], "secret_fingerprint="+oldFP)
	assert.Contains(t, lines[1], "secret_fingerprint="+newFP)
	assert.NotContains(t, lines[2], "secret_fingerprint")
}
