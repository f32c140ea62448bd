package clerkhook_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// The data of a user, an organization and a membership with keys no struct
// models, at the top and nested in modelled objects; invented.
const (
	unknownKeysUser = `{"id":"user_2raw","object":"user","first_name":"Ada","last_name":null,` +
		`"email_addresses":[{"id":"idn_2raw","object":"email_address","email_address":"ada@example.com",` +
		`"verification":{"status":"verified","strategy":"email_code","future_hint":{"depth":[1,{"x":"y"}]}},` +
		`"linked_to":[],"future_flag":true,"created_at":1,"updated_at":2}],` +
		`"primary_email_address_id":"idn_2raw","external_accounts":[{"id":"eac_2raw","object":"external_account",` +
		`"provider":"oauth_github","provider_specific":{"login":"ada-gh","scopes":["repo"]},"created_at":1,"updated_at":2}],` +
		`"future_top":{"a":{"b":{"c":[null,1.5,"z"]}}},"future_number":12345678901234567890,` +
		`"created_at":1700000000000,"updated_at":1700000000001}`
	unknownKeysOrganization = `{"id":"org_2raw","object":"organization","name":"Acme","slug":"acme",` +
		`"future_billing":{"tier":"gold","seats":{"max":10}},"max_allowed_memberships":5,` +
		`"created_at":1700000000000,"updated_at":1700000000001}`
	unknownKeysMembership = `{"id":"orgmem_2raw","object":"organization_membership","role":"org:admin",` +
		`"permissions":["org:sys:read"],"organization":` + unknownKeysOrganization + `,` +
		`"public_user_data":{"user_id":"user_2raw","first_name":"Ada","future_badge":{"kind":"gold"},"image_url":"","has_image":false,"identifier":"ada@example.com"},` +
		`"future_scope":["a",{"b":null}],"created_at":1700000000000,"updated_at":1700000000001}`
)

func TestHandlerKeepsRawData(t *testing.T) {
	for _, path := range []struct {
		name string
		opts []clerkhook.HandlerOption
	}{
		{"hand decoder", nil},
		{"reflective decoder", []clerkhook.HandlerOption{
			clerkhook.WithEventHandler(clerkhook.EventUserUpdated, func(context.Context, *clerkhook.Event) error { return nil }),
			clerkhook.WithEventHandler(clerkhook.EventOrganizationUpdated, func(context.Context, *clerkhook.Event) error { return nil }),
			clerkhook.WithEventHandler(clerkhook.EventOrganizationMembershipCreated, func(context.Context, *clerkhook.Event) error { return nil }),
		}},
	} {
		t.Run(path.name, func(t *testing.T) {
			ctx := context.Background()
			store := clerkhook.NewMemoryStore()
			h := newTestHandler(t, store, path.opts...)
			sendTwice(t, h, "msg_raw1", awkwardBody(clerkhook.EventUserUpdated, unknownKeysUser))
			sendTwice(t, h, "msg_raw2", awkwardBody(clerkhook.EventOrganizationUpdated, unknownKeysOrganization))
			sendTwice(t, h, "msg_raw3", awkwardBody(clerkhook.EventOrganizationMembershipCreated, unknownKeysMembership))
			// Later deliveries reuse the Handler's buffer: a Raw that
			// pointed into it would change.
			for i := range 4 {
				other := strings.ReplaceAll(unknownKeysUser, "2raw", "2oth"+string(rune('a'+i)))
				sendTwice(t, h, "msg_raw_other"+string(rune('a'+i)), awkwardBody(clerkhook.EventUserUpdated, other))
			}

			u, err := store.User(ctx, "user_2raw")
			require.NoError(t, err)
			assert.JSONEq(t, unknownKeysUser, string(u.Raw))
			o, err := store.Organization(ctx, "org_2raw")
			require.NoError(t, err)
			assert.JSONEq(t, unknownKeysOrganization, string(o.Raw))
			m, err := store.Membership(ctx, "org_2raw", "user_2raw")
			require.NoError(t, err)
			assert.JSONEq(t, unknownKeysMembership, string(m.Raw))
			assert.Nil(t, m.Organization.Raw, "a nested record has no Raw of its own")

			// Readers return copies.
			u.Raw[0] = 'X'
			again, err := store.User(ctx, "user_2raw")
			require.NoError(t, err)
			assert.JSONEq(t, unknownKeysUser, string(again.Raw))
		})
	}
}

func TestDecodersSetRawToACopy(t *testing.T) {
	body := awkwardBody(clerkhook.EventOrganizationMembershipUpdated, unknownKeysMembership)
	evt, err := clerkhook.ParseEvent(body)
	require.NoError(t, err)
	m, err := evt.OrganizationMembership()
	require.NoError(t, err)
	assert.JSONEq(t, unknownKeysMembership, string(m.Raw))
	for i := range evt.Data {
		evt.Data[i] = ' '
	}
	for i := range body {
		body[i] = ' '
	}
	assert.JSONEq(t, unknownKeysMembership, string(m.Raw), "Raw must not share the event's or the payload's memory")

	userEvt := &clerkhook.Event{Type: clerkhook.EventUserUpdated, Data: json.RawMessage(" " + unknownKeysUser + "\n")}
	u, err := userEvt.User()
	require.NoError(t, err)
	assert.Equal(t, unknownKeysUser, string(u.Raw), "Raw is the object, without the space around it")

	encoded, err := json.Marshal(u)
	require.NoError(t, err)
	assert.NotContains(t, string(encoded), "future_top", "encoding the struct does not write Raw")
	assert.NotContains(t, string(encoded), `"Raw"`)

	null := &clerkhook.Event{Type: clerkhook.EventUserUpdated, Data: json.RawMessage(`null`)}
	u, err = null.User()
	require.NoError(t, err)
	assert.Nil(t, u.Raw, "null is not a user's object")
}

func TestBackfillKeepsRawData(t *testing.T) {
	users := []clerkUser{{raw: json.RawMessage(unknownKeysUser)}}
	var err error
	users[0].user, err = (&clerkhook.Event{Type: clerkhook.EventUserUpdated, Data: users[0].raw}).User()
	require.NoError(t, err)
	awkward := json.RawMessage(strings.ReplaceAll(awkwardUser, "2awkward", "2awkwardbf"))
	u, err := (&clerkhook.Event{Type: clerkhook.EventUserUpdated, Data: awkward}).User()
	require.NoError(t, err)
	users = append(users, clerkUser{raw: awkward, user: u})
	_, api := newFakeClerkAPI(t, users)
	store := clerkhook.NewMemoryStore()
	_, err = clerkhook.Backfill(context.Background(), api, store, backfillOptions(&sleepRecorder{})...)
	require.NoError(t, err)

	got, err := store.User(context.Background(), "user_2raw")
	require.NoError(t, err)
	assert.JSONEq(t, unknownKeysUser, string(got.Raw))
	got, err = store.User(context.Background(), "user_2awkwardbf")
	require.NoError(t, err)
	assert.Equal(t, "Ada\uFFFD", *got.FirstName)
	requireStorable(t, "a backfilled user's Raw", got.Raw)
}
