package sqlitestore

import (
	"context"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/sqlstore"
)

// UpsertMembership stores m unless the table holds a newer version of the
// membership, the membership was deleted at or after m.UpdatedAt, or its
// user or organization is deleted; then it returns an error matching
// [clerkhook.ErrStale]. The statement reads the tombstones and writes the
// membership under the write lock, so a deletion of the user or the
// organization cannot slip in between.
func (s *Store) UpsertMembership(ctx context.Context, m *clerkhook.OrganizationMembership) error {
	args, err := sqlstore.MembershipArgs(m)
	if err == nil {
		err = s.guarded(ctx, upsertMembership, args...)
	}
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
	if err := s.guarded(ctx, deleteMembership, organizationID, userID, sqlstore.Millis(deletedAt)); err != nil {
		return errorf("delete membership", err)
	}
	return nil
}

// Membership returns the membership of the user in the organization as it
// was last stored, or an error matching [clerkhook.ErrMembershipNotFound]
// when the user is not a member. Its Raw is the data column, as for
// [Store.User].
func (s *Store) Membership(ctx context.Context, organizationID, userID string) (*clerkhook.OrganizationMembership, error) {
	m, err := sqlstore.ReadData(ctx, s.reader, clerkhook.EventOrganizationMembershipUpdated,
		(*clerkhook.Event).OrganizationMembership, clerkhook.ErrMembershipNotFound, selectMembership, organizationID, userID)
	if err != nil {
		return nil, errorf("read membership", err)
	}
	return m, nil
}
