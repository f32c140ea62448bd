package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/internal/sqlstore"
)

// UpsertOrganization stores o unless the table holds a newer version of the
// organization or its tombstone; then it returns an error matching
// [clerkhook.ErrStale].
func (s *Store) UpsertOrganization(ctx context.Context, o *clerkhook.Organization) error {
	args, err := sqlstore.OrganizationArgs(o)
	if err == nil {
		err = s.guarded(ctx, upsertOrganization, args...)
	}
	if err != nil {
		return errorf("upsert organization", err)
	}
	return nil
}

// DeleteOrganization turns the organization's row into a tombstone that
// keeps only the id and deletedAt, inserting one for an unknown id, and
// deletes the organization's memberships.
func (s *Store) DeleteOrganization(ctx context.Context, id string, deletedAt time.Time) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return sqlstore.Tombstone(ctx, tx, deleteOrganization, deleteOrganizationMemberships, id, deletedAt)
	})
	if err != nil {
		return errorf("delete organization", err)
	}
	return nil
}

// Organization returns the organization with the given id as it was last
// stored, or an error matching [clerkhook.ErrOrganizationNotFound] for an
// unknown or deleted id. Its Raw is the data column, as for [Store.User].
func (s *Store) Organization(ctx context.Context, id string) (*clerkhook.Organization, error) {
	o, err := sqlstore.ReadData(ctx, s.reader, clerkhook.EventOrganizationUpdated, (*clerkhook.Event).Organization,
		clerkhook.ErrOrganizationNotFound, selectOrganization, id)
	if err != nil {
		return nil, errorf("read organization", err)
	}
	return o, nil
}
