package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Migration is one file of a store's migrations.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ReadMigrations returns the files *.sql of fsys, each named VERSION_name.sql,
// sorted by version.
func ReadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]Migration, 0, len(names))
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
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(text)})
	}
	return ms, nil
}

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
func Migrate(ctx context.Context, c Conn, createVersions string, ms []Migration, split func(string) []string) error {
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
