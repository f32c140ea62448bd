package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"

	"github.com/clerkhook/clerkhook/internal/sqlfiles"
	"github.com/clerkhook/clerkhook/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the SQL files that create and upgrade the store's
// tables, for applying them with a migration tool instead of
// [Store.Migrate]. Each file is named VERSION_name.sql and starts with the
// "-- +goose Up" annotation. Do not mix a tool with Migrate on the same
// database: Migrate records its versions in its own table,
// clerkhook_schema_migrations.
func Migrations() fs.FS {
	// fs.Sub fails only for an invalid path, which "migrations" is not.
	sub, _ := fs.Sub(migrationFiles, "migrations")
	return sub
}

// Migrate creates the store's tables, or brings them up to date. It
// applies the migrations newer than the last one recorded in the version
// table, clerkhook_schema_migrations, in one transaction that holds the
// write lock, so that processes opening the same file at once apply each
// migration once. It never goes back: a program still running an older
// version of this package leaves a newer schema alone.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := sqlfiles.Read(Migrations())
	if err != nil {
		return errorf("migrate", err)
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return sqlstore.Migrate(ctx, tx, `CREATE TABLE IF NOT EXISTS clerkhook_schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`, ms, nil)
	})
	if err != nil {
		return errorf("migrate", err)
	}
	return nil
}
