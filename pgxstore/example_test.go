package pgxstore_test

import (
	"context"
	"fmt"
	"io/fs"
	"log"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	store := pgxstore.New(pool, pgxstore.WithSchema("clerk"))
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	h, err := clerkhook.NewHandler(os.Getenv("CLERK_WEBHOOK_SECRET"), store)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", h)
	// Serve mux with an http.Server; see examples/postgres for a whole
	// program.
}

func ExampleMigrations() {
	err := fs.WalkDir(pgxstore.Migrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fmt.Println(path)
		}
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 0001_create_tables.sql
	// 0002_delivery_claim_token.sql
}
