package pgxstore_test

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// newLedgerFixture migrates a Ledger with opts into a fresh schema. Its
// store is nil: the schema has no other table.
func newLedgerFixture(tb testing.TB, opts ...pgxstore.Option) (*fixture, *pgxstore.Ledger) {
	tb.Helper()
	pool := pgtest.Connect(tb, func(c *pgxpool.Config) { c.MaxConns = 8 })
	schema := pgtest.FreshSchema(tb, pool)
	ledger := pgxstore.NewLedger(pool, append([]pgxstore.Option{pgxstore.WithSchema(schema)}, opts...)...)
	require.NoError(tb, ledger.Migrate(context.Background()))
	return &fixture{pool: pool, schema: schema}, ledger
}

// onlyUsers hides every interface of its MemoryStore but UserStore and
// UserReader: a store without a ledger of its own.
type onlyUsers struct{ s *clerkhook.MemoryStore }

func (o onlyUsers) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	return o.s.UpsertUser(ctx, u)
}

func (o onlyUsers) DeleteUser(ctx context.Context, id string, at time.Time) error {
	return o.s.DeleteUser(ctx, id, at)
}

func (o onlyUsers) User(ctx context.Context, id string) (*clerkhook.User, error) {
	return o.s.User(ctx, id)
}

// usersBesideLedger is a store without a ledger joined to a Ledger, as a
// Handler with WithDeduplicator sees them, so that the suite checks the
// Ledger's deduplication; it lapses claims by aging them in the ledger.
type usersBesideLedger struct {
	onlyUsers
	*pgxstore.Ledger
	f *fixture
}

// LapseClaim implements clerkhooktest.ClaimLapser.
func (s usersBesideLedger) LapseClaim(ctx context.Context, deliveryID string) error {
	return s.f.lapseClaim(ctx, deliveryID, s.ClaimTimeout())
}

func TestLedgerConformance(t *testing.T) {
	f, ledger := newLedgerFixture(t)
	var ran []string
	clerkhooktest.TestUserStore(t, func(t *testing.T) clerkhooktest.Store {
		ran = append(ran, t.Name())
		return usersBesideLedger{onlyUsers{clerkhook.NewMemoryStore()}, ledger, f}
	})
	assert.True(t, containsPrefix(ran, t.Name()+"/Deduplicator/LapsedClaimTakenOver"), "the suite checked the ledger, lapsed claims included")
}

// containsPrefix reports whether one of names starts with prefix.
func containsPrefix(names []string, prefix string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// TestHandlerWithLedger attaches a Ledger to a Handler whose store has
// none: a delivery sent again, also to another Handler on another pool as
// after a restart or on another replica, is a duplicate, and applied once.
func TestHandlerWithLedger(t *testing.T) {
	f, _ := newLedgerFixture(t)
	ctx := context.Background()
	secret := clerkhooktest.NewSecret()
	evt, err := clerkhooktest.UserCreated()
	require.NoError(t, err)
	require.NotEmpty(t, evt.ID, "the requests share the event's svix-id")
	users := clerkhook.NewMemoryStore()
	var applied int
	for i, want := range []clerkhook.Outcome{clerkhook.OutcomeProcessed, clerkhook.OutcomeDuplicate, clerkhook.OutcomeDuplicate} {
		pool := f.pool
		if i == 2 {
			pool = pgtest.Connect(t, nil)
		}
		ledger := pgxstore.NewLedger(pool, pgxstore.WithSchema(f.schema))
		require.NoError(t, ledger.Migrate(ctx))
		h, err := clerkhook.NewHandler(secret, onlyUsers{users}, clerkhook.WithDeduplicator(ledger),
			clerkhook.WithLogger(slog.New(slog.DiscardHandler)),
			clerkhook.WithEventHandler(clerkhook.EventUserCreated, func(context.Context, *clerkhook.Event) error {
				applied++
				return nil
			}))
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
		assert.Equal(t, http.StatusOK, rec.Code, "delivery %d", i)
		assert.Equal(t, string(want)+"\n", rec.Body.String(), "delivery %d", i)
	}
	assert.Equal(t, 1, applied, "the event handler ran once")
	u, err := evt.User()
	require.NoError(t, err)
	_, err = users.User(ctx, u.ID)
	require.NoError(t, err, "the store has the user")
	var processed bool
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT processed_at IS NOT NULL FROM `+f.table("clerk_webhook_deliveries")+` WHERE id = $1`,
		evt.ID).Scan(&processed))
	assert.True(t, processed, "the ledger has the delivery, processed")
}

// TestLedgerMigrateCreatesOnlyTheLedger checks that Ledger.Migrate creates
// the ledger's table, as Store.Migrate does, and nothing of the store's
// other tables; running it again applies nothing.
func TestLedgerMigrateCreatesOnlyTheLedger(t *testing.T) {
	f, ledger := newLedgerFixture(t)
	ctx := context.Background()
	assert.Equal(t, []string{"clerk_webhook_deliveries", "clerkhook_ledger_migrations"}, tablesOf(t, f))
	store := newFixture(t)
	assert.Equal(t, shapeOf(t, store, "clerk_webhook_deliveries"), shapeOf(t, f, "clerk_webhook_deliveries"),
		"the ledger's table is the Store's")
	before := ledgerVersions(t, f)
	assert.Equal(t, migrationFiles(t), names(before), "one row per migration")

	require.NoError(t, ledger.Migrate(ctx), "again")
	assert.Equal(t, before, ledgerVersions(t, f), "running Migrate again applies nothing")
	assert.Equal(t, []string{"clerk_webhook_deliveries", "clerkhook_ledger_migrations"}, tablesOf(t, f))

	// And on a Store's schema, Ledger.Migrate has nothing to do.
	require.NoError(t, pgxstore.NewLedger(store.pool, pgxstore.WithSchema(store.schema)).Migrate(ctx))
	assert.NotContains(t, tablesOf(t, store), "clerkhook_ledger_migrations")
}

// TestLedgerAndStoreMigrate migrates a schema with Ledgers and Stores, in
// either order and concurrently, whatever isolation level their
// connections default to, and checks that the schema ends as a Store alone
// leaves it, with the ledger's deliveries kept.
func TestLedgerAndStoreMigrate(t *testing.T) {
	forEachIsolationLevel(t, func(t *testing.T, level string) {
		ctx := context.Background()
		want := newFixtureOn(t, connectAt(t, level, 2))
		tests := []struct {
			name  string
			steps []string // "ledger" or "store", run in order; "concurrently" runs the rest at once
		}{
			{"ledger then store", []string{"ledger", "store"}},
			{"store then ledger", []string{"store", "ledger"}},
			{"ledger, store, ledger, store", []string{"ledger", "store", "ledger", "store"}},
			{"concurrently", []string{"concurrently", "ledger", "store", "ledger", "store", "ledger", "store"}},
		}
		for _, tc := range tests {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				pool := connectAt(t, level, 2)
				f := &fixture{pool: pool, schema: pgtest.FreshSchema(t, pool)}
				migrate := func(pool *pgxpool.Pool, step string) error {
					if step == "ledger" {
						return pgxstore.NewLedger(pool, pgxstore.WithSchema(f.schema)).Migrate(ctx)
					}
					return pgxstore.New(pool, pgxstore.WithSchema(f.schema)).Migrate(ctx)
				}
				steps, delivery := tc.steps, ""
				if steps[0] == "concurrently" {
					steps = steps[1:]
					pools := make([]*pgxpool.Pool, len(steps))
					for i := range pools {
						pools[i] = connectAt(t, level, 1)
					}
					run(t, len(steps), func(i int) error { return migrate(pools[i], steps[i]) })
				} else {
					for i, step := range steps {
						require.NoError(t, migrate(pool, step), "step %d: %s", i, step)
						if i == 0 && step == "ledger" {
							// A delivery the Ledger processed before the Store's tables existed.
							ledger := pgxstore.NewLedger(pool, pgxstore.WithSchema(f.schema))
							delivery = newDeliveryID()
							token, err := ledger.ClaimDelivery(ctx, delivery, clerkhook.EventUserCreated)
							require.NoError(t, err)
							require.NoError(t, ledger.CompleteDelivery(ctx, delivery, token))
						}
					}
				}

				for _, name := range tablesOf(t, want) {
					assert.Equal(t, shapeOf(t, want, name), shapeOf(t, f, name), "table %s", name)
				}
				assert.Equal(t, migrationFiles(t), names(schemaVersions(t, f)), "the Store's migrations are all recorded")
				store := pgxstore.New(pool, pgxstore.WithSchema(f.schema))
				require.NoError(t, store.UpsertUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserCreated, testUser("user_migrated", 1)),
					"the tables work")
				if delivery != "" {
					_, err := store.ClaimDelivery(ctx, delivery, clerkhook.EventUserCreated)
					require.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery, "the Store sees the Ledger's deliveries")
				}
			})
		}
	})
}

// TestLedgerMigrateWithoutDDLPrivileges checks that Ledger.Migrate, once
// its table is up to date, needs no more than the privileges the Ledger
// needs to work.
func TestLedgerMigrateWithoutDDLPrivileges(t *testing.T) {
	f, _ := newLedgerFixture(t)
	ctx := context.Background()
	restricted := restrictedPool(t, f)
	ledger := pgxstore.NewLedger(restricted, pgxstore.WithSchema(f.schema))
	require.NoError(t, ledger.Migrate(ctx))
	token, err := ledger.ClaimDelivery(ctx, newDeliveryID(), clerkhook.EventUserCreated)
	require.NoError(t, err)
	require.NotEmpty(t, token)
	require.Error(t, pgxstore.New(restricted, pgxstore.WithSchema(f.schema)).Migrate(ctx),
		"the role cannot create the Store's tables")
}

func TestLedgerPrune(t *testing.T) {
	f, ledger := newLedgerFixture(t)
	ctx := context.Background()
	old, recent := newDeliveryID(), newDeliveryID()
	for _, id := range []string{old, recent} {
		token, err := ledger.ClaimDelivery(ctx, id, clerkhook.EventUserCreated)
		require.NoError(t, err)
		require.NoError(t, ledger.CompleteDelivery(ctx, id, token))
		if id == old {
			f.ageLedger(t, 73*time.Hour)
		}
	}
	n, err := ledger.Prune(ctx, 72*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	_, err = ledger.ClaimDelivery(ctx, old, clerkhook.EventUserCreated)
	require.NoError(t, err, "the pruned delivery is forgotten")
	_, err = ledger.ClaimDelivery(ctx, recent, clerkhook.EventUserCreated)
	require.ErrorIs(t, err, clerkhook.ErrDuplicateDelivery, "the recent one is kept")
}

func TestLedgerClaimTimeout(t *testing.T) {
	assert.Equal(t, pgxstore.DefaultClaimTimeout, pgxstore.NewLedger(nil).ClaimTimeout())
	assert.Equal(t, time.Hour, pgxstore.NewLedger(nil, pgxstore.WithClaimTimeout(time.Hour)).ClaimTimeout())
	_, err := clerkhook.NewHandler(clerkhooktest.NewSecret(), onlyUsers{clerkhook.NewMemoryStore()},
		clerkhook.WithDeduplicator(pgxstore.NewLedger(nil, pgxstore.WithClaimTimeout(time.Second))))
	require.Error(t, err, "NewHandler checks the Ledger's claim timeout")
}

// tablesOf returns the names of the tables in f's schema, sorted.
func tablesOf(t *testing.T, f *fixture) []string {
	t.Helper()
	var tables []string
	rows, err := f.pool.Query(context.Background(),
		`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, f.schema)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	return tables
}

// shapeOf describes a table of f's schema: its columns in order, with
// their types, nullability and defaults, and its indexes and constraints,
// without the schema's name.
func shapeOf(t *testing.T, f *fixture, table string) []string {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `
		SELECT format('column %s %s %s %s %s', ordinal_position, column_name, data_type, is_nullable, column_default)
		FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
		UNION ALL
		SELECT 'index ' || replace(indexdef, quote_ident($1), 'SCHEMA') FROM pg_indexes WHERE schemaname = $1 AND tablename = $2
		UNION ALL
		SELECT format('constraint %s %s', conname, pg_get_constraintdef(c.oid))
		FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
		WHERE n.nspname = $1 AND r.relname = $2
		ORDER BY 1`, f.schema, table)
	require.NoError(t, err)
	defer rows.Close()
	var shape []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		shape = append(shape, s)
	}
	require.NoError(t, rows.Err())
	require.NotEmpty(t, shape, "table %s exists", table)
	return shape
}

// version is a row of a version table.
type version struct {
	name    string
	applied time.Time
}

func names(vs []version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.name
	}
	return out
}

func schemaVersions(t *testing.T, f *fixture) []version {
	return versionsIn(t, f, "clerkhook_schema_migrations")
}

func ledgerVersions(t *testing.T, f *fixture) []version {
	return versionsIn(t, f, "clerkhook_ledger_migrations")
}

func versionsIn(t *testing.T, f *fixture, table string) []version {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `SELECT name, applied_at FROM `+f.table(table)+` ORDER BY version`)
	require.NoError(t, err)
	defer rows.Close()
	var vs []version
	for rows.Next() {
		var v version
		require.NoError(t, rows.Scan(&v.name, &v.applied))
		vs = append(vs, v)
	}
	require.NoError(t, rows.Err())
	return vs
}

// migrationFiles returns the names of the files of Migrations.
func migrationFiles(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(pgxstore.Migrations(), "*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}
