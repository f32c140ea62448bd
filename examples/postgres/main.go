// Command postgres receives Clerk's webhooks and keeps a copy of the
// instance's users, organizations and memberships in PostgreSQL, with
// package pgxstore.
//
// It reads its settings from the environment:
//
//	DATABASE_URL          the PostgreSQL connection string, as pgx reads it
//	CLERK_WEBHOOK_SECRET  the endpoint's signing secret, "whsec_..."
//	PORT                  the port to listen on; 8080 when unset
//
// It creates or upgrades the tables at start-up, serves the endpoint at
// POST /webhooks/clerk, forgets processed deliveries after three days,
// and on SIGINT or SIGTERM finishes the requests in flight before it exits.
// Any number of copies may run against the same database.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// retention is how long processed deliveries are remembered: longer than
// Clerk's retry schedule, so that a late retry is recognized.
const retention = 72 * time.Hour

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(logger); err != nil {
		logger.Error("exiting", slog.Any("error", err))
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dsn, secret := os.Getenv("DATABASE_URL"), os.Getenv("CLERK_WEBHOOK_SECRET")
	if dsn == "" || secret == "" {
		return errors.New("DATABASE_URL and CLERK_WEBHOOK_SECRET must be set")
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}

	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer pool.Close()
	store := pgxstore.New(pool)
	migrateCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err = store.Migrate(migrateCtx)
	cancel()
	if err != nil {
		return err
	}

	h, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(logger))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", h)
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		// Longer than the Handler's own deadline (clerkhook.DefaultTimeout),
		// so that it is the one that answers a slow delivery.
		WriteTimeout: clerkhook.DefaultTimeout + 5*time.Second,
		IdleTimeout:  time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	go prune(ctx, logger, store)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	logger.Info("listening", slog.String("addr", srv.Addr))
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// prune forgets old deliveries every hour until ctx is done. Every replica
// may run it: the deletes do not conflict.
func prune(ctx context.Context, logger *slog.Logger, store *pgxstore.Store) {
	ticker := time.NewTicker(time.Hour)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		n, err := store.Prune(ctx, retention)
		if err != nil {
			logger.Error("pruning deliveries", slog.Any("error", err))
			continue
		}
		logger.Info("pruned deliveries", slog.Int64("deleted", n))
	}
}
