package pgxstore_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// TestMigrateConcurrently starts four replicas at once on a fresh schema,
// each with its own pool and Store, as a deployment does, whatever
// isolation level their connections default to.
func TestMigrateConcurrently(t *testing.T) { forEachIsolationLevel(t, migrateConcurrently) }

func migrateConcurrently(t *testing.T, level string) {
	const replicas = 4
	pools := make([]*pgxpool.Pool, replicas)
	for i := range pools {
		pools[i] = connectAt(t, level, 1)
	}
	pool := pools[0]
	schema := pgtest.FreshSchema(t, pool)
	ctx := context.Background()
	run(t, replicas, func(i int) error {
		return pgxstore.New(pools[i], pgxstore.WithSchema(schema)).Migrate(ctx)
	})

	f := &fixture{store: pgxstore.New(pool, pgxstore.WithSchema(schema)), pool: pool, schema: schema}
	before := schemaVersions(t, f)
	assert.Equal(t, migrationFiles(t), names(before), "one row per migration")

	require.NoError(t, f.store.Migrate(ctx), "again")
	assert.Equal(t, before, schemaVersions(t, f), "running Migrate again applies nothing")

	require.NoError(t, f.store.UpsertUser(ctx, testUser("user_migrated", 1)), "the tables work")
}

// TestMigrateWithoutDDLPrivileges checks that once the tables are up to
// date, Migrate needs no more than the privileges a store needs to work, so
// that replicas running as a restricted role may call it at start-up.
func TestMigrateWithoutDDLPrivileges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	restricted := restrictedPool(t, f)
	s := pgxstore.New(restricted, pgxstore.WithSchema(f.schema))
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.UpsertUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserCreated, testUser("user_restricted", 1)))
	require.NoError(t, s.DeleteUser(ctx, "user_restricted", deletedAt(2)))

	_, err := restricted.Exec(ctx, `CREATE TABLE `+f.table("clerk_forbidden")+` (id int)`)
	require.Error(t, err, "the role cannot run DDL")
}

// restrictedPool returns a pool whose connections act as a new role that
// may read and write the tables of f's schema, and not change them.
func restrictedPool(t *testing.T, f *fixture) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	role := pgx.Identifier{"clerkhook_app " + f.schema}.Sanitize()
	schema := pgx.Identifier{f.schema}.Sanitize()
	for _, stmt := range []string{
		`CREATE ROLE ` + role,
		`GRANT USAGE ON SCHEMA ` + schema + ` TO ` + role,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ` + schema + ` TO ` + role,
	} {
		_, err := f.pool.Exec(ctx, stmt)
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		_, err := f.pool.Exec(context.Background(), `DROP OWNED BY `+role+`; DROP ROLE `+role)
		assert.NoError(t, err)
	})
	return pgtest.Connect(t, func(c *pgxpool.Config) {
		c.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, `SET ROLE `+role)
			return err
		}
	})
}

func TestWithSchema(t *testing.T) {
	a, b := newFixture(t), newFixture(t)
	ctx := context.Background()
	require.NoError(t, a.store.UpsertUser(ctx, testUser("user_schema", 1)))
	_, err := a.store.ClaimDelivery(ctx, "msg_schema", clerkhook.EventUserCreated)
	require.NoError(t, err)

	_, err = b.store.User(ctx, "user_schema")
	require.ErrorIs(t, err, clerkhook.ErrUserNotFound, "the other schema has its own tables")
	_, err = b.store.ClaimDelivery(ctx, "msg_schema", clerkhook.EventUserCreated)
	require.NoError(t, err, "and its own ledger")

	assert.Equal(t, []string{
		"clerk_organization_memberships",
		"clerk_organizations",
		"clerk_users",
		"clerk_webhook_deliveries",
		"clerkhook_schema_migrations",
	}, tablesOf(t, a))
}
