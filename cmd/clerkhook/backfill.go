package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// runBackfill copies Clerk's users into the database serve keeps them in.
func runBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("backfill", "-database-url URL [-api-key sk_…] [-instance ins_…] [-reconcile [-max-deletions N]] [-dry-run] [-page-size N] [-base-url URL]",
		`Backfill copies the users Clerk already has into the database that
"clerkhook serve" or a service with one of the store packages keeps them in
(PostgreSQL, MySQL or SQLite, as for serve's -database-url):
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
Clerk no longer has, asking Clerk about each one before deleting it. A
deletion is final, so it deletes nothing after an empty listing, nor when
more than 5% of the stored users (at least 3) are missing from it, as with
the key of another instance: it says how many, and -max-deletions N allows
them. -dry-run lists and compares but writes nothing, and prints the ids of
the users -reconcile would delete. -instance checks first that the key is
the instance's whose webhooks fill the database (its id is the instance_id
of every delivery, and in the Clerk Dashboard).`)
	databaseFlag := f.String("database-url", "", "the database to fill: a postgres:// or mysql:// URL, or sqlite:PATH (default $DATABASE_URL)")
	schema := f.String("schema", pgxstore.DefaultSchema, "the PostgreSQL schema of the tables")
	keyFlag := f.String("api-key", "", "the instance's secret key, sk_live_… or sk_test_… (default $CLERK_SECRET_KEY)")
	baseURL := f.String("base-url", clerkhook.DefaultBackendAPIURL, "the Backend API's base URL")
	reconcile := f.Bool("reconcile", false, "delete the stored users Clerk no longer has, after a complete listing")
	maxDeletions := f.Int("max-deletions", -1, "with -reconcile, the most users it may delete (default 5% of the stored users, at least 3)")
	dryRun := f.Bool("dry-run", false, "list and compare, but write and delete nothing; print the users -reconcile would delete")
	instance := f.String("instance", "", "the instance id, ins_…, that the secret key must belong to")
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
	if *maxDeletions != -1 {
		if !*reconcile || *maxDeletions < 0 {
			return usageError(stderr, f, "-max-deletions %d: want 0 or more, with -reconcile", *maxDeletions)
		}
		opts = append(opts, clerkhook.WithMaxReconcileDeletions(*maxDeletions))
	}
	if *dryRun {
		opts = append(opts, clerkhook.WithDryRun())
	}
	if *instance != "" {
		if !strings.HasPrefix(*instance, "ins_") {
			return usageError(stderr, f, "-instance: want an instance id, ins_…")
		}
		opts = append(opts, clerkhook.WithInstanceID(*instance))
	}

	db, err := openDatabase(ctx, databaseURL, *schema)
	if err != nil {
		return fail(stderr, f, "%v", err)
	}
	defer db.close()
	if progress.total, err = api.CountUsers(ctx); err != nil {
		fmt.Fprintf(stderr, "%s: progress without a total: %v\n", f.Name(), err)
	}
	report, err := clerkhook.Backfill(ctx, api, db.store, opts...)
	progress.done()
	fmt.Fprintf(stdout, "pages:   %d\nseen:    %d\nwritten: %d\nstale:   %d\ndeleted: %d\n",
		report.Pages, report.Seen, report.Written, report.Stale, report.Deleted)
	if *reconcile {
		fmt.Fprintf(stdout, "missing: %d\n", report.Missing)
	}
	if len(report.Anomalies) > 0 {
		// Places in the schema, never values: they may be printed.
		fmt.Fprintf(stdout, "values left at zero, which did not fit their fields (Raw keeps them):\n")
		for _, p := range report.Anomalies {
			fmt.Fprintf(stdout, "  %s\n", p)
		}
	}
	if *reconcile && *dryRun && err == nil {
		// Clerk's ids say nothing about the person: they may be printed.
		fmt.Fprintf(stdout, "would delete: %d\n", len(report.WouldDelete))
		for _, id := range report.WouldDelete {
			fmt.Fprintf(stdout, "  %s\n", id)
		}
	}
	switch {
	case err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fail(stderr, f, "interrupted; what was written stays, and running backfill again is harmless")
	case errors.Is(err, clerkhook.ErrTooManyDeletions):
		return fail(stderr, f, "%v\nWith this command: -max-deletions %d allows them; add -dry-run to list them first.", err, report.Missing)
	case err != nil:
		return fail(stderr, f, "%v", err)
	}
	return exitOK
}
