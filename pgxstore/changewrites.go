package pgxstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clerkhook/clerkhook"
)

// The writes of a Store with change hooks. Each takes the advisory lock of
// its record, then runs its statement of changeQueries, which writes as
// the Store without hooks does and reads the row as it was, then runs the
// hooks for the change, all in one transaction. The lock and the
// statement travel in one round trip; the BEGIN, each statement of the
// hooks and the COMMIT take one each.

// upsertWithHooks runs locks then the guarded upsert sql, which returns
// whether it wrote and how it found the row, and the hooks for its change,
// made by change. It reports whether the upsert wrote.
func (s *Store) upsertWithHooks(ctx context.Context, locks *pgx.Batch, sql string, args []any, change func(ChangeKind) Change) (bool, error) {
	var written bool
	err := s.inTx(ctx, func(tx pgx.Tx) ([]Change, error) {
		var live, same bool
		locks.Queue(sql, args...).QueryRow(func(row pgx.Row) error { return row.Scan(&written, &live, &same) })
		if err := tx.SendBatch(ctx, locks).Close(); err != nil {
			return nil, err
		}
		kind, ok := upsertChange(written, live, same)
		if !ok {
			return nil, nil
		}
		c := change(kind)
		c.DeliveryID, c.EventType = delivery(ctx)
		return []Change{c}, nil
	})
	return written, err
}

// deleteWithHooks runs the lock of the record then the deletion sql, which
// returns whether it claimed the delivery, whether the record changed and
// the other keys of the memberships it deleted, and the hooks for the
// changes, made by changes. It reports whether it claimed the delivery.
func (s *Store) deleteWithHooks(ctx context.Context, lock string, id string, sql string, args []any,
	changes func(deleted bool, others []string) []Change) (bool, error) {
	var claimed bool
	err := s.inTx(ctx, func(tx pgx.Tx) ([]Change, error) {
		var deleted bool
		var others []string
		b := &pgx.Batch{}
		b.Queue(lock, id)
		b.Queue(sql, args...).QueryRow(func(row pgx.Row) error { return row.Scan(&claimed, &deleted, &others) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil || !claimed {
			return nil, err
		}
		return changes(deleted, others), nil
	})
	return claimed, err
}

// userDeletion returns the changes of the deletion of a user, which
// changed the user when deleted is set, and the memberships of the
// organizations orgs. The delivery is the one that caused them.
func userDeletion(deliveryID, eventType, userID string, deleted bool, orgs []string) []Change {
	changes := make([]Change, 0, len(orgs)+1)
	if deleted {
		changes = append(changes, Change{Kind: ChangeDeleted, Object: ObjectUser, UserID: userID})
	}
	for _, org := range orgs {
		changes = append(changes, Change{Kind: ChangeDeleted, Object: ObjectMembership, UserID: userID, OrganizationID: org})
	}
	for i := range changes {
		changes[i].DeliveryID, changes[i].EventType = deliveryID, eventType
	}
	return changes
}

func (s *Store) upsertUserWithHooks(ctx context.Context, u *clerkhook.User, r userRecord) (bool, error) {
	b := &pgx.Batch{}
	b.Queue(s.q.lockUser, u.ID)
	return s.upsertWithHooks(ctx, b, s.cq.upsertUser, r.args(), func(k ChangeKind) Change {
		return Change{Kind: k, Object: ObjectUser, UserID: u.ID, User: u}
	})
}

func (s *Store) deleteUserWithHooks(ctx context.Context, id string, deletedAt time.Time) error {
	deliveryID, eventType := delivery(ctx)
	_, err := s.deleteWithHooks(ctx, s.q.lockUser, id, s.cq.deleteUser, []any{id, deletedAt.UTC()},
		func(deleted bool, orgs []string) []Change {
			return userDeletion(deliveryID, eventType, id, deleted, orgs)
		})
	return err
}

func (s *Store) deleteUserDeliveryWithHooks(ctx context.Context, deliveryID, eventType, id string, deletedAt time.Time) (bool, error) {
	return s.deleteWithHooks(ctx, s.q.lockUser, id, s.cq.deleteUserDelivery, []any{deliveryID, eventType, id, deletedAt.UTC()},
		func(deleted bool, orgs []string) []Change {
			return userDeletion(deliveryID, eventType, id, deleted, orgs)
		})
}

func (s *Store) upsertOrganizationWithHooks(ctx context.Context, o *clerkhook.Organization, args []any) (bool, error) {
	b := &pgx.Batch{}
	b.Queue(s.q.lockOrganization, o.ID)
	return s.upsertWithHooks(ctx, b, s.cq.upsertOrganization, args, func(k ChangeKind) Change {
		return Change{Kind: k, Object: ObjectOrganization, OrganizationID: o.ID, Organization: o}
	})
}

func (s *Store) deleteOrganizationWithHooks(ctx context.Context, id string, deletedAt time.Time) error {
	deliveryID, eventType := delivery(ctx)
	_, err := s.deleteWithHooks(ctx, s.q.lockOrganization, id, s.cq.deleteOrganization, []any{id, deletedAt.UTC()},
		func(deleted bool, users []string) []Change {
			changes := make([]Change, 0, len(users)+1)
			if deleted {
				changes = append(changes, Change{Kind: ChangeDeleted, Object: ObjectOrganization, OrganizationID: id})
			}
			for _, user := range users {
				changes = append(changes, Change{Kind: ChangeDeleted, Object: ObjectMembership, UserID: user, OrganizationID: id})
			}
			for i := range changes {
				changes[i].DeliveryID, changes[i].EventType = deliveryID, eventType
			}
			return changes
		})
	return err
}

func (s *Store) upsertMembershipWithHooks(ctx context.Context, m *clerkhook.OrganizationMembership, args []any) (bool, error) {
	b := &pgx.Batch{}
	b.Queue(s.cq.lockMembership, m.UserID(), m.OrganizationID())
	return s.upsertWithHooks(ctx, b, s.cq.upsertMembership, args, func(k ChangeKind) Change {
		return Change{Kind: k, Object: ObjectMembership, UserID: m.UserID(), OrganizationID: m.OrganizationID(), Membership: m}
	})
}

// deleteMembershipWithHooks reports whether the deletion wrote: it did
// unless the stored version is newer than the deletion.
func (s *Store) deleteMembershipWithHooks(ctx context.Context, organizationID, userID string, deletedAt time.Time) (bool, error) {
	var written bool
	err := s.inTx(ctx, func(tx pgx.Tx) ([]Change, error) {
		var deleted bool
		b := &pgx.Batch{}
		b.Queue(s.cq.lockMembership, userID, organizationID)
		b.Queue(s.cq.deleteMembership, organizationID, userID, deletedAt.UTC()).
			QueryRow(func(row pgx.Row) error { return row.Scan(&written, &deleted) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil || !written || !deleted {
			return nil, err
		}
		c := Change{Kind: ChangeDeleted, Object: ObjectMembership, UserID: userID, OrganizationID: organizationID}
		c.DeliveryID, c.EventType = delivery(ctx)
		return []Change{c}, nil
	})
	return written, err
}

// execUsersWithHooks is execUsers for a Store with change hooks: the
// batch's writes and the hooks of their changes run in one transaction,
// after the locks of the batch's users. A hook's ctx is the one of its
// write's call, whose values tell its delivery, with the batch's
// cancellation.
func (s *Store) execUsersWithHooks(ctx context.Context, batch []*userWrite) error {
	return s.inTx(ctx, func(tx pgx.Tx) ([]Change, error) {
		live, same := make([]bool, len(batch)), make([]bool, len(batch))
		b := &pgx.Batch{}
		if len(batch) == 1 {
			w := batch[0]
			b.Queue(s.q.lockUser, w.user.id)
			b.Queue(s.cq.upsertUserDelivery, append([]any{w.deliveryID, w.eventType}, w.user.args()...)...).
				QueryRow(func(row pgx.Row) error { return row.Scan(&w.claimed, &w.written, &live[0], &same[0]) })
		} else {
			var users userArrays
			deliveryIDs, types := make([]string, len(batch)), make([]string, len(batch))
			for i, w := range batch {
				deliveryIDs[i], types[i] = w.deliveryID, w.eventType
				users.add(&w.user)
			}
			b.Queue(s.cq.lockUsers, users.id)
			var n int
			var claimed, written, l, sm bool
			b.Queue(s.cq.upsertUsersDelivery, append([]any{deliveryIDs, types}, users.args()...)...).Query(func(rows pgx.Rows) error {
				_, err := pgx.ForEachRow(rows, []any{&n, &claimed, &written, &l, &sm}, func() error {
					if n < 1 || n > len(batch) {
						return fmt.Errorf("row of delivery %d of a batch of %d", n, len(batch))
					}
					batch[n-1].claimed, batch[n-1].written, live[n-1], same[n-1] = claimed, written, l, sm
					return nil
				})
				return err
			})
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, err
		}
		for i, w := range batch {
			kind, ok := upsertChange(w.claimed && w.written, live[i], same[i])
			if !ok {
				continue
			}
			hookCtx := ctx
			if len(batch) > 1 {
				hookCtx = valuesContext{Context: ctx, values: w.ctx}
			}
			c := Change{Kind: kind, Object: ObjectUser, DeliveryID: w.deliveryID, EventType: w.eventType, UserID: w.user.id, User: w.source}
			if err := s.runHooks(hookCtx, tx, []Change{c}); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}
