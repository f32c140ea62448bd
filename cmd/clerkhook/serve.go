package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// The server's timeouts. A delivery is small and the handler answers
// within its own 10-second deadline, so reads and writes can be short;
// shutdown waits for the deliveries in progress.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 20 * time.Second
	idleTimeout       = 60 * time.Second
	shutdownTimeout   = 20 * time.Second
	healthTimeout     = 2 * time.Second
)

// runServe serves the webhook handler until ctx is done.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("serve", "[-addr :8080] [-secret S | -dev] [-database-url URL] [-log-format text|json]",
		`Serve runs the clerkhook webhook handler on POST /webhooks/clerk, and a
health check on GET /healthz, until it is interrupted (SIGINT or SIGTERM);
then it finishes the deliveries in progress and exits.

It keeps the users, organizations and memberships in memory, or in the
database of -database-url, whose tables it creates or migrates first: a
PostgreSQL URL (postgres://user:pass@host:port/db), a MySQL or MariaDB one
(mysql://user:pass@host:port/db), or sqlite:PATH for a
SQLite file (sqlite:clerk.db, sqlite:/var/lib/clerk.db), which a single
process that must keep its data across restarts needs, and nothing more.
It logs one line per delivery, never the secret or personal data.

During a rotation of the signing secret, give the old and the new one,
separated by a comma or a space, in -secret or CLERK_WEBHOOK_SECRET. At
start-up it logs the fingerprint of each secret (the first 8 hex digits of
the SHA-256 of its key), which the log line of each delivery repeats for
the secret that verified it.

For local development, "clerkhook serve -dev" makes up a signing secret and
prints it with the "clerkhook send" command that delivers a test event, and
answers GET /users/{id} with the user the store holds, as JSON. That answer
is personal data without any authentication, so -dev listens on
127.0.0.1:8080 unless -addr names another address.`)
	addr := f.String("addr", ":8080", "the address to listen on; 127.0.0.1:0 picks a free port")
	secretFlag := f.String("secret", "", "the endpoint's signing secret, whsec_…, or several separated by commas (default $CLERK_WEBHOOK_SECRET)")
	dev := f.Bool("dev", false, "development mode: without a secret, make one up and print it (on stderr); answer GET /users/{id}")
	databaseFlag := f.String("database-url", "", "the database to keep the data in: a postgres:// or mysql:// URL, or sqlite:PATH (default $DATABASE_URL; without either, memory)")
	schema := f.String("schema", pgxstore.DefaultSchema, "the PostgreSQL schema of the tables")
	logFormat := f.String("log-format", "text", "the format of the log on stderr: text or json")
	if code, ok := f.parse(args, stdout, stderr); !ok {
		return code
	}

	var logHandler slog.Handler
	switch *logFormat {
	case "text":
		logHandler = slog.NewTextHandler(stderr, nil)
	case "json":
		logHandler = slog.NewJSONHandler(stderr, nil)
	default:
		return usageError(stderr, f, "-log-format %q: want text or json", *logFormat)
	}
	logger := slog.New(logHandler)

	secrets := splitSecrets(fromEnv(*secretFlag, "CLERK_WEBHOOK_SECRET"))
	madeUp := false
	if len(secrets) == 0 {
		if !*dev {
			return usageError(stderr, f, "no signing secret: pass -secret or set CLERK_WEBHOOK_SECRET to your endpoint's Signing Secret "+
				"(Clerk Dashboard → Webhooks → your endpoint → Signing Secret); for local development, pass -dev to make one up, "+
				"or run \"clerkhook secret\"")
		}
		secrets, madeUp = []string{clerkhooktest.NewSecret()}, true
	}
	secret, rotation := secrets[0], clerkhook.WithAdditionalSecrets(secrets[1:]...)
	verifier, err := clerkhook.NewVerifier(secret, rotation)
	if err != nil {
		return usageError(stderr, f, "%v", err)
	}
	logger.Info("signing secrets", "fingerprints", strings.Join(verifier.SecretFingerprints(), ","))

	var store clerkhook.UserStore
	var health func(context.Context) error
	databaseURL := fromEnv(*databaseFlag, "DATABASE_URL")
	if databaseURL != "" {
		db, err := openDatabase(ctx, databaseURL, *schema)
		if err != nil {
			return fail(stderr, f, "%v", err)
		}
		defer db.close()
		store, health = db.store, db.health
		logger.LogAttrs(ctx, slog.LevelInfo, "using "+db.kind, db.attr)
	} else {
		store = clerkhook.NewMemoryStore()
		logger.Info("using an in-memory store: its contents are lost when the server stops; pass -database-url to keep them")
	}
	webhook, err := clerkhook.NewHandler(secret, store, rotation, clerkhook.WithLogger(logger))
	if err != nil {
		return fail(stderr, f, "%v", err)
	}

	ln, err := net.Listen("tcp", listenAddress(*addr, f.given("addr"), *dev))
	if err != nil {
		return fail(stderr, f, "%v", err)
	}
	srv := &http.Server{
		Handler:           newServeMux(webhook, health, devReader(*dev, store), logger),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logHandler, slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "webhook", "POST /webhooks/clerk", "health", "GET /healthz")
	if madeUp {
		url := "http://" + loopback(ln.Addr()) + "/webhooks/clerk"
		fmt.Fprintf(stderr, "\n-dev: made up the signing secret %s\nSend a test delivery with:\n\n  clerkhook send -url %s -secret %s -type user.created\n\n"+
			"or, from a checkout of clerkhook:\n\n  go run ./cmd/clerkhook send -url %s -secret %s -type user.created\n\n",
			secret, url, secret, url, secret)
	}
	if *dev {
		logger.Info("development mode: GET /users/{id} answers with the stored user")
	}

	select {
	case err := <-served:
		return fail(stderr, f, "%v", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fail(stderr, f, "shutting down: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fail(stderr, f, "%v", err)
	}
	return exitOK
}

// devReader returns the reader of GET /users/{id}: the store in
// development mode, when it reads users, and nil otherwise.
func devReader(dev bool, store clerkhook.UserStore) clerkhook.UserReader {
	if r, ok := store.(clerkhook.UserReader); ok && dev {
		return r
	}
	return nil
}

// newServeMux routes the webhook and the health check. health, when not
// nil, checks the database; users, when not nil, answers GET /users/{id}.
func newServeMux(webhook http.Handler, health func(context.Context) error, users clerkhook.UserReader, logger *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", webhook)
	if users != nil {
		mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
			u, err := users.User(r.Context(), r.PathValue("id"))
			switch {
			case errors.Is(err, clerkhook.ErrUserNotFound):
				http.Error(w, "not found", http.StatusNotFound)
				return
			case err != nil:
				logger.Error("reading a user failed", "error", err)
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.Encode(u)
		})
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if health != nil {
			ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
			defer cancel()
			if err := health(ctx); err != nil {
				logger.Error("health check failed", "error", err)
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, "unavailable\n")
				return
			}
		}
		io.WriteString(w, "ok\n")
	})
	return mux
}

// loopback returns the address to reach addr from this machine: its
// loopback address when addr listens on every interface.
func loopback(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// listenAddress is the address serve listens on: addr, or in development
// mode, unless -addr was given, the loopback port 8080, so that GET
// /users/{id} is not reachable from other machines.
func listenAddress(addr string, given, dev bool) string {
	if dev && !given {
		return "127.0.0.1:8080"
	}
	return addr
}
