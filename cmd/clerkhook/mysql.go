package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/clerkhook/clerkhook/mysqlstore"
)

// isMySQL reports whether a -database-url names a MySQL or MariaDB
// database: mysql://user:pass@host:port/db.
func isMySQL(databaseURL string) bool { return strings.HasPrefix(databaseURL, "mysql://") }

// openMySQL connects to the database at databaseURL and returns a store
// over it, migrated, with its pool, which the caller closes.
func openMySQL(ctx context.Context, databaseURL string) (*mysqlstore.Store, *sql.DB, error) {
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	cfg, err := mysqlstore.ParseURL(databaseURL)
	if err != nil {
		return nil, nil, err
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to MySQL: %w", err)
	}
	db := sql.OpenDB(connector)
	store := mysqlstore.New(db)
	if err := store.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrating the MySQL database %q: %w", cfg.DBName, err)
	}
	return store, db, nil
}
