package clerkhook_test

import (
	"context"
	"fmt"
	"math/rand"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

type testDelivery struct {
	id   string
	body []byte
}

// randomHistories returns the deliveries of a random history for each of
// n users, shuffled, with some delivered more than once, and the last
// version of each user that is not deleted.
func randomHistories(t *testing.T, rng *rand.Rand, n int) ([]testDelivery, map[string]int) {
	var deliveries []testDelivery
	truth := make(map[string]int)
	for i := range n {
		id := fmt.Sprintf("user_2rand%04d", i)
		versions := 1 + rng.Intn(6)
		for v := 1; v <= versions; v++ {
			typ := clerkhook.EventUserUpdated
			if v == 1 {
				typ = clerkhook.EventUserCreated
			}
			deliveries = append(deliveries, testDelivery{fmt.Sprintf("msg_%s_%d", id, v), userBody(t, typ, testUser(id, v))})
		}
		truth[id] = versions
		if rng.Intn(4) == 0 {
			deliveries = append(deliveries, testDelivery{"msg_" + id + "_del", deleteBody(t, id, testNow)})
			truth[id] = 0
		}
	}
	for i := range len(deliveries) / 3 {
		deliveries = append(deliveries, deliveries[i*2%len(deliveries)])
	}
	rng.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
	return deliveries, truth
}

// TestHandlerConvergesUnderShuffledDuplicatedDelivery delivers random
// histories out of order, with duplicates, from several goroutines, and
// retries what is refused the way Svix does; the store must end with the
// last state of every user, and event handlers must have run once per
// delivery.
func TestHandlerConvergesUnderShuffledDuplicatedDelivery(t *testing.T) {
	for _, withHandler := range []bool{false, true} {
		t.Run(fmt.Sprintf("event handlers %v", withHandler), func(t *testing.T) {
			seed := time.Now().UnixNano()
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewSource(seed))
			deliveries, truth := randomHistories(t, rng, 300)

			store := clerkhook.NewMemoryStore()
			var mu sync.Mutex
			// runs counts the runs of a handler of every delivery,
			// superseded included; appliedRuns those of a handler of the
			// applied ones, which must be those runs saw applied.
			runs := make(map[string]int)
			appliedRuns, applied := make(map[string]int), make(map[string]bool)
			count := func(ctx context.Context, evt *clerkhook.Event) error {
				mu.Lock()
				defer mu.Unlock()
				runs[evt.ID]++
				if r, _ := clerkhook.WriteResultFromContext(ctx); r == clerkhook.WriteApplied {
					applied[evt.ID] = true
				}
				return nil
			}
			countApplied := func(_ context.Context, evt *clerkhook.Event) error {
				mu.Lock()
				defer mu.Unlock()
				appliedRuns[evt.ID]++
				return nil
			}
			var opts []clerkhook.HandlerOption
			if withHandler {
				for _, typ := range []string{clerkhook.EventUserCreated, clerkhook.EventUserUpdated, clerkhook.EventUserDeleted} {
					opts = append(opts, clerkhook.WithSupersededEventHandler(typ, count), clerkhook.WithEventHandler(typ, countApplied))
				}
			}
			h := newTestHandler(t, store, opts...)

			work := make(chan testDelivery)
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for d := range work {
						for attempt := 0; ; attempt++ {
							code := serve(h, signedRequest(t, d.id, d.body)).Code
							if code == http.StatusOK {
								break
							}
							// 409: another attempt holds the delivery; retry.
							assert.Equal(t, http.StatusConflict, code)
							require.Less(t, attempt, 100000)
						}
					}
				}()
			}
			for _, d := range deliveries {
				work <- d
			}
			close(work)
			wg.Wait()

			ctx := context.Background()
			for id, version := range truth {
				got, err := store.User(ctx, id)
				if version == 0 {
					assert.ErrorIs(t, err, clerkhook.ErrUserNotFound, id)
					continue
				}
				require.NoError(t, err, id)
				assert.Equal(t, fmt.Sprintf("Version%d", version), *got.LastName, id)
			}
			if withHandler {
				distinct := make(map[string]bool)
				for _, d := range deliveries {
					distinct[d.id] = true
				}
				assert.Len(t, runs, len(distinct))
				for id, n := range runs {
					assert.Equal(t, 1, n, id)
				}
				assert.Len(t, appliedRuns, len(applied), "the handler of applied writes ran for the applied deliveries")
				for id, n := range appliedRuns {
					assert.True(t, applied[id], "the handler of applied writes ran for %s, which was superseded", id)
					assert.Equal(t, 1, n, id)
				}
			}
		})
	}
}
