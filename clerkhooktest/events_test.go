package clerkhooktest_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// decoded is what a test learns from an event's typed accessor: the id of
// its object and its times, 0 where the shape has none.
type decoded struct {
	id                   string
	createdAt, updatedAt clerkhook.UnixMilli
}

func TestBuilders(t *testing.T) {
	tests := []struct {
		eventType string
		build     func() (*clerkhook.Event, error)
		idPrefix  string
		decode    func(*clerkhook.Event) (decoded, error)
	}{
		{clerkhook.EventUserCreated, func() (*clerkhook.Event, error) { return clerkhooktest.UserCreated() }, "user_", decodeUser},
		{clerkhook.EventUserUpdated, func() (*clerkhook.Event, error) { return clerkhooktest.UserUpdated() }, "user_", decodeUser},
		{clerkhook.EventUserDeleted, func() (*clerkhook.Event, error) { return clerkhooktest.UserDeleted() }, "user_", decodeDeleted},
		{clerkhook.EventOrganizationCreated, func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationCreated() }, "org_", decodeOrganization},
		{clerkhook.EventOrganizationUpdated, func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationUpdated() }, "org_", decodeOrganization},
		{clerkhook.EventOrganizationDeleted, func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationDeleted() }, "org_", decodeDeleted},
		{clerkhook.EventOrganizationMembershipCreated, func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationMembershipCreated() }, "orgmem_", decodeMembership},
		{clerkhook.EventOrganizationMembershipUpdated, func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationMembershipUpdated() }, "orgmem_", decodeMembership},
		{clerkhook.EventOrganizationMembershipDeleted, func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationMembershipDeleted() }, "orgmem_", decodeMembership},
	}
	for _, tt := range tests {
		t.Run(tt.eventType, func(t *testing.T) {
			before := time.Now().UnixMilli()
			evt, err := tt.build()
			require.NoError(t, err)
			payload, err := json.Marshal(evt)
			require.NoError(t, err)

			got, err := clerkhook.ParseEvent(payload)
			require.NoError(t, err)
			assert.Equal(t, tt.eventType, got.Type)
			assert.Equal(t, "event", got.Object)
			assert.Equal(t, clerkhooktest.InstanceID, got.InstanceID)
			assert.True(t, got.Known())
			require.NotNil(t, got.EventAttributes)
			require.NotNil(t, got.EventAttributes.HTTPRequest)
			assert.NotEmpty(t, got.EventAttributes.HTTPRequest.UserAgent)
			assert.GreaterOrEqual(t, got.Timestamp, before)
			assert.LessOrEqual(t, got.Timestamp, time.Now().UnixMilli())
			assert.Regexp(t, `^msg_[0-9A-Za-z]{27}$`, evt.ID)

			d, err := tt.decode(got)
			require.NoError(t, err)
			assert.Regexp(t, `^`+tt.idPrefix+`[0-9A-Za-z]{27}$`, d.id)
			assert.LessOrEqual(t, d.createdAt, d.updatedAt, "created_at is after updated_at")
			assert.LessOrEqual(t, int64(d.updatedAt), got.Timestamp, "updated_at is after the event")

			again, err := tt.build()
			require.NoError(t, err)
			d2, err := tt.decode(again)
			require.NoError(t, err)
			assert.NotEqual(t, d.id, d2.id, "two events carry the same object id")
			assert.NotEqual(t, evt.ID, again.ID, "two events carry the same delivery id")
		})
	}
}

func decodeUser(e *clerkhook.Event) (decoded, error) {
	u, err := e.User()
	if err != nil {
		return decoded{}, err
	}
	return decoded{u.ID, u.CreatedAt, u.UpdatedAt}, nil
}

func decodeDeleted(e *clerkhook.Event) (decoded, error) {
	d, err := e.DeletedObject()
	if err != nil {
		return decoded{}, err
	}
	if !d.Deleted {
		return decoded{}, errors.New("deleted is false")
	}
	return decoded{id: d.ID}, nil
}

func decodeOrganization(e *clerkhook.Event) (decoded, error) {
	o, err := e.Organization()
	if err != nil {
		return decoded{}, err
	}
	return decoded{o.ID, o.CreatedAt, o.UpdatedAt}, nil
}

func decodeMembership(e *clerkhook.Event) (decoded, error) {
	m, err := e.OrganizationMembership()
	if err != nil {
		return decoded{}, err
	}
	return decoded{m.ID, m.CreatedAt, m.UpdatedAt}, nil
}

func TestUserBuildersAreRealistic(t *testing.T) {
	builders := map[string]func(...func(*clerkhook.User)) (*clerkhook.Event, error){
		"UserCreated": clerkhooktest.UserCreated,
		"UserUpdated": clerkhooktest.UserUpdated,
	}
	for name, build := range builders {
		t.Run(name, func(t *testing.T) {
			evt, err := build()
			require.NoError(t, err)
			u, err := evt.User()
			require.NoError(t, err)
			assert.Equal(t, "user", u.Object)
			require.Len(t, u.EmailAddresses, 1)
			email := u.EmailAddresses[0]
			require.NotNil(t, u.PrimaryEmailAddressID)
			assert.Equal(t, email.ID, *u.PrimaryEmailAddressID, "the primary email id points nowhere")
			assert.Equal(t, email.EmailAddress, u.PrimaryEmail())
			assert.Regexp(t, `^ada\.[0-9a-z]{27}@example\.com$`, email.EmailAddress)
			require.NotNil(t, email.Verification)
			assert.Equal(t, "verified", email.Verification.Status)
			assert.Equal(t, "Ada Example", u.FullName())
			assert.True(t, u.PasswordEnabled)
			require.NotNil(t, u.PasswordLastUpdatedAt, "a password user without password_last_updated_at")
			assert.LessOrEqual(t, *u.PasswordLastUpdatedAt, u.CreatedAt)
			require.NotNil(t, u.Locale)
			assert.Equal(t, "en-US", *u.Locale)

			// The keys of real payloads are all there, with empty arrays
			// and objects rather than null.
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(evt.Data, &raw))
			for _, key := range []string{"email_addresses", "phone_numbers", "web3_wallets", "passkeys", "external_accounts", "saml_accounts"} {
				require.Contains(t, raw, key)
				assert.Equal(t, byte('['), raw[key][0], "%s is not an array", key)
			}
			for _, key := range []string{"public_metadata", "private_metadata", "unsafe_metadata"} {
				require.Contains(t, raw, key)
				assert.Equal(t, byte('{'), raw[key][0], "%s is not an object", key)
			}
			for _, key := range []string{"primary_phone_number_id", "primary_web3_wallet_id", "external_id", "username", "mfa_enabled_at", "last_sign_in_at", "legal_accepted_at", "lockout_expires_in_seconds", "locale", "password_last_updated_at"} {
				assert.Contains(t, raw, key)
			}
		})
	}

	updated, err := clerkhooktest.UserUpdated()
	require.NoError(t, err)
	u, err := updated.User()
	require.NoError(t, err)
	require.NotEmpty(t, u.PrimaryPhone(), "the primary phone id points nowhere")
	assert.JSONEq(t, `{"plan":"pro"}`, string(u.PublicMetadata))
}

func TestOrganizationBuildersAreRealistic(t *testing.T) {
	evt, err := clerkhooktest.OrganizationUpdated()
	require.NoError(t, err)
	o, err := evt.Organization()
	require.NoError(t, err)
	require.NotNil(t, o.RoleSetKey)
	assert.NotEmpty(t, *o.RoleSetKey)
	require.NotNil(t, o.LastActiveAt)
	assert.LessOrEqual(t, *o.LastActiveAt, o.UpdatedAt)

	evt, err = clerkhooktest.OrganizationMembershipCreated()
	require.NoError(t, err)
	m, err := evt.OrganizationMembership()
	require.NoError(t, err)
	require.NotNil(t, m.PublicUserData.Username)
	assert.NotEmpty(t, *m.PublicUserData.Username)
	assert.False(t, m.PublicUserData.Banned)
	require.NotNil(t, m.Organization.RoleSetKey)
}

func TestBuilderOverrides(t *testing.T) {
	future := clerkhook.UnixMilli(time.Now().Add(time.Hour).UnixMilli())
	evt, err := clerkhooktest.UserUpdated(
		func(u *clerkhook.User) { u.ID = "user_fixed" },
		func(u *clerkhook.User) {
			first := "Grace"
			u.FirstName = &first
			u.PublicMetadata = json.RawMessage(`{"plan":"team"}`)
			u.UpdatedAt = future
		},
	)
	require.NoError(t, err)
	u, err := evt.User()
	require.NoError(t, err)
	assert.Equal(t, "user_fixed", u.ID)
	assert.Equal(t, "Grace Example", u.FullName())
	assert.JSONEq(t, `{"plan":"team"}`, string(u.PublicMetadata))
	assert.Equal(t, future, u.UpdatedAt)
	assert.Equal(t, int64(future), evt.Timestamp, "the event precedes the update it reports")

	past := clerkhook.UnixMilli(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli())
	evt, err = clerkhooktest.OrganizationMembershipUpdated(func(m *clerkhook.OrganizationMembership) {
		m.Organization.ID = "org_fixed"
		m.PublicUserData.UserID = "user_fixed"
		m.Role = "org:billing"
		m.CreatedAt, m.UpdatedAt = past, past
	})
	require.NoError(t, err)
	m, err := evt.OrganizationMembership()
	require.NoError(t, err)
	assert.Equal(t, "org_fixed", m.OrganizationID())
	assert.Equal(t, "user_fixed", m.UserID())
	assert.Equal(t, "org:billing", m.Role)
	assert.Equal(t, past, m.UpdatedAt)
	assert.Greater(t, evt.Timestamp, int64(past), "an old update moved the event back")

	evt, err = clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = "user_fixed" })
	require.NoError(t, err)
	d, err := evt.DeletedObject()
	require.NoError(t, err)
	assert.Equal(t, "user_fixed", d.ID)
	assert.Equal(t, "user", d.Object)
}

func TestBuilderErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func() (*clerkhook.Event, error)
	}{
		{"metadata that is not JSON", func() (*clerkhook.Event, error) {
			return clerkhooktest.UserCreated(func(u *clerkhook.User) { u.PublicMetadata = json.RawMessage(`{"plan":`) })
		}},
		{"nil override", func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationCreated(nil) }},
		{"NewEvent with no type", func() (*clerkhook.Event, error) { return clerkhooktest.NewEvent("", map[string]string{}) }},
		{"NewEvent with data that is not an object", func() (*clerkhook.Event, error) {
			return clerkhooktest.NewEvent(clerkhook.EventRoleCreated, []string{"org:admin"})
		}},
		{"NewEvent with data that does not encode", func() (*clerkhook.Event, error) {
			return clerkhooktest.NewEvent(clerkhook.EventRoleCreated, map[string]any{"f": func() {}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evt, err := tt.build()
			assert.Error(t, err)
			assert.Nil(t, evt)
		})
	}
}

func TestNewEvent(t *testing.T) {
	tests := []struct {
		name string
		data any
	}{
		{"struct", struct {
			Object string `json:"object"`
			ID     string `json:"id"`
		}{"role", "role_1"}},
		{"raw", json.RawMessage(`{"object":"role","id":"role_1"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evt, err := clerkhooktest.NewEvent(clerkhook.EventRoleCreated, tt.data)
			require.NoError(t, err)
			payload, err := json.Marshal(evt)
			require.NoError(t, err)
			got, err := clerkhook.ParseEvent(payload)
			require.NoError(t, err)
			assert.Equal(t, clerkhook.EventRoleCreated, got.Type)
			assert.JSONEq(t, `{"object":"role","id":"role_1"}`, string(got.Data))
			assert.NotEmpty(t, evt.ID)
		})
	}
}
