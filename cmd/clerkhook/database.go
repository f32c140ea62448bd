package main

import (
	"context"
	"log/slog"

	"github.com/clerkhook/clerkhook"
)

// database is a store that serve or backfill opened from a -database-url.
type database struct {
	store  clerkhook.UserStore
	health func(context.Context) error
	close  func()
	// kind and attr say which database it is, for the log.
	kind string
	attr slog.Attr
}

// openDatabase opens and migrates the database that databaseURL names: a
// sqlite: path, a mysql:// URL, or PostgreSQL, whose tables go in schema.
func openDatabase(ctx context.Context, databaseURL, schema string) (*database, error) {
	if path, ok := sqlitePath(databaseURL); ok {
		sqlite, err := openSQLite(ctx, path)
		if err != nil {
			return nil, err
		}
		return &database{store: sqlite, health: sqlite.Ping, close: func() { sqlite.Close() }, kind: "SQLite", attr: slog.String("path", path)}, nil
	}
	if isMySQL(databaseURL) {
		my, db, err := openMySQL(ctx, databaseURL)
		if err != nil {
			return nil, err
		}
		return &database{store: my, health: db.PingContext, close: func() { db.Close() }, kind: "MySQL"}, nil
	}
	pg, pool, err := openPostgres(ctx, databaseURL, schema)
	if err != nil {
		return nil, err
	}
	return &database{store: pg, health: pool.Ping, close: pool.Close, kind: "PostgreSQL", attr: slog.String("schema", schema)}, nil
}
