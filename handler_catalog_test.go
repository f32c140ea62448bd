package clerkhook_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// TestHandlerAcknowledgesEveryEventType delivers the fixture of every event
// type of the catalog: the store is written for the types it keeps, event
// handlers run for every type, and everything else is acknowledged.
func TestHandlerAcknowledgesEveryEventType(t *testing.T) {
	stored := map[string]string{
		clerkhook.EventUserCreated:                   "processed",
		clerkhook.EventUserUpdated:                   "processed",
		clerkhook.EventUserDeleted:                   "processed",
		clerkhook.EventOrganizationCreated:           "processed",
		clerkhook.EventOrganizationUpdated:           "processed",
		clerkhook.EventOrganizationDeleted:           "processed",
		clerkhook.EventOrganizationMembershipCreated: "processed",
		clerkhook.EventOrganizationMembershipUpdated: "processed",
		clerkhook.EventOrganizationMembershipDeleted: "processed",
	}
	for _, typ := range clerkhook.EventTypes() {
		t.Run(typ, func(t *testing.T) {
			body, err := os.ReadFile("testdata/events/" + typ + ".json")
			require.NoError(t, err)

			store := clerkhook.NewMemoryStore()
			w := serve(newTestHandler(t, store), signedRequest(t, "msg_plain", body))
			require.Equal(t, 200, w.Code)
			want, ok := stored[typ]
			if !ok {
				want = "ignored"
			}
			assert.Equal(t, want, strings.TrimSpace(w.Body.String()))
			if ok {
				assertStoreReflects(t, store, typ, body)
			}

			var calls []*clerkhook.Event
			h := newTestHandler(t, clerkhook.NewMemoryStore(), clerkhook.WithEventHandler(typ, func(_ context.Context, evt *clerkhook.Event) error {
				calls = append(calls, evt)
				return nil
			}))
			w = serve(h, signedRequest(t, "msg_handled", body))
			require.Equal(t, 200, w.Code)
			assert.Equal(t, "processed", strings.TrimSpace(w.Body.String()))
			require.Len(t, calls, 1)
			assert.Equal(t, typ, calls[0].Type)
			assert.Equal(t, "msg_handled", calls[0].ID)
		})
	}
}

// assertStoreReflects checks that the store holds what a fixture of a
// stored type says.
func assertStoreReflects(t *testing.T, store *clerkhook.MemoryStore, typ string, body []byte) {
	t.Helper()
	ctx := context.Background()
	evt, err := clerkhook.ParseEvent(body)
	require.NoError(t, err)
	switch typ {
	case clerkhook.EventUserCreated, clerkhook.EventUserUpdated:
		u, err := evt.User()
		require.NoError(t, err)
		got, err := store.User(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, u.PrimaryEmail(), got.PrimaryEmail())
		assert.Equal(t, u.UpdatedAt, got.UpdatedAt)
	case clerkhook.EventUserDeleted:
		d, err := evt.DeletedObject()
		require.NoError(t, err)
		_, err = store.User(ctx, d.ID)
		assert.ErrorIs(t, err, clerkhook.ErrUserNotFound)
	case clerkhook.EventOrganizationCreated, clerkhook.EventOrganizationUpdated:
		o, err := evt.Organization()
		require.NoError(t, err)
		got, err := store.Organization(ctx, o.ID)
		require.NoError(t, err)
		assert.Equal(t, o.Name, got.Name)
	case clerkhook.EventOrganizationDeleted:
		d, err := evt.DeletedObject()
		require.NoError(t, err)
		_, err = store.Organization(ctx, d.ID)
		assert.ErrorIs(t, err, clerkhook.ErrOrganizationNotFound)
	case clerkhook.EventOrganizationMembershipCreated, clerkhook.EventOrganizationMembershipUpdated:
		m, err := evt.OrganizationMembership()
		require.NoError(t, err)
		got, err := store.Membership(ctx, m.OrganizationID(), m.UserID())
		require.NoError(t, err)
		assert.Equal(t, m.Role, got.Role)
	case clerkhook.EventOrganizationMembershipDeleted:
		m, err := evt.OrganizationMembership()
		require.NoError(t, err)
		_, err = store.Membership(ctx, m.OrganizationID(), m.UserID())
		assert.ErrorIs(t, err, clerkhook.ErrMembershipNotFound)
	default:
		t.Fatalf("no store check for %s", typ)
	}
}
