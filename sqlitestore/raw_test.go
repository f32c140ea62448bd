package sqlitestore_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook/internal/storetest"
)

func TestDataColumnsHoldWhatClerkSent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clerk.db")
	s := openStore(t, path)
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	storetest.DataColumnsHoldWhatClerkSent(t, s, db)
}
