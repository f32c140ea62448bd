package pgxstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/loadtest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
)

// TestHTTPLoad serves a Handler with a Store over loopback HTTP to 16
// keep-alive clients, which send user.created and user.updated deliveries
// for 100 users. Every delivery must be accepted, the table must hold the
// newest version of every user, and the goroutines of the server and of
// its connections must be gone after the run. TestLoad checks the heap,
// with many more deliveries.
func TestHTTPLoad(t *testing.T) {
	const users, deliveries, clients = 100, 1_000, 16
	f := newFixtureOn(t, pgtest.Connect(t, func(c *pgxpool.Config) { c.MaxConns = clients }))
	secret := clerkhooktest.NewSecret()
	h, err := clerkhook.NewHandler(secret, f.store,
		clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)
	sim, err := loadtest.NewUsers(secret, users)
	require.NoError(t, err)

	r, err := loadtest.Run(context.Background(), h, sim,
		loadtest.Config{Deliveries: deliveries, Clients: clients, MaxDuration: time.Minute})
	require.NoError(t, err)
	t.Log(r)
	require.Equal(t, deliveries, r.Sent, "the run ended at its deadline")
	require.Zero(t, r.Errors, "first error: %v", r.Err)
	// pgconn may leave a reader goroutine parked on each pooled connection
	// until its next query; a goroutine per delivery would exceed that.
	assert.LessOrEqual(t, r.GoroutinesAfter, r.GoroutinesBefore+clients, "goroutines left after the run")

	latest, err := sim.Latest()
	require.NoError(t, err)
	require.Len(t, latest, users)
	for _, want := range latest {
		got, err := f.store.User(context.Background(), want.ID)
		require.NoError(t, err)
		// The data column is jsonb, which does not keep the spacing of
		// the metadata: the version and the columns tell it apart.
		assert.Equal(t, want.UpdatedAt, got.UpdatedAt, "user %s", want.ID)
		assert.Equal(t, want.PrimaryEmail(), got.PrimaryEmail(), "user %s", want.ID)
		assert.Equal(t, want.PrimaryPhone(), got.PrimaryPhone(), "user %s", want.ID)
	}
	assert.Equal(t, deliveries, count(t, f, "clerk_webhook_deliveries", "processed_at IS NOT NULL"),
		"every delivery recorded as processed")
}

// BenchmarkHTTPLoad measures user events per second from a signed HTTP
// request on loopback to a committed row, with pgxstore and with the naive
// store of BenchmarkHandler, from 1 and from 16 keep-alive clients, each
// with a connection to PostgreSQL of its own. Each iteration is one
// delivery; ns/op, B/op and allocs/op cover sending only, not building
// and signing the deliveries, and the allocations count the clients too.
// It runs one load of b.N deliveries, so give it a count:
//
//	go test -run '^$' -bench HTTPLoad -benchmem -benchtime 20000x ./pgxstore/
func BenchmarkHTTPLoad(b *testing.B) {
	stores := []struct {
		name string
		new  func(*fixture) clerkhook.UserStore
	}{
		{"pgxstore", func(f *fixture) clerkhook.UserStore { return f.store }},
		{"naive", func(f *fixture) clerkhook.UserStore { return newNaiveStore(f) }},
	}
	for _, clients := range []int{1, 16} {
		for _, st := range stores {
			b.Run(fmt.Sprintf("store=%s/clients=%d", st.name, clients), func(b *testing.B) {
				f := newFixtureOn(b, pgtest.Connect(b, func(c *pgxpool.Config) { c.MaxConns = int32(clients) }))
				secret := clerkhooktest.NewSecret()
				h, err := clerkhook.NewHandler(secret, st.new(f),
					clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
				require.NoError(b, err)
				sim, err := loadtest.NewUsers(secret, 1000)
				require.NoError(b, err)
				r, err := loadtest.Run(context.Background(), h, sim,
					loadtest.Config{Deliveries: b.N, Clients: clients, MaxDuration: 4 * time.Minute})
				require.NoError(b, err)
				loadtest.Report(b, r)
			})
		}
	}
}
