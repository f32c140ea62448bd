// Command river sends each user who signs up one welcome mail, through a
// River job that commits with the user, in pgxstore's transaction.
//
// The store's change hook runs inside the transaction that stores a user
// created by a Clerk delivery and inserts the job there with River's
// InsertTx: the user and the job commit together or not at all, and since
// the store reports a user as created once, however often and in whatever
// order Clerk delivers, the user gets one job. A River worker sends the
// mail, reading the address from clerk_users when it runs.
//
// Settings:
//
//	-database-url  the PostgreSQL connection string; DATABASE_URL, or the tests' database when unset
//	-addr          the address to listen on; :8080
//	-smtp          the SMTP server (host:port) that sends the mails; without it, each mail is a line on
//	               standard output, without the address
//	-smtp-from     the mails' sender address
//	-schema        the schema of pgxstore's tables; public
//	-river-schema  the schema of River's tables, a plain identifier; the search_path's first when unset
//	CLERK_WEBHOOK_SIGNING_SECRET  the endpoint's signing secret, "whsec_..."
//	SMTP_USERNAME, SMTP_PASSWORD  the SMTP server's credentials, if it wants them
//
// It creates or upgrades pgxstore's tables and River's at start-up, serves
// the endpoint at POST /webhooks/clerk, and on SIGINT or SIGTERM finishes
// the requests and the jobs in flight before it exits. Any number of
// copies may run against the same database.
//
//	CLERK_WEBHOOK_SIGNING_SECRET=whsec_... go run .
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// defaultDatabaseURL is the database of the tests, for a first run.
const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// shutdownTimeout bounds how long the requests and jobs in flight may take
// to finish at shutdown.
const shutdownTimeout = 20 * time.Second

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, logger); err != nil {
		logger.Error("exiting", slog.Any("error", err))
		stop()
		os.Exit(1)
	}
}

// run parses the settings, sets the service up and serves until ctx is
// done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("river", flag.ContinueOnError)
	fs.SetOutput(stderr)
	databaseURL := fs.String("database-url", cmp.Or(getenv("DATABASE_URL"), defaultDatabaseURL), "the PostgreSQL connection string")
	addr := fs.String("addr", ":8080", "the address to listen on")
	smtpAddr := fs.String("smtp", "", "the SMTP server, host:port")
	smtpFrom := fs.String("smtp-from", "welcome@example.com", "the mails' sender address")
	schema := fs.String("schema", pgxstore.DefaultSchema, "the schema of pgxstore's tables")
	riverSchema := fs.String("river-schema", "", "the schema of River's tables, a plain identifier; the search_path's first when empty")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secret := getenv("CLERK_WEBHOOK_SIGNING_SECRET")
	if secret == "" {
		return errors.New("set CLERK_WEBHOOK_SIGNING_SECRET to the endpoint's signing secret from the Clerk Dashboard (Webhooks, your endpoint, Signing Secret)")
	}
	var mailer Mailer = &stdoutMailer{w: stdout}
	if *smtpAddr != "" {
		m := &smtpMailer{addr: *smtpAddr, from: *smtpFrom, now: time.Now}
		if user := getenv("SMTP_USERNAME"); user != "" {
			host, _, err := net.SplitHostPort(*smtpAddr)
			if err != nil {
				return fmt.Errorf("-smtp %q: %w", *smtpAddr, err)
			}
			m.auth = smtp.PlainAuth("", user, getenv("SMTP_PASSWORD"), host)
		}
		mailer = m
	}

	pool, err := pgxpool.New(ctx, *databaseURL)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer pool.Close()
	r, err := newReplica(config{
		pool: pool, riverPool: pool, schema: *schema, riverSchema: *riverSchema,
		secret: secret, mailer: mailer, logger: logger,
	})
	if err != nil {
		return err
	}
	migrateCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err = migrate(migrateCtx, pool, r.store, *riverSchema, logger)
	cancel()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	return serve(ctx, ln, r, logger)
}

// serve works the jobs and answers the deliveries on ln until ctx is done,
// then lets the requests and the jobs in flight finish.
func serve(ctx context.Context, ln net.Listener, r *replica, logger *slog.Logger) error {
	// The jobs outlive ctx: a stop waits for the running ones, below,
	// where cancelling the context Start got would cancel them.
	if err := r.jobs.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return fmt.Errorf("river: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", r.handler)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		// Longer than the Handler's own deadline, so that it is the one
		// that answers a slow delivery.
		WriteTimeout: clerkhook.DefaultTimeout + 5*time.Second,
		IdleTimeout:  time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("webhook", "POST /webhooks/clerk"))
	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	// The requests first: a delivery that finishes may queue one more job.
	return errors.Join(err, srv.Shutdown(shutdown), r.jobs.Stop(shutdown))
}
