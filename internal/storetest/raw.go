package storetest

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// The data of a user, an organization and a membership with keys no struct
// models, at the top and nested in modelled objects; invented.
const (
	unknownKeysUser = `{"id":"user_2raw","object":"user","first_name":"Ada",` +
		`"email_addresses":[{"id":"idn_2raw","object":"email_address","email_address":"ada@example.test",` +
		`"future_flag":true,"created_at":1,"updated_at":2}],"primary_email_address_id":"idn_2raw",` +
		`"future_top":{"a":[null,1.5,"z"]},"public_metadata":{"plan":"pro"},"created_at":1748779200000,"updated_at":1748779201000}`
	unknownKeysOrganization = `{"id":"org_2raw","object":"organization","name":"Acme","slug":"acme",` +
		`"future_billing":{"seats":{"max":10}},"created_at":1748779200000,"updated_at":1748779201000}`
	unknownKeysMembership = `{"id":"orgmem_2raw","object":"organization_membership","role":"org:admin",` +
		`"organization":` + unknownKeysOrganization + `,"public_user_data":{"user_id":"user_2raw","future_badge":"gold"},` +
		`"future_scope":["a",{"b":null}],"created_at":1748779200000,"updated_at":1748779201000}`
)

// RecordStore is a store of users, organizations and memberships that
// reads them back.
type RecordStore interface {
	clerkhook.UserStore
	clerkhook.UserReader
	clerkhook.OrganizationReader
	clerkhook.MembershipReader
	clerkhook.OrganizationStore
	clerkhook.MembershipStore
}

// DataColumnsHoldWhatClerkSent stores a user, an organization and a
// membership decoded from data with unknown keys into s, and checks that
// each data column, which it reads through db, is JSON-equal to that data,
// and that the readers return it as Raw.
func DataColumnsHoldWhatClerkSent(t *testing.T, s RecordStore, db *sql.DB) {
	ctx := context.Background()
	event := func(typ, data string) *clerkhook.Event { return &clerkhook.Event{Type: typ, Data: []byte(data)} }
	u, err := event(clerkhook.EventUserUpdated, unknownKeysUser).User()
	require.NoError(t, err)
	o, err := event(clerkhook.EventOrganizationUpdated, unknownKeysOrganization).Organization()
	require.NoError(t, err)
	m, err := event(clerkhook.EventOrganizationMembershipCreated, unknownKeysMembership).OrganizationMembership()
	require.NoError(t, err)
	require.NoError(t, s.UpsertUser(ctx, u))
	require.NoError(t, s.UpsertOrganization(ctx, o))
	require.NoError(t, s.UpsertMembership(ctx, m))

	for _, c := range []struct{ query, want string }{
		{`SELECT data FROM clerk_users WHERE id = 'user_2raw'`, unknownKeysUser},
		{`SELECT data FROM clerk_organizations WHERE id = 'org_2raw'`, unknownKeysOrganization},
		{`SELECT data FROM clerk_organization_memberships WHERE organization_id = 'org_2raw' AND user_id = 'user_2raw'`, unknownKeysMembership},
	} {
		var data string
		require.NoError(t, db.QueryRowContext(ctx, c.query).Scan(&data))
		assert.JSONEq(t, c.want, data, c.query)
	}

	gotUser, err := s.User(ctx, "user_2raw")
	require.NoError(t, err)
	assert.JSONEq(t, unknownKeysUser, string(gotUser.Raw))
	assert.Equal(t, "ada@example.test", gotUser.PrimaryEmail())
	gotOrg, err := s.Organization(ctx, "org_2raw")
	require.NoError(t, err)
	assert.JSONEq(t, unknownKeysOrganization, string(gotOrg.Raw))
	gotMember, err := s.Membership(ctx, "org_2raw", "user_2raw")
	require.NoError(t, err)
	assert.JSONEq(t, unknownKeysMembership, string(gotMember.Raw))
	assert.Equal(t, "org:admin", gotMember.Role)
}
