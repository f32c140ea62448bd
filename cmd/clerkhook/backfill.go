package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// runBackfill copies Clerk's users into PostgreSQL.
func runBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("backfill", "-database-url URL [-api-key sk_…] [-reconcile] [-page-size N] [-base-url URL]",
		`Backfill copies the users Clerk already has into the PostgreSQL database
that "clerkhook serve" or a service with package pgxstore keeps them in:
webhooks only tell of changes made after the endpoint was created. Start the
webhook endpoint first, so that no change falls between the two; the newer
version of a user always wins, so running both at once is safe, and running
backfill again is harmless.

It lists the users through Clerk's Backend API, 500 at a time, waiting when
the API's rate limit says so, and shows its progress against the count of
users the API gives, with the rate and the time left: on one line redrawn
in place on a terminal, and a line per page otherwise. The secret key is the instance's, from the
Clerk Dashboard (Configure → API keys); prefer CLERK_SECRET_KEY to -api-key,
which other users of the machine can see in the process list.

With -reconcile, after a complete listing it deletes the stored users that
Clerk no longer has, asking Clerk about each one before deleting it.`)
	databaseFlag := f.String("database-url", "", "the PostgreSQL database (default $DATABASE_URL)")
	schema := f.String("schema", pgxstore.DefaultSchema, "the PostgreSQL schema of the tables")
	keyFlag := f.String("api-key", "", "the instance's secret key, sk_live_… or sk_test_… (default $CLERK_SECRET_KEY)")
	baseURL := f.String("base-url", clerkhook.DefaultBackendAPIURL, "the Backend API's base URL")
	reconcile := f.Bool("reconcile", false, "delete the stored users Clerk no longer has, after a complete listing")
	pageSize := f.Int("page-size", clerkhook.MaxBackfillPageSize, "users per request, from 1 to 500")
	if code, ok := f.parse(args, stdout, stderr); !ok {
		return code
	}

	databaseURL := fromEnv(*databaseFlag, "DATABASE_URL")
	if databaseURL == "" {
		return usageError(stderr, f, "no database: pass -database-url or set DATABASE_URL")
	}
	key := fromEnv(*keyFlag, "CLERK_SECRET_KEY")
	if key == "" {
		return usageError(stderr, f, "no secret key: set CLERK_SECRET_KEY (or pass -api-key) to the instance's Secret Key "+
			"from the Clerk Dashboard (Configure → API keys)")
	}
	api, err := clerkhook.NewBackendAPI(key, clerkhook.WithBackendURL(*baseURL))
	if err != nil {
		return usageError(stderr, f, "%v", err)
	}
	progress := newProgress(stderr, time.Now)
	opts := []clerkhook.BackfillOption{clerkhook.WithProgress(progress.update)}
	if *pageSize < 1 || *pageSize > clerkhook.MaxBackfillPageSize {
		return usageError(stderr, f, "-page-size %d: want 1 to %d", *pageSize, clerkhook.MaxBackfillPageSize)
	}
	opts = append(opts, clerkhook.WithPageSize(*pageSize))
	if *reconcile {
		opts = append(opts, clerkhook.WithReconcile())
	}

	store, pool, err := openPostgres(ctx, databaseURL, *schema)
	if err != nil {
		return fail(stderr, f, "%v", err)
	}
	defer pool.Close()
	if progress.total, err = api.CountUsers(ctx); err != nil {
		fmt.Fprintf(stderr, "%s: progress without a total: %v\n", f.Name(), err)
	}
	report, err := clerkhook.Backfill(ctx, api, store, opts...)
	progress.done()
	fmt.Fprintf(stdout, "pages:   %d\nseen:    %d\nwritten: %d\nstale:   %d\ndeleted: %d\n",
		report.Pages, report.Seen, report.Written, report.Stale, report.Deleted)
	switch {
	case err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fail(stderr, f, "interrupted; what was written stays, and running backfill again is harmless")
	case err != nil:
		return fail(stderr, f, "%v", err)
	}
	return exitOK
}
