package pgxstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clerkhook/clerkhook"
)

// Ledger is the delivery ledger of a [Store] on its own: the table
// clerk_webhook_deliveries, without the tables of users, organizations and
// memberships. Attach it to a Handler whose store has no ledger, such as
// one over the application's own tables, with [clerkhook.WithDeduplicator],
// so that the Handler applies each delivery once, across restarts and
// replicas:
//
//	ledger := pgxstore.NewLedger(pool)
//	if err := ledger.Migrate(ctx); err != nil {
//		return err
//	}
//	h, err := clerkhook.NewHandler(secret, myStore, clerkhook.WithDeduplicator(ledger))
//
// It runs the statements of the Store's ledger, on the same table: a Ledger
// and a Store on the same schema share their ledger, and may migrate it in
// either order (see [Ledger.Migrate]). A Ledger is safe for concurrent use.
type Ledger struct {
	// s is never used for anything but the ledger; its users, organizations
	// and memberships tables may not exist.
	s *Store
}

var (
	_ clerkhook.Deduplicator   = (*Ledger)(nil)
	_ clerkhook.ClaimTimeouter = (*Ledger)(nil)
)

// NewLedger returns a Ledger that writes through pool. Of the options,
// [WithSchema] and [WithClaimTimeout] apply; the others configure what a
// Ledger does not have. It does not touch the database; call
// [Ledger.Migrate] before the first claim.
func NewLedger(pool *pgxpool.Pool, opts ...Option) *Ledger {
	return &Ledger{s: New(pool, opts...)}
}

// Migrate creates the schema and the ledger's table, or brings the table
// up to date, as [Store.Migrate] does for all of the store's: in a
// transaction that holds the same advisory lock, so that every replica may
// call it at start-up, beside Stores migrating the same schema, and
// without DDL when there is nothing to do. It records the migrations whose
// ledger part it applied in the schema's table clerkhook_ledger_migrations,
// from which a later Store.Migrate on the schema applies only the rest.
// When a Store's migrations have already created the ledger, it does
// nothing.
func (l *Ledger) Migrate(ctx context.Context) error {
	if err := migrate(ctx, l.s.pool, l.s.schema, true); err != nil {
		return errorf("migrate ledger", err)
	}
	return nil
}

// ClaimDelivery implements [clerkhook.Deduplicator], as
// [Store.ClaimDelivery] does.
func (l *Ledger) ClaimDelivery(ctx context.Context, deliveryID, eventType string) (string, error) {
	return l.s.ClaimDelivery(ctx, deliveryID, eventType)
}

// CompleteDelivery implements [clerkhook.Deduplicator], as
// [Store.CompleteDelivery] does.
func (l *Ledger) CompleteDelivery(ctx context.Context, deliveryID, token string) error {
	return l.s.CompleteDelivery(ctx, deliveryID, token)
}

// ReleaseDelivery implements [clerkhook.Deduplicator], as
// [Store.ReleaseDelivery] does.
func (l *Ledger) ReleaseDelivery(ctx context.Context, deliveryID, token string) error {
	return l.s.ReleaseDelivery(ctx, deliveryID, token)
}

// ClaimTimeout implements [clerkhook.ClaimTimeouter]: it is the timeout of
// [WithClaimTimeout], which [clerkhook.NewHandler] checks against the
// Handler's timeout.
func (l *Ledger) ClaimTimeout() time.Duration { return l.s.ClaimTimeout() }

// Prune forgets old deliveries, as [Store.Prune] does: run it
// periodically, with olderThan at least 48 hours.
func (l *Ledger) Prune(ctx context.Context, olderThan time.Duration) (int64, error) {
	return l.s.Prune(ctx, olderThan)
}
