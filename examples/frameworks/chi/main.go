// Command chi receives Clerk's webhooks on a chi router, both ways
// clerkhook offers:
//
//   - POST /webhooks/clerk: the clerkhook Handler verifies each delivery
//     and syncs the users into a store.
//   - POST /webhooks/clerk/queue: clerkhook.Middleware, a plain
//     func(http.Handler) http.Handler that chi takes as it is, verifies
//     each delivery and a handler of one's own hands it to a queue.
//
// It reads the signing secret from CLERK_WEBHOOK_SECRET and listens on
// :8080.
//
//	CLERK_WEBHOOK_SECRET=whsec_... go run ./chi
package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/clerkhook/clerkhook"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	secret := os.Getenv("CLERK_WEBHOOK_SECRET")
	if secret == "" {
		logger.Error("set CLERK_WEBHOOK_SECRET to the endpoint's signing secret from the Clerk Dashboard")
		os.Exit(1)
	}
	r, err := newRouter(secret, clerkhook.NewMemoryStore(), logEnqueue(logger), logger)
	if err != nil {
		logger.Error("chi", "error", err)
		os.Exit(1)
	}
	srv := &http.Server{
		Addr:              ":8080",
		Handler:           r,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      20 * time.Second,
	}
	logger.Info("listening", "addr", srv.Addr)
	if err := srv.ListenAndServe(); err != nil {
		logger.Error("chi", "error", err)
		os.Exit(1)
	}
}

// newRouter mounts the Handler, which writes to store, and the
// Middleware, whose handler passes each verified delivery to enqueue.
func newRouter(secret string, store clerkhook.UserStore, enqueue func(ctx context.Context, evt *clerkhook.Event, body []byte) error, logger *slog.Logger) (http.Handler, error) {
	h, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	v, err := clerkhook.NewVerifier(secret)
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Method(http.MethodPost, "/webhooks/clerk", h)
	r.With(clerkhook.Middleware(v)).Post("/webhooks/clerk/queue", queue(enqueue))
	return r, nil
}

// queue is a handler of one's own behind clerkhook.Middleware: it passes
// the verified event, with the body exactly as Clerk sent it, to enqueue,
// and answers 202 once the delivery is queued. A failure, which enqueue
// logs, is answered 503 so that Clerk delivers again later.
func queue(enqueue func(ctx context.Context, evt *clerkhook.Event, body []byte) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		evt, ok := clerkhook.EventFromContext(r.Context())
		if !ok {
			// Only a routing mistake gets here: never answer 2xx unverified.
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
			return
		}
		if err := enqueue(r.Context(), evt, body); err != nil {
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}
}

// logEnqueue stands in for a real queue: it logs what it would publish,
// without the body, which holds personal data.
func logEnqueue(logger *slog.Logger) func(ctx context.Context, evt *clerkhook.Event, body []byte) error {
	return func(ctx context.Context, evt *clerkhook.Event, body []byte) error {
		logger.InfoContext(ctx, "queued", "delivery_id", evt.ID, "event_type", evt.Type, "bytes", len(body))
		return nil
	}
}
