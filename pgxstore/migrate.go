package pgxstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the SQL files that create and upgrade the store's
// tables, for applying them with a migration tool instead of
// [Store.Migrate]. Each file is named VERSION_name.sql, starts with the
// "-- +goose Up" annotation, and names its tables without a schema, so they
// are created in the first schema of the search_path.
//
// With goose, for the default schema:
//
//	provider, err := goose.NewProvider(goose.DialectPostgres, db, pgxstore.Migrations())
//
// For another schema, create it and open db with the connection parameter
// search_path=that_schema (pgx passes unknown parameters of the connection
// string to the server), then pass [WithSchema] with the same name to
// [New]. With Atlas or any tool that reads a directory, copy the files
// into the directory with [os.CopyFS]. Do not mix a tool with Migrate on
// the same schema: Migrate records its versions in its own table,
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
		sql, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(sql)})
	}
	return ms, nil
}

// Migrate creates the store's schema and tables, or brings them up to
// date. It applies the migrations newer than the last one recorded in the
// schema's version table, clerkhook_schema_migrations, in one transaction
// that holds an advisory lock for the schema: every replica of a service
// may call it at start-up, one applies the migrations and the others wait
// for it and find nothing left to do. It never goes back, so a replica
// still running an older version of this package leaves a newer schema
// alone. When there is nothing to do it runs no DDL, so a role that may
// only read and write the tables can call it once they exist.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return errorf("migrate", err)
	}
	// READ COMMITTED whatever the server's default: after the advisory
	// lock, the checks must see the schema and the versions that the
	// replica which held it committed, not a snapshot taken before.
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		return s.migrate(ctx, tx, ms)
	})
	if err != nil {
		return errorf("migrate", err)
	}
	return nil
}

// migrate applies the migrations of ms that tx's database lacks.
func (s *Store) migrate(ctx context.Context, tx pgx.Tx, ms []migration) error {
	versions := table(s.schema, "clerkhook_schema_migrations")
	if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, hashtext($1))`, lockSpaceMigrate), s.schema); err != nil {
		return err
	}
	var schemaExists, versionsExist bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1), to_regclass($2) IS NOT NULL`,
		s.schema, versions).Scan(&schemaExists, &versionsExist)
	if err != nil {
		return err
	}
	if !schemaExists {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{s.schema}.Sanitize()); err != nil {
			return err
		}
	}
	if !versionsExist {
		_, err := tx.Exec(ctx, `CREATE TABLE `+versions+` (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`)
		if err != nil {
			return err
		}
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM `+versions).Scan(&current); err != nil {
		return err
	}
	// set_config with is_local true: the search_path lasts until the end
	// of the transaction, and the migrations' unqualified names land in
	// the store's schema.
	if _, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, pgx.Identifier{s.schema}.Sanitize()); err != nil {
		return err
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+versions+` (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return err
		}
	}
	return nil
}
