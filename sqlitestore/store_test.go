package sqlitestore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
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

func TestConformance(t *testing.T) {
	clerkhooktest.TestUserStore(t, func(t *testing.T) clerkhooktest.Store {
		path := filepath.Join(t.TempDir(), "clerk.db")
		return newLapsingStore(t, openStore(t, path), path)
	})
}

// TestConformanceOneFile runs the suite on stores that share one file, as
// the processes of a service restarted in place do.
func TestConformanceOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clerk.db")
	clerkhooktest.TestUserStore(t, func(t *testing.T) clerkhooktest.Store {
		return newLapsingStore(t, openStore(t, path), path)
	})
}

// lapsingStore lets the suite lapse a claim by aging it in the ledger, as
// the passing of the claim timeout would.
type lapsingStore struct {
	*sqlitestore.Store
	db *sql.DB
}

// newLapsingStore wraps s, whose file is path.
func newLapsingStore(tb testing.TB, s *sqlitestore.Store, path string) lapsingStore {
	tb.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, db.Close()) })
	return lapsingStore{s, db}
}

// LapseClaim implements clerkhooktest.ClaimLapser.
func (s lapsingStore) LapseClaim(ctx context.Context, deliveryID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE clerk_webhook_deliveries SET claimed_at = claimed_at - ? WHERE id = ?`,
		(s.ClaimTimeout() + time.Second).Milliseconds(), deliveryID)
	return err
}

func TestOpenRefusesPathsThatAreNotFiles(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:clerk.db", "clerk.db?mode=ro"} {
		t.Run(path, func(t *testing.T) {
			_, err := sqlitestore.Open(context.Background(), path)
			require.ErrorIs(t, err, sqlitestore.ErrInvalidPath)
		})
	}
}

// TestSameVersionIsNotStale writes a user and a membership twice with the
// same version, and deletes the membership twice: the second writes are
// applied, not refused, since superseded deliveries skip their event
// handlers. A deletion older than the membership is refused.
func TestSameVersionIsNotStale(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "clerk.db"))
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	u := must[*clerkhook.User](t)(must[*clerkhook.Event](t)(clerkhooktest.UserCreated()).User())
	m := must[*clerkhook.OrganizationMembership](t)(must[*clerkhook.Event](t)(clerkhooktest.OrganizationMembershipCreated(
		func(m *clerkhook.OrganizationMembership) {
			m.PublicUserData.UserID = u.ID
			m.UpdatedAt = clerkhook.UnixMilli(at.UnixMilli())
		})).OrganizationMembership())
	for i := range 2 {
		require.NoError(t, s.UpsertUser(ctx, u), "UpsertUser #%d", i+1)
		require.NoError(t, s.UpsertMembership(ctx, m), "UpsertMembership #%d", i+1)
	}
	require.ErrorIs(t, s.DeleteMembership(ctx, m.OrganizationID(), u.ID, at.Add(-time.Second)), clerkhook.ErrStale)
	for i := range 2 {
		require.NoError(t, s.DeleteMembership(ctx, m.OrganizationID(), u.ID, at.Add(time.Second)), "DeleteMembership #%d", i+1)
	}
	require.ErrorIs(t, s.UpsertMembership(ctx, m), clerkhook.ErrStale)
}
