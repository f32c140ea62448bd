// Package routertest checks the routers of this module's examples: each
// mounts, on its framework, the clerkhook Handler at POST /webhooks/clerk
// and clerkhook.Middleware, in front of a handler that queues deliveries,
// at POST /webhooks/clerk/queue.
package routertest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// NewRouterFunc builds the router under test: the Handler writes to store,
// and the handler behind the Middleware passes each verified event and its
// body to enqueue.
type NewRouterFunc func(secret string, store clerkhook.UserStore, enqueue func(ctx context.Context, evt *clerkhook.Event, body []byte) error, logger *slog.Logger) (http.Handler, error)

// queued is what the handler behind the Middleware passed on.
type queued struct {
	event *clerkhook.Event
	body  []byte
}

// fakeQueue records what it is given, or fails with err. The handlers
// call it before ServeHTTP returns, so the test reads it without locking.
type fakeQueue struct {
	err   error
	items []queued
}

func (q *fakeQueue) enqueue(_ context.Context, evt *clerkhook.Event, body []byte) error {
	if q.err != nil {
		return q.err
	}
	q.items = append(q.items, queued{event: evt, body: body})
	return nil
}

// Run checks that the router newRouter builds answers a signed user.created
// 200 and writes it to the store, answers a forged one 401, and lets the
// handler behind the Middleware read the verified event and the body.
func Run(t *testing.T, newRouter NewRouterFunc) {
	secret := clerkhooktest.NewSecret()
	forger := clerkhooktest.NewSecret()
	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_2routertest" })
	require.NoError(t, err)
	payload, err := json.Marshal(evt)
	require.NoError(t, err)

	signed := func(t *testing.T, target string) *http.Request {
		return clerkhooktest.NewRequest(t, secret, payload, clerkhooktest.WithDeliveryID(evt.ID), clerkhooktest.WithTarget(target))
	}
	forged := func(t *testing.T, target string) *http.Request {
		return clerkhooktest.NewRequest(t, forger, payload, clerkhooktest.WithDeliveryID(evt.ID), clerkhooktest.WithTarget(target))
	}
	unsigned := func(t *testing.T, target string) *http.Request {
		r := signed(t, target)
		r.Header.Del("Svix-Signature")
		return r
	}

	tests := []struct {
		name     string
		target   string
		request  func(t *testing.T, target string) *http.Request
		queueErr error
		status   int
		stored   bool
		queued   bool
	}{
		{name: "handler/signed", target: "/webhooks/clerk", request: signed, status: http.StatusOK, stored: true},
		{name: "handler/forged", target: "/webhooks/clerk", request: forged, status: http.StatusUnauthorized},
		{name: "handler/unsigned", target: "/webhooks/clerk", request: unsigned, status: http.StatusBadRequest},
		{name: "middleware/signed", target: "/webhooks/clerk/queue", request: signed, status: http.StatusAccepted, queued: true},
		{name: "middleware/forged", target: "/webhooks/clerk/queue", request: forged, status: http.StatusUnauthorized},
		{name: "middleware/unsigned", target: "/webhooks/clerk/queue", request: unsigned, status: http.StatusBadRequest},
		{name: "middleware/queue down", target: "/webhooks/clerk/queue", request: signed, queueErr: errors.New("queue down"), status: http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := clerkhook.NewMemoryStore()
			q := &fakeQueue{err: tt.queueErr}
			router, err := newRouter(secret, store, q.enqueue, slog.New(slog.NewTextHandler(io.Discard, nil)))
			require.NoError(t, err)

			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, tt.request(t, tt.target))
			require.Equal(t, tt.status, rec.Code, "body %q", rec.Body.String())

			u, err := store.User(context.Background(), "user_2routertest")
			if tt.stored {
				require.NoError(t, err)
				assert.Equal(t, "user_2routertest", u.ID)
			} else {
				assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
			}

			if !tt.queued {
				assert.Empty(t, q.items)
				return
			}
			require.Len(t, q.items, 1)
			got := q.items[0]
			assert.Equal(t, evt.ID, got.event.ID)
			assert.Equal(t, clerkhook.EventUserCreated, got.event.Type)
			assert.Equal(t, payload, got.body, "the body must reach the handler as signed")
		})
	}

	t.Run("handler/redelivery", func(t *testing.T) {
		router, err := newRouter(secret, clerkhook.NewMemoryStore(), (&fakeQueue{}).enqueue, slog.New(slog.NewTextHandler(io.Discard, nil)))
		require.NoError(t, err)
		for _, want := range []string{"processed\n", "duplicate\n"} {
			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, signed(t, "/webhooks/clerk"))
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, want, rec.Body.String())
		}
	})

	t.Run("invalid secret", func(t *testing.T) {
		_, err := newRouter("not a secret", clerkhook.NewMemoryStore(), (&fakeQueue{}).enqueue, slog.New(slog.NewTextHandler(io.Discard, nil)))
		assert.ErrorIs(t, err, clerkhook.ErrInvalidSecret)
	})
}
