package pgxstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// errOutbox is the failure of the tests' hooks.
var errOutbox = errors.New("outbox unavailable")

// hookedHandler returns a Handler on a fresh Store whose change hook is a
// change log, and the log.
func hookedHandler(t *testing.T, secret string, opts ...clerkhook.HandlerOption) (*clerkhook.Handler, *changeLog) {
	t.Helper()
	var log *changeLog
	f := newFixture(t, pgxstore.WithChangeHook(func(ctx context.Context, tx pgx.Tx, c pgxstore.Change) error {
		return log.hook(ctx, tx, c)
	}))
	log = newChangeLog(t, f)
	h, err := clerkhook.NewHandler(secret, f.store,
		append([]clerkhook.HandlerOption{clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)...)
	require.NoError(t, err)
	return h, log
}

// send delivers evt, whose ID is its delivery id, and returns the status.
func send(t *testing.T, h http.Handler, secret string, evt *clerkhook.Event) int {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, clerkhooktest.NewEventRequest(t, secret, evt))
	return w.Code
}

// newEvent returns an event of type typ about data, with its delivery id.
func newEvent(t *testing.T, id, typ string, data any) *clerkhook.Event {
	t.Helper()
	evt, err := clerkhooktest.NewEvent(typ, data)
	require.NoError(t, err)
	evt.ID = id
	return evt
}

// TestChangeHooksThroughTheHandler sends a delivery of each kind of write
// to a Handler, each failing first in the hook: the delivery is answered
// 500 and nothing is written, not even the delivery's record; its retry
// is answered 200 and logs its changes once, with the delivery's id and
// type, which EventFromContext also gives the hook; a third attempt is a
// duplicate and logs nothing.
func TestChangeHooksThroughTheHandler(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	// An event handler of user.updated makes its deliveries take
	// UpsertUser after a claim, instead of UpsertUserDelivery.
	h, log := hookedHandler(t, secret, clerkhook.WithEventHandler(clerkhook.EventUserUpdated,
		func(context.Context, *clerkhook.Event) error { return nil }))
	const u, o = "user_2handler", "org_2handler"
	deleted := func(object, id string) *clerkhook.DeletedObject {
		return &clerkhook.DeletedObject{Object: object, ID: id, Deleted: true}
	}
	deliveries := []struct {
		typ  string
		data any
		want []string // object/id/kind of the changes
	}{
		{clerkhook.EventUserCreated, testUser(u, 1), []string{"user/" + u + "/created"}},
		{clerkhook.EventUserUpdated, testUser(u, 2), []string{"user/" + u + "/updated"}},
		{clerkhook.EventOrganizationCreated, testOrganization(o, 1), []string{"organization/" + o + "/created"}},
		{clerkhook.EventOrganizationUpdated, testOrganization(o, 2), []string{"organization/" + o + "/updated"}},
		{clerkhook.EventOrganizationMembershipCreated, testMembership(o, u, 1), []string{"membership/" + o + "/" + u + "/created"}},
		{clerkhook.EventOrganizationMembershipUpdated, testMembership(o, u, 2), []string{"membership/" + o + "/" + u + "/updated"}},
		{clerkhook.EventOrganizationMembershipDeleted, testMembership(o, u, 2), []string{"membership/" + o + "/" + u + "/deleted"}},
		{clerkhook.EventOrganizationMembershipCreated, testMembership(o, u, 4), []string{"membership/" + o + "/" + u + "/created"}},
		{clerkhook.EventUserDeleted, deleted("user", u), []string{"user/" + u + "/deleted", "membership/" + o + "/" + u + "/deleted"}},
		{clerkhook.EventUserCreated, testUser(u+"_b", 1), []string{"user/" + u + "_b/created"}},
		{clerkhook.EventOrganizationMembershipCreated, testMembership(o, u+"_b", 1), []string{"membership/" + o + "/" + u + "_b/created"}},
		{clerkhook.EventOrganizationDeleted, deleted("organization", o), []string{"organization/" + o + "/deleted", "membership/" + o + "/" + u + "_b/deleted"}},
	}
	var fail sync.Map // delivery ids whose hooks fail
	log.fail = func(c pgxstore.Change) error {
		if _, ok := fail.Load(c.DeliveryID); ok {
			return errOutbox
		}
		return nil
	}
	logged := 0
	for i, d := range deliveries {
		id := fmt.Sprintf("msg_2handler_%02d", i)
		evt := newEvent(t, id, d.typ, d.data)
		if d.typ == clerkhook.EventOrganizationMembershipDeleted {
			evt.Timestamp = int64(at(3))
		}
		before := tableRows(t, log.f)
		fail.Store(id, true)
		require.Equal(t, http.StatusInternalServerError, send(t, h, secret, evt), "%s: the hook fails", d.typ)
		assert.Equal(t, before, tableRows(t, log.f), "%s: the write was rolled back", d.typ)
		assert.Zero(t, count(t, log.f, "clerk_webhook_deliveries", "id = $1", id), "%s: and the delivery's record", d.typ)

		fail.Delete(id)
		require.Equal(t, http.StatusOK, send(t, h, secret, evt), "%s: the retry", d.typ)
		require.Equal(t, http.StatusOK, send(t, h, secret, evt), "%s: a duplicate", d.typ)
		rows := log.rows(t)[logged:]
		logged += len(rows)
		var got []string
		for _, r := range rows {
			got = append(got, r.object+"/"+r.id+"/"+r.kind)
			assert.Equal(t, id, r.deliveryID, d.typ)
			assert.Equal(t, d.typ, r.eventType, d.typ)
			assert.Equal(t, id, r.contextDelivery, "%s: EventFromContext in the hook", d.typ)
		}
		assert.Equal(t, d.want, got, d.typ)
	}
	assert.Zero(t, log.conflicts.Load(), "no change logged twice")
}

// TestChangeHookFailsAloneInABatch writes 16 deliveries as one batch of
// the group commit, the hook failing for one of them: that one fails
// alone, the others are written and their changes logged once, and the
// failed one succeeds when retried.
func TestChangeHookFailsAloneInABatch(t *testing.T) {
	var log *changeLog
	f := newFixture(t, pgxstore.WithChangeHook(func(ctx context.Context, tx pgx.Tx, c pgxstore.Change) error {
		return log.hook(ctx, tx, c)
	}))
	log = newChangeLog(t, f)
	const failing = "user_2batch_05"
	log.fail = func(c pgxstore.Change) error {
		if c.UserID == failing {
			return errOutbox
		}
		return nil
	}
	ds := make([]pgxstore.UserDelivery, 16)
	for i := range ds {
		ds[i] = pgxstore.UserDelivery{DeliveryID: fmt.Sprintf("msg_2batch_%02d", i), User: testUser(fmt.Sprintf("user_2batch_%02d", i), 1)}
	}
	outcomes, err := pgxstore.WriteUserBatch(f.store, ds...)
	require.NoError(t, err)
	for i, o := range outcomes {
		if ds[i].User.ID == failing {
			require.ErrorIs(t, o.Err, errOutbox)
			continue
		}
		require.NoError(t, o.Err, ds[i].DeliveryID)
		assert.True(t, o.Claimed && o.Written, ds[i].DeliveryID)
	}
	rows := log.rows(t)
	require.Len(t, rows, 15)
	for _, r := range rows {
		assert.Equal(t, "created", r.kind)
		assert.NotEqual(t, failing, r.id)
	}
	assert.Zero(t, count(t, f, "clerk_users", "id = $1", failing), "the failed write was rolled back")

	log.fail = nil
	require.NoError(t, f.store.UpsertUserDelivery(context.Background(), "msg_2batch_05", clerkhook.EventUserUpdated, testUser(failing, 1)))
	outcomes, err = pgxstore.WriteUserBatch(f.store, ds...)
	require.NoError(t, err)
	for i, o := range outcomes {
		require.NoError(t, o.Err, ds[i].DeliveryID)
		assert.False(t, o.Claimed, "%s: processed before", ds[i].DeliveryID)
	}
	rows = log.rows(t)
	require.Len(t, rows, 16)
	assert.Equal(t, failing, rows[15].id)
	assert.Equal(t, "msg_2batch_05", rows[15].deliveryID)
	assert.Zero(t, log.conflicts.Load())
}

// TestChangeHookFailsAloneAmongConcurrentDeliveries sends 16 user
// deliveries to a Handler at once, which the group commit batches, the
// hook failing for one of them: that one is answered 500, the others 200,
// and each of their changes is logged once; the retry of the failed one
// is answered 200 and logs its change.
func TestChangeHookFailsAloneAmongConcurrentDeliveries(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	h, log := hookedHandler(t, secret)
	const rounds, concurrency = 5, 16
	for round := range rounds {
		failing := fmt.Sprintf("user_2conc_%d_07", round)
		log.fail = func(c pgxstore.Change) error {
			if c.UserID == failing {
				return errOutbox
			}
			return nil
		}
		evts := make([]*clerkhook.Event, concurrency)
		for i := range evts {
			evts[i] = newEvent(t, fmt.Sprintf("msg_2conc_%d_%02d", round, i), clerkhook.EventUserCreated,
				testUser(fmt.Sprintf("user_2conc_%d_%02d", round, i), 1))
		}
		statuses := make([]int, concurrency)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, evt := range evts {
			r := clerkhooktest.NewEventRequest(t, secret, evt)
			wg.Go(func() {
				<-start
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				statuses[i] = w.Code
			})
		}
		close(start)
		wg.Wait()
		for i, status := range statuses {
			want := http.StatusOK
			if i == 7 {
				want = http.StatusInternalServerError
			}
			assert.Equal(t, want, status, evts[i].ID)
		}
		log.fail = nil
		require.Equal(t, http.StatusOK, send(t, h, secret, evts[7]), "the retry")
	}
	rows := log.rows(t)
	assert.Len(t, rows, rounds*concurrency, "one change per delivery")
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r.id] = true
		assert.Equal(t, r.deliveryID, r.contextDelivery, "EventFromContext in a batch's hook")
	}
	assert.Len(t, ids, rounds*concurrency)
	assert.Zero(t, log.conflicts.Load())
}
