// Package loadtest sends bounded bursts of signed Clerk webhook deliveries
// to an http.Handler over real HTTP, to measure what a webhook endpoint
// sustains: events per second, latency percentiles, and whether the heap
// and the goroutines stay flat from one burst to the next. It is for the
// tests and benchmarks of this module, not part of its API.
//
// [Run] serves the handler on a listener of its own on 127.0.0.1, sends to
// that address only, and closes the server before it returns: it never
// reaches another host, whatever the flags or the environment (the
// httptest.serve flag, HTTP_PROXY) say. Every run is bounded by a number of
// deliveries and by a deadline, so it always ends by itself.
package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Config bounds a [Run].
type Config struct {
	// Deliveries is how many deliveries the run sends, at most.
	Deliveries int
	// Clients is how many goroutines send, each one request at a time
	// over keep-alive connections, as Svix's workers do.
	Clients int
	// MaxDuration is the deadline of the run, from its first request.
	// Deliveries are signed when the run starts, so it must be shorter
	// than the tolerance of the handler's verifier (5 minutes by default).
	MaxDuration time.Duration
}

// settleTimeout bounds the wait for the goroutines of closed connections
// to end after a run: they need only to be scheduled once. A handler may
// keep goroutines of its own (a database driver's, one per pooled
// connection), which the wait cannot tell from a leak.
const settleTimeout = time.Second

// Run builds cfg.Deliveries deliveries of users and sends them to h from
// cfg.Clients clients, until they are all answered, ctx is done or
// cfg.MaxDuration has passed. A delivery answered with anything but a 2xx
// counts as an error of the Result; Run itself fails only when cfg is
// invalid or the deliveries cannot be built or served.
func Run(ctx context.Context, h http.Handler, users *Users, cfg Config) (Result, error) {
	if cfg.Deliveries < 1 || cfg.Clients < 1 || cfg.MaxDuration <= 0 {
		return Result{}, fmt.Errorf("loadtest: invalid config %+v: deliveries, clients and max duration must be positive", cfg)
	}
	var r Result
	r.HeapBefore, r.GoroutinesBefore = liveHeap(), runtime.NumGoroutine()

	ds, err := users.deliveries(cfg.Deliveries, time.Now())
	if err != nil {
		return Result{}, err
	}
	srv, err := startLoopbackServer(h)
	if err != nil {
		return Result{}, err
	}
	// A Transport of its own, without the default's Proxy, so that
	// HTTP_PROXY cannot send the deliveries elsewhere.
	transport := &http.Transport{
		MaxIdleConns:        cfg.Clients,
		MaxIdleConnsPerHost: cfg.Clients,
		MaxConnsPerHost:     cfg.Clients,
	}
	latencies := send(ctx, &http.Client{Transport: transport}, srv.URL+"/webhooks/clerk", ds, cfg, &r)
	transport.CloseIdleConnections()
	srv.Close()

	r.setLatencies(latencies)
	if r.Duration > 0 {
		r.EventsPerSecond = float64(r.Sent-r.Errors) / r.Duration.Seconds()
	}
	// The deliveries and the latencies are dead from here on: the
	// collection of liveHeap frees them, and HeapAfter does not count them.
	r.GoroutinesAfter = goroutinesAtMost(r.GoroutinesBefore, settleTimeout)
	r.HeapAfter = liveHeap()
	return r, nil
}

// startLoopbackServer serves h on a new port of 127.0.0.1. Unlike
// httptest.NewServer, it ignores the httptest.serve flag.
func startLoopbackServer(h http.Handler) (*httptest.Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("loadtest: listening on the loopback interface: %w", err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	return srv, nil
}

// send sends ds to url from cfg.Clients goroutines, each taking the next
// delivery, until all are sent or the deadline. It records in r the
// deliveries sent, the errors, the duration and the allocations, and
// returns the latencies.
func send(ctx context.Context, client *http.Client, url string, ds []delivery, cfg Config, r *Result) []time.Duration {
	ctx, cancel := context.WithTimeout(ctx, cfg.MaxDuration)
	defer cancel()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		all      = make([]time.Duration, 0, len(ds))
		firstErr error
		errs     int
		wg       sync.WaitGroup
	)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range cfg.Clients {
		wg.Go(func() {
			latencies := make([]time.Duration, 0, len(ds)/cfg.Clients+1)
			var clientErrs int
			var clientErr error
			for i := int(next.Add(1) - 1); i < len(ds) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				t := time.Now()
				err := post(ctx, client, url, ds[i])
				latencies = append(latencies, time.Since(t))
				if err != nil {
					clientErrs++
					if clientErr == nil {
						clientErr = err
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			all = append(all, latencies...)
			errs += clientErrs
			if firstErr == nil {
				firstErr = clientErr
			}
		})
	}
	wg.Wait()
	r.Duration = time.Since(start)
	runtime.ReadMemStats(&after)
	r.Allocs, r.AllocBytes = after.Mallocs-before.Mallocs, after.TotalAlloc-before.TotalAlloc
	r.Sent, r.Errors, r.Err = len(all), errs, firstErr
	return all
}

// post sends one delivery and reads the whole answer, so that the
// connection is reused.
func post(ctx context.Context, client *http.Client, url string, d delivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.body))
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	// Each delivery is sent once, and the transport does not modify the
	// header: the request can use it as it is.
	req.Header = d.header
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("loadtest: sending a %s delivery: %w", d.eventType, err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fmt.Errorf("loadtest: a %s delivery was answered %s", d.eventType, resp.Status)
	case err != nil:
		return fmt.Errorf("loadtest: reading the answer to a %s delivery: %w", d.eventType, err)
	}
	return nil
}

// liveHeap returns the bytes of live heap objects after a collection. Two
// collections empty the sync.Pools, whose contents survive one.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// goroutinesAtMost waits, for up to timeout and without sleeping, for the
// goroutines that are ending (those of closed connections) to bring the
// count down to n, and returns the count.
func goroutinesAtMost(n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for runtime.NumGoroutine() > n && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	return runtime.NumGoroutine()
}
