package pgxstore_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// The data of a user, an organization and a membership with keys no struct
// models, at the top and nested in modelled objects; invented.
const (
	unknownKeysUser = `{"id":"user_2raw","object":"user","first_name":"Ada","last_name":null,` +
		`"email_addresses":[{"id":"idn_2raw","object":"email_address","email_address":"ada@example.test",` +
		`"verification":{"status":"verified","strategy":"email_code","future_hint":{"depth":[1,{"x":"y"}]}},` +
		`"linked_to":[],"future_flag":true,"created_at":1,"updated_at":2}],` +
		`"primary_email_address_id":"idn_2raw","external_accounts":[{"id":"eac_2raw","object":"external_account",` +
		`"provider":"oauth_github","provider_specific":{"login":"ada-gh","scopes":["repo"]},"created_at":1,"updated_at":2}],` +
		`"future_top":{"a":{"b":{"c":[null,1.5,"z"]}}},"public_metadata":{"plan":"pro"},` +
		`"created_at":1748779200000,"updated_at":1748779201000}`
	unknownKeysOrganization = `{"id":"org_2raw","object":"organization","name":"Acme","slug":"acme",` +
		`"future_billing":{"tier":"gold","seats":{"max":10}},"max_allowed_memberships":5,` +
		`"created_at":1748779200000,"updated_at":1748779201000}`
	unknownKeysMembership = `{"id":"orgmem_2raw","object":"organization_membership","role":"org:admin",` +
		`"permissions":["org:sys:read"],"organization":` + unknownKeysOrganization + `,` +
		`"public_user_data":{"user_id":"user_2raw","first_name":"Ada","future_badge":{"kind":"gold"},"image_url":"","has_image":false,"identifier":"ada@example.test"},` +
		`"future_scope":["a",{"b":null}],"created_at":1748779200000,"updated_at":1748779201000}`
)

// dataColumn returns the data column of the row of table where holds, as
// PostgreSQL prints the jsonb, or "" for NULL.
func dataColumn(t *testing.T, f *fixture, table, where string, args ...any) string {
	t.Helper()
	var data *string
	require.NoError(t, f.pool.QueryRow(context.Background(),
		`SELECT data::text FROM `+f.table(table)+` WHERE `+where, args...).Scan(&data))
	if data == nil {
		return ""
	}
	return *data
}

// TestDataColumnsHoldWhatClerkSent sends a user, an organization and a
// membership with unknown keys through the Handler: each data column is
// JSON-equal to the delivery's data, and the readers return it as Raw. The
// user's deletion leaves no data.
func TestDataColumnsHoldWhatClerkSent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	secret := clerkhooktest.NewSecret()
	var logs bytes.Buffer
	var errs []string
	h := handlerOn(t, f, secret, &logs, &errs)
	for i, d := range []struct{ typ, data string }{
		{clerkhook.EventUserUpdated, unknownKeysUser},
		{clerkhook.EventOrganizationUpdated, unknownKeysOrganization},
		{clerkhook.EventOrganizationMembershipCreated, unknownKeysMembership},
	} {
		require.Equal(t, http.StatusOK, deliver(t, h, secret, fmt.Sprintf("msg_raw_%d", i), eventBody(d.typ, d.data)), logs.String())
	}

	assert.JSONEq(t, unknownKeysUser, dataColumn(t, f, "clerk_users", "id = $1", "user_2raw"))
	assert.JSONEq(t, unknownKeysOrganization, dataColumn(t, f, "clerk_organizations", "id = $1", "org_2raw"))
	assert.JSONEq(t, unknownKeysMembership, dataColumn(t, f, "clerk_organization_memberships",
		"organization_id = $1 AND user_id = $2", "org_2raw", "user_2raw"))

	u, err := f.store.User(ctx, "user_2raw")
	require.NoError(t, err)
	assert.JSONEq(t, unknownKeysUser, string(u.Raw))
	assert.Equal(t, "ada@example.test", u.PrimaryEmail())
	o, err := f.store.Organization(ctx, "org_2raw")
	require.NoError(t, err)
	assert.JSONEq(t, unknownKeysOrganization, string(o.Raw))
	m, err := f.store.Membership(ctx, "org_2raw", "user_2raw")
	require.NoError(t, err)
	assert.JSONEq(t, unknownKeysMembership, string(m.Raw))

	deleted := fmt.Appendf(nil, `{"data":{"deleted":true,"id":"user_2raw","object":"user"},"object":"event","timestamp":%d,"type":"user.deleted"}`,
		at(200).Time().UnixMilli())
	require.Equal(t, http.StatusOK, deliver(t, h, secret, "msg_raw_deleted", deleted), logs.String())
	assert.Empty(t, dataColumn(t, f, "clerk_users", "id = $1", "user_2raw"), "a deleted user keeps no data")
}

// TestBackfillWritesWhatClerkSent backfills from a fake Backend API whose
// users carry unknown keys: each data column is JSON-equal to the user's
// object in the listing.
func TestBackfillWritesWhatClerkSent(t *testing.T) {
	f := newFixture(t)
	second := bytes.ReplaceAll([]byte(unknownKeysUser), []byte("2raw"), []byte("2rawtwo"))
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if requests.Add(1) > 1 {
			w.Write([]byte(`[]`))
			return
		}
		fmt.Fprintf(w, "[%s,\n  %s]", unknownKeysUser, second)
	}))
	t.Cleanup(srv.Close)
	api, err := clerkhook.NewBackendAPI("sk_test_bF9kQ2xZr7VnT4pLw8YcHd3MsJ6aEu1G",
		clerkhook.WithBackendURL(srv.URL), clerkhook.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	report, err := clerkhook.Backfill(context.Background(), api, f.store,
		clerkhook.WithBackfillClock(func() time.Time { return at(300).Time() }))
	require.NoError(t, err)
	assert.Equal(t, 2, report.Written)

	assert.JSONEq(t, unknownKeysUser, dataColumn(t, f, "clerk_users", "id = $1", "user_2raw"))
	assert.JSONEq(t, string(second), dataColumn(t, f, "clerk_users", "id = $1", "user_2rawtwo"))
}
