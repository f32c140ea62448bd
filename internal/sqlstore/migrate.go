package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/clerkhook/clerkhook/internal/sqlfiles"
)

// Conn is a transaction or a connection: what [Migrate] runs its statements
// on.
type Conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Migrate applies the migrations of ms newer than the newest version
// recorded in the table clerkhook_schema_migrations, which createVersions
// creates when it does not exist, and records each after its statements
// ran. A migration runs as one statement, or as the statements split
// returns when split is not nil. The caller holds the lock that keeps
// other processes from migrating at the same time.
func Migrate(ctx context.Context, c Conn, createVersions string, ms []sqlfiles.Migration, split func(string) []string) error {
	if _, err := c.ExecContext(ctx, createVersions); err != nil {
		return err
	}
	var current int
	if err := c.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM clerkhook_schema_migrations`).Scan(&current); err != nil {
		return err
	}
	for _, m := range ms {
		if m.Version <= current {
			continue
		}
		stmts := []string{m.SQL}
		if split != nil {
			stmts = split(m.SQL)
		}
		for _, stmt := range stmts {
			if _, err := c.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO clerkhook_schema_migrations (version, name) VALUES (?, ?)`, m.Version, m.Name); err != nil {
			return err
		}
	}
	return nil
}
