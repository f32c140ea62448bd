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
	"sync"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// The handler keeps a store in sync with the deliveries it receives. Here a
// delivery is made with the test kit; in production Clerk sends it.
func Example() {
	secret := clerkhooktest.NewSecret() // in production: os.Getenv("CLERK_WEBHOOK_SECRET")
	store := clerkhook.NewMemoryStore()
	h, err := clerkhook.NewHandler(secret, store)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", h)

	evt, _ := clerkhooktest.UserCreated(func(u *clerkhook.User) {
		first, last := "Grace", "Hopper"
		u.ID, u.FirstName, u.LastName = "user_2grace", &first, &last
	})
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, newRequest(secret, evt))
	fmt.Print(w.Code, " ", w.Body)

	u, _ := store.User(context.Background(), "user_2grace")
	fmt.Println(u.FullName())
	// Output:
	// 200 processed
	// Grace Hopper
}

// newRequest makes the request Svix sends for evt, for the examples that
// have no testing.T to hand to clerkhooktest.NewEventRequest.
func newRequest(secret string, evt *clerkhook.Event) *http.Request {
	signer, err := clerkhooktest.NewSigner(secret)
	if err != nil {
		panic(err)
	}
	body, err := json.Marshal(evt)
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
	r.Header = signer.Headers(evt.ID, time.Now(), body)
	return r
}

// Event handlers run after the store write, for side effects such as a
// welcome email, and for event types the store does not keep.
func ExampleWithEventHandler() {
	secret := clerkhooktest.NewSecret()
	welcome := func(ctx context.Context, evt *clerkhook.Event) error {
		u, err := evt.User()
		if err != nil {
			return err
		}
		fmt.Println("welcome", u.ID)
		return nil // an error makes Clerk retry the delivery
	}
	h, err := clerkhook.NewHandler(secret, clerkhook.NewMemoryStore(),
		clerkhook.WithEventHandler(clerkhook.EventUserCreated, welcome))
	if err != nil {
		panic(err)
	}
	evt, _ := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_2new" })
	h.ServeHTTP(httptest.NewRecorder(), newRequest(secret, evt))
	h.ServeHTTP(httptest.NewRecorder(), newRequest(secret, evt)) // a retry: not welcomed twice
	// Output:
	// welcome user_2new
}

// An audit log sees every event, superseded ones too, and learns from the
// context what became of the store write; the welcome email does not go to
// a user whose user.created arrives after the user.deleted.
func ExampleWithSupersededEventHandler() {
	secret := clerkhooktest.NewSecret()
	audit := func(ctx context.Context, evt *clerkhook.Event) error {
		result, _ := clerkhook.WriteResultFromContext(ctx)
		fmt.Println("audit", evt.Type, result)
		return nil
	}
	welcome := func(ctx context.Context, evt *clerkhook.Event) error {
		fmt.Println("welcome")
		return nil
	}
	h, err := clerkhook.NewHandler(secret, clerkhook.NewMemoryStore(),
		clerkhook.WithSupersededEventHandler(clerkhook.EventUserCreated, audit),
		clerkhook.WithEventHandler(clerkhook.EventUserCreated, welcome))
	if err != nil {
		panic(err)
	}
	deleted, _ := clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = "user_2gone" })
	created, _ := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_2gone" })
	h.ServeHTTP(httptest.NewRecorder(), newRequest(secret, deleted))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest(secret, created)) // its first attempt was lost
	fmt.Print(w.Code, " ", w.Body)
	// Output:
	// audit user.created superseded
	// 200 stale
}

// The middleware verifies and parses; a handler of one's own decides what
// to do with the event.
func ExampleMiddleware() {
	secret := clerkhooktest.NewSecret()
	v, err := clerkhook.NewVerifier(secret)
	if err != nil {
		panic(err)
	}
	enqueue := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evt, _ := clerkhook.EventFromContext(r.Context())
		fmt.Println("queued", evt.Type)
		w.WriteHeader(http.StatusAccepted)
	})
	h := clerkhook.Middleware(v)(enqueue)

	evt, _ := clerkhooktest.OrganizationCreated()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest(secret, evt))
	fmt.Println(w.Code)

	forged := newRequest(clerkhooktest.NewSecret(), evt)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, forged)
	fmt.Println(w.Code)
	// Output:
	// queued organization.created
	// 202
	// 401
}

// An observer feeds metrics; here it counts outcomes.
func ExampleWithObserver() {
	secret := clerkhooktest.NewSecret()
	var mu sync.Mutex
	outcomes := map[clerkhook.Outcome]int{}
	h, err := clerkhook.NewHandler(secret, clerkhook.NewMemoryStore(),
		clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		clerkhook.WithObserver(func(_ context.Context, o clerkhook.Observation) {
			mu.Lock()
			defer mu.Unlock()
			outcomes[o.Outcome]++
		}))
	if err != nil {
		panic(err)
	}
	evt, _ := clerkhooktest.UserCreated()
	for range 3 {
		h.ServeHTTP(httptest.NewRecorder(), newRequest(secret, evt))
	}
	fmt.Println(outcomes)
	// Output:
	// map[duplicate:2 processed:1]
}

// mapStore is a store of one's own, kept in a map; a real one would use a
// database. clerkhooktest.TestUserStore checks that it keeps the rules of
// UserStore.
type mapStore struct {
	mu    sync.Mutex
	users map[string]*clerkhook.User // nil: deleted
}

func (s *mapStore) UpsertUser(_ context.Context, u *clerkhook.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, known := s.users[u.ID]
	if known && (old == nil || old.UpdatedAt > u.UpdatedAt) {
		return clerkhook.ErrStale // a tombstone or a newer version stays
	}
	s.users[u.ID] = u
	return nil
}

func (s *mapStore) DeleteUser(_ context.Context, id string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = nil
	return nil
}

func (s *mapStore) User(_ context.Context, id string) (*clerkhook.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[id]; u != nil {
		return u, nil
	}
	return nil, clerkhook.ErrUserNotFound
}

// A store of one's own implements UserStore, and the optional interfaces it
// can; the Handler uses what it finds.
func ExampleUserStore() {
	store := &mapStore{users: map[string]*clerkhook.User{}}
	ctx := context.Background()
	newer, older := &clerkhook.User{ID: "user_2a", UpdatedAt: 2000}, &clerkhook.User{ID: "user_2a", UpdatedAt: 1000}
	fmt.Println(store.UpsertUser(ctx, newer))
	fmt.Println(store.UpsertUser(ctx, older)) // arrived late
	fmt.Println(store.DeleteUser(ctx, "user_2a", time.Now()))
	_, err := store.User(ctx, "user_2a")
	fmt.Println(errors.Is(err, clerkhook.ErrUserNotFound))
	// Output:
	// <nil>
	// clerkhook: stale write ignored
	// <nil>
	// true
}
