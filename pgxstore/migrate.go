package pgxstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook/internal/sqlfiles"
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
// clerkhook_schema_migrations. In each file, the statements after the
// line "-- clerkhook:ledger" concern only the delivery ledger: they are
// what [Ledger.Migrate] applies.
func Migrations() fs.FS {
	// fs.Sub fails only for an invalid path, which "migrations" is not.
	sub, _ := fs.Sub(migrationFiles, "migrations")
	return sub
}

// ledgerMarker is the comment line after which the statements of a
// migration create or change the delivery ledger, clerk_webhook_deliveries,
// and nothing else: [Ledger.Migrate] applies only that part of each file.
// The statements before it, or the whole file when it has none, are the
// rest of the store's.
const ledgerMarker = "-- clerkhook:ledger\n"

// migration is one file of Migrations.
type migration struct {
	sqlfiles.Migration
	// ledger is the part of SQL from ledgerMarker to its end, or "".
	ledger string
}

// rest returns the statements of m that are not the ledger's.
func (m migration) rest() string { return m.SQL[:len(m.SQL)-len(m.ledger)] }

// migrations returns the embedded migrations sorted by version.
func migrations() ([]migration, error) {
	files, err := sqlfiles.Read(Migrations())
	if err != nil {
		return nil, err
	}
	ms := make([]migration, len(files))
	for i, f := range files {
		ms[i].Migration = f
		if j := strings.Index(f.SQL, ledgerMarker); j >= 0 {
			ms[i].ledger = f.SQL[j:]
		}
	}
	return ms, nil
}

// The tables that record which migrations a schema has. Store.Migrate
// records each migration it applies in versionsTable; Ledger.Migrate
// records in ledgerVersionsTable the migrations whose ledger part it
// applied, so that a later Store.Migrate applies only the rest of them.
const (
	versionsTable       = "clerkhook_schema_migrations"
	ledgerVersionsTable = "clerkhook_ledger_migrations"
)

// Migrate creates the store's schema and tables, or brings them up to
// date. It applies the migrations newer than the last one recorded in the
// schema's version table, clerkhook_schema_migrations, in one transaction
// that holds an advisory lock for the schema: every replica of a service
// may call it at start-up, one applies the migrations and the others wait
// for it and find nothing left to do. It never goes back, so a replica
// still running an older version of this package leaves a newer schema
// alone. When there is nothing to do it runs no DDL, so a role that may
// only read and write the tables can call it once they exist. It completes
// a schema that [Ledger.Migrate] created, leaving the ledger as it is.
func (s *Store) Migrate(ctx context.Context) error {
	if err := migrate(ctx, s.pool, s.schema, false); err != nil {
		return errorf("migrate", err)
	}
	return nil
}

// migrate brings the schema up to date in a transaction of pool: only the
// ledger's part of it when ledgerOnly is true, all of it otherwise.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string, ledgerOnly bool) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	// READ COMMITTED whatever the server's default: after the advisory
	// lock, the checks must see the schema and the versions that the
	// replica which held it committed, not a snapshot taken before.
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		return migrateTx(ctx, tx, schema, ms, ledgerOnly)
	})
}

// migrateTx applies the migrations of ms, or their ledger parts when
// ledgerOnly is true, that tx's database lacks. A migration newer than the
// last recorded in versionsTable lacks its ledger part too unless it is
// recorded in ledgerVersionsTable. Store and Ledger take the same lock, so
// they may migrate the same schema concurrently, in either order.
func migrateTx(ctx context.Context, tx pgx.Tx, schema string, ms []migration, ledgerOnly bool) error {
	versions, ledgerVersions := table(schema, versionsTable), table(schema, ledgerVersionsTable)
	if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, hashtext($1))`, lockSpaceMigrate), schema); err != nil {
		return err
	}
	var schemaExists bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&schemaExists)
	if err != nil {
		return err
	}
	current, versionsExist, err := lastVersion(ctx, tx, versions)
	if err != nil {
		return err
	}
	ledgerCurrent, ledgerVersionsExist, err := lastVersion(ctx, tx, ledgerVersions)
	if err != nil {
		return err
	}
	ledgerApplied := max(current, ledgerCurrent)
	applied, record, recordExists := current, versions, versionsExist
	if ledgerOnly {
		applied, record, recordExists = ledgerApplied, ledgerVersions, ledgerVersionsExist
	}
	// ms is sorted by version.
	next := slices.IndexFunc(ms, func(m migration) bool { return m.Version > applied })
	if next < 0 {
		return nil
	}
	if !schemaExists {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
			return err
		}
	}
	if !recordExists {
		_, err := tx.Exec(ctx, `CREATE TABLE `+record+` (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`)
		if err != nil {
			return err
		}
	}
	// set_config with is_local true: the search_path lasts until the end
	// of the transaction, and the migrations' unqualified names land in
	// the store's schema.
	if _, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, pgx.Identifier{schema}.Sanitize()); err != nil {
		return err
	}
	for _, m := range ms[next:] {
		sql := m.SQL
		switch {
		case ledgerOnly:
			sql = m.ledger
		case m.Version <= ledgerApplied:
			sql = m.rest()
		}
		if sql != "" {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+record+` (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return err
		}
	}
	return nil
}

// lastVersion returns the last version recorded in the version table
// named, 0 when it holds none, and whether it exists.
func lastVersion(ctx context.Context, tx pgx.Tx, table string) (version int, exists bool, err error) {
	err = tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists)
	if err != nil || !exists {
		return 0, exists, err
	}
	err = tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM `+table).Scan(&version)
	return version, true, err
}
