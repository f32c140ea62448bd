package pgxstore_test

import (
	"testing"

	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// TestConformance runs the suite on a store whose connections default to
// each isolation level.
func TestConformance(t *testing.T) {
	forEachIsolationLevel(t, func(t *testing.T, level string) {
		f := newFixtureOn(t, connectAt(t, level, 8))
		clerkhooktest.TestUserStore(t, func(*testing.T) clerkhooktest.Store { return f.store })
	})
}
