package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// lockRiverMigrate is the classid of the advisory lock that serializes
// River's migrations, which take no lock of their own, when replicas start
// together ("rivr").
const lockRiverMigrate = 0x72697672

// config is what a replica of the service is made of.
type config struct {
	// pool is the store's; riverPool, River's (the same pool but in tests).
	pool, riverPool *pgxpool.Pool
	// schema holds pgxstore's tables, pgxstore.DefaultSchema when empty;
	// riverSchema holds River's, the search_path's first when empty.
	schema, riverSchema string
	storeOptions        []pgxstore.Option // after the ones newReplica sets
	secret              string
	mailer              Mailer
	logger              *slog.Logger
	// fetchInterval is how often River may look for jobs, and must when
	// it was told of none; zero for River's defaults.
	fetchInterval time.Duration
}

// replica is one copy of the service: the store, whose hook queues the
// welcome jobs, the River client that works them, and the webhook Handler.
type replica struct {
	store   *pgxstore.Store
	jobs    *river.Client[pgx.Tx]
	handler http.Handler
}

// newReplica builds a replica. It does not touch the database: call
// [migrate] first, then start r.jobs.
func newReplica(cfg config) (*replica, error) {
	worker := &welcomeWorker{mailer: cfg.mailer, logger: cfg.logger}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, worker); err != nil {
		return nil, err
	}
	jobs, err := river.NewClient(riverpgxv5.New(cfg.riverPool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
		Workers:           workers,
		Schema:            cfg.riverSchema,
		Logger:            cfg.logger,
		FetchCooldown:     cfg.fetchInterval,
		FetchPollInterval: cfg.fetchInterval,
	})
	if err != nil {
		return nil, fmt.Errorf("river: %w", err)
	}
	opts := []pgxstore.Option{pgxstore.WithChangeHook(welcomeHook(jobs))}
	if cfg.schema != "" {
		opts = append(opts, pgxstore.WithSchema(cfg.schema))
	}
	opts = append(opts, cfg.storeOptions...)
	store := pgxstore.New(cfg.pool, opts...)
	// The worker reads the users through the same store; it is set before
	// the client starts, so before any job runs.
	worker.users = store
	h, err := clerkhook.NewHandler(cfg.secret, store, clerkhook.WithLogger(cfg.logger))
	if err != nil {
		return nil, err
	}
	return &replica{store: store, jobs: jobs, handler: h}, nil
}

// migrate creates or upgrades pgxstore's tables and River's. Every replica
// may run it at start-up at once: pgxstore's Migrate takes a lock, and
// River's migrations, which take none, run here under another.
func migrate(ctx context.Context, pool *pgxpool.Pool, store *pgxstore.Store, riverSchema string, logger *slog.Logger) error {
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: riverSchema, Logger: logger})
	if err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	// A session lock, not a transaction's: River runs each migration in a
	// transaction of its own, since some cannot share one (a new enum
	// value cannot be used in the transaction that adds it). The lock goes
	// with the connection if it breaks.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, lockRiverMigrate, riverSchema); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext($2))`, lockRiverMigrate, riverSchema); err != nil {
			// Closing the connection ends its session, and the lock.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if riverSchema != "" {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{riverSchema}.Sanitize()); err != nil {
			return fmt.Errorf("river migrate: %w", err)
		}
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	return nil
}
