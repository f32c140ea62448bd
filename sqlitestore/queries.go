package sqlitestore

// The store's SQL. The write guards are those of pgxstore: a user or an
// organization takes an incoming version unless it is a tombstone or holds
// a newer version, and an equal version replaces the stored one, which
// makes a repeated upsert harmless. A deleted membership takes only a
// version newer than both its last version and its deletion, which lets a
// user invited again come back while a late copy of an older version stays
// out. SQLite's two-argument min and max are NULL when either argument is,
// hence the coalesce.
const (
	upsertUser = `INSERT INTO clerk_users AS t
			(id, email, first_name, last_name, username, image_url, phone, external_id, banned, created_at, updated_at, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET email = excluded.email, first_name = excluded.first_name,
			last_name = excluded.last_name, username = excluded.username, image_url = excluded.image_url,
			phone = excluded.phone, external_id = excluded.external_id, banned = excluded.banned,
			created_at = excluded.created_at, updated_at = excluded.updated_at, data = excluded.data
		WHERE t.deleted_at IS NULL AND t.updated_at <= excluded.updated_at`

	// deleteUser turns a user row into a tombstone that keeps only id and
	// the earliest deleted_at.
	deleteUser = `INSERT INTO clerk_users AS t (id, deleted_at) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET email = NULL, first_name = NULL, last_name = NULL, username = NULL,
			image_url = NULL, phone = NULL, external_id = NULL, banned = NULL, created_at = NULL,
			updated_at = NULL, data = NULL, deleted_at = min(coalesce(t.deleted_at, excluded.deleted_at), excluded.deleted_at)`

	// deleteUserMemberships turns the user's live memberships into
	// tombstones dated by its first parameter; updated_at stays, for the
	// membership guard.
	deleteUserMemberships = `UPDATE clerk_organization_memberships
		SET id = NULL, role = NULL, created_at = NULL, data = NULL, deleted_at = ?
		WHERE user_id = ? AND deleted_at IS NULL`

	selectUser    = `SELECT data FROM clerk_users WHERE id = ? AND deleted_at IS NULL`
	selectUserIDs = `SELECT id FROM clerk_users WHERE deleted_at IS NULL`

	upsertOrganization = `INSERT INTO clerk_organizations AS t (id, name, slug, image_url, created_at, updated_at, data)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, slug = excluded.slug, image_url = excluded.image_url,
			created_at = excluded.created_at, updated_at = excluded.updated_at, data = excluded.data
		WHERE t.deleted_at IS NULL AND t.updated_at <= excluded.updated_at`

	deleteOrganization = `INSERT INTO clerk_organizations AS t (id, deleted_at) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET name = NULL, slug = NULL, image_url = NULL, created_at = NULL,
			updated_at = NULL, data = NULL, deleted_at = min(coalesce(t.deleted_at, excluded.deleted_at), excluded.deleted_at)`

	deleteOrganizationMemberships = `UPDATE clerk_organization_memberships
		SET id = NULL, role = NULL, created_at = NULL, data = NULL, deleted_at = ?
		WHERE organization_id = ? AND deleted_at IS NULL`

	selectOrganization = `SELECT data FROM clerk_organizations WHERE id = ? AND deleted_at IS NULL`

	// upsertMembership refuses a membership whose user or organization is
	// a tombstone. Its parameters are ?1 organization id, ?2 user id, ?3
	// membership id, ?4 role, ?5 created_at, ?6 updated_at, ?7 data.
	upsertMembership = `INSERT INTO clerk_organization_memberships AS t
			(organization_id, user_id, id, role, created_at, updated_at, data)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
		WHERE NOT EXISTS (SELECT 1 FROM clerk_users WHERE id = ?2 AND deleted_at IS NOT NULL)
			AND NOT EXISTS (SELECT 1 FROM clerk_organizations WHERE id = ?1 AND deleted_at IS NOT NULL)
		ON CONFLICT (organization_id, user_id) DO UPDATE SET id = excluded.id, role = excluded.role,
			created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL, data = excluded.data
		WHERE CASE WHEN t.deleted_at IS NULL THEN t.updated_at <= excluded.updated_at
			ELSE max(coalesce(t.updated_at, t.deleted_at), t.deleted_at) < excluded.updated_at END`

	// deleteMembership ignores a deletion older than the stored version:
	// it is a late copy of the end of an earlier membership of the same
	// user, who has been invited again since.
	deleteMembership = `INSERT INTO clerk_organization_memberships AS t (organization_id, user_id, deleted_at) VALUES (?, ?, ?)
		ON CONFLICT (organization_id, user_id) DO UPDATE SET id = NULL, role = NULL, created_at = NULL, data = NULL,
			deleted_at = max(coalesce(t.deleted_at, excluded.deleted_at), excluded.deleted_at)
		WHERE t.updated_at IS NULL OR t.updated_at <= excluded.deleted_at`

	selectMembership = `SELECT data FROM clerk_organization_memberships
		WHERE organization_id = ? AND user_id = ? AND deleted_at IS NULL`

	// claimDelivery records a delivery in the ledger, or takes over a
	// claim that has lapsed. Its parameters are ?1 delivery id, ?2 event
	// type, ?3 the claim's token, ?4 now, ?5 processed_at: now to record
	// the delivery as processed at once, NULL to claim it; ?6 the lapse
	// cut-off.
	claimDelivery = `INSERT INTO clerk_webhook_deliveries AS d (id, type, token, claimed_at, processed_at)
		VALUES (?1, ?2, ?3, ?4, ?5)
		ON CONFLICT (id) DO UPDATE SET type = excluded.type, token = excluded.token,
			claimed_at = excluded.claimed_at, processed_at = excluded.processed_at
		WHERE d.processed_at IS NULL AND d.claimed_at < ?6`

	deliveryProcessed = `SELECT processed_at IS NOT NULL FROM clerk_webhook_deliveries WHERE id = ?`

	// completeDelivery and releaseDelivery change the row only for the
	// token that holds the claim; completing twice is harmless.
	completeDelivery = `UPDATE clerk_webhook_deliveries SET processed_at = COALESCE(processed_at, ?3)
		WHERE id = ?1 AND token = ?2`

	releaseDelivery = `DELETE FROM clerk_webhook_deliveries WHERE id = ?1 AND token = ?2 AND processed_at IS NULL`

	pruneDeliveries = `DELETE FROM clerk_webhook_deliveries WHERE claimed_at < ?1 AND (processed_at IS NULL OR processed_at < ?1)`
)
