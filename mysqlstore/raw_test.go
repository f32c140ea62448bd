package mysqlstore_test

import (
	"testing"

	"github.com/clerkhook/clerkhook/internal/storetest"
)

func TestDataColumnsHoldWhatClerkSent(t *testing.T) {
	db := testDatabase(t)
	storetest.DataColumnsHoldWhatClerkSent(t, newStore(t, db), db)
}
