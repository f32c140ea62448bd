package clerkhook

import (
	"context"
	"strconv"
)

// WriteResult is what became of the store write of a delivery, as its
// event handlers see it through [WriteResultFromContext].
type WriteResult int

// The results of a delivery's store write.
const (
	// WriteNone: the delivery has no store write. Its type is not one the
	// store keeps (session.created, or organization events for a store
	// that is not an [OrganizationStore]), or the type is unlisted
	// ([WithUnlistedEventHandler]).
	WriteNone WriteResult = iota
	// WriteApplied: the store took the write. A store that returns nil
	// for a write it refused, which [UserStore] allows, counts as applied.
	WriteApplied
	// WriteSuperseded: the store kept a newer version or a tombstone and
	// said so with [ErrStale]; the event is older than what the store
	// holds. Only the handlers of [WithSupersededEventHandler] see it.
	WriteSuperseded
)

// String returns "none", "applied" or "superseded".
func (r WriteResult) String() string {
	switch r {
	case WriteNone:
		return "none"
	case WriteApplied:
		return "applied"
	case WriteSuperseded:
		return "superseded"
	default:
		return "WriteResult(" + strconv.Itoa(int(r)) + ")"
	}
}

// writeResultContextKey is the context key of the WriteResult.
type writeResultContextKey struct{}

// WriteResultFromContext returns what became of the store write of the
// delivery whose event handler ctx was given to, and false outside an
// event handler run by a [Handler].
//
// The result is the Handler's, not Clerk's: it travels in the context,
// as [EventFromContext]'s event does, rather than on the [Event], which
// stays what Clerk sent and means the same whether it came from a Handler,
// [ParseEvent] or [Middleware]; and [EventHandlerFunc] keeps its signature.
func WriteResultFromContext(ctx context.Context) (WriteResult, bool) {
	r, ok := ctx.Value(writeResultContextKey{}).(WriteResult)
	return r, ok
}
