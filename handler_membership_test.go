package clerkhook_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// TestHandlerMembershipDeletionWithoutTimestamp sends a leave whose
// envelope has no timestamp and whose first attempt fails after the store
// write, the user's re-join, then the retry of the leave, processed by the
// receiver's clock after the re-join: the member stays.
func TestHandlerMembershipDeletionWithoutTimestamp(t *testing.T) {
	ctx := context.Background()
	store := clerkhook.NewMemoryStore()
	secret := clerkhooktest.NewSecret()
	failures := 1
	failOnce := func(context.Context, *clerkhook.Event) error {
		if failures == 0 {
			return nil
		}
		failures--
		return errors.New("mail server down")
	}
	h, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(discardLogger()),
		clerkhook.WithEventHandler(clerkhook.EventOrganizationMembershipDeleted, failOnce))
	require.NoError(t, err)
	joined := clerkhook.UnixMilli(time.Now().Add(-3 * time.Hour).UnixMilli())
	rejoined := joined + clerkhook.UnixMilli(time.Hour/time.Millisecond)
	membership := func(id, role string, at clerkhook.UnixMilli) *clerkhook.OrganizationMembership {
		return &clerkhook.OrganizationMembership{
			ID: id, Object: "organization_membership", Role: role,
			Organization:   clerkhook.Organization{ID: "org_2rejoin", Object: "organization", Name: "Rejoin"},
			PublicUserData: clerkhook.PublicUserData{UserID: "user_2rejoin"},
			CreatedAt:      at, UpdatedAt: at,
		}
	}
	send := func(deliveryID, eventType string, m *clerkhook.OrganizationMembership, timestamp clerkhook.UnixMilli) int {
		t.Helper()
		evt, err := clerkhooktest.NewEvent(eventType, m)
		require.NoError(t, err)
		evt.ID, evt.Timestamp = deliveryID, int64(timestamp)
		return serve(h, clerkhooktest.NewEventRequest(t, secret, evt)).Code
	}
	first := membership("orgmem_2first", "org:member", joined)

	require.Equal(t, http.StatusOK, send("msg_join", clerkhook.EventOrganizationMembershipCreated, first, joined))
	require.Equal(t, http.StatusInternalServerError, send("msg_leave", clerkhook.EventOrganizationMembershipDeleted, first, 0),
		"the event handler fails after the store write")
	_, err = store.Membership(ctx, "org_2rejoin", "user_2rejoin")
	require.ErrorIs(t, err, clerkhook.ErrMembershipNotFound, "the leave deleted the membership")
	require.Equal(t, http.StatusOK, send("msg_rejoin", clerkhook.EventOrganizationMembershipCreated,
		membership("orgmem_2second", "org:admin", rejoined), rejoined))
	require.Equal(t, http.StatusOK, send("msg_leave", clerkhook.EventOrganizationMembershipDeleted, first, 0), "the retry")

	got, err := store.Membership(ctx, "org_2rejoin", "user_2rejoin")
	require.NoError(t, err, "the re-joined member stays")
	assert.Equal(t, "orgmem_2second", got.ID)
	assert.Equal(t, "org:admin", got.Role)

	// The leave of the second membership, without a timestamp either,
	// ends it, and a late copy of its creation does not bring it back.
	require.Equal(t, http.StatusOK, send("msg_leave2", clerkhook.EventOrganizationMembershipDeleted,
		membership("orgmem_2second", "org:admin", rejoined), 0))
	require.Equal(t, http.StatusOK, send("msg_rejoin_late", clerkhook.EventOrganizationMembershipCreated,
		membership("orgmem_2second", "org:admin", rejoined), rejoined))
	_, err = store.Membership(ctx, "org_2rejoin", "user_2rejoin")
	assert.ErrorIs(t, err, clerkhook.ErrMembershipNotFound)
}
