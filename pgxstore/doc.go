// Package pgxstore is a PostgreSQL store for [clerkhook.Handler], on pgx.
//
// It keeps Clerk's users, organizations and organization memberships in
// tables of their own, and remembers which deliveries it has processed, so
// that a Handler applies each delivery once even when several replicas of a
// service receive them:
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	store := pgxstore.New(pool)
//	if err := store.Migrate(ctx); err != nil {
//		return err
//	}
//	h, err := clerkhook.NewHandler(os.Getenv("CLERK_WEBHOOK_SECRET"), store)
//
// # Tables
//
// clerk_users has one row per user: id, the primary email and phone,
// first_name, last_name, username, image_url, external_id, banned,
// created_at and updated_at as columns, and the whole user as Clerk sent it
// in data (jsonb): the user's Raw, every key included, so that nothing is
// lost and metadata can be queried (a user built in Go, without Raw, is
// stored as its encoded struct):
//
//	SELECT id, email FROM clerk_users
//	WHERE deleted_at IS NULL AND data->'public_metadata'->>'plan' = 'pro'
//
// clerk_organizations (id, name, slug, image_url, created_at, updated_at,
// data) and clerk_organization_memberships (organization_id, user_id, id,
// role, created_at, updated_at, data) follow the same pattern. Email is
// indexed but not unique: an address can move from one user to another,
// and the events that move it may arrive in any order.
//
// A deletion leaves a tombstone, a row whose deleted_at is set and whose
// other columns are NULL: the personal data is gone, and the row refuses
// any later upsert of the id, which Clerk may deliver late. Queries for
// live records filter on deleted_at IS NULL. Deleting a user or an
// organization also deletes its memberships.
//
// clerk_webhook_deliveries is the ledger of deliveries, keyed by svix-id,
// with the token of each outstanding claim; its dates come from the
// database's clock. [Store.Prune] forgets old ones and should run
// periodically.
//
// # The ledger alone
//
// A service that keeps Clerk's users in tables of its own, through a store
// of its own, can still have pgxstore deduplicate the deliveries:
// [NewLedger] returns the ledger alone, whose [Ledger.Migrate] creates
// clerk_webhook_deliveries and none of the other tables, to attach to the
// Handler with [clerkhook.WithDeduplicator]:
//
//	ledger := pgxstore.NewLedger(pool)
//	if err := ledger.Migrate(ctx); err != nil {
//		return err
//	}
//	h, err := clerkhook.NewHandler(secret, myStore, clerkhook.WithDeduplicator(ledger))
//
// Each delivery then costs the store's write and two round trips of the
// ledger, its claim and its completion. The Ledger runs the Store's
// statements on the Store's table, so a schema that starts with the ledger
// alone can get the other tables from [Store.Migrate] later, the
// deliveries recorded included. Migrate them in any order, from any
// number of replicas at once: the statements of each migration file that
// concern the ledger follow its line "-- clerkhook:ledger", Ledger.Migrate
// applies only those and records them in clerkhook_ledger_migrations, and
// Store.Migrate then applies the rest. [Ledger.Prune] forgets old
// deliveries, as [Store.Prune] does.
//
// # Consistency
//
// The rules of [clerkhook.UserStore] are enforced by the statements
// themselves: an upsert is an INSERT ... ON CONFLICT DO UPDATE whose WHERE
// clause refuses older versions and tombstones, so the outcome does not
// depend on the order in which concurrent writers on different connections
// or different replicas commit. A user event costs one round trip: for
// the event types without an event handler of their own, the Handler uses
// [Store.UpsertUserDelivery] and [Store.DeleteUserDelivery], which record
// the delivery and write the user atomically, in one statement.
//
// Concurrent user upserts share that statement: while one runs, the
// deliveries that arrive wait, and the next statement records and writes
// them all (up to 64), each with its own outcome. A busy server spends
// most of a single-row write on the statement and its commit, so sharing
// them lets it take several times more deliveries a second, while a lone
// delivery goes at once, without waiting for company. When the statement
// fails, its deliveries fail together and Clerk retries them; when the
// server refused it, which may be the fault of one delivery, each runs
// again alone.
//
// Deleting a user or an organization takes a transaction-scoped advisory
// lock on its id (pg_advisory_xact_lock with classid 0x636b7501 for users,
// 0x636b7502 for organizations), and writing a membership takes the shared
// locks of its user and organization, within the same round trip; this is
// what keeps a membership written concurrently with the deletion of its
// user from surviving it. Migrate takes the lock 0x636b7503.
//
// # Isolation levels
//
// The store works whatever default_transaction_isolation the database or
// the role sets. Each write states READ COMMITTED (it sends BEGIN
// ISOLATION LEVEL READ COMMITTED and COMMIT in the same round trip as its
// statements), and so does Migrate: the statement after an advisory lock
// must see what the holder of the lock committed, which a REPEATABLE READ
// or SERIALIZABLE snapshot, taken before the lock was granted, does not;
// and at those levels a guarded upsert that meets a row changed
// concurrently fails with a serialization error instead of applying its
// guard to the new row. Reads are single statements, correct at any level.
//
// # Migrations and schemas
//
// [Store.Migrate] creates the tables, or upgrades them, and may run at
// start-up on every replica at once. To manage the schema with a migration
// tool instead, apply the files of [Migrations]. The tables go into the
// public schema unless [WithSchema] names another, for example to keep
// them apart from the application's own tables.
package pgxstore
