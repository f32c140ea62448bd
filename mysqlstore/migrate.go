package mysqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"strings"

	"github.com/clerkhook/clerkhook/internal/sqlfiles"
	"github.com/clerkhook/clerkhook/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the SQL files that create and upgrade the store's
// tables, for applying them with a migration tool instead of
// [Store.Migrate]. Each file is named VERSION_name.sql and starts with the
// "-- +goose Up" annotation; its statements end with a semicolon at the end
// of a line. Do not mix a tool with Migrate on the same
// database: Migrate records its versions in its own table,
// clerkhook_schema_migrations.
func Migrations() fs.FS {
	// fs.Sub fails only for an invalid path, which "migrations" is not.
	sub, _ := fs.Sub(migrationFiles, "migrations")
	return sub
}

// Migrate creates the store's tables, or brings them up to date. It
// applies the migrations newer than the last one recorded in the version
// table, clerkhook_schema_migrations, while it holds a named lock of the
// database (GET_LOCK), so that replicas migrating at once apply each
// migration once. MySQL commits each DDL statement on its own, so a
// migration that fails halfway is left halfway; the version is recorded
// only once all its statements ran. It never goes back: a replica still
// running an older version of this package leaves a newer schema alone.
// When there is nothing to do it runs no DDL.
//
// It fails with an error matching [ErrFoundRows] when the pool's
// connections count the rows a statement matched rather than those it
// changed (the driver's clientFoundRows): the Store could not tell a
// refused write or claim from an applied one.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := sqlfiles.Read(Migrations())
	if err != nil {
		return errorf("migrate", err)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return errorf("migrate", err)
	}
	defer conn.Close()
	if err := migrate(ctx, conn, ms); err != nil {
		return errorf("migrate", err)
	}
	if err := checkChangedRows(ctx, conn); err != nil {
		return errorf("migrate", err)
	}
	return nil
}

// ErrFoundRows is matched by the error of [Store.Migrate] when the pool
// was opened with clientFoundRows.
var ErrFoundRows = errors.New("mysqlstore: the connections count found rows (clientFoundRows); open them without it")

// checkChangedRows sets a ledger row to the value it holds, in a
// transaction it rolls back, and returns [ErrFoundRows] when the
// connection counts that row as affected.
func checkChangedRows(ctx context.Context, conn *sql.Conn) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	id := "clerkhook_row_count_check_" + sqlstore.NewToken()
	if _, err := tx.ExecContext(ctx, `INSERT INTO clerk_webhook_deliveries (id, claimed_at) VALUES (?, 0)`, id); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE clerk_webhook_deliveries SET claimed_at = 0 WHERE id = ?`, id)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n != 0 {
		err = ErrFoundRows
	}
	return err
}

// migrate applies the migrations of ms that conn's database lacks.
func migrate(ctx context.Context, conn *sql.Conn, ms []sqlfiles.Migration) (err error) {
	var locked sql.NullInt64
	lock := `CONCAT('clerkhook_migrate.', DATABASE())`
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(`+lock+`, 60)`).Scan(&locked); err != nil {
		return err
	}
	if locked.Int64 != 1 {
		return errors.New("another replica held the migration lock for a minute")
	}
	defer func() {
		_, unlockErr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT RELEASE_LOCK(`+lock+`)`)
		err = errors.Join(err, unlockErr)
	}()
	return sqlstore.Migrate(ctx, conn, `CREATE TABLE IF NOT EXISTS clerkhook_schema_migrations (
		version    INT NOT NULL PRIMARY KEY,
		name       VARCHAR(191) NOT NULL,
		applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`, ms, statements)
}

// statements splits a migration at the semicolons that end a line,
// leaving out the comments and blank lines between statements.
func statements(text string) []string {
	var out []string
	for _, part := range strings.Split(text, ";\n") {
		var lines []string
		for _, line := range strings.Split(part, "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, line)
			}
		}
		if len(lines) > 0 {
			out = append(out, strings.TrimSuffix(strings.Join(lines, "\n"), ";"))
		}
	}
	return out
}
