package pgxstore_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
)

// TestLoad sends at least 50,000 deliveries of a shuffled history with
// duplicates from 32 concurrent clients, calling the ServeHTTP of a
// Handler with a Store: loopback HTTP would spend the two cores of CI on
// net/http rather than on the Handler and PostgreSQL. Every delivery must
// be accepted (409s are retried, as Svix does), the tables must end in the
// history's state, and the heap and the goroutines must be back to what
// they were before the run.
func TestLoad(t *testing.T) {
	const (
		clients = 32
		warmUp  = 1000
		minRun  = 50_000
		// The slack allowed for what the runtime and the pool keep: a
		// leak of a few hundred bytes per delivery would exceed it.
		heapSlack      = 8 << 20
		goroutineSlack = 2
	)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(uint64(seed), 2))
	secret := clerkhooktest.NewSecret()
	hist := newHistory(t, r, secret, 15_500, 0.05)
	require.GreaterOrEqual(t, len(hist.deliveries), warmUp+minRun)
	signed := time.Now() // within seconds of the time the history was signed at

	pool := pgtest.Connect(t, func(c *pgxpool.Config) { c.MaxConns = 16 })
	f := newFixtureOn(t, pool)
	h, err := clerkhook.NewHandler(secret, f.store,
		clerkhook.WithClock(func() time.Time { return signed }),
		clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)
	var conflicts atomic.Int64
	send := func(d signedDelivery) error {
		for {
			req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(d.body))
			for k, v := range d.header {
				req.Header[k] = v
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			switch w.Code {
			case http.StatusOK:
				return nil
			case http.StatusConflict:
				// A duplicate is being processed by another client:
				// Svix would retry later.
				conflicts.Add(1)
				runtime.Gosched()
			default:
				return fmt.Errorf("a %s delivery answered %d", d.eventType, w.Code)
			}
		}
	}
	// deliver sends ds from the clients, each taking the next delivery.
	deliver := func(ds []signedDelivery) {
		var next atomic.Int64
		run(t, clients, func(int) error {
			for i := next.Add(1) - 1; i < int64(len(ds)); i = next.Add(1) - 1 {
				if err := send(ds[i]); err != nil {
					return err
				}
			}
			return nil
		})
	}

	// The warm-up fills the pool's connections and their statement
	// caches, and the Handler's buffer pool.
	idle := runtime.NumGoroutine()
	deliver(hist.deliveries[:warmUp])
	heapBefore, goroutinesBefore := settledHeap(), goroutinesAtMost(idle)

	start := time.Now()
	deliver(hist.deliveries[warmUp:])
	took := time.Since(start)
	n := len(hist.deliveries) - warmUp
	heapAfter := settledHeap()
	goroutinesAfter := goroutinesAtMost(goroutinesBefore + goroutineSlack)

	t.Logf("%d deliveries from %d clients in %v: %.0f events/s; %d answered 409 and retried",
		n, clients, took.Round(time.Millisecond), float64(n)/took.Seconds(), conflicts.Load())
	t.Logf("heap %.1f MiB before, %.1f MiB after; goroutines %d before, %d after",
		float64(heapBefore)/(1<<20), float64(heapAfter)/(1<<20), goroutinesBefore, goroutinesAfter)
	assert.LessOrEqual(t, heapAfter, heapBefore+heapSlack, "heap growth over the run")
	assert.LessOrEqual(t, goroutinesAfter, goroutinesBefore+goroutineSlack, "goroutines left after the run")

	assertTablesMatch(t, f, hist)
	assert.Equal(t, count(t, f, "clerk_webhook_deliveries", "true"), count(t, f, "clerk_webhook_deliveries", "processed_at IS NOT NULL"),
		"no delivery left claimed")
}

// settledHeap returns the bytes of live heap objects after a collection.
// Two collections empty the sync.Pools, whose contents survive one.
func settledHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// goroutinesAtMost waits, without sleeping, for goroutines that are
// finishing (those of closed connections) to end, and returns how many
// are left.
func goroutinesAtMost(n int) int {
	for range 100_000 {
		if runtime.NumGoroutine() <= n {
			break
		}
		runtime.Gosched()
	}
	return runtime.NumGoroutine()
}
