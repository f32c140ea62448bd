// Command owntable keeps an application's own users table in step with
// Clerk: a pgxstore change hook writes app_users in the transaction of
// pgxstore's guarded write to clerk_users, so that the app's table gets
// pgxstore's ordering, tombstones and deduplication without code of its
// own, and the two tables never disagree.
//
// app_users has the app's own key, which its projects table references,
// and a column the app owns (plan), which the sync never writes. A user's
// projects go with the user. At start-up the program creates or upgrades
// the store's tables and the app's; any number of copies may run against
// the same database. It serves the endpoint at POST /webhooks/clerk and
// reads the endpoint's signing secret from CLERK_WEBHOOK_SIGNING_SECRET:
//
//	CLERK_WEBHOOK_SIGNING_SECRET=whsec_... go run . -database-url postgres://...
//
// It does not prune the delivery ledger; examples/postgres shows how.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// defaultDatabaseURL is the server the repository's tests use.
const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// config is what the command line and the environment set.
type config struct {
	databaseURL string
	schema      string
	addr        string
	secret      string
}

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "owntable:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, logger); err != nil {
		logger.Error("exiting", slog.Any("error", err))
		os.Exit(1)
	}
}

// parseConfig reads the flags in args and the secret from the environment.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("owntable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.databaseURL, "database-url", defaultDatabaseURL, "the PostgreSQL database, as pgx reads it")
	fs.StringVar(&cfg.schema, "schema", pgxstore.DefaultSchema, "the schema of the store's tables and the app's")
	fs.StringVar(&cfg.addr, "addr", ":8080", "the address to listen on")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.secret = getenv("CLERK_WEBHOOK_SIGNING_SECRET")
	if cfg.secret == "" {
		return config{}, errors.New("set CLERK_WEBHOOK_SIGNING_SECRET to the endpoint's signing secret from the Clerk Dashboard (Webhooks, your endpoint, Signing Secret)")
	}
	return cfg, nil
}

// run serves the webhook on cfg.addr until ctx is done.
func run(ctx context.Context, cfg config, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	return serve(ctx, ln, cfg, logger)
}

// serve migrates the database and serves the webhook on ln until ctx is
// done, then finishes the requests in flight.
func serve(ctx context.Context, ln net.Listener, cfg config, logger *slog.Logger) error {
	defer ln.Close()
	pool, err := pgxpool.New(ctx, cfg.databaseURL)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer pool.Close()
	migrateCtx, cancel := context.WithTimeout(ctx, time.Minute)
	h, err := setup(migrateCtx, pool, cfg.schema, cfg.secret, logger)
	cancel()
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		// Longer than the Handler's own deadline, so that it is the one
		// that answers a slow delivery.
		WriteTimeout: clerkhook.DefaultTimeout + 5*time.Second,
		IdleTimeout:  time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("webhook", "POST /webhooks/clerk"))
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// setup creates or upgrades the store's tables and the app's in schema, and
// returns the webhook endpoint, whose store keeps app_users in step.
func setup(ctx context.Context, pool *pgxpool.Pool, schema, secret string, logger *slog.Logger) (http.Handler, error) {
	a := newApp(schema)
	store := pgxstore.New(pool, pgxstore.WithSchema(schema), pgxstore.WithChangeHook(a.hook))
	if err := store.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := a.migrate(ctx, pool); err != nil {
		return nil, err
	}
	webhook, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", webhook)
	return mux, nil
}
