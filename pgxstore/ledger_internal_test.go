package pgxstore

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/internal/sqlfiles"
)

// TestMigrateLedgerParts runs migrations shaped as future ones may be, a
// store part and a ledger part each, through sequences of Store and Ledger
// migrations up to some version, as replicas of different releases would:
// each part runs once (an ALTER TABLE ... ADD COLUMN run twice fails), and
// every part a Store's version includes is there in the end.
func TestMigrateLedgerParts(t *testing.T) {
	ms := []migration{
		newMigration(1, "0001_create.sql", "CREATE TABLE a (id int);\n", "CREATE TABLE l (id int);\n"),
		newMigration(2, "0002_ledger_only.sql", "", "ALTER TABLE l ADD COLUMN x int;\n"),
		newMigration(3, "0003_both.sql", "ALTER TABLE a ADD COLUMN y int;\n", "ALTER TABLE l ADD COLUMN z int;\n"),
		newMigration(4, "0004_store_only.sql", "ALTER TABLE a ADD COLUMN w int;\n", ""),
	}
	type step struct {
		ledger bool
		upTo   int
	}
	L := func(v int) step { return step{true, v} }
	S := func(v int) step { return step{false, v} }
	tests := []struct {
		steps []step
		// want are the columns of a and l, "" for a table that does not exist.
		wantA, wantL string
	}{
		{[]step{L(4)}, "", "id x z"},
		{[]step{L(4), S(4)}, "id y w", "id x z"},
		{[]step{S(4), L(4)}, "id y w", "id x z"},
		{[]step{L(2), S(3), L(4), S(4)}, "id y w", "id x z"},
		{[]step{S(1), L(3), S(3)}, "id y", "id x z"},
		{[]step{L(3), S(2), L(4), S(4)}, "id y w", "id x z"},
		{[]step{S(2), L(1), L(2), S(3), L(3), S(4), L(4)}, "id y w", "id x z"},
		{[]step{L(1), S(1), L(4), S(2)}, "id", "id x z"},
	}
	pool := pgtest.Connect(t, nil)
	ctx := context.Background()
	for _, tc := range tests {
		var name strings.Builder
		for _, s := range tc.steps {
			name.WriteString(map[bool]string{true: "L", false: "S"}[s.ledger])
			name.WriteByte(byte('0' + s.upTo))
		}
		t.Run(name.String(), func(t *testing.T) {
			schema := pgtest.FreshSchema(t, pool)
			for i, s := range tc.steps {
				err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
					return migrateTx(ctx, tx, schema, ms[:s.upTo], s.ledger)
				})
				require.NoError(t, err, "step %d", i)
			}
			columns := func(table string) string {
				var cols string
				err := pool.QueryRow(ctx, `SELECT COALESCE(string_agg(column_name, ' ' ORDER BY ordinal_position), '')
					FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`, schema, table).Scan(&cols)
				require.NoError(t, err)
				return cols
			}
			assert.Equal(t, tc.wantA, columns("a"), "the store's table")
			assert.Equal(t, tc.wantL, columns("l"), "the ledger's table")
		})
	}
}

// newMigration returns a migration as migrations reads it from a file
// holding rest, then the ledger part after ledgerMarker if ledger is not
// empty.
func newMigration(version int, name, rest, ledger string) migration {
	m := migration{Migration: sqlfiles.Migration{Version: version, Name: name, SQL: "-- +goose Up\n" + rest}}
	if ledger != "" {
		m.ledger = ledgerMarker + ledger
		m.SQL += m.ledger
	}
	return m
}

// TestMigrationsLedgerParts checks the ledger parts of the embedded
// migrations: only the statements on the delivery ledger.
func TestMigrationsLedgerParts(t *testing.T) {
	ms, err := migrations()
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	require.NotEmpty(t, ms[0].ledger, "the first migration creates the ledger")
	for _, m := range ms {
		for line := range strings.Lines(m.ledger) {
			if strings.HasPrefix(line, "--") || strings.TrimSpace(line) == "" || strings.HasPrefix(line, " ") || strings.HasPrefix(line, ");") {
				continue
			}
			assert.Contains(t, line, "clerk_webhook_deliveries", "%s: the ledger part has only the ledger's statements", m.Name)
		}
		for line := range strings.Lines(m.rest()) {
			assert.NotContains(t, line, "clerk_webhook_deliveries", "%s: the store's part leaves the ledger alone", m.Name)
		}
	}
}
