package mysqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/mysqlstore"
)

func TestConformance(t *testing.T) {
	db := testDatabase(t)
	s := lapsingStore{newStore(t, db), db}
	clerkhooktest.TestUserStore(t, func(*testing.T) clerkhooktest.Store { return s })
}

// lapsingStore lets the suite lapse a claim by aging it in the ledger, as
// the passing of the claim timeout would.
type lapsingStore struct {
	*mysqlstore.Store
	db *sql.DB
}

// LapseClaim implements clerkhooktest.ClaimLapser.
func (s lapsingStore) LapseClaim(ctx context.Context, deliveryID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE clerk_webhook_deliveries SET claimed_at = claimed_at - ? WHERE id = ?`,
		(s.ClaimTimeout() + time.Second).Milliseconds(), deliveryID)
	return err
}

// TestSameVersionIsNotStale writes each record twice with the same
// version, which MySQL counts as changing no row, and checks that the
// second write is applied rather than refused: superseded deliveries skip
// their event handlers, so a false ErrStale would skip a legitimate one.
// Older versions, and deletions older than the membership, stay refused.
func TestSameVersionIsNotStale(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, testDatabase(t))
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	u := must[*clerkhook.User](t)(must[*clerkhook.Event](t)(clerkhooktest.UserCreated()).User())
	o := must[*clerkhook.Organization](t)(must[*clerkhook.Event](t)(clerkhooktest.OrganizationCreated()).Organization())
	m := must[*clerkhook.OrganizationMembership](t)(must[*clerkhook.Event](t)(clerkhooktest.OrganizationMembershipCreated(
		func(m *clerkhook.OrganizationMembership) {
			m.Organization.ID, m.PublicUserData.UserID = o.ID, u.ID
			m.UpdatedAt = clerkhook.UnixMilli(at.UnixMilli())
		})).OrganizationMembership())
	for i := range 2 {
		require.NoError(t, s.UpsertUser(ctx, u), "UpsertUser #%d", i+1)
		require.NoError(t, s.UpsertOrganization(ctx, o), "UpsertOrganization #%d", i+1)
		require.NoError(t, s.UpsertMembership(ctx, m), "UpsertMembership #%d", i+1)
	}
	for i, delivery := range []string{"msg_same_1", "msg_same_2"} {
		require.NoError(t, s.UpsertUserDelivery(ctx, delivery, clerkhook.EventUserUpdated, u), "UpsertUserDelivery #%d", i+1)
	}

	older := *u
	older.UpdatedAt--
	assert.ErrorIs(t, s.UpsertUser(ctx, &older), clerkhook.ErrStale)
	olderOrg := *o
	olderOrg.UpdatedAt--
	assert.ErrorIs(t, s.UpsertOrganization(ctx, &olderOrg), clerkhook.ErrStale)
	assert.ErrorIs(t, s.DeleteMembership(ctx, o.ID, u.ID, at.Add(-time.Second)), clerkhook.ErrStale)
	for i := range 2 {
		require.NoError(t, s.DeleteMembership(ctx, o.ID, u.ID, at.Add(time.Second)), "DeleteMembership #%d", i+1)
	}
	assert.ErrorIs(t, s.UpsertMembership(ctx, m), clerkhook.ErrStale)
}

func TestMigrateTwice(t *testing.T) {
	db := testDatabase(t)
	newStore(t, db)
	newStore(t, db)
}

func TestParseURL(t *testing.T) {
	c, err := mysqlstore.ParseURL("mysql://app:s3cret@db.internal:3307/clerk")
	if assert.NoError(t, err) {
		assert.Equal(t, "app", c.User)
		assert.Equal(t, "s3cret", c.Passwd)
		assert.Equal(t, "db.internal:3307", c.Addr)
		assert.Equal(t, "clerk", c.DBName)
	}
	c, err = mysqlstore.ParseURL("mysql://root@127.0.0.1/test")
	if assert.NoError(t, err) {
		assert.Equal(t, "127.0.0.1:3306", c.Addr)
	}
	for _, bad := range []string{"postgres://x@h/db", "mysql://root@127.0.0.1:3306/", "mysql://root@127.0.0.1/test?tls=true", "mysql:///test"} {
		_, err := mysqlstore.ParseURL(bad)
		assert.ErrorIs(t, err, mysqlstore.ErrInvalidURL, bad)
	}
}

// TestMigrateRefusesFoundRows opens the pool with clientFoundRows, which
// would let the Store take a refused write or claim for an applied one.
func TestMigrateRefusesFoundRows(t *testing.T) {
	foundRows := reopen(t, testDatabase(t), func(c *mysql.Config) { c.ClientFoundRows = true })
	err := mysqlstore.New(foundRows).Migrate(context.Background())
	assert.ErrorIs(t, err, mysqlstore.ErrFoundRows)
}
