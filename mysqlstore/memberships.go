package mysqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/sqlstore"
)

// UpsertMembership stores m unless the table holds a newer version of the
// membership, the membership was deleted at or after m.UpdatedAt, or its
// user or organization is deleted; then it returns an error matching
// [clerkhook.ErrStale]. It first takes shared locks on the user's and the
// organization's rows (or where they would be), so that a deletion of
// either cannot slip in between the look for their tombstones and the
// write.
func (s *Store) UpsertMembership(ctx context.Context, m *clerkhook.OrganizationMembership) error {
	args, err := sqlstore.MembershipArgs(m)
	if err != nil {
		return errorf("upsert membership", err)
	}
	// The statement looks for the tombstones of the user and the
	// organization, whose ids it takes again.
	args = append(args, m.UserID(), m.OrganizationID())
	err = s.write(ctx, func(tx *sql.Tx) error {
		for _, lock := range [][2]string{{lockUser, m.UserID()}, {lockOrganization, m.OrganizationID()}} {
			var one int
			if err := tx.QueryRowContext(ctx, lock[0], lock[1]).Scan(&one); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		return writeGuarded(ctx, tx, upsertMembership, args, membershipApplied, m.OrganizationID(), m.UserID(), int64(m.UpdatedAt))
	})
	if err != nil {
		return errorf("upsert membership", err)
	}
	return nil
}

// DeleteMembership turns the membership into a tombstone dated deletedAt,
// inserting one for an unknown membership. A deletion older than the
// stored version changes nothing, since the user has been invited again
// since, and returns an error matching [clerkhook.ErrStale].
func (s *Store) DeleteMembership(ctx context.Context, organizationID, userID string, deletedAt time.Time) error {
	at := sqlstore.Millis(deletedAt)
	err := s.write(ctx, func(tx *sql.Tx) error {
		return writeGuarded(ctx, tx, deleteMembership, []any{organizationID, userID, at},
			membershipDeletionApplied, organizationID, userID, at)
	})
	if err != nil {
		return errorf("delete membership", err)
	}
	return nil
}

// Membership returns the membership of the user in the organization as it
// was last stored, or an error matching [clerkhook.ErrMembershipNotFound]
// when the user is not a member. Its Raw is the data column, as for
// [Store.User].
func (s *Store) Membership(ctx context.Context, organizationID, userID string) (*clerkhook.OrganizationMembership, error) {
	m, err := sqlstore.ReadData(ctx, s.db, clerkhook.EventOrganizationMembershipUpdated,
		(*clerkhook.Event).OrganizationMembership, clerkhook.ErrMembershipNotFound, selectMembership, organizationID, userID)
	if err != nil {
		return nil, errorf("read membership", err)
	}
	return m, nil
}
