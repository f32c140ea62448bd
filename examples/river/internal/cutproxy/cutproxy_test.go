package cutproxy_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook/examples/river/internal/cutproxy"
	"github.com/clerkhook/clerkhook/internal/pgtest"
)

// TestCut commits through the proxy in the ways pgx does, and checks that
// each cut commit fails on the client and commits on the server.
func TestCut(t *testing.T) {
	ctx := t.Context()
	admin := pgtest.Connect(t, nil)
	schema := pgtest.FreshSchema(t, admin)
	_, err := admin.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize())
	require.NoError(t, err)
	table := pgx.Identifier{schema, "rows"}.Sanitize()
	_, err = admin.Exec(ctx, `CREATE TABLE `+table+` (id int PRIMARY KEY)`)
	require.NoError(t, err)

	var proxy *cutproxy.Proxy
	pool := pgtest.Connect(t, func(cfg *pgxpool.Config) {
		// One connection, so that the second batch binds the COMMIT the
		// first one prepared.
		cfg.MaxConns = 1
		proxy, err = cutproxy.Redirect(&cfg.ConnConfig.Config)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, proxy.Close()) })
	})
	insert := `INSERT INTO ` + table + ` (id) VALUES ($1)`
	batch := func(id int) error {
		b := &pgx.Batch{}
		b.Queue(`BEGIN`)
		b.Queue(insert, id)
		b.Queue(`COMMIT`)
		return pool.SendBatch(ctx, b).Close()
	}
	stored := func(id int) bool {
		var n int
		require.NoError(t, admin.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE id = $1`, id).Scan(&n))
		return n == 1
	}

	// Disarmed, it relays: this batch also prepares the statements.
	require.NoError(t, batch(0))
	require.True(t, stored(0))
	proxy.CutEvery(1)

	steps := []struct {
		name      string
		commit    func(id int) error
		committed bool
	}{
		{"batch, COMMIT bound by name", batch, true},
		{"batch on a new connection, COMMIT parsed", batch, true},
		{"Tx.Commit, simple protocol", func(id int) error {
			tx, err := pool.Begin(ctx)
			require.NoError(t, err)
			_, err = tx.Exec(ctx, insert, id)
			require.NoError(t, err)
			return tx.Commit(ctx)
		}, true},
		{"failed transaction", func(id int) error {
			tx, err := pool.Begin(ctx)
			require.NoError(t, err)
			_, err = tx.Exec(ctx, insert, id)
			require.NoError(t, err)
			_, err = tx.Exec(ctx, `SELECT 1/0`)
			require.Error(t, err)
			return tx.Commit(ctx)
		}, false},
	}
	var cuts, aborted int64
	for i, step := range steps {
		id := i + 1
		require.Error(t, step.commit(id), step.name)
		if step.committed {
			cuts++
		} else {
			aborted++
		}
		// The client saw its connection close before the server answered:
		// the server's answer comes a little later.
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			assert.Equal(c, cuts, proxy.Cuts(), "cut commits")
			assert.Equal(c, aborted, proxy.Aborted(), "cut rollbacks")
		}, 5*time.Second, time.Millisecond, step.name)
		assert.Equal(t, step.committed, stored(id), step.name)
	}
	assert.Equal(t, int64(len(steps)), proxy.Commits())

	// Disarmed again, it relays.
	proxy.CutEvery(0)
	require.NoError(t, batch(10))
	require.True(t, stored(10))
	require.NoError(t, pool.Ping(context.Background()))
}
