package loadtest

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// ms returns the durations of ns milliseconds.
func ms(ns ...int) []time.Duration {
	ds := make([]time.Duration, len(ns))
	for i, n := range ns {
		ds[i] = time.Duration(n) * time.Millisecond
	}
	return ds
}

// upTo returns 1 ms, 2 ms, ... n ms.
func upTo(n int) []time.Duration {
	ds := make([]time.Duration, n)
	for i := range ds {
		ds[i] = time.Duration(i+1) * time.Millisecond
	}
	return ds
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []time.Duration
		p      int
		want   time.Duration
	}{
		{"no values", nil, 50, 0},
		{"one value, p0", ms(7), 0, 7 * time.Millisecond},
		{"one value, p50", ms(7), 50, 7 * time.Millisecond},
		{"one value, p100", ms(7), 100, 7 * time.Millisecond},
		{"100 values, p0 is the smallest", upTo(100), 0, 1 * time.Millisecond},
		{"100 values, p1", upTo(100), 1, 1 * time.Millisecond},
		{"100 values, p50", upTo(100), 50, 50 * time.Millisecond},
		{"100 values, p90", upTo(100), 90, 90 * time.Millisecond},
		{"100 values, p99", upTo(100), 99, 99 * time.Millisecond},
		{"100 values, p100 is the largest", upTo(100), 100, 100 * time.Millisecond},
		{"10 values, p99 rounds the rank up", upTo(10), 99, 10 * time.Millisecond},
		{"10 values, p1 rounds the rank up", upTo(10), 1, 1 * time.Millisecond},
		{"10 values, p50", upTo(10), 50, 5 * time.Millisecond},
		{"3 values, p33 is the first", ms(1, 2, 3), 33, 1 * time.Millisecond},
		{"3 values, p34 is the second", ms(1, 2, 3), 34, 2 * time.Millisecond},
		{"1000 values, p99", upTo(1000), 99, 990 * time.Millisecond},
		{"1001 values, p99 rounds the rank up", upTo(1001), 99, 991 * time.Millisecond},
		{"ties, p75", ms(5, 5, 5, 9), 75, 5 * time.Millisecond},
		{"ties, p76", ms(5, 5, 5, 9), 76, 9 * time.Millisecond},
		{"an outlier is the max, not the p99", append(upTo(99), time.Minute), 99, 99 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, percentile(tt.sorted, tt.p))
		})
	}
}

// TestPercentileIsNearestRank checks percentile against the definition, on
// random samples with ties: the result is the smallest of the values that
// at least p percent of the values are less than or equal to.
func TestPercentileIsNearestRank(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		sorted := make([]time.Duration, 1+r.IntN(300))
		for i := range sorted {
			sorted[i] = time.Duration(r.IntN(50))
		}
		slices.Sort(sorted)
		p := r.IntN(101)
		var want time.Duration
		for _, v := range sorted {
			atMost := 0
			for _, w := range sorted {
				if w <= v {
					atMost++
				}
			}
			if 100*atMost >= p*len(sorted) {
				want = v
				break
			}
		}
		assert.Equal(t, want, percentile(sorted, p), "p%d of %v", p, sorted)
	}
}

func TestPercentilesOfAResult(t *testing.T) {
	latencies := upTo(1000)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(latencies), func(i, j int) {
		latencies[i], latencies[j] = latencies[j], latencies[i]
	})
	var r Result
	r.setLatencies(latencies)
	assert.Equal(t, 500*time.Millisecond, r.P50)
	assert.Equal(t, 900*time.Millisecond, r.P90)
	assert.Equal(t, 990*time.Millisecond, r.P99)
	assert.Equal(t, 1000*time.Millisecond, r.Max)
}
