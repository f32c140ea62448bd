package loadtest

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// Result is what a [Run] measured.
type Result struct {
	// Sent counts the deliveries sent; Errors those of them that were not
	// answered with a 2xx, including those cut short by the deadline. Err
	// is the first of these errors.
	Sent, Errors int
	Err          error
	// Duration is the time from the first request to the last answer.
	Duration time.Duration
	// EventsPerSecond is the rate of deliveries answered with a 2xx.
	EventsPerSecond float64
	// P50, P90, P99 and Max are the latencies of the requests, errors
	// included, from sending the request to reading the whole answer.
	P50, P90, P99, Max time.Duration
	// Allocs and AllocBytes count the heap allocations of the whole
	// process, clients included, from the first request to the last answer.
	Allocs, AllocBytes uint64
	// HeapBefore and HeapAfter are the bytes of live heap objects after a
	// collection, before the deliveries are built and after the server and
	// the clients are gone.
	HeapBefore, HeapAfter uint64
	// GoroutinesBefore and GoroutinesAfter count the goroutines of the
	// process at the same moments.
	GoroutinesBefore, GoroutinesAfter int
}

// String summarizes r on one line, for a test's log.
func (r Result) String() string {
	return fmt.Sprintf("%d deliveries in %v: %.0f events/s, %d errors; latency p50 %v, p90 %v, p99 %v, max %v; "+
		"%.1f allocs, %.0f B per delivery; heap %.1f MiB before, %.1f MiB after; goroutines %d before, %d after",
		r.Sent, r.Duration.Round(time.Millisecond), r.EventsPerSecond, r.Errors,
		r.P50.Round(time.Microsecond), r.P90.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond),
		perDelivery(r.Allocs, r.Sent), perDelivery(r.AllocBytes, r.Sent),
		float64(r.HeapBefore)/(1<<20), float64(r.HeapAfter)/(1<<20), r.GoroutinesBefore, r.GoroutinesAfter)
}

// Report reports r as the measures of b, whose run sent b.N deliveries:
// ns/op, B/op and allocs/op of the sending alone, not of building and
// signing the deliveries, events/s, and the p50 and p99 latencies in
// microseconds. It fails b when a delivery was not accepted or the run
// ended at its deadline.
func Report(b *testing.B, r Result) {
	b.Helper()
	if r.Errors > 0 || r.Sent < b.N {
		b.Fatalf("%d of %d deliveries sent, %d errors; first error: %v", r.Sent, b.N, r.Errors, r.Err)
	}
	n := float64(b.N)
	b.ReportMetric(float64(r.Duration.Nanoseconds())/n, "ns/op")
	b.ReportMetric(float64(r.AllocBytes)/n, "B/op")
	b.ReportMetric(float64(r.Allocs)/n, "allocs/op")
	b.ReportMetric(r.EventsPerSecond, "events/s")
	b.ReportMetric(float64(r.P50.Microseconds()), "p50_us")
	b.ReportMetric(float64(r.P99.Microseconds()), "p99_us")
}

func perDelivery(n uint64, sent int) float64 {
	if sent == 0 {
		return 0
	}
	return float64(n) / float64(sent)
}

// setLatencies records the percentiles of latencies, which it sorts.
func (r *Result) setLatencies(latencies []time.Duration) {
	slices.Sort(latencies)
	r.P50 = percentile(latencies, 50)
	r.P90 = percentile(latencies, 90)
	r.P99 = percentile(latencies, 99)
	r.Max = percentile(latencies, 100)
}

// percentile returns the p-th percentile, 0 <= p <= 100, of sorted by the
// nearest-rank method: the smallest of the values that at least p percent
// of them are less than or equal to. It is one of the values, never an
// interpolation; the smallest for p = 0, and 0 when there are no values.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n), in integers
	return sorted[max(rank, 1)-1]
}
