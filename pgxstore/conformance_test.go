package pgxstore_test

import (
	"testing"

	"github.com/clerkhook/clerkhook/clerkhooktest"
)

func TestConformance(t *testing.T) {
	f := newFixture(t)
	clerkhooktest.TestUserStore(t, func(*testing.T) clerkhooktest.Store { return f.store })
}
