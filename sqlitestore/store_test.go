package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/sqlitestore"
)

// openStore opens and migrates a store over path, closed when the test
// ends.
func openStore(tb testing.TB, path string, opts ...sqlitestore.Option) *sqlitestore.Store {
	tb.Helper()
	s, err := sqlitestore.Open(context.Background(), path, opts...)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, s.Close()) })
	require.NoError(tb, s.Migrate(context.Background()))
	return s
}

// newStore opens a store over a new file in the test's directory.
func newStore(tb testing.TB, opts ...sqlitestore.Option) *sqlitestore.Store {
	tb.Helper()
	return openStore(tb, filepath.Join(tb.TempDir(), "clerk.db"), opts...)
}

func TestConformance(t *testing.T) {
	clerkhooktest.TestUserStore(t, func(t *testing.T) clerkhooktest.Store { return newStore(t) })
}

// TestConformanceOneFile runs the suite on stores that share one file, as
// the processes of a service restarted in place do.
func TestConformanceOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clerk.db")
	clerkhooktest.TestUserStore(t, func(t *testing.T) clerkhooktest.Store { return openStore(t, path) })
}

func TestOpenRefusesPathsThatAreNotFiles(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:clerk.db", "clerk.db?mode=ro"} {
		t.Run(path, func(t *testing.T) {
			_, err := sqlitestore.Open(context.Background(), path)
			require.ErrorIs(t, err, sqlitestore.ErrInvalidPath)
		})
	}
}
