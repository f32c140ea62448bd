package clerkhook_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// TestMemoryStoreKeepsDeduplicatingWithNonPositiveSettings sends each
// delivery twice through a Handler on a MemoryStore whose ledger settings
// are zero or negative: they keep the defaults, so the second copy is a
// duplicate and the event handler runs once per delivery.
func TestMemoryStoreKeepsDeduplicatingWithNonPositiveSettings(t *testing.T) {
	for _, opt := range []struct {
		name string
		opt  clerkhook.MemoryStoreOption
	}{
		{"WithMaxDeliveries(0)", clerkhook.WithMaxDeliveries(0)},
		{"WithMaxDeliveries(-1)", clerkhook.WithMaxDeliveries(-1)},
		{"WithDeliveryRetention(0)", clerkhook.WithDeliveryRetention(0)},
		{"WithDeliveryRetention(-time.Hour)", clerkhook.WithDeliveryRetention(-time.Hour)},
	} {
		t.Run(opt.name, func(t *testing.T) {
			secret := clerkhooktest.NewSecret()
			var runs atomic.Int32
			count := func(context.Context, *clerkhook.Event) error {
				runs.Add(1)
				return nil
			}
			h, err := clerkhook.NewHandler(secret, clerkhook.NewMemoryStore(opt.opt), clerkhook.WithLogger(discardLogger()),
				clerkhook.WithEventHandler(clerkhook.EventUserCreated, count))
			require.NoError(t, err)
			for i := range 3 {
				evt, err := clerkhooktest.UserCreated()
				require.NoError(t, err)
				evt.ID = fmt.Sprintf("msg_2dedup%d", i)
				for range 2 {
					assert.Equal(t, http.StatusOK, serve(h, clerkhooktest.NewEventRequest(t, secret, evt)).Code)
				}
			}
			assert.Equal(t, int32(3), runs.Load(), "once per delivery")
		})
	}
}
