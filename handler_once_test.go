package clerkhook_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/handlertest"
)

func TestHandlerRunsSideEffectsOnceMemoryStore(t *testing.T) {
	handlertest.Run(t, func(*testing.T) (handlertest.Store, func(*testing.T)) {
		var mu sync.Mutex
		now := time.Now()
		store := clerkhook.NewMemoryStore(clerkhook.WithStoreClock(func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		}))
		return store, func(*testing.T) {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(store.ClaimTimeout())
		}
	})
}

func TestNewHandlerRefusesUnknownEventTypes(t *testing.T) {
	fn := func(context.Context, *clerkhook.Event) error { return nil }
	tests := []struct {
		name    string
		opt     clerkhook.HandlerOption
		wantErr string
	}{
		{"typo", clerkhook.WithEventHandler("user.create", fn), `WithEventHandler("user.create"): not an event type Clerk sends`},
		{"typo, superseded", clerkhook.WithSupersededEventHandler("user.update", fn), `WithSupersededEventHandler("user.update"): not an event type Clerk sends`},
		{"listed type as unlisted", clerkhook.WithUnlistedEventHandler(clerkhook.EventUserCreated, fn), "a listed event type; use WithEventHandler"},
		{"unlisted type", clerkhook.WithUnlistedEventHandler("user.frobnicated", fn), ""},
		{"listed type", clerkhook.WithEventHandler(clerkhook.EventSessionCreated, fn), ""},
		{"empty type", clerkhook.WithUnlistedEventHandler("", fn), "empty event type"},
		{"nil function", clerkhook.WithSupersededEventHandler(clerkhook.EventUserCreated, nil), "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := clerkhook.NewHandler(testSecret, clerkhook.NewMemoryStore(), tt.opt)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestUnlistedEventHandlerRuns(t *testing.T) {
	var got []clerkhook.WriteResult
	h := newTestHandler(t, clerkhook.NewMemoryStore(), clerkhook.WithUnlistedEventHandler("user.frobnicated",
		func(ctx context.Context, evt *clerkhook.Event) error {
			r, ok := clerkhook.WriteResultFromContext(ctx)
			require.True(t, ok)
			got = append(got, r)
			return nil
		}))
	w := serve(h, signedRequest(t, "msg_unlisted", envelope(t, "user.frobnicated", testNow, map[string]any{"id": "user_2x"})))
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, []clerkhook.WriteResult{clerkhook.WriteNone}, got)
}

func TestWriteResultString(t *testing.T) {
	for r, want := range map[clerkhook.WriteResult]string{
		clerkhook.WriteNone: "none", clerkhook.WriteApplied: "applied", clerkhook.WriteSuperseded: "superseded", 7: "WriteResult(7)",
	} {
		assert.Equal(t, want, r.String())
	}
	_, ok := clerkhook.WriteResultFromContext(context.Background())
	assert.False(t, ok, "outside an event handler")
}

// deadlineStore records whether the user writes of a delivery ran under
// the deadline the Handler enforces from its own goroutine, and states
// nonBlocking.
type deadlineStore struct {
	*clerkhook.MemoryStore
	nonBlocking bool
	deadline    []bool
}

func (s *deadlineStore) NonBlocking() bool { return s.nonBlocking }

func (s *deadlineStore) UpsertUserDelivery(ctx context.Context, id, typ string, u *clerkhook.User) error {
	_, ok := ctx.Deadline()
	s.deadline = append(s.deadline, ok)
	return s.MemoryStore.UpsertUserDelivery(ctx, id, typ, u)
}

func TestNonBlockingStoreRunsInline(t *testing.T) {
	for _, nonBlocking := range []bool{true, false} {
		store := &deadlineStore{MemoryStore: clerkhook.NewMemoryStore(), nonBlocking: nonBlocking}
		h := newTestHandler(t, store)
		w := serve(h, signedRequest(t, "msg_inline", envelope(t, clerkhook.EventUserUpdated, testNow, testUser("user_2inline", 1))))
		require.Equal(t, 200, w.Code)
		assert.Equal(t, []bool{!nonBlocking}, store.deadline,
			"NonBlocking() = %t: the write runs on the request's goroutine without the deadline's context, or in the Handler's with it", nonBlocking)
	}
}

// panickingStore is a NonBlockingStore, through the MemoryStore it embeds,
// whose user writes panic.
type panickingStore struct{ *clerkhook.MemoryStore }

func (panickingStore) UpsertUserDelivery(context.Context, string, string, *clerkhook.User) error {
	panic("store bug")
}

func TestNonBlockingStorePanicIsAFailure(t *testing.T) {
	var got clerkhook.Observation
	h := newTestHandler(t, panickingStore{clerkhook.NewMemoryStore()},
		clerkhook.WithObserver(func(_ context.Context, o clerkhook.Observation) { got = o }))
	w := serve(h, signedRequest(t, "msg_panic", envelope(t, clerkhook.EventUserUpdated, testNow, testUser("user_2panic", 1))))
	assert.Equal(t, 500, w.Code, "a store's panic on the request's goroutine is answered as on the Handler's")
	assert.Equal(t, clerkhook.OutcomeFailed, got.Outcome)
	assert.ErrorContains(t, got.Err, "panic of type string")
}
