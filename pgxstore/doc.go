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
// # Change hooks
//
// [WithChangeHook] registers a function that runs inside the transaction
// of each write, for each change the write applied, with a [pgx.Tx] to
// write with: an outbox row, a job of a queue that lives in the same
// database (River's InsertTx), the application's own users table. The
// change and what the hook wrote commit together, or neither does:
//
//	store := pgxstore.New(pool, pgxstore.WithChangeHook(
//		func(ctx context.Context, tx pgx.Tx, c pgxstore.Change) error {
//			if c.Object != pgxstore.ObjectUser || c.Kind != pgxstore.ChangeCreated {
//				return nil
//			}
//			_, err := tx.Exec(ctx, `INSERT INTO welcome_emails (user_id) VALUES ($1)`, c.UserID)
//			return err
//		}))
//
// A [Change] says what the write did: [ChangeCreated] when the store held
// no live version of the record (a new user, or one first seen through
// user.updated because the deliveries came out of order; a membership of a
// user who joined again), [ChangeUpdated] when it replaced an older
// version, [ChangeDeleted] when a live record, or one the store never saw,
// became a tombstone. It carries the new version (nil for a deletion), the
// ids, and the id and type of the delivery that caused it, which a
// Handler puts in the context ([clerkhook.EventFromContext]; the hook's
// ctx is that context); both are empty for the writes of
// [clerkhook.Backfill] and of any call outside a delivery. Deleting a
// user or an organization also reports the deletion of each membership it
// ended.
//
// Every write path runs the hooks: UpsertUser, DeleteUser,
// UpsertOrganization, DeleteOrganization, UpsertMembership,
// DeleteMembership, and UpsertUserDelivery and DeleteUserDelivery, whose
// delivery record is in the same transaction; so does Backfill, which
// calls UpsertUser and DeleteUser. A write that changes nothing runs no
// hook: an upsert refused as older than the stored version or by a
// tombstone (the Handler answers it as stale), a version written again
// (the same updated_at), a record deleted again. A hook that returns an
// error rolls the whole transaction back, the delivery's record included,
// and the write returns an error that wraps it, so the Handler answers
// 500 and Clerk retries; the error's text names the change's kind and
// object and the hook's error, and reaches the Handler's log line, so a
// hook's errors should name no personal value either.
//
// Exactly once: because the store reads the record's prior state under the
// advisory lock of its id, in the transaction that writes it, a change is
// reported once however often and in whatever order its deliveries
// arrive, on any number of replicas at once: a repeated delivery, the
// retry of one whose response was lost after its COMMIT, a Backfill run
// again, a user.created that arrives after the user.deleted (refused by
// the tombstone). A hook that inserts a job on the ChangeCreated of a user
// therefore inserts one job per user ever created in the store. The limits:
// the hook must write only through tx, since the same change may be given
// to it again in a transaction that is then rolled back (a batch of the
// group commit retried one write at a time, below), so that anything it
// does outside tx (an email, an HTTP call) may happen twice or for a
// change that never committed; it must not commit or roll back tx
// itself; every Store that writes the tables must have the same hooks,
// since one without them neither reports its changes nor takes the locks
// that keep the others' reports exact; a row changed by hand is a change
// the hooks cannot see; and what the hook queued runs after the commit,
// once per committed row, only if the queue's worker is itself exactly
// once.
//
// With hooks, a write costs more than without: a transaction of its own
// (a round trip for BEGIN, one for the lock and the statement, the hooks'
// statements, one for COMMIT) instead of a single round trip, and the
// advisory lock of the record's id (0x636b7501 for users, 0x636b7502 for
// organizations, 0x636b7504 for a membership, beside the shared locks of
// its user and organization). Concurrent UpsertUserDelivery calls still
// share a transaction: the batch's writes, then the hooks of each change,
// then one COMMIT; when a hook fails, the batch is rolled back and each of
// its writes runs again alone, so that a failing hook fails its own
// delivery only. Without hooks, every write keeps its single round trip.
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
