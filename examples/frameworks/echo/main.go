// Command echo receives Clerk's webhooks on an Echo server, both ways
// clerkhook offers:
//
//   - POST /webhooks/clerk: the clerkhook Handler, wrapped with
//     echo.WrapHandler, verifies each delivery and syncs the users into a
//     store.
//   - POST /webhooks/clerk/queue: clerkhook.Middleware, wrapped with
//     echo.WrapMiddleware, verifies each delivery and a handler of one's
//     own reads the event from the request's context and hands it to a
//     queue.
//
// It reads the signing secret from CLERK_WEBHOOK_SECRET and listens on
// :8080.
//
//	CLERK_WEBHOOK_SECRET=whsec_... go run ./echo
package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/clerkhook/clerkhook"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	secret := os.Getenv("CLERK_WEBHOOK_SECRET")
	if secret == "" {
		logger.Error("set CLERK_WEBHOOK_SECRET to the endpoint's signing secret from the Clerk Dashboard")
		os.Exit(1)
	}
	e, err := newRouter(secret, clerkhook.NewMemoryStore(), logEnqueue(logger), logger)
	if err != nil {
		logger.Error("echo", "error", err)
		os.Exit(1)
	}
	srv := &http.Server{
		Addr:              ":8080",
		Handler:           e,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      20 * time.Second,
	}
	logger.Info("listening", "addr", srv.Addr)
	if err := srv.ListenAndServe(); err != nil {
		logger.Error("echo", "error", err)
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
	e := echo.New()
	e.Use(middleware.Recover())
	e.POST("/webhooks/clerk", echo.WrapHandler(h))
	e.POST("/webhooks/clerk/queue", queue(enqueue), echo.WrapMiddleware(clerkhook.Middleware(v)))
	return e, nil
}

// queue is a handler of one's own behind clerkhook.Middleware: it passes
// the verified event, with the body exactly as Clerk sent it, to enqueue,
// and answers 202 once the delivery is queued. A failure, which enqueue
// logs, is answered 503 so that Clerk delivers again later.
func queue(enqueue func(ctx context.Context, evt *clerkhook.Event, body []byte) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		evt, ok := clerkhook.EventFromContext(r.Context())
		if !ok {
			// Only a routing mistake gets here: never answer 2xx unverified.
			return echo.NewHTTPError(http.StatusInternalServerError)
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest)
		}
		if err := enqueue(r.Context(), evt, body); err != nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable)
		}
		return c.NoContent(http.StatusAccepted)
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
