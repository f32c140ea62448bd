package clerkhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// countingStore counts the writes it gets and has no ledger.
type countingStore struct {
	mu      sync.Mutex
	upserts map[string]int
}

func (s *countingStore) UpsertUser(_ context.Context, u *clerkhook.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upserts[u.ID]++
	return nil
}

func (s *countingStore) DeleteUser(context.Context, string, time.Time) error { return nil }

// ledgerStore is a store with a ledger of its own, whose DeliveryWriter
// writes to its MemoryStore.
type ledgerStore struct{ *clerkhook.MemoryStore }

func TestWithDeduplicator(t *testing.T) {
	tests := []struct {
		name  string
		store func() clerkhook.UserStore
		// written returns how often the store got the user.
		written func(store clerkhook.UserStore, id string) int
	}{
		{"a store without a ledger", func() clerkhook.UserStore { return &countingStore{upserts: map[string]int{}} },
			func(s clerkhook.UserStore, id string) int { return s.(*countingStore).upserts[id] }},
		{"a store with a ledger of its own", func() clerkhook.UserStore { return ledgerStore{clerkhook.NewMemoryStore()} },
			func(s clerkhook.UserStore, id string) int {
				if _, err := s.(ledgerStore).User(context.Background(), id); err != nil {
					return 0
				}
				return 1
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := clerkhooktest.NewSecret()
			store, ledger := tt.store(), clerkhook.NewMemoryStore()
			h, err := clerkhook.NewHandler(secret, store, clerkhook.WithDeduplicator(ledger), clerkhook.WithLogger(discardLogger()))
			require.NoError(t, err)
			evt, err := clerkhooktest.UserCreated()
			require.NoError(t, err)
			u, err := evt.User()
			require.NoError(t, err)

			for _, want := range []clerkhook.Outcome{clerkhook.OutcomeProcessed, clerkhook.OutcomeDuplicate} {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
				assert.Equal(t, http.StatusOK, rec.Code)
				assert.Equal(t, string(want)+"\n", rec.Body.String())
			}
			assert.Equal(t, 1, tt.written(store, u.ID), "the store got the user once")
			_, err = ledger.User(context.Background(), u.ID)
			assert.ErrorIs(t, err, clerkhook.ErrUserNotFound, "the ledger keeps deliveries, not users")
			_, err = ledger.ClaimDelivery(context.Background(), evt.ID, evt.Type)
			assert.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery, "the delivery is recorded in the attached ledger")
		})
	}
}

// longClaims is a ledger whose claims last an hour, by its word.
type longClaims struct{ *clerkhook.MemoryStore }

func (longClaims) ClaimTimeout() time.Duration { return time.Hour }

// TestWithDeduplicatorClaimTimeout checks that NewHandler holds the
// attached ledger's claim timeout, not the store's, to twice WithTimeout.
func TestWithDeduplicatorClaimTimeout(t *testing.T) {
	timeout := clerkhook.DefaultClaimTimeout/2 + time.Second // the MemoryStore's claims are too short for it
	tests := []struct {
		name   string
		store  clerkhook.UserStore
		ledger clerkhook.Deduplicator
		ok     bool
	}{
		{"short ledger beside a store without one", &countingStore{upserts: map[string]int{}}, clerkhook.NewMemoryStore(), false},
		{"long ledger beside a store without one", &countingStore{upserts: map[string]int{}}, longClaims{clerkhook.NewMemoryStore()}, true},
		{"long ledger beside a store with a short one", ledgerStore{clerkhook.NewMemoryStore()}, longClaims{clerkhook.NewMemoryStore()}, true},
		{"short ledger beside a store with a long one", longClaims{clerkhook.NewMemoryStore()}, clerkhook.NewMemoryStore(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := clerkhook.NewHandler(clerkhooktest.NewSecret(), tt.store, clerkhook.WithDeduplicator(tt.ledger),
				clerkhook.WithTimeout(timeout))
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "twice WithTimeout")
			}
		})
	}
}

func TestWithDeduplicatorNil(t *testing.T) {
	_, err := clerkhook.NewHandler(clerkhooktest.NewSecret(), clerkhook.NewMemoryStore(), clerkhook.WithDeduplicator(nil))
	assert.ErrorContains(t, err, "WithDeduplicator(nil)")
}
