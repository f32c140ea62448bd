package mysqlstore

import (
	"fmt"
	"strings"
)

// The store's SQL. MySQL's INSERT … ON DUPLICATE KEY UPDATE has no WHERE,
// so each assignment carries the guard of pgxstore: a user or an
// organization takes an incoming version unless it is a tombstone or holds
// a newer version. The assignments run left to right, each seeing the ones
// before, so the columns the guard reads come last. VALUES(col) is the
// incoming value; MariaDB knows no other spelling.
const recordGuard = `(deleted_at IS NULL AND updated_at <= VALUES(updated_at))`

// guarded returns the assignments of cols under guard, in order.
func guarded(guard string, cols ...string) string {
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = fmt.Sprintf("%[1]s = IF(%[2]s, VALUES(%[1]s), %[1]s)", c, guard)
	}
	return strings.Join(set, ", ")
}

// A deleted membership takes only a version newer than both its last
// version and its deletion. Its assignments clear deleted_at before they
// set updated_at, and the guard reads an unknown updated_at as 0, so that
// it gives the same answer after deleted_at is cleared: a row whose guard
// held is then live with an older updated_at.
const membershipGuard = `(CASE WHEN deleted_at IS NULL THEN COALESCE(updated_at, 0) <= VALUES(updated_at)
	ELSE GREATEST(COALESCE(updated_at, deleted_at), deleted_at) < VALUES(updated_at) END)`

var (
	upsertUser = `INSERT INTO clerk_users
			(id, email, first_name, last_name, username, image_url, phone, external_id, banned, created_at, updated_at, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE ` + guarded(recordGuard, "email", "first_name", "last_name", "username", "image_url",
		"phone", "external_id", "banned", "created_at", "data", "updated_at")

	upsertOrganization = `INSERT INTO clerk_organizations (id, name, slug, image_url, created_at, updated_at, data)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE ` + guarded(recordGuard, "name", "slug", "image_url", "created_at", "data", "updated_at")

	// upsertMembership refuses a membership whose user or organization is
	// a tombstone. Its parameters are the organization id, the user id,
	// the membership id, role, created_at, updated_at, data, then the
	// user id and the organization id again.
	upsertMembership = `INSERT INTO clerk_organization_memberships
			(organization_id, user_id, id, role, created_at, updated_at, data)
		SELECT ?, ?, ?, ?, ?, ?, ? FROM DUAL
		WHERE NOT EXISTS (SELECT 1 FROM clerk_users WHERE id = ? AND deleted_at IS NOT NULL)
			AND NOT EXISTS (SELECT 1 FROM clerk_organizations WHERE id = ? AND deleted_at IS NOT NULL)
		ON DUPLICATE KEY UPDATE ` + guarded(membershipGuard, "id", "role", "created_at", "data") +
		`, deleted_at = IF(` + membershipGuard + `, NULL, deleted_at), ` + guarded(membershipGuard, "updated_at")
)

// nowMillis is the database's clock in Unix milliseconds, the unit of the
// ledger's times. The ledger is dated by it, as pgxstore's is, so that
// replicas whose clocks disagree agree on when a claim lapses.
// UTC_TIMESTAMP is the time the statement began, the same wherever the
// statement uses it, and counting from the epoch in UTC leaves the
// session's time zone out.
const nowMillis = `(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(6)) DIV 1000)`

const (
	// deleteUser turns a user row into a tombstone that keeps only id and
	// the earliest deleted_at.
	deleteUser = `INSERT INTO clerk_users (id, deleted_at) VALUES (?, ?)
		ON DUPLICATE KEY UPDATE email = NULL, first_name = NULL, last_name = NULL, username = NULL,
			image_url = NULL, phone = NULL, external_id = NULL, banned = NULL, created_at = NULL,
			updated_at = NULL, data = NULL, deleted_at = LEAST(COALESCE(deleted_at, VALUES(deleted_at)), VALUES(deleted_at))`

	// deleteUserMemberships turns the user's live memberships into
	// tombstones dated by its first parameter; updated_at stays, for the
	// membership guard.
	deleteUserMemberships = `UPDATE clerk_organization_memberships
		SET id = NULL, role = NULL, created_at = NULL, data = NULL, deleted_at = ?
		WHERE user_id = ? AND deleted_at IS NULL`

	selectUser    = `SELECT data FROM clerk_users WHERE id = ? AND deleted_at IS NULL`
	selectUserIDs = `SELECT id FROM clerk_users WHERE deleted_at IS NULL`

	deleteOrganization = `INSERT INTO clerk_organizations (id, deleted_at) VALUES (?, ?)
		ON DUPLICATE KEY UPDATE name = NULL, slug = NULL, image_url = NULL, created_at = NULL,
			updated_at = NULL, data = NULL, deleted_at = LEAST(COALESCE(deleted_at, VALUES(deleted_at)), VALUES(deleted_at))`

	deleteOrganizationMemberships = `UPDATE clerk_organization_memberships
		SET id = NULL, role = NULL, created_at = NULL, data = NULL, deleted_at = ?
		WHERE organization_id = ? AND deleted_at IS NULL`

	selectOrganization = `SELECT data FROM clerk_organizations WHERE id = ? AND deleted_at IS NULL`

	// lockUser and lockOrganization take a shared lock on the row of the
	// id, or on the gap where it would be, so that a deletion cannot
	// insert or change its tombstone until the transaction ends.
	lockUser         = `SELECT 1 FROM clerk_users WHERE id = ? LOCK IN SHARE MODE`
	lockOrganization = `SELECT 1 FROM clerk_organizations WHERE id = ? LOCK IN SHARE MODE`

	// deleteMembership ignores a deletion older than the stored version:
	// it is a late copy of the end of an earlier membership of the same
	// user, who has been invited again since.
	deleteMembership = `INSERT INTO clerk_organization_memberships (organization_id, user_id, deleted_at) VALUES (?, ?, ?)
		ON DUPLICATE KEY UPDATE ` +
		`id = IF(updated_at IS NULL OR updated_at <= VALUES(deleted_at), NULL, id), ` +
		`role = IF(updated_at IS NULL OR updated_at <= VALUES(deleted_at), NULL, role), ` +
		`created_at = IF(updated_at IS NULL OR updated_at <= VALUES(deleted_at), NULL, created_at), ` +
		`data = IF(updated_at IS NULL OR updated_at <= VALUES(deleted_at), NULL, data), ` +
		`deleted_at = IF(updated_at IS NULL OR updated_at <= VALUES(deleted_at), GREATEST(COALESCE(deleted_at, VALUES(deleted_at)), VALUES(deleted_at)), deleted_at)`

	// userApplied, organizationApplied, membershipApplied and
	// membershipDeletionApplied find the row of a guarded write that
	// changed no row when its guard let it through: it set every column to
	// the value it held. See appliedUnlessRefused.
	userApplied         = `SELECT 1 FROM clerk_users WHERE id = ? AND deleted_at IS NULL AND updated_at = ? LOCK IN SHARE MODE`
	organizationApplied = `SELECT 1 FROM clerk_organizations WHERE id = ? AND deleted_at IS NULL AND updated_at = ? LOCK IN SHARE MODE`
	membershipApplied   = `SELECT 1 FROM clerk_organization_memberships
		WHERE organization_id = ? AND user_id = ? AND deleted_at IS NULL AND updated_at = ? LOCK IN SHARE MODE`
	membershipDeletionApplied = `SELECT 1 FROM clerk_organization_memberships
		WHERE organization_id = ? AND user_id = ? AND (updated_at IS NULL OR updated_at <= ?) LOCK IN SHARE MODE`

	selectMembership = `SELECT data FROM clerk_organization_memberships
		WHERE organization_id = ? AND user_id = ? AND deleted_at IS NULL`

	// claimDelivery records a delivery in the ledger, or takes over a
	// claim that has lapsed. Its parameters are the delivery id, the event
	// type, the claim's token, whether to record the delivery as processed
	// at once (else it is claimed), and the claim timeout in milliseconds.
	// The token changes first, only when the claim may be taken, and the
	// other columns follow it: the tokens of claims differ.
	claimDelivery = `INSERT INTO clerk_webhook_deliveries (id, type, token, claimed_at, processed_at)
		VALUES (?, ?, ?, ` + nowMillis + `, IF(?, ` + nowMillis + `, NULL))
		ON DUPLICATE KEY UPDATE token = IF(processed_at IS NULL AND claimed_at < ` + nowMillis + ` - ?, VALUES(token), token),
			type = IF(token = VALUES(token), VALUES(type), type),
			claimed_at = IF(token = VALUES(token), VALUES(claimed_at), claimed_at),
			processed_at = IF(token = VALUES(token), VALUES(processed_at), processed_at)`

	deliveryProcessed = `SELECT processed_at IS NOT NULL FROM clerk_webhook_deliveries WHERE id = ?`

	// completeDelivery and releaseDelivery change the row only for the
	// token that holds the claim.
	completeDelivery = `UPDATE clerk_webhook_deliveries SET processed_at = ` + nowMillis + `
		WHERE id = ? AND token = ? AND processed_at IS NULL`
	deliveryCompletedBy = `SELECT 1 FROM clerk_webhook_deliveries WHERE id = ? AND token = ? AND processed_at IS NOT NULL`

	releaseDelivery = `DELETE FROM clerk_webhook_deliveries WHERE id = ? AND token = ? AND processed_at IS NULL`

	// pruneDeliveries takes the age to forget in milliseconds, twice.
	pruneDeliveries = `DELETE FROM clerk_webhook_deliveries
		WHERE claimed_at < ` + nowMillis + ` - ? AND (processed_at IS NULL OR processed_at < ` + nowMillis + ` - ?)`
)
