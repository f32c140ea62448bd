package shuffle_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/clerkhook/clerkhook/internal/shuffle"
)

func TestWithDuplicates(t *testing.T) {
	tests := []struct {
		name    string
		dupRate float64
		copies  func(n int) bool
	}{
		{"none", 0, func(n int) bool { return n == 1000 }},
		{"every one", 1, func(n int) bool { return n == 2000 }},
		{"one in five", 0.2, func(n int) bool { return n > 1100 && n < 1300 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := make([]int, 1000)
			for i := range ds {
				ds[i] = i
			}
			out := shuffle.WithDuplicates(rand.New(rand.NewPCG(1, 2)), slices.Clone(ds), tt.dupRate)
			assert.True(t, tt.copies(len(out)), "%d deliveries", len(out))
			seen := map[int]int{}
			for _, d := range out {
				seen[d]++
			}
			assert.Len(t, seen, len(ds), "every delivery is sent")
			for d, n := range seen {
				assert.LessOrEqual(t, n, 2, "delivery %d", d)
			}
			assert.NotEqual(t, ds, out[:len(ds)], "the order changed")
		})
	}
}
