// Command gin receives Clerk's webhooks on a gin engine, both ways
// clerkhook offers:
//
//   - POST /webhooks/clerk: the clerkhook Handler, wrapped with gin.WrapH,
//     verifies each delivery and syncs the users into a store.
//   - POST /webhooks/clerk/queue: verifyClerk, gin middleware over
//     clerkhook.Middleware, verifies each delivery and puts the event in
//     the gin context, where a handler of one's own takes it to a queue.
//
// It reads the signing secret from CLERK_WEBHOOK_SECRET and listens on
// :8080; GIN_MODE=release silences gin's debug output.
//
//	CLERK_WEBHOOK_SECRET=whsec_... go run ./gin
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

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
		logger.Error("gin", "error", err)
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
		logger.Error("gin", "error", err)
		os.Exit(1)
	}
}

// newRouter mounts the Handler, which writes to store, and verifyClerk,
// whose handler passes each verified delivery to enqueue. It leaves out
// gin.Logger, whose lines carry client IP addresses; the Handler logs
// each delivery without them.
func newRouter(secret string, store clerkhook.UserStore, enqueue func(ctx context.Context, evt *clerkhook.Event, body []byte) error, logger *slog.Logger) (http.Handler, error) {
	h, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	v, err := clerkhook.NewVerifier(secret)
	if err != nil {
		return nil, err
	}
	r := gin.New()
	r.Use(gin.Recovery())
	r.POST("/webhooks/clerk", gin.WrapH(h))
	r.POST("/webhooks/clerk/queue", verifyClerk(v), queue(enqueue))
	return r, nil
}

// eventKey is the key of the verified event in the gin context.
const eventKey = "clerk.event"

// verifyClerk returns gin middleware with the semantics of
// clerkhook.Middleware: it answers what the middleware refuses with the
// same status and stops the chain; otherwise it sets the verified
// *clerkhook.Event under eventKey, for c.MustGet, and leaves the body
// readable for the handlers after it.
//
// The signature covers the exact bytes of the body, so nothing may read
// the body before verifyClerk: put it ahead of any middleware that does
// (body loggers, decompressors) and of c.ShouldBind or c.GetRawData.
func verifyClerk(v *clerkhook.Verifier) gin.HandlerFunc {
	verify := clerkhook.Middleware(v)
	return func(c *gin.Context) {
		verified := false
		verify(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			verified = true
			evt, _ := clerkhook.EventFromContext(r.Context())
			// r carries the event in its context and a fresh reader of
			// the body the middleware has read.
			c.Request = r
			c.Set(eventKey, evt)
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
		if !verified {
			c.Abort()
		}
	}
}

// queue is a handler of one's own behind verifyClerk: it passes the
// verified event, with the body exactly as Clerk sent it, to enqueue, and
// answers 202 once the delivery is queued. A failure, which enqueue logs,
// is answered 503 so that Clerk delivers again later.
func queue(enqueue func(ctx context.Context, evt *clerkhook.Event, body []byte) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		evt := c.MustGet(eventKey).(*clerkhook.Event)
		body, err := c.GetRawData()
		if err != nil {
			c.AbortWithStatus(http.StatusBadRequest)
			return
		}
		if err := enqueue(c.Request.Context(), evt, body); err != nil {
			c.AbortWithStatus(http.StatusServiceUnavailable)
			return
		}
		c.Status(http.StatusAccepted)
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
