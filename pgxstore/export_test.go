package pgxstore

import (
	"context"

	"github.com/clerkhook/clerkhook"
)

// UserDelivery is a call of UpsertUserDelivery, for WriteUserBatch. Ctx
// nil means context.Background().
type UserDelivery struct {
	Ctx        context.Context
	DeliveryID string
	User       *clerkhook.User
}

// BatchOutcome is what one delivery of a batch came to: whether it claimed
// the delivery and wrote the user, or the error it failed with.
type BatchOutcome struct {
	Claimed, Written bool
	Err              error
}

// WriteUserBatch writes ds as one batch of the group commit, as it would
// if they were UpsertUserDelivery calls made while the previous batch ran.
func WriteUserBatch(s *Store, ds ...UserDelivery) ([]BatchOutcome, error) {
	batch := make([]*userWrite, len(ds))
	for i, d := range ds {
		r, err := newUserRecord(d.User)
		if err != nil {
			return nil, err
		}
		ctx := d.Ctx
		if ctx == nil {
			ctx = context.Background()
		}
		batch[i] = &userWrite{ctx: ctx, deliveryID: d.DeliveryID, eventType: clerkhook.EventUserUpdated, user: r, source: d.User, done: make(chan struct{})}
	}
	s.writeUsers(batch)
	out := make([]BatchOutcome, len(batch))
	for i, w := range batch {
		<-w.done
		out[i] = BatchOutcome{Claimed: w.claimed, Written: w.written, Err: w.err}
	}
	return out, nil
}
