package pgxstore

import (
	"fmt"
	"strings"
	"time"
)

// queries holds the store's SQL, built once per schema so that each text is
// constant for the life of the Store and pgx can cache its prepared
// statement.
type queries struct {
	upsertUser          string
	upsertUserDelivery  string
	upsertUsersDelivery string
	deleteUser          string
	deleteUserDelivery  string
	user                string
	userIDs             string

	upsertOrganization string
	deleteOrganization string
	organization       string

	upsertMembership string
	deleteMembership string
	membership       string

	lockUser                 string
	lockOrganization         string
	lockMembershipReferences string

	claimDelivery    string
	completeDelivery string
	releaseDelivery  string
	deliveryState    string
	pruneDeliveries  string
}

// The write guards. A user or an organization takes an incoming version
// unless it is a tombstone or holds a newer version; an equal version
// replaces the stored one, which makes a repeated upsert harmless. A
// deleted membership takes only a version newer than both its last version
// and its deletion, which lets a user invited again come back while a late
// copy of an older version stays out.
const (
	guardRecord     = `t.deleted_at IS NULL AND t.updated_at <= EXCLUDED.updated_at`
	guardMembership = `CASE WHEN t.deleted_at IS NULL THEN t.updated_at <= EXCLUDED.updated_at
		ELSE GREATEST(t.updated_at, t.deleted_at) < EXCLUDED.updated_at END`
)

const userColumns = `id, email, first_name, last_name, username, image_url, phone, external_id, banned, created_at, updated_at, data`

// userUpdate sets every column from the incoming row.
const userUpdate = `email = EXCLUDED.email, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
	username = EXCLUDED.username, image_url = EXCLUDED.image_url, phone = EXCLUDED.phone,
	external_id = EXCLUDED.external_id, banned = EXCLUDED.banned, created_at = EXCLUDED.created_at,
	updated_at = EXCLUDED.updated_at, data = EXCLUDED.data`

// userErase turns a user row into a tombstone: only id and deleted_at stay.
const userErase = `email = NULL, first_name = NULL, last_name = NULL, username = NULL, image_url = NULL,
	phone = NULL, external_id = NULL, banned = NULL, created_at = NULL, updated_at = NULL, data = NULL,
	deleted_at = LEAST(t.deleted_at, EXCLUDED.deleted_at)`

// organizationErase turns an organization row into a tombstone, as
// userErase does a user row.
const organizationErase = `name = NULL, slug = NULL, image_url = NULL, created_at = NULL,
					updated_at = NULL, data = NULL, deleted_at = LEAST(t.deleted_at, EXCLUDED.deleted_at)`

// membershipErase turns the live memberships it updates into tombstones
// deleted at the parameter it is formatted with; updated_at stays, for
// guardMembership.
const membershipErase = `id = NULL, role = NULL, created_at = NULL, data = NULL, deleted_at = %s`

// claimTemplate records deliveries in the ledger named by its first verb,
// or takes over claims that have lapsed. Its second verb gives the rows
// (id, type, claimed_at, processed_at, claim_token): a processed_at of
// now() records a delivery as processed at once, a NULL one claims it with
// the token. Its third is the claim timeout, an interval. Claims are dated
// by the database's clock, so that replicas whose clocks disagree agree on
// when a claim lapses.
const claimTemplate = `INSERT INTO %[1]s AS d (id, type, claimed_at, processed_at, claim_token) %[2]s
	ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, claimed_at = EXCLUDED.claimed_at, processed_at = EXCLUDED.processed_at,
		claim_token = EXCLUDED.claim_token
	WHERE d.processed_at IS NULL AND d.claimed_at < now() - %[3]s`

// lapseInterval is the claim timeout as an SQL interval: a constant of the
// Store, and so of its SQL.
func lapseInterval(claimTimeout time.Duration) string {
	return fmt.Sprintf(`interval '%d microseconds'`, claimTimeout.Microseconds())
}

// recordDelivery is the first CTE of the statements that record a
// delivery ($1, of type $2) with its write: it returns a row when it could.
func recordDelivery(deliveries, lapse string) string {
	return fmt.Sprintf(claimTemplate, deliveries, "VALUES ($1, $2, now(), now(), NULL::text)", lapse) + ` RETURNING 1`
}

// userValues casts the parameters of a user row starting at $first: in
// INSERT ... SELECT their types are not inferred from the columns. With
// array true, each parameter is an array of the column's type.
func userValues(first int, array bool) string {
	types := []string{"text", "text", "text", "text", "text", "text", "text", "text", "boolean", "timestamptz", "timestamptz", "jsonb"}
	vals := make([]string, len(types))
	for i, t := range types {
		if array {
			t += "[]"
		}
		vals[i] = fmt.Sprintf("$%d::%s", first+i, t)
	}
	return strings.Join(vals, ", ")
}

// The statements that record a delivery with its user's write are built
// from templates, for the Store without change hooks and for the one with
// (changequeries.go). The latter's prior is a CTE, "prior AS (...),",
// which reads the row before the write, and its more are the columns that
// SELECT returns from it after the others, ", ...". The Store without
// hooks leaves both empty.

// upsertUserDeliverySQL records a delivery as processed and upserts its
// user. Its parameters are $1 delivery id, $2 event type and the user
// columns. It returns whether it claimed the delivery and whether it wrote
// the user, then more.
func upsertUserDeliverySQL(users, deliveries, lapse, prior, more string) string {
	return fmt.Sprintf(`WITH %[7]sclaim AS (%[1]s),
			w AS (INSERT INTO %[2]s AS t (%[3]s) SELECT %[4]s FROM claim
				ON CONFLICT (id) DO UPDATE SET %[5]s WHERE %[6]s RETURNING 1)
			SELECT EXISTS (SELECT 1 FROM claim), EXISTS (SELECT 1 FROM w)%[8]s`,
		recordDelivery(deliveries, lapse), users, userColumns, userValues(3, false), userUpdate, guardRecord, prior, more)
}

// upsertUsersDeliverySQL is upsertUserDeliverySQL for a batch of
// deliveries whose ids differ from one another, as do their users'. Its
// parameters are arrays of the delivery ids, the event types and the user
// columns. It returns for each delivery, by its 1-based position in the
// arrays, whether it claimed the delivery and whether it wrote the user,
// then more; prior's rows, which have the user's id, are joined as
// "prior". It takes its row locks in a fixed order, the ledger's by
// delivery id then the users' by user id, so that the batches of different
// Stores cannot deadlock.
func upsertUsersDeliverySQL(users, deliveries, lapse, prior, more string) string {
	join := ""
	if prior != "" {
		join = " LEFT JOIN prior ON prior.id = i.id"
	}
	return fmt.Sprintf(`WITH input AS (
				SELECT * FROM unnest($1::text[], $2::text[], %[1]s) WITH ORDINALITY AS i (delivery_id, type, %[2]s, n)),
			%[8]sclaim AS (%[3]s RETURNING d.id),
			w AS (INSERT INTO %[4]s AS t (%[2]s) SELECT %[5]s FROM input i JOIN claim ON claim.id = i.delivery_id ORDER BY i.id
				ON CONFLICT (id) DO UPDATE SET %[6]s WHERE %[7]s RETURNING t.id)
			SELECT i.n, claim.id IS NOT NULL, w.id IS NOT NULL%[9]s
			FROM input i LEFT JOIN claim ON claim.id = i.delivery_id LEFT JOIN w ON w.id = i.id%[10]s`,
		userValues(3, true), userColumns,
		fmt.Sprintf(claimTemplate, deliveries, `SELECT delivery_id, type, now(), now(), NULL::text FROM input ORDER BY delivery_id`, lapse),
		users, "i."+strings.ReplaceAll(userColumns, ", ", ", i."), userUpdate, guardRecord, prior, more, join)
}

// deleteUserDeliverySQL records a delivery as processed, turns its user
// ($3) into a tombstone dated $4 and deletes the user's memberships; the
// memberships' update returns returning. It returns whether it claimed the
// delivery, then more.
func deleteUserDeliverySQL(users, members, deliveries, lapse, prior, returning, more string) string {
	return fmt.Sprintf(`WITH %[6]sclaim AS (%[1]s),
			u AS (INSERT INTO %[2]s AS t (id, deleted_at) SELECT $3::text, $4::timestamptz FROM claim
				ON CONFLICT (id) DO UPDATE SET %[3]s),
			m AS (UPDATE %[4]s SET %[5]s WHERE user_id = $3 AND deleted_at IS NULL AND EXISTS (SELECT 1 FROM claim)%[7]s)
			SELECT EXISTS (SELECT 1 FROM claim)%[8]s`,
		recordDelivery(deliveries, lapse), users, userErase, members, fmt.Sprintf(membershipErase, "$4"), prior, returning, more)
}

func newQueries(schema string, claimTimeout time.Duration) queries {
	users := table(schema, "clerk_users")
	orgs := table(schema, "clerk_organizations")
	members := table(schema, "clerk_organization_memberships")
	deliveries := table(schema, "clerk_webhook_deliveries")

	lapse := lapseInterval(claimTimeout)
	return queries{
		upsertUser: fmt.Sprintf(`INSERT INTO %[1]s AS t (%[2]s) VALUES (%[3]s)
			ON CONFLICT (id) DO UPDATE SET %[4]s WHERE %[5]s`,
			users, userColumns, userValues(1, false), userUpdate, guardRecord),

		upsertUserDelivery:  upsertUserDeliverySQL(users, deliveries, lapse, "", ""),
		upsertUsersDelivery: upsertUsersDeliverySQL(users, deliveries, lapse, "", ""),

		deleteUser: fmt.Sprintf(`WITH u AS (INSERT INTO %[1]s AS t (id, deleted_at) VALUES ($1, $2)
				ON CONFLICT (id) DO UPDATE SET %[2]s)
			UPDATE %[3]s SET %[4]s WHERE user_id = $1 AND deleted_at IS NULL`,
			users, userErase, members, fmt.Sprintf(membershipErase, "$2")),

		deleteUserDelivery: deleteUserDeliverySQL(users, members, deliveries, lapse, "", "", ""),

		user: fmt.Sprintf(`SELECT data FROM %s WHERE id = $1 AND deleted_at IS NULL`, users),

		userIDs: fmt.Sprintf(`SELECT id FROM %s WHERE deleted_at IS NULL`, users),

		upsertOrganization: fmt.Sprintf(`INSERT INTO %[1]s AS t (id, name, slug, image_url, created_at, updated_at, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, slug = EXCLUDED.slug, image_url = EXCLUDED.image_url,
				created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, data = EXCLUDED.data
			WHERE %[2]s`,
			orgs, guardRecord),

		deleteOrganization: fmt.Sprintf(`WITH o AS (INSERT INTO %[1]s AS t (id, deleted_at) VALUES ($1, $2)
				ON CONFLICT (id) DO UPDATE SET %[2]s)
			UPDATE %[3]s SET %[4]s WHERE organization_id = $1 AND deleted_at IS NULL`,
			orgs, organizationErase, members, fmt.Sprintf(membershipErase, "$2")),

		organization: fmt.Sprintf(`SELECT data FROM %s WHERE id = $1 AND deleted_at IS NULL`, orgs),

		upsertMembership: fmt.Sprintf(`INSERT INTO %[1]s AS t (organization_id, user_id, id, role, created_at, updated_at, data)
			SELECT $1::text, $2::text, $3::text, $4::text, $5::timestamptz, $6::timestamptz, $7::jsonb
			WHERE NOT EXISTS (SELECT 1 FROM %[2]s WHERE id = $2 AND deleted_at IS NOT NULL)
				AND NOT EXISTS (SELECT 1 FROM %[3]s WHERE id = $1 AND deleted_at IS NOT NULL)
			ON CONFLICT (organization_id, user_id) DO UPDATE SET id = EXCLUDED.id, role = EXCLUDED.role,
				created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, deleted_at = NULL, data = EXCLUDED.data
			WHERE %[4]s`,
			members, users, orgs, guardMembership),

		// deleteMembership ignores a deletion older than the stored
		// version: it is a late copy of the end of an earlier membership
		// of the same user, who has been invited again since.
		deleteMembership: fmt.Sprintf(`INSERT INTO %[1]s AS t (organization_id, user_id, deleted_at) VALUES ($1, $2, $3)
			ON CONFLICT (organization_id, user_id) DO UPDATE SET id = NULL, role = NULL, created_at = NULL, data = NULL,
				deleted_at = GREATEST(t.deleted_at, EXCLUDED.deleted_at)
			WHERE t.updated_at IS NULL OR t.updated_at <= EXCLUDED.deleted_at`,
			members),

		membership: fmt.Sprintf(`SELECT data FROM %s WHERE organization_id = $1 AND user_id = $2 AND deleted_at IS NULL`, members),

		lockUser:         fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, hashtext($1))`, lockSpaceUser),
		lockOrganization: fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, hashtext($1))`, lockSpaceOrganization),
		lockMembershipReferences: fmt.Sprintf(`SELECT pg_advisory_xact_lock_shared(%d, hashtext($1)), pg_advisory_xact_lock_shared(%d, hashtext($2))`,
			lockSpaceUser, lockSpaceOrganization),

		claimDelivery: fmt.Sprintf(claimTemplate, deliveries, "VALUES ($1, $2, now(), NULL::timestamptz, $3)", lapse),
		// completeDelivery and releaseDelivery change the row only for the
		// token that holds the claim; completing twice is harmless.
		completeDelivery: fmt.Sprintf(`UPDATE %s SET processed_at = COALESCE(processed_at, now())
			WHERE id = $1 AND claim_token = $2`, deliveries),
		releaseDelivery: fmt.Sprintf(`DELETE FROM %s WHERE id = $1 AND claim_token = $2 AND processed_at IS NULL`, deliveries),
		deliveryState:   fmt.Sprintf(`SELECT processed_at IS NOT NULL FROM %s WHERE id = $1`, deliveries),
		// pruneDeliveries takes the age in microseconds.
		pruneDeliveries: fmt.Sprintf(`DELETE FROM %s WHERE claimed_at < now() - $1::bigint * interval '1 microsecond'
			AND (processed_at IS NULL OR processed_at < now() - $1::bigint * interval '1 microsecond')`, deliveries),
	}
}
