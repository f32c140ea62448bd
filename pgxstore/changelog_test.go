package pgxstore_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// changeLog is a change hook that inserts each change into a table of the
// fixture's schema through the write's transaction, as an outbox would:
// the table holds the changes of the committed writes only. Its unique
// key on (object, id, kind, version) makes a change reported twice a
// conflict, which the hook counts. A membership deleted again after the
// user joined again is a change of its own: the key leaves those out.
type changeLog struct {
	f         *fixture
	table     string
	conflicts atomic.Int64
	// fail, when set, makes the hook fail for the changes it returns an
	// error for, before it writes.
	fail func(pgxstore.Change) error
}

// loggedChange is a row of the change log.
type loggedChange struct {
	seq                   int64
	object, id, kind      string
	version               int64
	deliveryID, eventType string
	// contextDelivery is the id of the event EventFromContext returned
	// to the hook, "" for none.
	contextDelivery string
}

// newChangeLog creates the table of a change log in f's schema; register
// its hook on the store with pgxstore.WithChangeHook(log.hook) before.
func newChangeLog(tb testing.TB, f *fixture) *changeLog {
	tb.Helper()
	l := &changeLog{f: f, table: f.table("changes")}
	_, err := f.pool.Exec(context.Background(), `CREATE TABLE `+l.table+` (
		seq bigserial PRIMARY KEY, object text NOT NULL, id text NOT NULL, kind text NOT NULL, version bigint NOT NULL,
		delivery_id text NOT NULL, event_type text NOT NULL, context_delivery text NOT NULL);
		CREATE UNIQUE INDEX ON `+l.table+` (object, id, kind, version) WHERE NOT (object = 'membership' AND kind = 'deleted')`)
	require.NoError(tb, err)
	return l
}

// changeKey returns the id and version a change log keys c by.
func changeKey(c pgxstore.Change) (id string, version int64) {
	switch c.Object {
	case pgxstore.ObjectUser:
		id = c.UserID
	case pgxstore.ObjectOrganization:
		id = c.OrganizationID
	default:
		id = c.OrganizationID + "/" + c.UserID
	}
	switch {
	case c.User != nil:
		version = int64(c.User.UpdatedAt)
	case c.Organization != nil:
		version = int64(c.Organization.UpdatedAt)
	case c.Membership != nil:
		version = int64(c.Membership.UpdatedAt)
	}
	return id, version
}

func (l *changeLog) hook(ctx context.Context, tx pgx.Tx, c pgxstore.Change) error {
	if l.fail != nil {
		if err := l.fail(c); err != nil {
			return err
		}
	}
	id, version := changeKey(c)
	var fromContext string
	if evt, ok := clerkhook.EventFromContext(ctx); ok {
		fromContext = evt.ID
	}
	tag, err := tx.Exec(ctx, `INSERT INTO `+l.table+` (object, id, kind, version, delivery_id, event_type, context_delivery)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (object, id, kind, version) WHERE NOT (object = 'membership' AND kind = 'deleted') DO NOTHING`,
		c.Object.String(), id, c.Kind.String(), version, c.DeliveryID, c.EventType, fromContext)
	if err == nil && tag.RowsAffected() == 0 {
		l.conflicts.Add(1)
	}
	return err
}

// rows returns the logged changes in the order they were logged.
func (l *changeLog) rows(t *testing.T) []loggedChange {
	t.Helper()
	rows, err := l.f.pool.Query(context.Background(), `SELECT seq, object, id, kind, version, delivery_id, event_type, context_delivery
		FROM `+l.table+` ORDER BY seq`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (loggedChange, error) {
		var c loggedChange
		err := row.Scan(&c.seq, &c.object, &c.id, &c.kind, &c.version, &c.deliveryID, &c.eventType, &c.contextDelivery)
		return c, err
	})
	require.NoError(t, err)
	return out
}

// replay returns the logged changes, checking that each record's make a
// sequence a store can go through: created, then updated to newer
// versions, then deleted; only a membership is created again after its
// deletion. It also returns the last change of each record, keyed by
// object/id, and the number of creations of each user.
func (l *changeLog) replay(t *testing.T) (rows []loggedChange, last map[string]loggedChange, userCreations map[string]int) {
	t.Helper()
	rows = l.rows(t)
	last, userCreations = map[string]loggedChange{}, map[string]int{}
	for _, c := range rows {
		key := c.object + "/" + c.id
		prev, seen := last[key]
		switch c.kind {
		case "created":
			require.True(t, !seen || c.object == "membership" && prev.kind == "deleted", "%s created after %+v", key, prev)
			if c.object == "user" {
				userCreations[c.id]++
			}
		case "updated":
			require.True(t, seen && prev.kind != "deleted" && c.version > prev.version, "%s updated after %+v", key, prev)
		case "deleted":
			require.True(t, !seen || prev.kind != "deleted", "%s deleted after %+v", key, prev)
		default:
			t.Fatalf("%s: kind %q", key, c.kind)
		}
		last[key] = c
	}
	return rows, last, userCreations
}
