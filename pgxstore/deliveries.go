package pgxstore

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clerkhook/clerkhook"
)

// maxClaimAttempts bounds how often a claim is tried again when the ledger
// row that refused it had been released by the time the store looked at
// it. Each retry needs another attempt to claim and release the delivery
// in between, so a third failure means the delivery is busy.
const maxClaimAttempts = 3

// ClaimDelivery records that this attempt processes the delivery, dated by
// the database's clock, and returns the claim's token, random and new. It
// takes over a claim older than the claim timeout (see [WithClaimTimeout])
// with a new token, and otherwise fails with an error matching
// [clerkhook.ErrDuplicateDelivery] for a processed delivery or
// [clerkhook.ErrDeliveryInProgress] for one claimed by another attempt.
func (s *Store) ClaimDelivery(ctx context.Context, deliveryID, eventType string) (string, error) {
	token := rand.Text()
	err := s.claim(ctx, deliveryID, func() (bool, error) {
		tag, err := s.exec(ctx, s.q.claimDelivery, deliveryID, eventType, token)
		return tag.RowsAffected() == 1, err
	})
	if err != nil {
		return "", errorf("claim delivery", err)
	}
	return token, nil
}

// CompleteDelivery records the delivery as processed, so that
// ClaimDelivery refuses it until [Store.Prune] forgets it, when token holds
// its claim, lapsed or not. For any other token it changes nothing and
// returns an error matching [clerkhook.ErrClaimLost].
func (s *Store) CompleteDelivery(ctx context.Context, deliveryID, token string) error {
	tag, err := s.exec(ctx, s.q.completeDelivery, deliveryID, token)
	if err == nil && tag.RowsAffected() == 0 {
		err = clerkhook.ErrClaimLost
	}
	if err != nil {
		return errorf("complete delivery", err)
	}
	return nil
}

// ReleaseDelivery gives up the claim of token on a delivery that was not
// processed, so that the retry can claim it at once. For any other token,
// or a processed delivery, it changes nothing and returns an error
// matching [clerkhook.ErrClaimLost].
func (s *Store) ReleaseDelivery(ctx context.Context, deliveryID, token string) error {
	tag, err := s.exec(ctx, s.q.releaseDelivery, deliveryID, token)
	if err == nil && tag.RowsAffected() == 0 {
		err = clerkhook.ErrClaimLost
	}
	if err != nil {
		return errorf("release delivery", err)
	}
	return nil
}

// UpsertUserDelivery records the delivery as processed and applies
// [Store.UpsertUser] in one statement: both happen or neither. It returns
// an error matching [clerkhook.ErrStale] when the delivery was recorded but
// the user was not written, and one matching
// [clerkhook.ErrDuplicateDelivery] or [clerkhook.ErrDeliveryInProgress],
// having written nothing, when the delivery was processed or is claimed.
//
// Concurrent calls share their statement, and so its round trip and its
// commit: a call made while another one's statement runs waits for it to
// end, then goes with every call that came meanwhile, up to 64. When that
// statement fails, every call in it fails, unless the server refused it;
// then each call runs again on its own.
func (s *Store) UpsertUserDelivery(ctx context.Context, deliveryID, eventType string, u *clerkhook.User) error {
	r, err := newUserRecord(u)
	if err != nil {
		return errorf("upsert user", err)
	}
	var written bool
	err = s.claim(ctx, deliveryID, func() (claimed bool, err error) {
		claimed, written, err = s.upsertUserDelivery(ctx, deliveryID, eventType, r, u)
		return claimed, err
	})
	if err == nil && !written {
		err = clerkhook.ErrStale
	}
	if err != nil {
		return errorf("upsert user", err)
	}
	return nil
}

// DeleteUserDelivery records the delivery as processed and applies
// [Store.DeleteUser] in one round trip: both happen or neither. It returns
// an error matching [clerkhook.ErrDuplicateDelivery] or
// [clerkhook.ErrDeliveryInProgress], having written nothing, when the
// delivery was processed or is claimed.
func (s *Store) DeleteUserDelivery(ctx context.Context, deliveryID, eventType, userID string, deletedAt time.Time) error {
	err := s.claim(ctx, deliveryID, func() (bool, error) {
		if len(s.hooks) > 0 {
			return s.deleteUserDeliveryWithHooks(ctx, deliveryID, eventType, userID, deletedAt)
		}
		var claimed bool
		b := &pgx.Batch{}
		b.Queue(s.q.lockUser, userID)
		b.Queue(s.q.deleteUserDelivery, deliveryID, eventType, userID, deletedAt.UTC()).
			QueryRow(func(row pgx.Row) error { return row.Scan(&claimed) })
		err := s.send(ctx, b)
		return claimed, err
	})
	if err != nil {
		return errorf("delete user", err)
	}
	return nil
}

// Prune forgets the deliveries processed more than olderThan ago, and the
// claims made before then that were never completed nor released. It
// returns how many it deleted. Keep olderThan longer than Clerk's retry
// schedule, at least 48 hours (72 is a safe choice): a delivery retried
// after Prune forgot it is applied again, harmlessly for the stored
// records, but its event handlers run again. Ages are measured by the
// database's clock. Run it periodically, for example hourly from one
// replica; it is safe from several.
func (s *Store) Prune(ctx context.Context, olderThan time.Duration) (int64, error) {
	tag, err := s.exec(ctx, s.q.pruneDeliveries, olderThan.Microseconds())
	if err != nil {
		return 0, errorf("prune deliveries", err)
	}
	return tag.RowsAffected(), nil
}

// claim runs write, which tries to claim the delivery together with the
// write it causes and reports whether it could, and when it could not,
// reads the ledger to tell a processed delivery from one in progress. A
// refusing row may have been released in the meantime; then the claim is
// tried again.
func (s *Store) claim(ctx context.Context, deliveryID string, write func() (bool, error)) error {
	for attempt := 1; ; attempt++ {
		claimed, err := write()
		if err != nil || claimed {
			return err
		}
		var processed bool
		err = s.pool.QueryRow(ctx, s.q.deliveryState, deliveryID).Scan(&processed)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			// Released since it refused the claim.
			if attempt == maxClaimAttempts {
				return clerkhook.ErrDeliveryInProgress
			}
		case err != nil:
			return err
		case processed:
			return clerkhook.ErrDuplicateDelivery
		default:
			return clerkhook.ErrDeliveryInProgress
		}
	}
}
