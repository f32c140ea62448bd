package pgxstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clerkhook/clerkhook"
)

// UpsertOrganization stores o unless the table holds a newer version of the
// organization or its tombstone; then it returns an error matching
// [clerkhook.ErrStale].
func (s *Store) UpsertOrganization(ctx context.Context, o *clerkhook.Organization) error {
	data, err := recordData(o.Raw, o)
	if err != nil {
		return errorf("upsert organization", err)
	}
	args := []any{o.ID, o.Name, o.Slug, o.ImageURL, timestamp(o.CreatedAt), timestamp(o.UpdatedAt), data}
	if len(s.hooks) > 0 {
		if err := staleUnless(s.upsertOrganizationWithHooks(ctx, o, args)); err != nil {
			return errorf("upsert organization", err)
		}
		return nil
	}
	tag, err := s.exec(ctx, s.q.upsertOrganization, args...)
	if err != nil {
		return errorf("upsert organization", err)
	}
	if tag.RowsAffected() == 0 {
		return errorf("upsert organization", clerkhook.ErrStale)
	}
	return nil
}

// DeleteOrganization turns the organization's row into a tombstone that
// keeps only the id and deletedAt, inserting one for an unknown id, and
// deletes the organization's memberships.
func (s *Store) DeleteOrganization(ctx context.Context, id string, deletedAt time.Time) error {
	if len(s.hooks) > 0 {
		if err := s.deleteOrganizationWithHooks(ctx, id, deletedAt); err != nil {
			return errorf("delete organization", err)
		}
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(s.q.lockOrganization, id)
	b.Queue(s.q.deleteOrganization, id, deletedAt.UTC())
	if err := s.send(ctx, b); err != nil {
		return errorf("delete organization", err)
	}
	return nil
}

// Organization returns the organization with the given id as it was last
// stored, or an error matching [clerkhook.ErrOrganizationNotFound] for an
// unknown or deleted id. Its Raw is the data column, as for [Store.User].
func (s *Store) Organization(ctx context.Context, id string) (*clerkhook.Organization, error) {
	o, err := readData(ctx, s, clerkhook.EventOrganizationUpdated, (*clerkhook.Event).Organization, s.q.organization, id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = clerkhook.ErrOrganizationNotFound
	}
	if err != nil {
		return nil, errorf("read organization", err)
	}
	return o, nil
}
