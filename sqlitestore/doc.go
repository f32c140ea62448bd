// Package sqlitestore keeps Clerk users, organizations, memberships and the
// delivery ledger of a [clerkhook.Handler] in a SQLite file, with the tables
// and guarantees of package pgxstore and nothing to run beside the program.
//
// It is the store for a single-process sync that must survive restarts: a
// small service, an internal tool, a program on one machine. It uses a
// pure-Go SQLite (modernc.org/sqlite), so building needs no C toolchain.
//
//	store, err := sqlitestore.Open(ctx, "clerk.db")
//	if err != nil { ... }
//	defer store.Close()
//	if err := store.Migrate(ctx); err != nil { ... }
//	webhook, err := clerkhook.NewHandler(secret, store)
//
// The database runs in WAL mode, so reads never wait for writes. The Store
// writes through one connection, in transactions that take SQLite's write
// lock when they begin (BEGIN IMMEDIATE), and waits up to the busy timeout
// for another process that holds it; every guard is a SQL statement inside
// such a transaction, so any number of goroutines, and of processes on the
// same file, may write at once. Commits are synchronous (synchronous=FULL):
// a delivery the Handler acknowledged survives a crash of the process or of
// the machine. Writes that arrive while a transaction runs share the next
// one, each in a savepoint of its own, and so its commit (group commit): a
// write that fails leaves the others' in place.
package sqlitestore
