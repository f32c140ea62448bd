package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/sqlstore"
)

// ClaimDelivery records that this attempt processes the delivery and
// returns the claim's token, random and new. It takes over a claim older
// than the claim timeout (see [WithClaimTimeout]) with a new token, and
// otherwise fails with an error matching [clerkhook.ErrDuplicateDelivery]
// for a processed delivery or [clerkhook.ErrDeliveryInProgress] for one
// claimed by another attempt.
func (s *Store) ClaimDelivery(ctx context.Context, deliveryID, eventType string) (string, error) {
	var token string
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
		token, err = s.claim(ctx, tx, deliveryID, eventType, false)
		return err
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
	n, err := s.exec(ctx, completeDelivery, deliveryID, token, sqlstore.Millis(s.now()))
	if err == nil && n == 0 {
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
	n, err := s.exec(ctx, releaseDelivery, deliveryID, token)
	if err == nil && n == 0 {
		err = clerkhook.ErrClaimLost
	}
	if err != nil {
		return errorf("release delivery", err)
	}
	return nil
}

// ClaimTimeout implements [clerkhook.ClaimTimeouter]: it is the timeout of
// [WithClaimTimeout], [DefaultClaimTimeout] by default.
func (s *Store) ClaimTimeout() time.Duration { return s.claimTimeout }

// UpsertUserDelivery records the delivery as processed and applies
// [Store.UpsertUser] in one transaction: both happen or neither. It returns
// an error matching [clerkhook.ErrStale] when the delivery was recorded but
// the user was not written, and one matching
// [clerkhook.ErrDuplicateDelivery] or [clerkhook.ErrDeliveryInProgress],
// having written nothing, when the delivery was processed or is claimed.
func (s *Store) UpsertUserDelivery(ctx context.Context, deliveryID, eventType string, u *clerkhook.User) error {
	args, err := sqlstore.UserArgs(u)
	if err != nil {
		return errorf("upsert user", err)
	}
	var written error
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := s.claim(ctx, tx, deliveryID, eventType, true); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, upsertUser, args...)
		if err != nil {
			return err
		}
		written = staleUnlessWritten(res)
		return nil
	})
	if err == nil {
		err = written
	}
	if err != nil {
		return errorf("upsert user", err)
	}
	return nil
}

// DeleteUserDelivery records the delivery as processed and applies
// [Store.DeleteUser] in one transaction: both happen or neither. It returns
// an error matching [clerkhook.ErrDuplicateDelivery] or
// [clerkhook.ErrDeliveryInProgress], having written nothing, when the
// delivery was processed or is claimed.
func (s *Store) DeleteUserDelivery(ctx context.Context, deliveryID, eventType, userID string, deletedAt time.Time) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := s.claim(ctx, tx, deliveryID, eventType, true); err != nil {
			return err
		}
		return deleteUserTx(ctx, tx, userID, deletedAt)
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
// records, but its event handlers run again. Run it periodically, for
// example hourly.
func (s *Store) Prune(ctx context.Context, olderThan time.Duration) (int64, error) {
	n, err := s.exec(ctx, pruneDeliveries, sqlstore.Millis(s.now().Add(-olderThan)))
	if err != nil {
		return 0, errorf("prune deliveries", err)
	}
	return n, nil
}

// claim records the delivery in tx, as processed at once when processed is
// true, and returns the token of the claim; or it tells a processed
// delivery from one in progress. tx holds the write lock, so the ledger
// cannot change between the two statements of [sqlstore.Claim].
func (s *Store) claim(ctx context.Context, tx *sql.Tx, deliveryID, eventType string, processed bool) (string, error) {
	now := s.now()
	var processedAt *int64
	if processed {
		at := sqlstore.Millis(now)
		processedAt = &at
	}
	token := sqlstore.NewToken()
	args := []any{deliveryID, eventType, token, sqlstore.Millis(now), processedAt, sqlstore.Millis(now.Add(-s.claimTimeout))}
	if err := sqlstore.Claim(ctx, tx, claimDelivery, args, deliveryProcessed, deliveryID); err != nil {
		return "", err
	}
	return token, nil
}
