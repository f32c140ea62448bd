// Command nethttp is a webhook receiver on the standard library's ServeMux:
// the handler keeps an in-memory copy of the Clerk instance's users, a
// second route reads one back, and GET /healthz answers a load balancer's
// or an orchestrator's health checks. It reads the signing secret from
// CLERK_WEBHOOK_SECRET and the port from PORT (default 8080).
//
//	CLERK_WEBHOOK_SECRET=whsec_... go run ./examples/nethttp
package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/clerkhook/clerkhook"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(logger); err != nil {
		logger.Error("nethttp", "error", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	secret := os.Getenv("CLERK_WEBHOOK_SECRET")
	if secret == "" {
		return errors.New("set CLERK_WEBHOOK_SECRET to the endpoint's signing secret from the Clerk Dashboard (Webhooks, your endpoint, Signing Secret)")
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}

	mux, err := newMux(secret, logger)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      20 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errs := make(chan error, 1)
	go func() { errs <- srv.ListenAndServe() }()
	logger.Info("listening", "addr", srv.Addr, "webhook", "POST /webhooks/clerk", "health", "GET /healthz")
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// newMux routes the webhook, the read-back endpoint and the health check.
func newMux(secret string, logger *slog.Logger) (*http.ServeMux, error) {
	store := clerkhook.NewMemoryStore()
	webhook, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", webhook)
	// The store is in memory: when the process answers, it works. A
	// service on a database would ping it here.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		u, err := store.User(r.Context(), r.PathValue("id"))
		if errors.Is(err, clerkhook.ErrUserNotFound) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": u.ID, "name": u.FullName(), "email": u.PrimaryEmail()})
	})
	return mux, nil
}
