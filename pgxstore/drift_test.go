package pgxstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// TestHandlerToleratesDrift sends deliveries whose values do not all fit
// their fields through the Handler into PostgreSQL: one whose identity and
// version fit is processed and stored with the drifted fields at zero and
// the others intact, and its anomalies are observed and logged; one whose
// identity or version does not fit is refused with 400 and stores nothing.
func TestHandlerToleratesDrift(t *testing.T) {
	at := clerkhook.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	attempts := 1
	email := "idn_2drift"
	baseUser := func() *clerkhook.User {
		a := at
		return &clerkhook.User{
			ID: "user_2drift", Object: "user", PrimaryEmailAddressID: &email, FirstName: ptr("Zoë"),
			HasImage: true, ImageURL: "https://img.example.com/zq.png", LastActiveAt: &a,
			EmailAddresses: []clerkhook.EmailAddress{{ID: email, Object: "email_address", EmailAddress: "zq.drift@example.com",
				Verification: &clerkhook.Verification{Status: "verified", Strategy: "email_code", Attempts: &attempts}}},
			Passkeys:       []clerkhook.Passkey{{ID: "pk_2drift", Object: "passkey", Name: "zq-laptop", LastUsedAt: at}},
			PublicMetadata: json.RawMessage(`{"zq-plan":"pro"}`),
			CreatedAt:      at - 1000, UpdatedAt: at,
		}
	}
	baseOrg := func() *clerkhook.Organization {
		return &clerkhook.Organization{ID: "org_2drift", Object: "organization", Name: "Zq Acme", HasImage: true,
			MaxAllowedMemberships: 5, CreatedAt: at - 1000, UpdatedAt: at}
	}
	baseMembership := func() *clerkhook.OrganizationMembership {
		return &clerkhook.OrganizationMembership{ID: "orgmem_2drift", Object: "organization_membership", Role: "org:admin",
			Permissions: []string{"org:sys_memberships:read"}, Organization: *baseOrg(),
			PublicUserData: clerkhook.PublicUserData{UserID: "user_2drift", ImageURL: "https://img.example.com/zq.png"},
			CreatedAt:      at - 1000, UpdatedAt: at}
	}
	set := func(key string, value any, path ...any) func(map[string]any) {
		return func(body map[string]any) {
			var v any = body["data"]
			for _, p := range path {
				switch p := p.(type) {
				case string:
					v = v.(map[string]any)[p]
				case int:
					v = v.([]any)[p]
				}
			}
			v.(map[string]any)[key] = value
		}
	}
	tests := []struct {
		name   string
		typ    string
		record any
		drift  func(map[string]any)
		// want lists the anomalies, nil for a delivery refused with 400;
		// zero sets the fields left at zero in the expected record.
		want []string
		zero func(any)
	}{
		{"has_image a string", clerkhook.EventUserUpdated, baseUser(), set("has_image", "true"), []string{"/data/has_image"},
			func(v any) { v.(*clerkhook.User).HasImage = false }},
		{"passkeys an object", clerkhook.EventUserUpdated, baseUser(), set("passkeys", map[string]any{}), []string{"/data/passkeys"},
			func(v any) { v.(*clerkhook.User).Passkeys = nil }},
		{"last_active_at a date", clerkhook.EventUserUpdated, baseUser(), set("last_active_at", "2026-11-27"), []string{"/data/last_active_at"},
			func(v any) { v.(*clerkhook.User).LastActiveAt = nil }},
		{"created_at a number in a string", clerkhook.EventUserCreated, baseUser(), set("created_at", "1700000000000"), []string{"/data/created_at"},
			func(v any) { v.(*clerkhook.User).CreatedAt = 0 }},
		{"verification attempts a string", clerkhook.EventUserUpdated, baseUser(), set("attempts", "zq-x", "email_addresses", 0, "verification"),
			[]string{"/data/email_addresses/0/verification/attempts"},
			func(v any) { v.(*clerkhook.User).EmailAddresses[0].Verification.Attempts = nil }},
		{"organization max_allowed_memberships a string", clerkhook.EventOrganizationUpdated, baseOrg(), set("max_allowed_memberships", "5"),
			[]string{"/data/max_allowed_memberships"}, func(v any) { v.(*clerkhook.Organization).MaxAllowedMemberships = 0 }},
		{"membership permissions a string", clerkhook.EventOrganizationMembershipCreated, baseMembership(), set("permissions", "org:sys_memberships:read"),
			[]string{"/data/permissions"}, func(v any) { v.(*clerkhook.OrganizationMembership).Permissions = nil }},
		{"membership's organization has_image a string", clerkhook.EventOrganizationMembershipUpdated, baseMembership(),
			set("has_image", "true", "organization"), []string{"/data/organization/has_image"},
			func(v any) { v.(*clerkhook.OrganizationMembership).Organization.HasImage = false }},

		{"user id a number", clerkhook.EventUserUpdated, baseUser(), set("id", 31337), nil, nil},
		{"user updated_at a date", clerkhook.EventUserUpdated, baseUser(), set("updated_at", "2026-11-27"), nil, nil},
		{"user updated_at a number in a string", clerkhook.EventUserCreated, baseUser(), set("updated_at", "1764244800000"), nil, nil},
		{"membership organization.id a number", clerkhook.EventOrganizationMembershipUpdated, baseMembership(), set("id", 31337, "organization"), nil, nil},
		{"membership public_user_data.user_id a list", clerkhook.EventOrganizationMembershipUpdated, baseMembership(),
			set("user_id", []any{"user_2drift"}, "public_user_data"), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			secret := clerkhooktest.NewSecret()
			var logs bytes.Buffer
			var seen []clerkhook.Observation
			h, err := clerkhook.NewHandler(secret, f.store,
				clerkhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
				clerkhook.WithObserver(func(_ context.Context, o clerkhook.Observation) { seen = append(seen, o) }))
			require.NoError(t, err)

			raw, err := json.Marshal(map[string]any{"type": tc.typ, "object": "event", "timestamp": time.Now().UnixMilli(), "data": tc.record})
			require.NoError(t, err)
			var body map[string]any
			require.NoError(t, json.Unmarshal(raw, &body))
			tc.drift(body)
			payload, err := json.Marshal(body)
			require.NoError(t, err)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, clerkhooktest.NewRequest(t, secret, payload, clerkhooktest.WithDeliveryID("msg_2drift")))

			require.Len(t, seen, 1)
			o := seen[0]
			for _, secretValue := range []string{"2026-11-27", "1700000000000", "1764244800000", "31337", "zq-", "zq.", "Zoë", "example.com"} {
				assert.NotContains(t, logs.String(), secretValue, "the log line quotes the payload")
				if o.Err != nil {
					assert.NotContains(t, o.Err.Error(), secretValue, "the error quotes the payload")
				}
			}
			stored := storedRecord(t, f, tc.record)
			if tc.want == nil {
				assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
				assert.Equal(t, "invalid_event", o.Reason)
				assert.Nil(t, o.Anomalies)
				assert.Nil(t, stored, "a refused delivery stores nothing")
				return
			}
			require.Equal(t, http.StatusOK, w.Code, "%s: %v", w.Body, o.Err)
			assert.Equal(t, clerkhook.OutcomeProcessed, o.Outcome)
			assert.Equal(t, tc.want, o.Anomalies)
			assert.Contains(t, logs.String(), `"anomalies":["`+strings.Join(tc.want, `","`)+`"]`)

			require.NotNil(t, stored, "the record is stored")
			want := copyRecord(t, tc.record)
			tc.zero(want)
			wantJSON, err := json.Marshal(want)
			require.NoError(t, err)
			gotJSON, err := json.Marshal(stored)
			require.NoError(t, err)
			assert.JSONEq(t, string(wantJSON), string(gotJSON), "the drifted fields at zero, the others intact")
		})
	}
}

// storedRecord reads record's row back from f's store, nil when it holds
// none.
func storedRecord(t *testing.T, f *fixture, record any) any {
	t.Helper()
	ctx := context.Background()
	var got any
	var err error
	switch r := record.(type) {
	case *clerkhook.User:
		got, err = f.store.User(ctx, r.ID)
		if err != nil {
			require.ErrorIs(t, err, clerkhook.ErrUserNotFound)
			return nil
		}
	case *clerkhook.Organization:
		got, err = f.store.Organization(ctx, r.ID)
		if err != nil {
			require.ErrorIs(t, err, clerkhook.ErrOrganizationNotFound)
			return nil
		}
	case *clerkhook.OrganizationMembership:
		got, err = f.store.Membership(ctx, r.OrganizationID(), r.UserID())
		if err != nil {
			require.ErrorIs(t, err, clerkhook.ErrMembershipNotFound)
			return nil
		}
	}
	return got
}

// copyRecord returns a deep copy of record.
func copyRecord(t *testing.T, record any) any {
	t.Helper()
	raw, err := json.Marshal(record)
	require.NoError(t, err)
	var out any
	switch record.(type) {
	case *clerkhook.User:
		out = &clerkhook.User{}
	case *clerkhook.Organization:
		out = &clerkhook.Organization{}
	case *clerkhook.OrganizationMembership:
		out = &clerkhook.OrganizationMembership{}
	}
	require.NoError(t, json.Unmarshal(raw, out))
	return out
}
