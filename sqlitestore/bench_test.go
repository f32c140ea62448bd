package sqlitestore_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/storetest"
)

// newNaiveStore returns the naive store over a SQLite file that the Store
// created, opened with the Store's settings (WAL, busy timeout,
// synchronous commits, BEGIN IMMEDIATE) and one connection. With a pool of
// the default size, some of 16 concurrent deliveries fail: their
// transactions wait for the write lock longer than the busy timeout. The
// write lock of BEGIN IMMEDIATE is the lock its read of the user needs.
func newNaiveStore(b *testing.B, path string) *storetest.NaiveStore {
	openStore(b, path) // creates the tables
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	return &storetest.NaiveStore{
		DB: db,
		RecordDelivery: `INSERT INTO clerk_webhook_deliveries (id, type, claimed_at, processed_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		ReadUser:   `SELECT updated_at, deleted_at FROM clerk_users WHERE id = ?`,
		InsertUser: storetest.InsertUser,
		UpdateUser: storetest.UpdateUser,
	}
}

// BenchmarkHandler measures user events per second through a Handler into
// a SQLite file, with the Store and with the naive store.
func BenchmarkHandler(b *testing.B) {
	storetest.BenchmarkHandler(b,
		storetest.BenchStore{Name: "sqlitestore", New: func(b *testing.B, _ int) clerkhook.UserStore {
			return openStore(b, filepath.Join(b.TempDir(), "clerk.db"))
		}},
		storetest.BenchStore{Name: "naive", New: func(b *testing.B, _ int) clerkhook.UserStore {
			return newNaiveStore(b, filepath.Join(b.TempDir(), "clerk.db"))
		}},
	)
}
