package clerkhook

import "errors"

// WithDeduplicator attaches a delivery ledger to the Handler, for a store
// that has none of its own, or to keep the ledger apart from the store: the
// Handler claims each delivery with d before it writes to the store, and
// completes or releases it afterwards, as it does with a store that
// implements [Deduplicator] itself, whose ledger d replaces. The store's
// [DeliveryWriter], if it has one, is then not used, since it records
// deliveries in the store's own ledger. [NewHandler] holds d's claim
// timeout, not the store's, to twice [WithTimeout] (see [ClaimTimeouter]).
//
// A [MemoryStore] is a ledger in memory, bounded by [WithMaxDeliveries]:
//
//	h, err := clerkhook.NewHandler(secret, myStore, clerkhook.WithDeduplicator(clerkhook.NewMemoryStore()))
//
// Deliveries are then deduplicated within the process, which covers the
// retries of a lost response but not a restart; a durable ledger, such as
// the one of package sqlitestore or pgxstore.Ledger, covers both.
func WithDeduplicator(d Deduplicator) HandlerOption {
	return handlerOption(func(c *config) error {
		if d == nil {
			return errors.New("clerkhook: WithDeduplicator(nil)")
		}
		c.dedup = d
		return nil
	})
}
