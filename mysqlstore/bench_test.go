package mysqlstore_test

import (
	"errors"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/storetest"
)

// newNaiveStore returns the naive store over a database of its own, whose
// tables the Store created. Its read of the user locks the row (SELECT …
// FOR UPDATE). At 16 concurrent deliveries of new users, InnoDB's gap
// locks make such transactions deadlock; the naive store runs them again,
// as the Store does, or some deliveries would fail with 500.
func newNaiveStore(b *testing.B) *storetest.NaiveStore {
	db := testDatabase(b)
	newStore(b, db)
	return &storetest.NaiveStore{
		DB:             db,
		RecordDelivery: `INSERT IGNORE INTO clerk_webhook_deliveries (id, type, claimed_at, processed_at) VALUES (?, ?, ?, ?)`,
		ReadUser:       `SELECT updated_at, deleted_at FROM clerk_users WHERE id = ? FOR UPDATE`,
		InsertUser:     storetest.InsertUser,
		UpdateUser:     storetest.UpdateUser,
		Retry: func(err error) bool {
			var e *mysql.MySQLError
			return errors.As(err, &e) && e.Number == 1213 // deadlock found
		},
	}
}

// BenchmarkHandler measures user events per second through a Handler into
// MySQL, with the Store and with the naive store.
func BenchmarkHandler(b *testing.B) {
	storetest.BenchmarkHandler(b,
		storetest.BenchStore{Name: "mysqlstore", New: func(b *testing.B, _ int) clerkhook.UserStore {
			return newStore(b, testDatabase(b))
		}},
		storetest.BenchStore{Name: "naive", New: func(b *testing.B, _ int) clerkhook.UserStore {
			return newNaiveStore(b)
		}},
	)
}
