// Package storetest is what the database stores' tests share: events per second
// through a Handler beside a naive store, and the check of the data columns.
package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// BenchStore is a store that [BenchmarkHandler] measures.
type BenchStore struct {
	Name string
	// New returns the store over empty tables of its own, for deliveries
	// sent by concurrency goroutines at once.
	New func(b *testing.B, concurrency int) clerkhook.UserStore
}

// BenchmarkHandler measures user events per second from signed request to
// committed row, through a Handler into each of stores, one delivery at a
// time and 16 at once, as the sub-benchmarks
// store=NAME/concurrency=N. Each delivery is the user.created of a new
// user, and the Handler formats its log lines, as a service's does. The
// metric resent/op counts the attempts answered 5xx and sent again.
func BenchmarkHandler(b *testing.B, stores ...BenchStore) {
	for _, concurrency := range []int{1, 16} {
		for _, st := range stores {
			b.Run(fmt.Sprintf("store=%s/concurrency=%d", st.Name, concurrency), func(b *testing.B) {
				secret := clerkhooktest.NewSecret()
				h, err := clerkhook.NewHandler(secret, st.New(b, concurrency),
					clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
				if err != nil {
					b.Fatal(err)
				}
				deliveries := newUserDeliveries(b, secret, b.N)
				var next, resent atomic.Int64
				var wg sync.WaitGroup
				b.ReportAllocs()
				b.ResetTimer()
				for range concurrency {
					wg.Go(func() {
						for i := next.Add(1) - 1; i < int64(len(deliveries)); i = next.Add(1) - 1 {
							if err := send(h, deliveries[i], &resent); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
				b.ReportMetric(float64(resent.Load())/float64(b.N), "resent/op")
			})
		}
	}
}

// maxAttempts bounds how often send sends a delivery.
const maxAttempts = 5

// send sends d to h until h acknowledges it, counting in resent the
// attempts answered 5xx, which Svix would send again, and fails after
// maxAttempts: a store that cannot keep up with 16 deliveries at once
// then costs the benchmark time, rather than ending it.
func send(h http.Handler, d signedDelivery, resent *atomic.Int64) error {
	for attempt := 1; ; attempt++ {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(d.body))
		req.Header = d.header
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusOK:
			return nil
		case rec.Code < http.StatusInternalServerError || attempt == maxAttempts:
			return fmt.Errorf("attempt %d: status %d: %s", attempt, rec.Code, rec.Body)
		}
		resent.Add(1)
	}
}

// signedDelivery is a request body with its svix-* headers.
type signedDelivery struct {
	body   []byte
	header http.Header
}

// newUserDeliveries returns n signed user.created deliveries of distinct
// users.
func newUserDeliveries(b *testing.B, secret string, n int) []signedDelivery {
	signer, err := clerkhooktest.NewSigner(secret)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	ds := make([]signedDelivery, n)
	for i := range ds {
		evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = fmt.Sprintf("user_bench_%d", i) })
		if err != nil {
			b.Fatal(err)
		}
		body, err := json.Marshal(evt)
		if err != nil {
			b.Fatal(err)
		}
		header := signer.Headers(fmt.Sprintf("msg_bench_%d", i), now, body)
		header.Set("Content-Type", "application/json")
		ds[i] = signedDelivery{body: body, header: header}
	}
	return ds
}
