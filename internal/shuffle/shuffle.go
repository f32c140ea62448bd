// Package shuffle orders the deliveries of a test as Svix may send them:
// in any order, some of them twice.
package shuffle

import (
	"math/rand/v2"
	"slices"
)

// WithDuplicates returns ds in a random order, with one delivery in
// dupRate sent twice: half of the copies right after the first, so that
// both attempts are processed at the same time, the others anywhere. It
// reorders ds in place.
func WithDuplicates[T any](r *rand.Rand, ds []T, dupRate float64) []T {
	r.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
	out := make([]T, 0, len(ds)+int(float64(len(ds))*dupRate*1.5))
	var anywhere []T
	for _, d := range ds {
		out = append(out, d)
		if r.Float64() < dupRate {
			if r.IntN(2) == 0 {
				out = append(out, d)
			} else {
				anywhere = append(anywhere, d)
			}
		}
	}
	for _, d := range anywhere {
		out = slices.Insert(out, r.IntN(len(out)+1), d)
	}
	return out
}
