// Package mysqlstore keeps Clerk users, organizations, memberships and the
// delivery ledger of a [clerkhook.Handler] in MySQL 8 or MariaDB 10.11, with
// the tables and guarantees of package pgxstore, on database/sql and
// github.com/go-sql-driver/mysql.
//
//	db, err := sql.Open("mysql", "user:pass@tcp(127.0.0.1:3306)/app")
//	if err != nil { ... }
//	store := mysqlstore.New(db)
//	if err := store.Migrate(ctx); err != nil { ... }
//	webhook, err := clerkhook.NewHandler(secret, store)
//
// Every write is a statement whose guard runs under the row lock it takes,
// or a short transaction that takes the locks it needs first, so any
// number of Stores on any number of replicas may write to the same tables;
// a transaction that InnoDB chose as a deadlock victim is run again.
package mysqlstore
