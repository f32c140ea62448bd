// Package sqlstore is what sqlitestore and mysqlstore share on database/sql:
// transactions, record columns and JSON, readers, the ledger's claim and the migration runner.
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/clerkhook/clerkhook"
)

// InTx runs fn in a transaction of db and commits it when fn returns nil.
func InTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		rollbackErr := tx.Rollback()
		// The end of ctx rolls the transaction back already.
		if errors.Is(rollbackErr, sql.ErrTxDone) {
			rollbackErr = nil
		}
		return errors.Join(err, rollbackErr)
	}
	return tx.Commit()
}

// ReadData decodes the data column of the single row query returns with
// the decoder of package clerkhook, as the data of an event of type
// eventType, so that the record read back is what the Handler would decode
// and its Raw is the column. It returns notFound when there is no row.
func ReadData[T any](ctx context.Context, db *sql.DB, eventType string, decode func(*clerkhook.Event) (*T, error),
	notFound error, query string, args ...any) (*T, error) {
	var data []byte
	if err := db.QueryRowContext(ctx, query, args...).Scan(&data); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = notFound
		}
		return nil, err
	}
	return decode(&clerkhook.Event{Type: eventType, Data: data})
}

// IDs returns the first column of the rows of query, for
// [clerkhook.UserLister].
func IDs(ctx context.Context, db *sql.DB, query string) ([]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// UserArgs returns the columns of a user's row, in the order of the
// stores' upserts: id, email, first_name, last_name, username, image_url,
// phone, external_id, banned, created_at, updated_at, data. Email and phone
// are the primary ones.
func UserArgs(u *clerkhook.User) ([]any, error) {
	data, err := RecordData(u.Raw, u)
	if err != nil {
		return nil, err
	}
	return []any{u.ID, NullString(u.PrimaryEmail()), u.FirstName, u.LastName, u.Username, NullString(u.ImageURL),
		NullString(u.PrimaryPhone()), u.ExternalID, u.Banned, int64(u.CreatedAt), int64(u.UpdatedAt), data}, nil
}

// OrganizationArgs returns the columns of an organization's row: id,
// name, slug, image_url, created_at, updated_at, data.
func OrganizationArgs(o *clerkhook.Organization) ([]any, error) {
	data, err := RecordData(o.Raw, o)
	if err != nil {
		return nil, err
	}
	return []any{o.ID, o.Name, o.Slug, o.ImageURL, int64(o.CreatedAt), int64(o.UpdatedAt), data}, nil
}

// MembershipArgs returns the columns of a membership's row:
// organization_id, user_id, id, role, created_at, updated_at, data.
func MembershipArgs(m *clerkhook.OrganizationMembership) ([]any, error) {
	data, err := RecordData(m.Raw, m)
	if err != nil {
		return nil, err
	}
	return []any{m.OrganizationID(), m.UserID(), m.ID, m.Role, int64(m.CreatedAt), int64(m.UpdatedAt), data}, nil
}

// encodeOptions make the encoder write what encoding/json writes, as
// pgxstore's data column holds: nil slices as null, and omitempty leaving
// out false, 0 and empty strings but not an empty metadata object.
var encodeOptions = jsonv2.JoinOptions(jsonv2.FormatNilSliceAsNull(true), jsonv1.OmitEmptyWithLegacySemantics(true))

// RecordData returns the JSON of a record for its data column: raw, the
// record's Raw as Clerk sent it, unknown keys included, when it is not
// empty; else the encoded record. It is text: SQLite takes a blob for its
// binary JSONB, which its JSON functions would refuse, and MySQL's JSON
// type would reorder the keys.
func RecordData(raw []byte, v any) (string, error) {
	if len(raw) > 0 {
		return string(raw), nil
	}
	b, err := jsonv2.Marshal(v, encodeOptions)
	return string(b), err
}

// Tombstone runs deleteRecord, which turns the row of id into a tombstone
// dated deletedAt, then deleteMemberships, which does the same to the
// record's live memberships; their parameters are (id, deletedAt) and
// (deletedAt, id), deletedAt in Unix milliseconds.
func Tombstone(ctx context.Context, tx *sql.Tx, deleteRecord, deleteMemberships, id string, deletedAt time.Time) error {
	if _, err := tx.ExecContext(ctx, deleteRecord, id, Millis(deletedAt)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, deleteMemberships, Millis(deletedAt), id)
	return err
}

// Claim runs claim with args: a statement that records a delivery in the
// ledger, or takes over its lapsed claim. When it changed no row, Claim
// reads deliveryID's row with processed, which selects whether it is
// processed, and returns [clerkhook.ErrDuplicateDelivery] for a processed
// delivery or [clerkhook.ErrDeliveryInProgress] for one another attempt
// holds. tx must keep the row from changing between the two statements, as
// SQLite's write lock and the row lock of InnoDB's upsert do.
func Claim(ctx context.Context, tx *sql.Tx, claim string, args []any, processed, deliveryID string) error {
	res, err := tx.ExecContext(ctx, claim, args...)
	if err != nil {
		return err
	}
	// An insert counts 1 row, an update 1 in SQLite and 2 in MySQL.
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var done bool
	if err := tx.QueryRowContext(ctx, processed, deliveryID).Scan(&done); err != nil {
		return err
	}
	if done {
		return clerkhook.ErrDuplicateDelivery
	}
	return clerkhook.ErrDeliveryInProgress
}

// NewToken returns a token that names one claim of a delivery.
func NewToken() string {
	var b [16]byte
	rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}

// NullString maps "" to SQL NULL, for the columns filled from fields that
// Clerk leaves empty rather than null.
func NullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Millis returns t as Unix milliseconds, the unit of the time columns.
func Millis(t time.Time) int64 { return t.UnixMilli() }
