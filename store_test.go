package clerkhook_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// fakeClock is a clock that only moves when told to.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

func TestMemoryStoreRemembersDeliveriesForTheRetention(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: testNow}
	store := clerkhook.NewMemoryStore(clerkhook.WithStoreClock(clock.Now))
	token, err := store.ClaimDelivery(ctx, "msg_1", clerkhook.EventUserCreated)
	require.NoError(t, err)
	require.NoError(t, store.CompleteDelivery(ctx, "msg_1", token))

	clock.Advance(48 * time.Hour)
	_, err = store.ClaimDelivery(ctx, "msg_1", clerkhook.EventUserCreated)
	assert.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery,
		"Clerk retries for about 28 hours; 48 hours later the delivery is still known")

	clock.Advance(clerkhook.DefaultDeliveryRetention - 48*time.Hour + time.Second)
	_, err = store.ClaimDelivery(ctx, "msg_1", clerkhook.EventUserCreated)
	assert.NoError(t, err, "forgotten after the retention")
}

func TestMemoryStoreBoundsTheLedger(t *testing.T) {
	ctx := context.Background()
	const bound = 100
	store := clerkhook.NewMemoryStore(clerkhook.WithMaxDeliveries(bound))
	for i := range 10 * bound {
		id := fmt.Sprintf("msg_%d", i)
		token, err := store.ClaimDelivery(ctx, id, clerkhook.EventUserCreated)
		require.NoError(t, err)
		require.NoError(t, store.CompleteDelivery(ctx, id, token))
	}
	for i := range 10 * bound {
		_, err := store.ClaimDelivery(ctx, fmt.Sprintf("msg_%d", i), clerkhook.EventUserCreated)
		if i < 9*bound {
			assert.NoError(t, err, "the oldest deliveries are forgotten past the bound")
		} else {
			assert.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery, "the newest are remembered")
		}
	}
}

func TestMemoryStoreClaimsLapse(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: testNow}
	store := clerkhook.NewMemoryStore(clerkhook.WithStoreClock(clock.Now))
	lapsed, err := store.ClaimDelivery(ctx, "msg_1", clerkhook.EventUserCreated)
	require.NoError(t, err)
	_, err = store.ClaimDelivery(ctx, "msg_1", clerkhook.EventUserCreated)
	assert.ErrorIs(t, err, clerkhook.ErrDeliveryInProgress)
	clock.Advance(clerkhook.DefaultClaimTimeout)
	current, err := store.ClaimDelivery(ctx, "msg_1", clerkhook.EventUserCreated)
	require.NoError(t, err, "a claim nobody finished lapses")
	assert.NotEqual(t, lapsed, current, "the new claim has a token of its own")
	assert.ErrorIs(t, store.ReleaseDelivery(ctx, "msg_1", lapsed), clerkhook.ErrClaimLost)
	assert.ErrorIs(t, store.CompleteDelivery(ctx, "msg_1", lapsed), clerkhook.ErrClaimLost)
	_, err = store.ClaimDelivery(ctx, "msg_1", clerkhook.EventUserCreated)
	assert.ErrorIs(t, err, clerkhook.ErrDeliveryInProgress, "the lapsed claim's token neither freed nor finished the new claim")
	require.NoError(t, store.CompleteDelivery(ctx, "msg_1", current))
}

func TestMemoryStoreReadersReturnCopies(t *testing.T) {
	ctx := context.Background()
	store := clerkhook.NewMemoryStore()
	require.NoError(t, store.UpsertUser(ctx, testUser("user_2copy", 1)))
	got, err := store.User(ctx, "user_2copy")
	require.NoError(t, err)
	*got.FirstName = "Mallory"
	got.EmailAddresses[0].EmailAddress = "mallory@example.com"
	again, err := store.User(ctx, "user_2copy")
	require.NoError(t, err)
	assert.Equal(t, "Ada", *again.FirstName)
	assert.Equal(t, "ada.user_2copy@example.com", again.PrimaryEmail())
}

func TestMemoryStoreHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	store := clerkhook.NewMemoryStore()
	assert.ErrorIs(t, store.UpsertUser(ctx, testUser("user_2ctx", 1)), context.Canceled)
	assert.ErrorIs(t, store.DeleteUser(ctx, "user_2ctx", testNow), context.Canceled)
	_, err := store.User(ctx, "user_2ctx")
	assert.ErrorIs(t, err, context.Canceled)
}

// TestExampleStoreConforms proves what ExampleUserStore says of mapStore.
func TestExampleStoreConforms(t *testing.T) {
	clerkhooktest.TestUserStore(t, func(t *testing.T) clerkhooktest.Store {
		return &mapStore{users: map[string]*clerkhook.User{}}
	})
}
