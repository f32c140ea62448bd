package pgxstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/handlertest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// TestConformance runs the suite on a store whose connections default to
// each isolation level.
func TestConformance(t *testing.T) {
	forEachIsolationLevel(t, func(t *testing.T, level string) {
		f := newFixtureOn(t, connectAt(t, level, 8))
		clerkhooktest.TestUserStore(t, func(*testing.T) clerkhooktest.Store { return lapsingStore{f.store, f} })
	})
}

// TestConformanceWithAChangeHook runs the suite on a store with a change
// hook, which takes the writes through transactions of their own, and
// checks that the hook logged each change once, in an order a store can
// go through.
func TestConformanceWithAChangeHook(t *testing.T) {
	f, log := newLoggedFixture(t)
	clerkhooktest.TestUserStore(t, func(*testing.T) clerkhooktest.Store { return lapsingStore{f.store, f} })
	rows, _, _ := log.replay(t)
	assert.NotEmpty(t, rows)
	assert.Zero(t, log.conflicts.Load(), "no change logged twice")
}

// lapsingStore lets the suite lapse a claim by aging it in the ledger, as
// the database's clock would.
type lapsingStore struct {
	*pgxstore.Store
	f *fixture
}

// LapseClaim implements clerkhooktest.ClaimLapser.
func (s lapsingStore) LapseClaim(ctx context.Context, deliveryID string) error {
	return s.f.lapseClaim(ctx, deliveryID, s.ClaimTimeout())
}

// lapseClaim ages the claim of the delivery past timeout.
func (f *fixture) lapseClaim(ctx context.Context, deliveryID string, timeout time.Duration) error {
	_, err := f.pool.Exec(ctx, `UPDATE `+f.table("clerk_webhook_deliveries")+`
		SET claimed_at = claimed_at - $2::bigint * interval '1 microsecond' WHERE id = $1`,
		deliveryID, (timeout + time.Second).Microseconds())
	return err
}

func TestHandlerRunsSideEffectsOnce(t *testing.T) {
	handlertest.Run(t, func(t *testing.T) (handlertest.Store, func(*testing.T)) {
		f := newFixture(t)
		return f.store, func(t *testing.T) { f.ageLedger(t, f.store.ClaimTimeout()+time.Second) }
	})
}
