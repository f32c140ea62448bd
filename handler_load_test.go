package clerkhook_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/loadtest"
)

// TestHandlerUnderSustainedLoad serves the Handler over loopback HTTP and
// sends it two runs of user.created and user.updated deliveries for the same
// users from 32 keep-alive clients. Every delivery must be accepted, the
// store must end with the newest version of every user, the goroutines of
// the server and its connections must be gone after each run, and the heap
// must not grow from the first run to the second.
//
// The store's delivery ledger is bounded, small enough to reach its full
// size during the first run, and the second run only updates the users the
// first created, so that what the store holds after both runs is the same
// size: any growth is a leak, of the Handler or of what it keeps in the
// store. The slack allows for what the runtime keeps, a few kilobytes; a
// leak of 48 bytes per delivery would exceed it.
func TestHandlerUnderSustainedLoad(t *testing.T) {
	const (
		users         = 500
		perRun        = 3_000
		clients       = 32
		maxDeliveries = 500
		heapSlack     = 128 << 10
	)
	secret := clerkhooktest.NewSecret()
	store := clerkhook.NewMemoryStore(clerkhook.WithMaxDeliveries(maxDeliveries))
	h, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(discardLogger()))
	require.NoError(t, err)
	sim, err := loadtest.NewUsers(secret, users)
	require.NoError(t, err)
	cfg := loadtest.Config{Deliveries: perRun, Clients: clients, MaxDuration: time.Minute}

	var runs [2]loadtest.Result
	for i := range runs {
		r, err := loadtest.Run(context.Background(), h, sim, cfg)
		require.NoError(t, err)
		t.Logf("run %d: %v", i+1, r)
		require.Equal(t, perRun, r.Sent, "the run ended at its deadline")
		require.Zero(t, r.Errors, "first error: %v", r.Err)
		assert.LessOrEqual(t, r.GoroutinesAfter, r.GoroutinesBefore, "goroutines left after run %d", i+1)
		runs[i] = r
	}
	growth := int64(runs[1].HeapAfter) - int64(runs[0].HeapAfter)
	t.Logf("heap growth from the first run to the second: %d bytes", growth)
	assert.LessOrEqual(t, growth, int64(heapSlack), "heap growth from the first run to the second")

	latest, err := sim.Latest()
	require.NoError(t, err)
	require.Len(t, latest, users)
	for _, want := range latest {
		got, err := store.User(context.Background(), want.ID)
		require.NoError(t, err)
		assert.Equal(t, want, got, "user %s", want.ID)
	}
}

// BenchmarkHTTPLoad measures a Handler with a MemoryStore behind real
// loopback HTTP, from 32 keep-alive clients, against the naive handler of
// BenchmarkHandler behind the same: how much of the cost of a delivery is
// the Handler's, and how much net/http's. Each iteration is one delivery;
// ns/op, B/op and allocs/op cover sending only, not building and signing
// the deliveries, and the allocations count both sides of the connection.
// It runs one load of b.N deliveries, so give it a count:
//
//	go test -run '^$' -bench HTTPLoad -benchmem -benchtime 20000x .
func BenchmarkHTTPLoad(b *testing.B) {
	secret := clerkhooktest.NewSecret()
	handlers := []struct {
		name string
		new  func(*testing.B) http.Handler
	}{
		{"clerkhook", func(b *testing.B) http.Handler {
			h, err := clerkhook.NewHandler(secret, clerkhook.NewMemoryStore(), clerkhook.WithLogger(discardLogger()))
			require.NoError(b, err)
			return h
		}},
		{"naive", func(b *testing.B) http.Handler {
			wh, err := standardwebhooks.NewWebhook(secret)
			require.NoError(b, err)
			return &naiveHandler{wh: wh, users: make(map[string]*clerkhook.User)}
		}},
	}
	for _, hh := range handlers {
		b.Run("handler="+hh.name, func(b *testing.B) {
			sim, err := loadtest.NewUsers(secret, 1000)
			require.NoError(b, err)
			r, err := loadtest.Run(context.Background(), hh.new(b), sim,
				loadtest.Config{Deliveries: b.N, Clients: 32, MaxDuration: 4 * time.Minute})
			require.NoError(b, err)
			loadtest.Report(b, r)
		})
	}
}
