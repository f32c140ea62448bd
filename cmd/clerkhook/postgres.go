package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook/pgxstore"
)

// migrateTimeout bounds connecting to PostgreSQL and migrating its schema
// at start-up, which waits for other replicas that migrate at the same
// time.
const migrateTimeout = time.Minute

// openPostgres connects to the database at databaseURL and returns a
// store over its schema, migrated. The caller closes the pool.
func openPostgres(ctx context.Context, databaseURL, schema string) (*pgxstore.Store, *pgxpool.Pool, error) {
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	// pgx leaves the password out of the errors of a connection string.
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	store := pgxstore.New(pool, pgxstore.WithSchema(schema))
	if err := store.Migrate(ctx); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("migrating the schema %q: %w", schema, err)
	}
	return store, pool, nil
}
