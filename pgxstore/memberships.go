package pgxstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/clerkhook/clerkhook"
)

// UpsertMembership stores m unless the table holds a newer version of the
// membership, the membership was deleted at or after m.UpdatedAt, or its
// user or organization is deleted; then it returns an error matching
// [clerkhook.ErrStale].
func (s *Store) UpsertMembership(ctx context.Context, m *clerkhook.OrganizationMembership) error {
	data, err := recordData(m.Raw, m)
	if err != nil {
		return errorf("upsert membership", err)
	}
	args := []any{m.OrganizationID(), m.UserID(), m.ID, m.Role, timestamp(m.CreatedAt), timestamp(m.UpdatedAt), data}
	if len(s.hooks) > 0 {
		if err := staleUnless(s.upsertMembershipWithHooks(ctx, m, args)); err != nil {
			return errorf("upsert membership", err)
		}
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(s.q.lockMembershipReferences, m.UserID(), m.OrganizationID())
	var stored int64
	b.Queue(s.q.upsertMembership, args...).Exec(func(tag pgconn.CommandTag) error {
		stored = tag.RowsAffected()
		return nil
	})
	if err := s.send(ctx, b); err != nil {
		return errorf("upsert membership", err)
	}
	if stored == 0 {
		return errorf("upsert membership", clerkhook.ErrStale)
	}
	return nil
}

// DeleteMembership turns the membership into a tombstone dated deletedAt,
// inserting one for an unknown membership. A deletion older than the
// stored version changes nothing, since the user has been invited again
// since, and returns an error matching [clerkhook.ErrStale].
func (s *Store) DeleteMembership(ctx context.Context, organizationID, userID string, deletedAt time.Time) error {
	if len(s.hooks) > 0 {
		if err := staleUnless(s.deleteMembershipWithHooks(ctx, organizationID, userID, deletedAt)); err != nil {
			return errorf("delete membership", err)
		}
		return nil
	}
	tag, err := s.exec(ctx, s.q.deleteMembership, organizationID, userID, deletedAt.UTC())
	if err == nil && tag.RowsAffected() == 0 {
		err = clerkhook.ErrStale
	}
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
	m, err := readData(ctx, s, clerkhook.EventOrganizationMembershipUpdated, (*clerkhook.Event).OrganizationMembership,
		s.q.membership, organizationID, userID)
	if errors.Is(err, pgx.ErrNoRows) {
		err = clerkhook.ErrMembershipNotFound
	}
	if err != nil {
		return nil, errorf("read membership", err)
	}
	return m, nil
}
