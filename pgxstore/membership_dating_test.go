package pgxstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// TestMembershipDeletionWithoutTimestamp sends through the Handler a leave
// whose envelope has no timestamp and whose first attempt fails after the
// store write, the user's re-join, then the retry of the leave, processed
// by the receiver's clock after the re-join: the member stays.
func TestMembershipDeletionWithoutTimestamp(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret := clerkhooktest.NewSecret()
	failures := 1
	failOnce := func(context.Context, *clerkhook.Event) error {
		if failures == 0 {
			return nil
		}
		failures--
		return errors.New("mail server down")
	}
	h, err := clerkhook.NewHandler(secret, f.store, clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		clerkhook.WithEventHandler(clerkhook.EventOrganizationMembershipDeleted, failOnce))
	require.NoError(t, err)
	send := func(deliveryID, eventType string, m *clerkhook.OrganizationMembership, timestamp clerkhook.UnixMilli) int {
		t.Helper()
		evt, err := clerkhooktest.NewEvent(eventType, m)
		require.NoError(t, err)
		evt.ID, evt.Timestamp = deliveryID, int64(timestamp)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
		return rec.Code
	}
	const org, user = "org_dating", "user_dating"
	first := testMembership(org, user, 1)
	second := testMembership(org, user, 3) // invited again after the leave
	second.ID = "orgmem_dating_second"

	require.Equal(t, http.StatusOK, send(newDeliveryID(), clerkhook.EventOrganizationMembershipCreated, first, at(1)))
	leave := newDeliveryID()
	require.Equal(t, http.StatusInternalServerError, send(leave, clerkhook.EventOrganizationMembershipDeleted, first, 0),
		"the event handler fails after the store write")
	_, err = f.store.Membership(ctx, org, user)
	require.ErrorIs(t, err, clerkhook.ErrMembershipNotFound, "the leave deleted the membership")
	require.Equal(t, http.StatusOK, send(newDeliveryID(), clerkhook.EventOrganizationMembershipCreated, second, at(3)))
	require.Equal(t, http.StatusOK, send(leave, clerkhook.EventOrganizationMembershipDeleted, first, 0), "the retry")

	got, err := f.store.Membership(ctx, org, user)
	require.NoError(t, err, "the re-joined member stays")
	assert.Equal(t, second.ID, got.ID)
	assert.Equal(t, second.Role, got.Role)
}
