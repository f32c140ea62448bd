package mysqlstore_test

import (
	"context"
	"database/sql"
	"strconv"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/mysqlstore"
)

// TestLedgerIsDatedByTheDatabaseClock runs replicas whose database
// sessions read a clock set years away from this machine's (SET
// timestamp), each a little apart from the others, and checks that claims,
// completions, the lapse of a claim and Prune all go by the database's
// clock: replicas whose own clocks disagree then agree on when a claim
// lapses.
func TestLedgerIsDatedByTheDatabaseClock(t *testing.T) {
	ctx := context.Background()
	db := testDatabase(t)
	newStore(t, db)
	at := time.Date(2020, 1, 1, 12, 0, 0, 0, time.UTC)
	// replicaAt returns a store whose database sessions read at+d.
	replicaAt := func(d time.Duration) *mysqlstore.Store {
		return mysqlstore.New(reopen(t, db, func(c *mysql.Config) {
			c.Params = map[string]string{"timestamp": strconv.FormatInt(at.Add(d).Unix(), 10)}
		}))
	}
	ledger := func(id string) (claimedAt time.Time, processedAt *time.Time) {
		var claimed int64
		var processed sql.NullInt64
		require.NoError(t, db.QueryRowContext(ctx, `SELECT claimed_at, processed_at FROM clerk_webhook_deliveries WHERE id = ?`, id).
			Scan(&claimed, &processed))
		if processed.Valid {
			p := time.UnixMilli(processed.Int64).UTC()
			processedAt = &p
		}
		return time.UnixMilli(claimed).UTC(), processedAt
	}
	const id, typ = "msg_db_clock", clerkhook.EventUserUpdated

	first, err := replicaAt(0).ClaimDelivery(ctx, id, typ)
	require.NoError(t, err)
	claimedAt, processedAt := ledger(id)
	assert.Equal(t, at, claimedAt)
	assert.Nil(t, processedAt)

	_, err = replicaAt(mysqlstore.DefaultClaimTimeout-time.Second).ClaimDelivery(ctx, id, typ)
	assert.ErrorIs(t, err, clerkhook.ErrDeliveryInProgress, "claimed less than the claim timeout ago by the database's clock")
	takeover, err := replicaAt(mysqlstore.DefaultClaimTimeout+time.Second).ClaimDelivery(ctx, id, typ)
	require.NoError(t, err, "claimed more than the claim timeout ago by the database's clock")
	assert.ErrorIs(t, replicaAt(2*time.Minute).CompleteDelivery(ctx, id, first), clerkhook.ErrClaimLost)
	require.NoError(t, replicaAt(2*time.Minute).CompleteDelivery(ctx, id, takeover))
	claimedAt, processedAt = ledger(id)
	assert.Equal(t, at.Add(mysqlstore.DefaultClaimTimeout+time.Second), claimedAt)
	if assert.NotNil(t, processedAt) {
		assert.Equal(t, at.Add(2*time.Minute), *processedAt)
	}

	u := must[*clerkhook.User](t)(must[*clerkhook.Event](t)(clerkhooktest.UserCreated()).User())
	require.NoError(t, replicaAt(time.Hour).UpsertUserDelivery(ctx, "msg_db_clock_recorded", typ, u))
	claimedAt, processedAt = ledger("msg_db_clock_recorded")
	assert.Equal(t, at.Add(time.Hour), claimedAt)
	if assert.NotNil(t, processedAt) {
		assert.Equal(t, at.Add(time.Hour), *processedAt)
	}

	// By this machine's clock both deliveries are years old; by the
	// database's, the first was completed 1h58m ago, then 2h01m ago.
	n, err := replicaAt(2*time.Hour).Prune(ctx, 2*time.Hour)
	require.NoError(t, err)
	assert.Zero(t, n)
	n, err = replicaAt(2*time.Hour+3*time.Minute).Prune(ctx, 2*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	_, err = replicaAt(2*time.Hour+3*time.Minute).ClaimDelivery(ctx, "msg_db_clock_recorded", typ)
	assert.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery, "the delivery Prune kept")
}
