package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
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

// migration is one file of Migrations.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations sorted by version.
func migrations() ([]migration, error) {
	fsys := Migrations()
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]migration, 0, len(names))
	for _, name := range names { // fs.Glob sorts, and versions are zero-padded.
		prefix, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name does not start with a version", name)
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(text)})
	}
	return ms, nil
}

// Migrate creates the store's tables, or brings them up to date. It
// applies the migrations newer than the last one recorded in the version
// table, clerkhook_schema_migrations, in one transaction that holds the
// write lock, so that processes opening the same file at once apply each
// migration once. It never goes back: a program still running an older
// version of this package leaves a newer schema alone.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return errorf("migrate", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS clerkhook_schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`)
		if err != nil {
			return err
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(version), 0) FROM clerkhook_schema_migrations`).Scan(&current); err != nil {
			return err
		}
		for _, m := range ms {
			if m.version <= current {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO clerkhook_schema_migrations (version, name) VALUES (?, ?)`, m.version, m.name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return errorf("migrate", err)
	}
	return nil
}
