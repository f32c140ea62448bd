package pgxstore

import (
	"fmt"
	"time"
)

// changeQueries holds the SQL of a Store with change hooks. Each write is
// the statement of the Store without hooks, with the same guard, and a CTE
// "prior" that reads the row before the write. The statement runs after
// the advisory lock of its record, which every writer of a Store with
// hooks takes, so that the row cannot change between the statement's
// snapshot, which prior reads, and its write. What it returns tells the
// change it made (see upsertChange).
type changeQueries struct {
	upsertUser          string
	upsertUserDelivery  string
	upsertUsersDelivery string
	deleteUser          string
	deleteUserDelivery  string
	upsertOrganization  string
	deleteOrganization  string
	upsertMembership    string
	deleteMembership    string

	lockUsers      string
	lockMembership string
}

// priorRecord reads a user's or an organization's row before an upsert:
// whether it is live, and whether it holds the version the upsert brings,
// which the upsert would only write again. Formatted with the table, the
// parameter of the id and that of the incoming updated_at.
const priorRecord = `prior AS (SELECT deleted_at IS NULL AS live, updated_at = %[3]s::timestamptz AS same
				FROM %[1]s WHERE id = %[2]s::text),
			`

// priorColumns returns what prior read, after what the statement returns
// of its write; a record that was not there is neither live nor the same.
const priorColumns = `, COALESCE((SELECT live FROM prior), false), COALESCE((SELECT same FROM prior), false)`

// priorDeletion reads whether a record was live before a deletion.
// Formatted with the table and the parameter of the id.
const priorDeletion = `prior AS (SELECT deleted_at IS NULL AS live FROM %[1]s WHERE id = %[2]s::text),
			`

// deletedColumns returns whether a deletion changed the record: it was
// live, or not there, and is now a tombstone; and the other key of each
// membership the deletion's cascade m turned into a tombstone.
const deletedColumns = `, COALESCE((SELECT live FROM prior), true), ARRAY(SELECT other FROM m ORDER BY 1)`

func newChangeQueries(schema string, claimTimeout time.Duration, q *queries) changeQueries {
	users := table(schema, "clerk_users")
	orgs := table(schema, "clerk_organizations")
	members := table(schema, "clerk_organization_memberships")
	deliveries := table(schema, "clerk_webhook_deliveries")
	lapse := lapseInterval(claimTimeout)

	// guarded runs one of the store's guarded upserts after prior and
	// returns whether it wrote, then more.
	guarded := func(prior, upsert, more string) string {
		return fmt.Sprintf(`WITH %sw AS (%s RETURNING 1)
			SELECT EXISTS (SELECT 1 FROM w)%s`, prior, upsert, more)
	}
	// deletion turns the record (table, whose id is $1, erased by erase)
	// into a tombstone dated $2 and its memberships (keyed by key) too,
	// and returns deletedColumns.
	deletion := func(table, erase, key, other string) string {
		return fmt.Sprintf(`WITH %[1]sr AS (INSERT INTO %[2]s AS t (id, deleted_at) VALUES ($1, $2)
				ON CONFLICT (id) DO UPDATE SET %[3]s),
			m AS (UPDATE %[4]s SET %[5]s WHERE %[6]s = $1 AND deleted_at IS NULL RETURNING %[7]s AS other)
			SELECT true%[8]s`,
			fmt.Sprintf(priorDeletion, table, "$1"), table, erase, members, fmt.Sprintf(membershipErase, "$2"), key, other, deletedColumns)
	}
	priorMembership := fmt.Sprintf(`prior AS (SELECT deleted_at IS NULL AS live, updated_at = $6::timestamptz AS same
				FROM %s WHERE organization_id = $1::text AND user_id = $2::text),
			`, members)

	return changeQueries{
		upsertUser: guarded(fmt.Sprintf(priorRecord, users, "$1", "$11"), q.upsertUser, priorColumns),
		upsertUserDelivery: upsertUserDeliverySQL(users, deliveries, lapse,
			fmt.Sprintf(priorRecord, users, "$3", "$13"), priorColumns),
		upsertUsersDelivery: upsertUsersDeliverySQL(users, deliveries, lapse,
			fmt.Sprintf(`prior AS (SELECT t.id, t.deleted_at IS NULL AS live, t.updated_at = i.updated_at AS same
				FROM %s t JOIN input i ON i.id = t.id),
			`, users),
			`, COALESCE(prior.live, false), COALESCE(prior.same, false)`),
		// deleteUser and deleteUserDelivery return deletedColumns after
		// whether they claimed the delivery (deleteUser always true).
		deleteUser: deletion(users, userErase, "user_id", "organization_id"),
		deleteUserDelivery: deleteUserDeliverySQL(users, members, deliveries, lapse,
			fmt.Sprintf(priorDeletion, users, "$3"), " RETURNING organization_id AS other", deletedColumns),

		upsertOrganization: guarded(fmt.Sprintf(priorRecord, orgs, "$1", "$6"), q.upsertOrganization, priorColumns),
		deleteOrganization: deletion(orgs, organizationErase, "organization_id", "user_id"),

		upsertMembership: guarded(priorMembership, q.upsertMembership, priorColumns),
		// deleteMembership returns whether it wrote, and whether the
		// membership was live or unknown: deleting a tombstone again is no
		// change.
		deleteMembership: guarded(fmt.Sprintf(`prior AS (SELECT deleted_at IS NULL AS live FROM %s
				WHERE organization_id = $1::text AND user_id = $2::text),
			`, members), q.deleteMembership, `, COALESCE((SELECT live FROM prior), true)`),

		// lockUsers takes the locks of the users of a batch in the order of
		// their keys, so that two batches cannot deadlock; OFFSET 0 keeps
		// the planner from calling the function before the sort.
		lockUsers: fmt.Sprintf(`SELECT count(pg_advisory_xact_lock(%d, k)) FROM
			(SELECT DISTINCT hashtext(id) AS k FROM unnest($1::text[]) AS id ORDER BY k OFFSET 0) AS keys`, lockSpaceUser),
		// lockMembership takes the shared locks of the membership's user
		// ($1) and organization ($2), as the Store without hooks does, and
		// the exclusive lock of the membership.
		lockMembership: fmt.Sprintf(`SELECT pg_advisory_xact_lock_shared(%d, hashtext($1)), pg_advisory_xact_lock_shared(%d, hashtext($2)),
			pg_advisory_xact_lock(%d, hashtext($2 || ' ' || $1))`,
			lockSpaceUser, lockSpaceOrganization, lockSpaceMembership),
	}
}
