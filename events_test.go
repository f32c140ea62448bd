package clerkhook_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// eventAccessor decodes an event's data through one typed accessor.
type eventAccessor func(*clerkhook.Event) (any, error)

func accessorOf[T any](get func(*clerkhook.Event) (*T, error)) eventAccessor {
	return func(e *clerkhook.Event) (any, error) {
		v, err := get(e)
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}

// eventAccessors are the typed accessors of Event, by the name of their
// shape.
var eventAccessors = map[string]eventAccessor{
	"User":                   accessorOf((*clerkhook.Event).User),
	"DeletedObject":          accessorOf((*clerkhook.Event).DeletedObject),
	"Session":                accessorOf((*clerkhook.Event).Session),
	"Email":                  accessorOf((*clerkhook.Event).Email),
	"SMSMessage":             accessorOf((*clerkhook.Event).SMSMessage),
	"Organization":           accessorOf((*clerkhook.Event).Organization),
	"OrganizationDomain":     accessorOf((*clerkhook.Event).OrganizationDomain),
	"OrganizationMembership": accessorOf((*clerkhook.Event).OrganizationMembership),
	"OrganizationInvitation": accessorOf((*clerkhook.Event).OrganizationInvitation),
	"Role":                   accessorOf((*clerkhook.Event).Role),
	"Permission":             accessorOf((*clerkhook.Event).Permission),
	"WaitlistEntry":          accessorOf((*clerkhook.Event).WaitlistEntry),
	"Subscription":           accessorOf((*clerkhook.Event).Subscription),
	"SubscriptionItem":       accessorOf((*clerkhook.Event).SubscriptionItem),
	"PaymentAttempt":         accessorOf((*clerkhook.Event).PaymentAttempt),
}

// eventShapeOf is the catalog as Clerk's OpenAPI description of its
// webhooks has it, written out independently of the package's own.
var eventShapeOf = map[string]string{
	"user.created": "User",
	"user.updated": "User",
	"user.deleted": "DeletedObject",

	"session.created": "Session",
	"session.pending": "Session",
	"session.ended":   "Session",
	"session.removed": "Session",
	"session.revoked": "Session",

	"email.created": "Email",
	"sms.created":   "SMSMessage",

	"organization.created": "Organization",
	"organization.updated": "Organization",
	"organization.deleted": "DeletedObject",

	"organizationDomain.created": "OrganizationDomain",
	"organizationDomain.updated": "OrganizationDomain",
	"organizationDomain.deleted": "DeletedObject",

	"organizationMembership.created": "OrganizationMembership",
	"organizationMembership.updated": "OrganizationMembership",
	"organizationMembership.deleted": "OrganizationMembership",

	"organizationInvitation.created":  "OrganizationInvitation",
	"organizationInvitation.accepted": "OrganizationInvitation",
	"organizationInvitation.revoked":  "OrganizationInvitation",

	"role.created": "Role",
	"role.updated": "Role",
	"role.deleted": "DeletedObject",

	"permission.created": "Permission",
	"permission.updated": "Permission",
	"permission.deleted": "DeletedObject",

	"waitlistEntry.created": "WaitlistEntry",
	"waitlistEntry.updated": "WaitlistEntry",

	"subscription.created": "Subscription",
	"subscription.updated": "Subscription",
	"subscription.active":  "Subscription",
	"subscription.pastDue": "Subscription",

	"subscriptionItem.created":         "SubscriptionItem",
	"subscriptionItem.updated":         "SubscriptionItem",
	"subscriptionItem.active":          "SubscriptionItem",
	"subscriptionItem.canceled":        "SubscriptionItem",
	"subscriptionItem.upcoming":        "SubscriptionItem",
	"subscriptionItem.ended":           "SubscriptionItem",
	"subscriptionItem.abandoned":       "SubscriptionItem",
	"subscriptionItem.incomplete":      "SubscriptionItem",
	"subscriptionItem.pastDue":         "SubscriptionItem",
	"subscriptionItem.freeTrialEnding": "SubscriptionItem",

	"paymentAttempt.created": "PaymentAttempt",
	"paymentAttempt.updated": "PaymentAttempt",
}

// eventFixture is one file of testdata/events: <type>.json, or
// <type>.<variant>.json for an awkward case of the type.
type eventFixture struct {
	name string // the file name
	typ  string // the event type the name promises
	body []byte
}

func readEventFixtures(tb testing.TB) []eventFixture {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	require.NoError(tb, err)
	require.NotEmpty(tb, paths)
	fixtures := make([]eventFixture, 0, len(paths))
	for _, p := range paths {
		body, err := os.ReadFile(p)
		require.NoError(tb, err)
		name := filepath.Base(p)
		parts := strings.Split(strings.TrimSuffix(name, ".json"), ".")
		require.GreaterOrEqual(tb, len(parts), 2, "fixture %s is not named <type>[.<variant>].json", name)
		fixtures = append(fixtures, eventFixture{name: name, typ: parts[0] + "." + parts[1], body: body})
	}
	return fixtures
}

func readEventFixture(tb testing.TB, name string) *clerkhook.Event {
	tb.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "events", name))
	require.NoError(tb, err)
	e, err := clerkhook.ParseEvent(body)
	require.NoError(tb, err)
	return e
}

func fixtureUser(tb testing.TB, name string) *clerkhook.User {
	tb.Helper()
	u, err := readEventFixture(tb, name).User()
	require.NoError(tb, err)
	return u
}

func TestEventTypesMatchTheCatalog(t *testing.T) {
	types := clerkhook.EventTypes()
	assert.True(t, sort.StringsAreSorted(types))
	want := make([]string, 0, len(eventShapeOf))
	for typ := range eventShapeOf {
		want = append(want, typ)
	}
	assert.ElementsMatch(t, want, types)

	types[0] = "mutated"
	assert.NotEqual(t, "mutated", clerkhook.EventTypes()[0], "EventTypes must return a new slice")
}

func TestEventTypesHaveFixtures(t *testing.T) {
	for _, typ := range clerkhook.EventTypes() {
		_, err := os.Stat(filepath.Join("testdata", "events", typ+".json"))
		assert.NoError(t, err, "no fixture for %s", typ)
	}
}

func TestParseEventFixtures(t *testing.T) {
	for _, fx := range readEventFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			e, err := clerkhook.ParseEvent(fx.body)
			require.NoError(t, err)
			assert.Equal(t, fx.typ, e.Type)
			assert.True(t, e.Known())
			assert.Equal(t, "event", e.Object)
			assert.Empty(t, e.ID, "ParseEvent has no svix-id to fill in")
			assert.True(t, strings.HasPrefix(e.InstanceID, "ins_"), "instance id %q", e.InstanceID)
			// The google_account fixture is a delivery of 2024.
			assert.True(t, e.Time().After(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)), "time %v", e.Time())
			assert.True(t, e.Time().Before(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)), "time %v", e.Time())
			assert.True(t, json.Valid(e.Data))

			own := eventShapeOf[e.Type]
			for name, get := range eventAccessors {
				v, err := get(e)
				if name == own {
					require.NoError(t, err)
					require.NotNil(t, v)
					continue
				}
				assert.ErrorIs(t, err, clerkhook.ErrWrongShape, "%s on %s", name, e.Type)
				assert.NotErrorIs(t, err, clerkhook.ErrInvalidEvent)
				assert.Nil(t, v)
			}
		})
	}
}

func TestParseEventUnknownType(t *testing.T) {
	body := []byte(`{"data":{"id":"widget_2xAbc","object":"widget","nested":{"a":[1,2]}},"object":"event","type":"widget.created","timestamp":1773134100000,"instance_id":"ins_2xInvented"}`)
	e, err := clerkhook.ParseEvent(body)
	require.NoError(t, err)
	assert.Equal(t, "widget.created", e.Type)
	assert.False(t, e.Known())
	assert.JSONEq(t, `{"id":"widget_2xAbc","object":"widget","nested":{"a":[1,2]}}`, string(e.Data))
	for name, get := range eventAccessors {
		_, err := get(e)
		assert.ErrorIs(t, err, clerkhook.ErrWrongShape, name)
	}
}

func TestParseEventErrors(t *testing.T) {
	// Each payload holds a marker that must not appear in the error text.
	tests := []struct {
		name    string
		payload string
		marker  string
	}{
		{"empty", ``, ""},
		{"not JSON", `zq-secret-payload`, "zq-secret"},
		{"a string", `"zq-secret-payload"`, "zq-secret"},
		{"a number", `31337.5`, "31337"},
		{"an array", `[{"type":"user.created","data":{"id":"zq-secret"}}]`, "zq-secret"},
		{"null", `null`, ""},
		{"no type", `{"data":{"email_address":"zq-secret@example.com"}}`, "zq-secret"},
		{"empty type", `{"type":"","data":{"id":"zq-secret"}}`, "zq-secret"},
		{"type not a string", `{"type":31337,"data":{}}`, "31337"},
		{"no data", `{"type":"user.created","object":"event"}`, ""},
		{"data null", `{"type":"user.created","data":null}`, ""},
		{"data an array", `{"type":"user.created","data":[{"id":"zq-secret"}]}`, "zq-secret"},
		{"data a string", `{"type":"user.created","data":"zq-secret"}`, "zq-secret"},
		{"data a number", `{"type":"user.created","data":31337}`, "31337"},
		{"trailing garbage", `{"type":"user.created","data":{}} zq-secret`, "zq-secret"},
		{"two objects", `{"type":"user.created","data":{}}{"type":"zq-secret","data":{}}`, "zq-secret"},
		{"truncated", `{"type":"user.created","data":{"id":"zq-secret`, "zq-secret"},
		{"invalid UTF-16 escape", `{"type":"user.created","data":{}, "zq-secret":"\u12"}`, "zq-secret"},
		{"type an object", `{"type":{"zq-secret":1},"data":{}}`, "zq-secret"},
		{"data a list and a drifted timestamp", `{"type":"user.created","timestamp":"zq-secret","data":["zq-secret"]}`, "zq-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := clerkhook.ParseEvent([]byte(tt.payload))
			require.ErrorIs(t, err, clerkhook.ErrInvalidEvent)
			assert.Nil(t, e)
			if tt.marker != "" {
				assert.NotContains(t, err.Error(), tt.marker)
			}
		})
	}
}

// TestEventAccessorInvalidData checks that an accessor refuses data whose
// id or updated_at (for a membership, also its organization's and user's
// ids) does not fit its field, without quoting it.
func TestEventAccessorInvalidData(t *testing.T) {
	tests := []struct {
		typ    string
		data   string
		get    string
		marker string
	}{
		{"user.created", `{"id":31337,"first_name":"Ada"}`, "User", "31337"},
		{"user.updated", `{"id":"user_2x","updated_at":"zq-secret"}`, "User", "zq-secret"},
		{"user.updated", `{"id":"user_2x","updated_at":1.5}`, "User", "1.5"},
		{"user.created", `["zq-secret"]`, "User", "zq-secret"},
		{"user.deleted", `{"id":31337,"deleted":true}`, "DeletedObject", "31337"},
		{"organization.updated", `{"id":{"zq-secret":1}}`, "Organization", "zq-secret"},
		{"organizationMembership.created", `{"id":"orgmem_1","organization":"zq-secret"}`, "OrganizationMembership", "zq-secret"},
		{"organizationMembership.updated", `{"id":"orgmem_1","organization":{"id":31337}}`, "OrganizationMembership", "31337"},
		{"organizationMembership.deleted", `{"id":"orgmem_1","public_user_data":{"user_id":["zq-secret"]}}`, "OrganizationMembership", "zq-secret"},
		{"sms.created", `{"id":["zq-secret"]}`, "SMSMessage", "zq-secret"},
		{"role.updated", `{"id":"role_1","updated_at":"zq-secret"}`, "Role", "zq-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.data, func(t *testing.T) {
			e, err := clerkhook.ParseEvent([]byte(`{"type":"` + tt.typ + `","data":` + tt.data + `}`))
			if err != nil {
				require.ErrorIs(t, err, clerkhook.ErrInvalidEvent, "data that is not an object")
				return
			}
			v, err := eventAccessors[tt.get](e)
			require.ErrorIs(t, err, clerkhook.ErrInvalidEvent)
			assert.NotErrorIs(t, err, clerkhook.ErrWrongShape)
			assert.Nil(t, v)
			assert.NotContains(t, err.Error(), tt.marker)
		})
	}
}

// TestEventAccessorToleratesDrift checks that an accessor decodes data with
// values that do not fit their fields, leaving those at their zero values
// and keeping the rest.
func TestEventAccessorToleratesDrift(t *testing.T) {
	tests := []struct {
		typ  string
		data string
		get  string
		want any
	}{
		{"user.created", `{"id":"user_2x","first_name":31337,"last_name":"L"}`, "User",
			&clerkhook.User{ID: "user_2x", LastName: str("L")}},
		{"user.updated", `{"id":"user_2x","created_at":"zq-secret","updated_at":7}`, "User",
			&clerkhook.User{ID: "user_2x", UpdatedAt: 7}},
		{"user.created", `{"id":"user_2x","email_addresses":{"zq-secret":1}}`, "User",
			&clerkhook.User{ID: "user_2x"}},
		{"user.created", `{"id":"user_2x","email_addresses":[{"id":"idn_1","verification":{"status":"verified","attempts":1.5}}]}`, "User",
			&clerkhook.User{ID: "user_2x", EmailAddresses: []clerkhook.EmailAddress{{ID: "idn_1", Verification: &clerkhook.Verification{Status: "verified"}}}}},
		{"session.created", `{"id":"sess_1","user":{"id":"user_2x","updated_at":"zq-secret"}}`, "Session",
			&clerkhook.Session{ID: "sess_1", User: &clerkhook.User{ID: "user_2x"}}},
		{"sms.created", `{"id":"sms_1","created_at_ms":"zq-secret"}`, "SMSMessage",
			&clerkhook.SMSMessage{ID: "sms_1"}},
		{"organizationInvitation.accepted", `{"id":"orginv_1","data":{"public_organization_data":"zq-secret"}}`, "OrganizationInvitation",
			&clerkhook.OrganizationInvitation{ID: "orginv_1"}},
		{"organizationInvitation.created", `{"id":"orginv_1","public_inviter_data":{"user_id":31337}}`, "OrganizationInvitation",
			&clerkhook.OrganizationInvitation{ID: "orginv_1", PublicInviterData: &clerkhook.PublicUserData{}}},
		{"role.created", `{"id":"role_1","permissions":[{"key":31337}]}`, "Role",
			&clerkhook.Role{ID: "role_1", Permissions: []clerkhook.Permission{{}}}},
		{"paymentAttempt.updated", `{"id":"payatt_1","totals":{"grand_total":{"amount":"zq-secret","currency":"USD"}}}`, "PaymentAttempt",
			&clerkhook.PaymentAttempt{ID: "payatt_1", Totals: &clerkhook.PaymentTotals{GrandTotal: clerkhook.Money{Currency: "USD"}}}},
		{"subscription.pastDue", `{"id":"sub_1","items":[{"period_end":31337.5}]}`, "Subscription",
			&clerkhook.Subscription{ID: "sub_1", Items: []clerkhook.SubscriptionItem{{}}}},
		{"organizationMembership.updated", `{"id":"orgmem_1","role":7,"organization":{"id":"org_1","name":["x"]},"public_user_data":{"user_id":"user_2x","has_image":"true"}}`, "OrganizationMembership",
			&clerkhook.OrganizationMembership{ID: "orgmem_1", Organization: clerkhook.Organization{ID: "org_1"}, PublicUserData: clerkhook.PublicUserData{UserID: "user_2x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.data, func(t *testing.T) {
			e, err := clerkhook.ParseEvent([]byte(`{"type":"` + tt.typ + `","data":` + tt.data + `}`))
			require.NoError(t, err)
			v, err := eventAccessors[tt.get](e)
			require.NoError(t, err)
			// The records a store writes keep the data as Clerk sent it,
			// the values that did not fit included.
			switch want := tt.want.(type) {
			case *clerkhook.User:
				want.Raw = json.RawMessage(tt.data)
			case *clerkhook.OrganizationMembership:
				want.Raw = json.RawMessage(tt.data)
			}
			assert.Equal(t, tt.want, v)
		})
	}
}

// TestParseEventToleratesDrift checks that members of the envelope other
// than type and data that do not fit their fields are left at zero.
func TestParseEventToleratesDrift(t *testing.T) {
	for _, body := range []string{
		`{"type":"user.created","timestamp":31337.5,"data":{"id":"user_2x"}}`,
		`{"type":"user.created","timestamp":"2026-11-27","data":{"id":"user_2x"}}`,
		`{"type":"user.created","object":7,"instance_id":["ins_1"],"data":{"id":"user_2x"}}`,
		`{"type":"user.created","event_attributes":"zq-secret","data":{"id":"user_2x"}}`,
		`{"type":"user.created","event_attributes":{"http_request":{"client_ip":1,"user_agent":"a"}},"data":{"id":"user_2x"}}`,
	} {
		t.Run(body, func(t *testing.T) {
			e, err := clerkhook.ParseEvent([]byte(body))
			require.NoError(t, err)
			assert.Equal(t, clerkhook.EventUserCreated, e.Type)
			assert.Zero(t, e.Timestamp)
			assert.Empty(t, e.Object)
			assert.Empty(t, e.InstanceID)
			if e.EventAttributes != nil && e.EventAttributes.HTTPRequest != nil {
				assert.Empty(t, e.EventAttributes.HTTPRequest.ClientIP)
			}
			assert.JSONEq(t, `{"id":"user_2x"}`, string(e.Data))
		})
	}
}

// A deletion may carry the whole deleted object: Clerk's JavaScript types
// say role.deleted and permission.deleted do.
func TestEventDeletedObjectIsLenient(t *testing.T) {
	tests := []struct {
		typ  string
		data string
		want clerkhook.DeletedObject
	}{
		{
			"role.deleted",
			`{"object":"role","id":"role_2xDel","name":"Baker","key":"org:baker","description":null,"is_creator_eligible":true,
			  "permissions":[{"object":"permission","id":"perm_2xA","name":"Read","key":"org:orders:read","description":"","type":"custom","created_at":1,"updated_at":2}],
			  "created_at":1773134100000,"updated_at":1773134100001}`,
			clerkhook.DeletedObject{Object: "role", ID: "role_2xDel"},
		},
		{
			"permission.deleted",
			`{"object":"permission","id":"perm_2xDel","name":"Read","key":"org:orders:read","description":"x","type":"custom","created_at":1,"updated_at":2,"deleted":true}`,
			clerkhook.DeletedObject{Object: "permission", ID: "perm_2xDel", Deleted: true},
		},
		{
			"user.deleted",
			`{"object":"user","deleted":true}`,
			clerkhook.DeletedObject{Object: "user", Deleted: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			e, err := clerkhook.ParseEvent([]byte(`{"type":"` + tt.typ + `","data":` + tt.data + `}`))
			require.NoError(t, err)
			d, err := e.DeletedObject()
			require.NoError(t, err)
			assert.Equal(t, tt.want, *d)
		})
	}
}

func TestEventDeletedObjectFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		want    clerkhook.DeletedObject
	}{
		{"user.deleted.json", clerkhook.DeletedObject{Object: "user", Deleted: true}},
		{"user.deleted.external-id.json", clerkhook.DeletedObject{Object: "user", Deleted: true, ExternalID: pointerTo("crm-40917")}},
		{"organization.deleted.json", clerkhook.DeletedObject{Object: "organization", Deleted: true, Slug: pointerTo("old-mill-collective")}},
		{"role.deleted.json", clerkhook.DeletedObject{Object: "role", Deleted: true}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			d, err := readEventFixture(t, tt.fixture).DeletedObject()
			require.NoError(t, err)
			assert.NotEmpty(t, d.ID)
			d.ID = ""
			assert.Equal(t, tt.want, *d)
		})
	}
}

func pointerTo[T any](v T) *T { return &v }

func TestUserPrimaryEmail(t *testing.T) {
	tests := []struct {
		fixture string
		want    string
	}{
		{"user.created.json", "ingrid.haugen@example.com"},
		{"user.created.primary-not-first.json", "k.mensah@example.net"},
		{"user.created.phone-only.json", ""},
		{"user.created.nulls.json", ""},
		{"user.created.non-ascii.json", "zoe.angstrom@example.com"},
		{"user.updated.large.json", "marisol@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			assert.Equal(t, tt.want, fixtureUser(t, tt.fixture).PrimaryEmail())
		})
	}

	t.Run("primary is not the first entry", func(t *testing.T) {
		u := fixtureUser(t, "user.created.primary-not-first.json")
		require.Len(t, u.EmailAddresses, 2)
		assert.NotEqual(t, u.EmailAddresses[0].EmailAddress, u.PrimaryEmail())
	})
	t.Run("primary id names no entry", func(t *testing.T) {
		u := clerkhook.User{
			PrimaryEmailAddressID: pointerTo("idn_2xGone"),
			EmailAddresses:        []clerkhook.EmailAddress{{ID: "idn_2xOther", EmailAddress: "other@example.com"}},
		}
		assert.Empty(t, u.PrimaryEmail())
	})
}

func TestUserPrimaryPhone(t *testing.T) {
	tests := []struct {
		fixture string
		want    string
	}{
		{"user.created.phone-only.json", "+447700900461"},
		{"user.created.json", ""},
		{"user.updated.json", "+12025550147"},
		{"user.updated.large.json", "+12025550168"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			assert.Equal(t, tt.want, fixtureUser(t, tt.fixture).PrimaryPhone())
		})
	}

	t.Run("primary id names no entry", func(t *testing.T) {
		u := clerkhook.User{
			PrimaryPhoneNumberID: pointerTo("idn_2xGone"),
			PhoneNumbers:         []clerkhook.PhoneNumber{{ID: "idn_2xOther", PhoneNumber: "+12025550100"}},
		}
		assert.Empty(t, u.PrimaryPhone())
	})
}

func TestUserFullName(t *testing.T) {
	tests := []struct {
		name        string
		first, last *string
		want        string
	}{
		{"both", pointerTo("Ada"), pointerTo("Quill"), "Ada Quill"},
		{"first only", pointerTo("Ada"), nil, "Ada"},
		{"last only", nil, pointerTo("Quill"), "Quill"},
		{"neither", nil, nil, ""},
		{"empty strings", pointerTo(""), pointerTo(""), ""},
		{"empty first", pointerTo(""), pointerTo("Quill"), "Quill"},
		{"non-ASCII", pointerTo("Zoë"), pointerTo("Ångström"), "Zoë Ångström"},
		{"CJK", pointerTo("太郎"), pointerTo("山田"), "太郎 山田"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := clerkhook.User{FirstName: tt.first, LastName: tt.last}
			assert.Equal(t, tt.want, u.FullName())
		})
	}

	t.Run("fixtures", func(t *testing.T) {
		assert.Equal(t, "Zoë Ångström", fixtureUser(t, "user.created.non-ascii.json").FullName())
		assert.Equal(t, "", fixtureUser(t, "user.created.nulls.json").FullName())
		assert.Equal(t, "", fixtureUser(t, "user.created.phone-only.json").FullName())
	})
}

func TestEventUserNonASCII(t *testing.T) {
	u := fixtureUser(t, "user.created.non-ascii.json")
	require.Len(t, u.ExternalAccounts, 1)
	assert.Equal(t, "太郎", u.ExternalAccounts[0].FirstName)
	assert.Equal(t, "山田", u.ExternalAccounts[0].LastName)

	var unsafe struct {
		Nickname string `json:"nickname"`
	}
	require.NoError(t, json.Unmarshal(u.UnsafeMetadata, &unsafe))
	assert.Equal(t, "Zoë Ångström 🌸", unsafe.Nickname, "escaped in the fixture")
}

func TestEventUserNulls(t *testing.T) {
	u := fixtureUser(t, "user.created.nulls.json")
	assert.Nil(t, u.FirstName)
	assert.Nil(t, u.LastName)
	assert.Nil(t, u.Username)
	assert.Empty(t, u.ImageURL)
	assert.Nil(t, u.PrimaryEmailAddressID)
	assert.Nil(t, u.VerificationAttemptsRemaining)
	assert.Equal(t, "null", string(u.PrivateMetadata), "null metadata stays the JSON null")
	assert.Empty(t, u.EmailAddresses)
}

func TestEventUserLarge(t *testing.T) {
	u := fixtureUser(t, "user.updated.large.json")
	assert.Len(t, u.EmailAddresses, 12)
	assert.Len(t, u.PhoneNumbers, 4)
	assert.Len(t, u.Web3Wallets, 4)
	assert.Len(t, u.Passkeys, 3)
	assert.Len(t, u.ExternalAccounts, 15)
	assert.Len(t, u.SAMLAccounts, 1)
	assert.Len(t, u.EnterpriseAccounts, 2)
	assert.Len(t, u.OrganizationMemberships, 3)
	require.NotNil(t, u.SCIM)
	assert.True(t, u.SCIM.DirectoryEnabled)
	assert.Len(t, u.PhoneNumbers[0].BackupCodes, 10)

	objects := map[string]bool{}
	for _, e := range u.EmailAddresses {
		require.NotNil(t, e.Verification)
		objects[e.Verification.Object] = true
	}
	for _, o := range []string{"verification_otp", "verification_admin", "verification_from_oauth", "verification_ticket",
		"verification_saml", "verification_email_link", "verification_scim"} {
		assert.True(t, objects[o], "no email verified by %s", o)
	}

	var failed *clerkhook.Verification
	for _, a := range u.ExternalAccounts {
		if a.Verification != nil && a.Verification.Status == "failed" {
			failed = a.Verification
		}
	}
	require.NotNil(t, failed)
	require.NotNil(t, failed.Error)
	assert.Equal(t, "oauth_access_denied", failed.Error.Code)
	assert.JSONEq(t, `{"provider":"slack"}`, string(failed.Error.Meta))
}

func TestEventSession(t *testing.T) {
	tests := []struct {
		fixture      string
		status       string
		impersonated bool
		withUser     bool
	}{
		{"session.created.json", "active", false, true},
		{"session.created.no-user.json", "active", false, false},
		{"session.pending.json", "pending", false, true},
		{"session.ended.json", "ended", true, true},
		{"session.removed.json", "removed", false, true},
		{"session.revoked.json", "revoked", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			s, err := readEventFixture(t, tt.fixture).Session()
			require.NoError(t, err)
			assert.Equal(t, tt.status, s.Status)
			assert.Equal(t, tt.impersonated, s.Impersonated())
			if !tt.withUser {
				assert.Nil(t, s.User)
				return
			}
			require.NotNil(t, s.User)
			assert.Equal(t, s.UserID, s.User.ID)
			assert.Equal(t, "tomasz.wierzbicki@example.com", s.User.PrimaryEmail())
		})
	}

	// Clerk sends statuses its own description does not list, such as
	// "pending" before it did: a status is never checked.
	t.Run("any status", func(t *testing.T) {
		for _, status := range []string{"pending", "a_status_of_2027", ""} {
			for _, typ := range []string{clerkhook.EventSessionPending, clerkhook.EventSessionCreated} {
				e, err := clerkhook.ParseEvent([]byte(`{"type":"` + typ + `","data":{"id":"sess_2x","status":"` + status + `","user":{"id":"user_2x"}}}`))
				require.NoError(t, err)
				s, err := e.Session()
				require.NoError(t, err, "%s with status %q", typ, status)
				assert.Equal(t, status, s.Status)
				require.NotNil(t, s.User)
				assert.Equal(t, "user_2x", s.User.ID)
			}
		}
	})

	t.Run("actor absent", func(t *testing.T) {
		e, err := clerkhook.ParseEvent([]byte(`{"type":"session.created","data":{"id":"sess_2x"}}`))
		require.NoError(t, err)
		s, err := e.Session()
		require.NoError(t, err)
		assert.False(t, s.Impersonated())
	})
}

func TestEventSMSMessageCreatedAt(t *testing.T) {
	tests := []struct {
		name string
		data string
		want clerkhook.UnixMilli
	}{
		{"created_at", `{"created_at":1773134100001}`, 1773134100001},
		{"created_at_ms", `{"created_at_ms":1773134100002}`, 1773134100002},
		{"both: created_at wins", `{"created_at_ms":1773134100002,"created_at":1773134100001}`, 1773134100001},
		{"neither", `{"id":"sms_2x"}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := clerkhook.ParseEvent([]byte(`{"type":"sms.created","data":` + tt.data + `}`))
			require.NoError(t, err)
			m, err := e.SMSMessage()
			require.NoError(t, err)
			assert.Equal(t, tt.want, m.CreatedAt)
		})
	}

	for _, name := range []string{"sms.created.json", "sms.created.created-at-ms.json"} {
		m, err := readEventFixture(t, name).SMSMessage()
		require.NoError(t, err)
		assert.NotZero(t, m.CreatedAt, name)
	}
}

func TestEventOrganizationInvitationOrganizationData(t *testing.T) {
	tests := []struct {
		name string
		data string
		want *clerkhook.PublicOrganizationData
	}{
		{"top level", `{"public_organization_data":{"id":"org_2xTop","name":"Top","slug":"top","has_image":false}}`,
			&clerkhook.PublicOrganizationData{ID: "org_2xTop", Name: "Top", Slug: "top"}},
		{"nested under data", `{"data":{"public_organization_data":{"id":"org_2xIn","name":"In","slug":"in","has_image":true}}}`,
			&clerkhook.PublicOrganizationData{ID: "org_2xIn", Name: "In", Slug: "in", HasImage: true}},
		{"both: top level wins", `{"data":{"public_organization_data":{"id":"org_2xIn"}},"public_organization_data":{"id":"org_2xTop"}}`,
			&clerkhook.PublicOrganizationData{ID: "org_2xTop"}},
		{"nested null", `{"data":{"public_organization_data":null}}`, nil},
		{"data null", `{"data":null}`, nil},
		{"neither", `{"id":"orginv_2x"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := clerkhook.ParseEvent([]byte(`{"type":"organizationInvitation.created","data":` + tt.data + `}`))
			require.NoError(t, err)
			inv, err := e.OrganizationInvitation()
			require.NoError(t, err)
			assert.Equal(t, tt.want, inv.PublicOrganizationData)
		})
	}

	t.Run("fixtures", func(t *testing.T) {
		for _, name := range []string{"organizationInvitation.created.json", "organizationInvitation.accepted.json", "organizationInvitation.revoked.json"} {
			inv, err := readEventFixture(t, name).OrganizationInvitation()
			require.NoError(t, err)
			require.NotNil(t, inv.PublicOrganizationData, name)
			assert.Equal(t, inv.OrganizationID, inv.PublicOrganizationData.ID, name)
		}
		inv, err := readEventFixture(t, "organizationInvitation.accepted.json").OrganizationInvitation()
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(inv.UserID, "user_"))
	})
}

func TestUnixMilli(t *testing.T) {
	tests := []struct {
		ms   clerkhook.UnixMilli
		want time.Time
		text string
	}{
		{0, time.Time{}, "0001-01-01T00:00:00Z"},
		{1, time.Date(1970, 1, 1, 0, 0, 0, 1e6, time.UTC), "1970-01-01T00:00:00.001Z"},
		{1773134100123, time.Date(2026, 3, 10, 9, 15, 0, 123e6, time.UTC), "2026-03-10T09:15:00.123Z"},
		{1773134100000, time.Date(2026, 3, 10, 9, 15, 0, 0, time.UTC), "2026-03-10T09:15:00Z"},
		{-1000, time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), "1969-12-31T23:59:59Z"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			assert.True(t, tt.want.Equal(tt.ms.Time()), "Time() = %v", tt.ms.Time())
			assert.Equal(t, tt.ms == 0, tt.ms.Time().IsZero())
			assert.Equal(t, tt.text, tt.ms.String())
		})
	}
}

func TestEventTime(t *testing.T) {
	tests := []struct {
		name      string
		timestamp int64
		want      time.Time
	}{
		{"milliseconds", 1773134100123, time.Date(2026, 3, 10, 9, 15, 0, 123e6, time.UTC)},
		{"seconds, as in Clerk's examples", 1773134100, time.Date(2026, 3, 10, 9, 15, 0, 0, time.UTC)},
		{"last value read as seconds", 999_999_999_999, time.Unix(999_999_999_999, 0)},
		{"first value read as milliseconds", 1_000_000_000_000, time.Date(2001, 9, 9, 1, 46, 40, 0, time.UTC)},
		{"none", 0, time.Time{}},
		{"negative, as milliseconds", -1000, time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := clerkhook.Event{Timestamp: tt.timestamp}
			assert.True(t, tt.want.Equal(e.Time()), "Time() = %v", e.Time())
		})
	}

	t.Run("fixture in seconds", func(t *testing.T) {
		e := readEventFixture(t, "user.created.legacy-docs.json")
		assert.Less(t, e.Timestamp, int64(1e12))
		assert.Equal(t, time.Unix(e.Timestamp, 0), e.Time())
		assert.Nil(t, e.EventAttributes)
	})
}

// movedFixtureKeys are the keys a custom UnmarshalJSON reads into the field
// of another key; "" means the key's object is read into the same struct.
var movedFixtureKeys = map[string]string{
	"SMSMessage.created_at_ms":    "created_at",
	"OrganizationInvitation.data": "",
}

// fallbackFixtureKeys are the keys of an older shape that fill the field of
// a newer key when the newer key is absent or empty.
var fallbackFixtureKeys = map[string]string{
	"ExternalAccount.google_id":   "provider_user_id",
	"ExternalAccount.given_name":  "first_name",
	"ExternalAccount.family_name": "last_name",
	"ExternalAccount.picture":     "image_url",
}

// walkFixture walks the envelope of fx against Event and its data against
// the shape its type promises, decoded by the typed accessor, and returns
// that shape's type.
func walkFixture(t *testing.T, w *landWalker, fx eventFixture) reflect.Type {
	t.Helper()
	var body map[string]any
	require.NoError(t, json.Unmarshal(fx.body, &body), fx.name)
	e, err := clerkhook.ParseEvent(fx.body)
	require.NoError(t, err, fx.name)
	w.object(fx.name, body, reflect.ValueOf(e).Elem())

	v, err := eventAccessors[eventShapeOf[e.Type]](e)
	require.NoError(t, err, fx.name)
	data, ok := body["data"].(map[string]any)
	require.True(t, ok, fx.name)
	w.object(fx.name+": data", data, reflect.ValueOf(v).Elem())
	return reflect.TypeOf(v).Elem()
}

// TestEventFixturesLand checks the JSON tags of every shape: each non-empty
// value of each fixture must arrive in its field, so that a misspelt tag or
// a wrong type fails. It then checks that every field of every shape is set
// by at least one fixture.
func TestEventFixturesLand(t *testing.T) {
	w := newLandWalker(t)
	roots := []reflect.Type{reflect.TypeOf(clerkhook.Event{})}
	for _, fx := range readEventFixtures(t) {
		roots = append(roots, walkFixture(t, w, fx))
	}
	for _, key := range shapeFieldKeys(roots) {
		assert.True(t, w.seen[key], "no fixture has the key %s", key)
	}
}

// TestEventFixturesDropNoKey counts, in each fixture, the keys at any depth
// that no field of the typed shapes takes, and requires none: a key Clerk
// adds to its payloads goes into a fixture, and this test then asks for its
// field. (The example of paymentAttempt.created in Clerk's description
// of its webhooks once had 22 keys without one.)
func TestEventFixturesDropNoKey(t *testing.T) {
	for _, fx := range readEventFixtures(t) {
		w := newLandWalker(t)
		walkFixture(t, w, fx)
		var body any
		require.NoError(t, json.Unmarshal(fx.body, &body), fx.name)
		keys := len(appendKeyPaths(nil, "", body)) - 1
		assert.Empty(t, w.dropped, "%s: %d of its %d keys have no field", fx.name, len(w.dropped), keys)
	}
}

type landWalker struct {
	t       *testing.T
	seen    map[string]bool // "Type.key" of every key met
	dropped []string        // the paths of the keys no field takes
}

func newLandWalker(t *testing.T) *landWalker {
	return &landWalker{t: t, seen: map[string]bool{}}
}

var jsonRawMessageType = reflect.TypeOf(json.RawMessage(nil))

func (w *landWalker) object(path string, obj map[string]any, v reflect.Value) {
	typeName := v.Type().Name()
	fields := jsonFieldIndexes(v.Type())
	for _, key := range sortedJSONKeys(obj) {
		val := obj[key]
		name := typeName + "." + key
		if to, ok := movedFixtureKeys[name]; ok {
			if to == "" {
				if inner, ok := val.(map[string]any); ok {
					w.object(path+"."+key, inner, v)
				}
				continue
			}
			w.seen[name] = true
			key, name = to, typeName+"."+to
		}
		if to, ok := fallbackFixtureKeys[name]; ok {
			w.seen[name] = true
			if !isEmptyJSON(obj[to]) {
				continue // the newer key's value is the field's
			}
			key = to
		}
		idx, ok := fields[key]
		if !ok {
			w.dropped = appendKeyPaths(w.dropped, path+"."+key, val)
			continue
		}
		w.seen[name] = true
		if !isEmptyJSON(val) {
			w.land(path+"."+key, val, v.Field(idx))
		}
	}
}

// land checks that the non-empty JSON value val arrived in the field f.
func (w *landWalker) land(path string, val any, f reflect.Value) {
	if f.Type() == jsonRawMessageType {
		if raw := f.Bytes(); len(raw) == 0 || string(raw) == "null" {
			w.t.Errorf("%s: raw value not kept", path)
		}
		return
	}
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			w.t.Errorf("%s: %v landed nowhere", path, val)
			return
		}
		f = f.Elem()
	}
	switch val := val.(type) {
	case map[string]any:
		if f.Kind() != reflect.Struct {
			w.t.Errorf("%s: object in a %s", path, f.Type())
			return
		}
		w.object(path, val, f)
	case []any:
		if f.Kind() != reflect.Slice || f.Len() != len(val) {
			w.t.Errorf("%s: array of %d in %s %v", path, len(val), f.Type(), f.Interface())
			return
		}
		for i, el := range val {
			if !isEmptyJSON(el) {
				w.land(path+"["+strconv.Itoa(i)+"]", el, f.Index(i))
			}
		}
	case string:
		if f.Kind() != reflect.String || f.String() != val {
			w.t.Errorf("%s: %q became %v", path, val, f.Interface())
		}
	case float64:
		if (f.Kind() != reflect.Int && f.Kind() != reflect.Int64) || float64(f.Int()) != val {
			w.t.Errorf("%s: %v became %v", path, val, f.Interface())
		}
	case bool:
		if f.Kind() != reflect.Bool || !f.Bool() {
			w.t.Errorf("%s: true became %v", path, f.Interface())
		}
	default:
		w.t.Errorf("%s: unexpected JSON value %T", path, val)
	}
}

// appendKeyPaths appends path, the path of a key, and the paths of the
// keys nested in its value val.
func appendKeyPaths(paths []string, path string, val any) []string {
	paths = append(paths, path)
	switch val := val.(type) {
	case map[string]any:
		for _, k := range sortedJSONKeys(val) {
			paths = appendKeyPaths(paths, path+"."+k, val[k])
		}
	case []any:
		for i, el := range val {
			// An element is not a key: only the keys inside it count.
			paths = append(paths, appendKeyPaths(nil, path+"["+strconv.Itoa(i)+"]", el)[1:]...)
		}
	}
	return paths
}

func isEmptyJSON(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case bool:
		return !v
	case float64:
		return v == 0
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

// jsonFieldIndexes maps the JSON keys of struct type t to field indexes.
func jsonFieldIndexes(t reflect.Type) map[string]int {
	fields := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = i
		}
	}
	return fields
}

// shapeFieldKeys returns "Type.key" for every JSON key of the struct types
// of the package reachable from roots.
func shapeFieldKeys(roots []reflect.Type) []string {
	pkg := reflect.TypeOf(clerkhook.Event{}).PkgPath()
	done := map[reflect.Type]bool{}
	var keys []string
	var visit func(reflect.Type)
	visit = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() != pkg || done[t] {
			return
		}
		done[t] = true
		for key, i := range jsonFieldIndexes(t) {
			keys = append(keys, t.Name()+"."+key)
			visit(t.Field(i).Type)
		}
	}
	for _, r := range roots {
		visit(r)
	}
	sort.Strings(keys)
	return keys
}

func sortedJSONKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func BenchmarkParseEvent(b *testing.B) {
	for _, fixture := range []string{"user.created.json", "user.updated.large.json"} {
		body, err := os.ReadFile(filepath.Join("testdata", "events", fixture))
		require.NoError(b, err)
		prefix := strings.TrimSuffix(fixture, ".json") + "/" + strconv.Itoa(len(body)>>10) + "KB"

		b.Run(prefix+"/ParseEvent", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for range b.N {
				if _, err := clerkhook.ParseEvent(body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(prefix+"/ParseEvent+User", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for range b.N {
				e, err := clerkhook.ParseEvent(body)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.User(); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The naive ways: one pass into a map, or one pass into a struct
		// with the data typed, which cannot dispatch on the type first.
		b.Run(prefix+"/naive-map", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for range b.N {
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(prefix+"/naive-one-pass-User", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for range b.N {
				var e struct {
					Type string         `json:"type"`
					Data clerkhook.User `json:"data"`
				}
				if err := json.Unmarshal(body, &e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
