package mysqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

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
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, upsertOrganization,
			o.ID, o.Name, o.Slug, o.ImageURL, int64(o.CreatedAt), int64(o.UpdatedAt), data)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		return appliedUnlessRefused(ctx, tx, n, organizationApplied, o.ID, int64(o.UpdatedAt))
	})
	if err != nil {
		return errorf("upsert organization", err)
	}
	return nil
}

// DeleteOrganization turns the organization's row into a tombstone that
// keeps only the id and deletedAt, inserting one for an unknown id, and
// deletes the organization's memberships.
func (s *Store) DeleteOrganization(ctx context.Context, id string, deletedAt time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, deleteOrganization, id, millis(deletedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, deleteOrganizationMemberships, millis(deletedAt), id)
		return err
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
	o, err := readData(ctx, s, clerkhook.EventOrganizationUpdated, (*clerkhook.Event).Organization, selectOrganization, id)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = clerkhook.ErrOrganizationNotFound
		}
		return nil, errorf("read organization", err)
	}
	return o, nil
}
