package pgxstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// seen is a change as a test compares it: its kind, object, keys and
// delivery, and the version (at(v)) of the record it carries, 0 for none.
type seen struct {
	kind                   pgxstore.ChangeKind
	object                 pgxstore.ObjectType
	userID, organizationID string
	deliveryID, eventType  string
	version                clerkhook.UnixMilli
}

// seenOf is what a test compares of c.
func seenOf(c pgxstore.Change) seen {
	s := seen{kind: c.Kind, object: c.Object, userID: c.UserID, organizationID: c.OrganizationID,
		deliveryID: c.DeliveryID, eventType: c.EventType}
	switch {
	case c.User != nil:
		s.version = c.User.UpdatedAt
	case c.Organization != nil:
		s.version = c.Organization.UpdatedAt
	case c.Membership != nil:
		s.version = c.Membership.UpdatedAt
	}
	return s
}

// changeRecorder is a change hook that records the changes it is given,
// and fails while fail says so. Its changes are those of committed
// transactions only when the test has the hook write them to a table; the
// recorder sees also those of rolled-back ones.
type changeRecorder struct {
	mu      sync.Mutex
	changes []seen
	// events are the events EventFromContext returned to the hook, nil
	// when it returned none.
	events []*clerkhook.Event
	fail   func(pgxstore.Change) error
}

func (r *changeRecorder) hook(ctx context.Context, _ pgx.Tx, c pgxstore.Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(c); err != nil {
			return err
		}
	}
	r.changes = append(r.changes, seenOf(c))
	evt, _ := clerkhook.EventFromContext(ctx)
	r.events = append(r.events, evt)
	return nil
}

// take returns the changes recorded since the last call.
func (r *changeRecorder) take() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.changes
	r.changes, r.events = nil, nil
	return c
}

// Shorthands for the expected changes.
func userCreated(id string, v int) seen {
	return seen{kind: pgxstore.ChangeCreated, object: pgxstore.ObjectUser, userID: id, version: at(v)}
}

func userUpdated(id string, v int) seen {
	return seen{kind: pgxstore.ChangeUpdated, object: pgxstore.ObjectUser, userID: id, version: at(v)}
}

func userDeleted(id string) seen {
	return seen{kind: pgxstore.ChangeDeleted, object: pgxstore.ObjectUser, userID: id}
}

func orgCreated(id string, v int) seen {
	return seen{kind: pgxstore.ChangeCreated, object: pgxstore.ObjectOrganization, organizationID: id, version: at(v)}
}

func orgUpdated(id string, v int) seen {
	return seen{kind: pgxstore.ChangeUpdated, object: pgxstore.ObjectOrganization, organizationID: id, version: at(v)}
}

func orgDeleted(id string) seen {
	return seen{kind: pgxstore.ChangeDeleted, object: pgxstore.ObjectOrganization, organizationID: id}
}

func memberCreated(org, user string, v int) seen {
	return seen{kind: pgxstore.ChangeCreated, object: pgxstore.ObjectMembership, userID: user, organizationID: org, version: at(v)}
}

func memberUpdated(org, user string, v int) seen {
	return seen{kind: pgxstore.ChangeUpdated, object: pgxstore.ObjectMembership, userID: user, organizationID: org, version: at(v)}
}

func memberDeleted(org, user string) seen {
	return seen{kind: pgxstore.ChangeDeleted, object: pgxstore.ObjectMembership, userID: user, organizationID: org}
}

// delivered is c as caused by the delivery id of type typ.
func delivered(c seen, id, typ string) seen {
	c.deliveryID, c.eventType = id, typ
	return c
}

// A write step of a case: a call of the store, the error it must match
// (nil for none) and the changes it must report, in order.
type write struct {
	name string
	// op is the operation the store's errors name.
	op   string
	do   func(ctx context.Context, s *pgxstore.Store) error
	err  error
	want []seen
}

func upsertUser(id string, v int, want ...seen) write {
	return write{fmt.Sprintf("UpsertUser v%d", v), "upsert user", func(ctx context.Context, s *pgxstore.Store) error {
		return s.UpsertUser(ctx, testUser(id, v))
	}, nil, want}
}

func deleteUser(id string, v int, want ...seen) write {
	return write{"DeleteUser", "delete user", func(ctx context.Context, s *pgxstore.Store) error {
		return s.DeleteUser(ctx, id, deletedAt(v))
	}, nil, want}
}

func upsertOrg(id string, v int, want ...seen) write {
	return write{fmt.Sprintf("UpsertOrganization v%d", v), "upsert organization", func(ctx context.Context, s *pgxstore.Store) error {
		return s.UpsertOrganization(ctx, testOrganization(id, v))
	}, nil, want}
}

func deleteOrg(id string, v int, want ...seen) write {
	return write{"DeleteOrganization", "delete organization", func(ctx context.Context, s *pgxstore.Store) error {
		return s.DeleteOrganization(ctx, id, deletedAt(v))
	}, nil, want}
}

func upsertMember(org, user string, v int, want ...seen) write {
	return write{fmt.Sprintf("UpsertMembership v%d", v), "upsert membership", func(ctx context.Context, s *pgxstore.Store) error {
		return s.UpsertMembership(ctx, testMembership(org, user, v))
	}, nil, want}
}

func deleteMember(org, user string, v int, want ...seen) write {
	return write{"DeleteMembership", "delete membership", func(ctx context.Context, s *pgxstore.Store) error {
		return s.DeleteMembership(ctx, org, user, deletedAt(v))
	}, nil, want}
}

func upsertUserDelivery(deliveryID, typ, id string, v int, want ...seen) write {
	for i := range want {
		want[i] = delivered(want[i], deliveryID, typ)
	}
	return write{fmt.Sprintf("UpsertUserDelivery %s v%d", typ, v), "upsert user", func(ctx context.Context, s *pgxstore.Store) error {
		return s.UpsertUserDelivery(ctx, deliveryID, typ, testUser(id, v))
	}, nil, want}
}

func deleteUserDelivery(deliveryID, id string, v int, want ...seen) write {
	for i := range want {
		want[i] = delivered(want[i], deliveryID, clerkhook.EventUserDeleted)
	}
	return write{"DeleteUserDelivery", "delete user", func(ctx context.Context, s *pgxstore.Store) error {
		return s.DeleteUserDelivery(ctx, deliveryID, clerkhook.EventUserDeleted, id, deletedAt(v))
	}, nil, want}
}

// failing is w, which must fail with an error matching err.
func failing(w write, err error) write {
	w.err = err
	return w
}

// TestChangeHooks runs each case, a sequence of writes of records of its
// own, on one Store with a hook, and checks the changes each write reports.
func TestChangeHooks(t *testing.T) {
	stale, duplicate := clerkhook.ErrStale, clerkhook.ErrDuplicateDelivery
	const u, o = "user_hook", "org_hook"
	cases := []struct {
		name   string
		writes func(u, o string) []write
	}{
		{"user created", func(u, o string) []write {
			return []write{upsertUser(u, 1, userCreated(u, 1))}
		}},
		{"user updated", func(u, o string) []write {
			return []write{upsertUser(u, 1, userCreated(u, 1)), upsertUser(u, 3, userUpdated(u, 3))}
		}},
		{"user rewritten at the same version", func(u, o string) []write {
			return []write{upsertUser(u, 1, userCreated(u, 1)), upsertUser(u, 1)}
		}},
		{"user stale", func(u, o string) []write {
			return []write{upsertUser(u, 2, userCreated(u, 2)), failing(upsertUser(u, 1), stale)}
		}},
		{"user deleted", func(u, o string) []write {
			return []write{upsertUser(u, 1, userCreated(u, 1)), deleteUser(u, 2, userDeleted(u))}
		}},
		{"unknown user deleted", func(u, o string) []write {
			return []write{deleteUser(u, 2, userDeleted(u))}
		}},
		{"user deleted twice", func(u, o string) []write {
			return []write{deleteUser(u, 2, userDeleted(u)), deleteUser(u, 3), deleteUser(u, 1)}
		}},
		{"user upserted after its tombstone", func(u, o string) []write {
			return []write{upsertUser(u, 1, userCreated(u, 1)), deleteUser(u, 2, userDeleted(u)),
				failing(upsertUser(u, 3), stale), failing(upsertUser(u, 1), stale)}
		}},
		{"user deletion cascades to live memberships", func(u, o string) []write {
			return []write{
				upsertUser(u, 1, userCreated(u, 1)),
				upsertMember(o+"_a", u, 1, memberCreated(o+"_a", u, 1)),
				upsertMember(o+"_b", u, 1, memberCreated(o+"_b", u, 1)),
				upsertMember(o+"_c", u, 1, memberCreated(o+"_c", u, 1)),
				deleteMember(o+"_b", u, 2, memberDeleted(o+"_b", u)),
				upsertMember(o+"_a", "other_"+u, 1, memberCreated(o+"_a", "other_"+u, 1)),
				deleteUser(u, 3, userDeleted(u), memberDeleted(o+"_a", u), memberDeleted(o+"_c", u)),
				deleteUser(u, 4),
			}
		}},
		{"organization created, updated, rewritten, stale", func(u, o string) []write {
			return []write{upsertOrg(o, 1, orgCreated(o, 1)), upsertOrg(o, 2, orgUpdated(o, 2)), upsertOrg(o, 2),
				failing(upsertOrg(o, 1), stale)}
		}},
		{"organization deleted with its memberships", func(u, o string) []write {
			return []write{
				upsertOrg(o, 1, orgCreated(o, 1)),
				upsertMember(o, u+"_a", 1, memberCreated(o, u+"_a", 1)),
				upsertMember(o, u+"_b", 1, memberCreated(o, u+"_b", 1)),
				deleteMember(o, u+"_b", 2, memberDeleted(o, u+"_b")),
				deleteOrg(o, 3, orgDeleted(o), memberDeleted(o, u+"_a")),
				deleteOrg(o, 4),
				failing(upsertOrg(o, 5), stale),
				failing(upsertMember(o, u+"_c", 5), stale),
			}
		}},
		{"unknown organization deleted", func(u, o string) []write {
			return []write{deleteOrg(o, 1, orgDeleted(o)), deleteOrg(o, 1)}
		}},
		{"membership created, updated, rewritten, stale", func(u, o string) []write {
			return []write{upsertMember(o, u, 1, memberCreated(o, u, 1)), upsertMember(o, u, 3, memberUpdated(o, u, 3)),
				upsertMember(o, u, 3), failing(upsertMember(o, u, 2), stale)}
		}},
		{"membership deleted, deleted again, rejoined", func(u, o string) []write {
			return []write{
				upsertMember(o, u, 1, memberCreated(o, u, 1)),
				deleteMember(o, u, 2, memberDeleted(o, u)),
				deleteMember(o, u, 3),
				failing(upsertMember(o, u, 1), stale),
				failing(upsertMember(o, u, 3), stale),
				upsertMember(o, u, 4, memberCreated(o, u, 4)),
				failing(deleteMember(o, u, 3), stale),
			}
		}},
		{"unknown membership deleted", func(u, o string) []write {
			return []write{deleteMember(o, u, 2, memberDeleted(o, u)), failing(upsertMember(o, u, 1), stale)}
		}},
		{"membership of a deleted user", func(u, o string) []write {
			return []write{deleteUser(u, 1, userDeleted(u)), failing(upsertMember(o, u, 2), stale)}
		}},
		{"user.updated before user.created, through the ledger", func(u, o string) []write {
			return []write{
				upsertUserDelivery("msg_"+u+"_2", clerkhook.EventUserUpdated, u, 2, userCreated(u, 2)),
				failing(upsertUserDelivery("msg_"+u+"_1", clerkhook.EventUserCreated, u, 1), stale),
				upsertUserDelivery("msg_"+u+"_3", clerkhook.EventUserUpdated, u, 3, userUpdated(u, 3)),
				upsertUserDelivery("msg_"+u+"_3b", clerkhook.EventUserUpdated, u, 3),
			}
		}},
		{"a repeated delivery, through the ledger", func(u, o string) []write {
			return []write{
				upsertUserDelivery("msg_"+u, clerkhook.EventUserCreated, u, 1, userCreated(u, 1)),
				failing(upsertUserDelivery("msg_"+u, clerkhook.EventUserCreated, u, 1), duplicate),
				deleteUserDelivery("msg_"+u+"_del", u, 2, userDeleted(u)),
				failing(deleteUserDelivery("msg_"+u+"_del", u, 2), duplicate),
			}
		}},
		{"user deleted through the ledger, with its memberships", func(u, o string) []write {
			return []write{
				upsertMember(o, u, 1, memberCreated(o, u, 1)),
				deleteUserDelivery("msg_"+u+"_del", u, 2,
					userDeleted(u), memberDeleted(o, u)),
				deleteUserDelivery("msg_"+u+"_del2", u, 3),
				failing(upsertUserDelivery("msg_"+u+"_late", clerkhook.EventUserCreated, u, 1), stale),
			}
		}},
	}
	rec := &changeRecorder{}
	f := newFixture(t, pgxstore.WithChangeHook(rec.hook))
	ctx := context.Background()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, o := fmt.Sprintf("%s_%d", u, i), fmt.Sprintf("%s_%d", o, i)
			for _, w := range c.writes(u, o) {
				err := w.do(ctx, f.store)
				if w.err != nil {
					require.ErrorIs(t, err, w.err, w.name)
				} else {
					require.NoError(t, err, w.name)
				}
				assert.Equal(t, w.want, rec.take(), w.name)
			}
		})
	}
}

// TestChangeHookFailureRollsBack checks that a failing hook fails each
// write path with an error that names no value, leaves the tables as they
// were, and that the write succeeds, reporting its change, once the hook
// does.
func TestChangeHookFailureRollsBack(t *testing.T) {
	errHook := errors.New("outbox unavailable")
	var failing bool
	rec := &changeRecorder{fail: func(pgxstore.Change) error {
		if failing {
			return errHook
		}
		return nil
	}}
	f := newFixture(t, pgxstore.WithChangeHook(rec.hook))
	ctx := context.Background()
	const u, o = "user_rollback", "org_rollback"
	steps := []write{
		upsertUser(u, 1, userCreated(u, 1)),
		upsertUserDelivery("msg_rb_1", clerkhook.EventUserUpdated, u, 2, userUpdated(u, 2)),
		upsertOrg(o, 1, orgCreated(o, 1)),
		upsertMember(o, u, 1, memberCreated(o, u, 1)),
		deleteMember(o, u, 2, memberDeleted(o, u)),
		upsertMember(o, u, 3, memberCreated(o, u, 3)),
		deleteOrg(o, 4, orgDeleted(o), memberDeleted(o, u)),
		upsertMember(o+"_2", u, 1, memberCreated(o+"_2", u, 1)),
		deleteUserDelivery("msg_rb_2", u, 5, userDeleted(u), memberDeleted(o+"_2", u)),
		deleteUser(u+"_2", 1, userDeleted(u+"_2")),
	}
	for _, w := range steps {
		deliveries := count(t, f, "clerk_webhook_deliveries", "true")
		data := tableRows(t, f)
		failing = true
		err := w.do(ctx, f.store)
		require.ErrorIs(t, err, errHook, w.name)
		assert.NotErrorIs(t, err, clerkhook.ErrStale, w.name)
		assert.Equal(t, "pgxstore: "+w.op+": change hook failed on a "+w.want[0].object.String()+" "+
			w.want[0].kind.String()+": outbox unavailable", err.Error(), "the error names the change, not its values")
		assert.Equal(t, deliveries, count(t, f, "clerk_webhook_deliveries", "true"), "%s: the delivery was rolled back", w.name)
		assert.Equal(t, data, tableRows(t, f), "%s: no row changed", w.name)
		assert.Empty(t, rec.take(), w.name)

		failing = false
		require.NoError(t, w.do(ctx, f.store), "%s: the retry", w.name)
		assert.Equal(t, w.want, rec.take(), "%s: the retry reports the change", w.name)
		if err := w.do(ctx, f.store); !errors.Is(err, clerkhook.ErrDuplicateDelivery) {
			require.NoError(t, err, "%s: a repeat", w.name)
		}
		assert.Empty(t, rec.take(), "%s: a repeat reports nothing", w.name)
	}
}

// tableRows returns every row of the fixture's record tables, as text.
func tableRows(t *testing.T, f *fixture) []string {
	t.Helper()
	var rows []string
	require.NoError(t, f.pool.QueryRow(context.Background(), `SELECT array_agg(r ORDER BY r) FROM (
		SELECT to_jsonb(u)::text AS r FROM `+f.table("clerk_users")+` u UNION ALL
		SELECT to_jsonb(o)::text FROM `+f.table("clerk_organizations")+` o UNION ALL
		SELECT to_jsonb(m)::text FROM `+f.table("clerk_organization_memberships")+` m) x`).Scan(&rows))
	return rows
}
