package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/clerkhook/clerkhook/sqlitestore"
)

// sqlitePrefix starts a -database-url that names a SQLite file:
// sqlite:clerk.db, sqlite:/var/lib/clerk.db, or the same with "//" after
// the colon, as in sqlite:///var/lib/clerk.db.
const sqlitePrefix = "sqlite:"

// sqlitePath returns the file a sqlite: URL names, and whether it is one.
func sqlitePath(databaseURL string) (string, bool) {
	path, ok := strings.CutPrefix(databaseURL, sqlitePrefix)
	if !ok {
		return "", false
	}
	return strings.TrimPrefix(path, "//"), true
}

// openSQLite opens the SQLite file at path, creating it when it does not
// exist, and migrates its tables. The caller closes the store.
func openSQLite(ctx context.Context, path string) (*sqlitestore.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	store, err := sqlitestore.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("opening the SQLite database %q: %w", path, err)
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("migrating the SQLite database %q: %w", path, err)
	}
	return store, nil
}
