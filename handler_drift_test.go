package clerkhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// The drift tests send signed deliveries whose values do not all fit their
// fields, as Clerk's payloads sometimes do not match its documentation.

// driftUser is a user with a value in every field the drift cases change,
// so that a field left at zero shows.
func driftUser() *clerkhook.User {
	u := testUser("user_2drift", 1)
	at := clerkhook.UnixMilli(testNow.Add(-2 * time.Hour).UnixMilli())
	attempts := 1
	u.HasImage = true
	u.ImageURL = "https://img.example.com/zq-image.png"
	u.LastActiveAt = &at
	u.Passkeys = []clerkhook.Passkey{{ID: "pk_2drift", Object: "passkey", Name: "zq-laptop", LastUsedAt: at}}
	u.EmailAddresses[0].Verification = &clerkhook.Verification{Status: "verified", Strategy: "email_code", Attempts: &attempts}
	return u
}

func driftOrganization() *clerkhook.Organization {
	members := 3
	return &clerkhook.Organization{
		ID: "org_2drift", Object: "organization", Name: "Zq Acme", Slug: str("zq-acme"), HasImage: true,
		MembersCount: &members, MaxAllowedMemberships: 5, PublicMetadata: json.RawMessage(`{"zq-tier":"gold"}`),
		CreatedAt: 1000, UpdatedAt: 2000,
	}
}

func driftMembership() *clerkhook.OrganizationMembership {
	return &clerkhook.OrganizationMembership{
		ID: "orgmem_2drift", Object: "organization_membership", Role: "org:admin", RoleName: "Admin",
		Permissions:  []string{"org:sys_memberships:read"},
		Organization: *driftOrganization(),
		PublicUserData: clerkhook.PublicUserData{
			UserID: "user_2drift", FirstName: str("Zoë"), ImageURL: "https://img.example.com/zq-member.png", HasImage: true,
		},
		CreatedAt: 1000, UpdatedAt: 2000,
	}
}

// driftCase is a delivery of record, whose body drift changes. want lists
// the anomalies of an accepted delivery, nil for one refused with 400;
// zero sets to zero, in a copy of record, the fields left at zero.
type driftCase struct {
	name   string
	typ    string
	record any
	drift  func(body map[string]any)
	want   []string
	zero   func(record any)
}

// member returns the object under the path of member names and list
// indexes in v.
func member(v any, path ...any) map[string]any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v.(map[string]any)
}

func driftCases() []driftCase {
	user := func(f func(u *clerkhook.User)) func(any) { return func(v any) { f(v.(*clerkhook.User)) } }
	org := func(f func(o *clerkhook.Organization)) func(any) {
		return func(v any) { f(v.(*clerkhook.Organization)) }
	}
	membership := func(f func(m *clerkhook.OrganizationMembership)) func(any) {
		return func(v any) { f(v.(*clerkhook.OrganizationMembership)) }
	}
	set := func(key string, value any, path ...any) func(map[string]any) {
		return func(body map[string]any) { member(body, path...)[key] = value }
	}
	return []driftCase{
		{name: "has_image a string", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: set("has_image", "true", "data"), want: []string{"/data/has_image"},
			zero: user(func(u *clerkhook.User) { u.HasImage = false })},
		{name: "passkeys an object", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: set("passkeys", map[string]any{}, "data"), want: []string{"/data/passkeys"},
			zero: user(func(u *clerkhook.User) { u.Passkeys = nil })},
		{name: "last_active_at a date", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: set("last_active_at", "2026-11-27", "data"), want: []string{"/data/last_active_at"},
			zero: user(func(u *clerkhook.User) { u.LastActiveAt = nil })},
		{name: "created_at a number in a string", typ: clerkhook.EventUserCreated, record: driftUser(),
			drift: set("created_at", "1700000000000", "data"), want: []string{"/data/created_at"},
			zero: user(func(u *clerkhook.User) { u.CreatedAt = 0 })},
		{name: "nested verification attempts a string", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: set("attempts", "zq-x", "data", "email_addresses", 0, "verification"),
			want:  []string{"/data/email_addresses/0/verification/attempts"},
			zero:  user(func(u *clerkhook.User) { u.EmailAddresses[0].Verification.Attempts = nil })},
		{name: "a passkey a number", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: func(body map[string]any) {
				member(body, "data")["passkeys"] = []any{31337, member(body, "data", "passkeys", 0)}
			},
			want: []string{"/data/passkeys/0"},
			zero: user(func(u *clerkhook.User) {
				u.Passkeys = append([]clerkhook.Passkey{{}}, u.Passkeys...)
			})},
		{name: "three fields, in the order of the payload", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: func(body map[string]any) {
				data := member(body, "data")
				data["has_image"], data["first_name"], data["last_active_at"] = 1, []any{"zq-Ada"}, "2026-11-27"
			},
			want: []string{"/data/first_name", "/data/has_image", "/data/last_active_at"},
			zero: user(func(u *clerkhook.User) { u.HasImage, u.FirstName, u.LastActiveAt = false, nil, nil })},
		{name: "envelope timestamp a date", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: set("timestamp", "2026-11-27"), want: []string{"/timestamp"},
			zero: func(any) {}},
		{name: "envelope event_attributes a string, and a field", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: func(body map[string]any) {
				body["event_attributes"] = "zq-192.0.2.7"
				member(body, "data")["has_image"] = "true"
			},
			want: []string{"/event_attributes", "/data/has_image"},
			zero: user(func(u *clerkhook.User) { u.HasImage = false })},
		{name: "organization max_allowed_memberships a string", typ: clerkhook.EventOrganizationUpdated, record: driftOrganization(),
			drift: set("max_allowed_memberships", "5", "data"), want: []string{"/data/max_allowed_memberships"},
			zero: org(func(o *clerkhook.Organization) { o.MaxAllowedMemberships = 0 })},
		{name: "organization members_count a fraction", typ: clerkhook.EventOrganizationCreated, record: driftOrganization(),
			drift: set("members_count", 3.5, "data"), want: []string{"/data/members_count"},
			zero: org(func(o *clerkhook.Organization) { o.MembersCount = nil })},
		{name: "membership permissions a string", typ: clerkhook.EventOrganizationMembershipUpdated, record: driftMembership(),
			drift: set("permissions", "org:sys_memberships:read", "data"), want: []string{"/data/permissions"},
			zero: membership(func(m *clerkhook.OrganizationMembership) { m.Permissions = nil })},
		{name: "membership's organization and member drifted", typ: clerkhook.EventOrganizationMembershipCreated, record: driftMembership(),
			drift: func(body map[string]any) {
				member(body, "data", "organization")["has_image"] = "true"
				member(body, "data", "public_user_data")["has_image"] = "false"
			},
			want: []string{"/data/organization/has_image", "/data/public_user_data/has_image"},
			zero: membership(func(m *clerkhook.OrganizationMembership) {
				m.Organization.HasImage, m.PublicUserData.HasImage = false, false
			})},

		{name: "user id a number", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: set("id", 31337, "data")},
		{name: "user updated_at a date, and a drifted field", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: func(body map[string]any) {
				member(body, "data")["has_image"] = "true"
				member(body, "data")["updated_at"] = "2026-11-27"
			}},
		{name: "user updated_at a number in a string", typ: clerkhook.EventUserCreated, record: driftUser(),
			drift: set("updated_at", "1764244800000", "data")},
		{name: "envelope type a number", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: set("type", 31337)},
		{name: "envelope data a string", typ: clerkhook.EventUserUpdated, record: driftUser(),
			drift: set("data", "zq-user")},
		{name: "organization id a list", typ: clerkhook.EventOrganizationUpdated, record: driftOrganization(),
			drift: set("id", []any{"org_2drift"}, "data")},
		{name: "organization updated_at a fraction", typ: clerkhook.EventOrganizationUpdated, record: driftOrganization(),
			drift: set("updated_at", 2000.5, "data")},
		{name: "membership organization.id a number", typ: clerkhook.EventOrganizationMembershipUpdated, record: driftMembership(),
			drift: set("id", 31337, "data", "organization")},
		{name: "membership organization a string", typ: clerkhook.EventOrganizationMembershipDeleted, record: driftMembership(),
			drift: set("organization", "org_2drift", "data")},
		{name: "membership public_user_data.user_id an object", typ: clerkhook.EventOrganizationMembershipUpdated, record: driftMembership(),
			drift: set("user_id", map[string]any{"zq-id": "user_2drift"}, "data", "public_user_data")},
		{name: "membership updated_at a string", typ: clerkhook.EventOrganizationMembershipCreated, record: driftMembership(),
			drift: set("updated_at", "2000", "data")},
		{name: "deletion id an object", typ: clerkhook.EventUserDeleted,
			record: &clerkhook.DeletedObject{Object: "user", ID: "user_2drift", Deleted: true},
			drift:  set("id", map[string]any{"zq-id": 1}, "data")},
	}
}

// body returns the body of c, to be signed.
func (c driftCase) body(t *testing.T) []byte {
	t.Helper()
	var body map[string]any
	require.NoError(t, json.Unmarshal(envelope(t, c.typ, testNow, c.record), &body))
	c.drift(body)
	b, err := json.Marshal(body)
	require.NoError(t, err)
	return b
}

// stored reads c's record back from a store, nil when it holds none.
func (c driftCase) stored(t *testing.T, store *clerkhook.MemoryStore) any {
	t.Helper()
	ctx := context.Background()
	var got any
	var err error
	switch r := c.record.(type) {
	case *clerkhook.User:
		got, err = store.User(ctx, r.ID)
		if err != nil {
			require.ErrorIs(t, err, clerkhook.ErrUserNotFound)
		}
	case *clerkhook.Organization:
		got, err = store.Organization(ctx, r.ID)
		if err != nil {
			require.ErrorIs(t, err, clerkhook.ErrOrganizationNotFound)
		}
	case *clerkhook.OrganizationMembership:
		got, err = store.Membership(ctx, r.OrganizationID(), r.UserID())
		if err != nil {
			require.ErrorIs(t, err, clerkhook.ErrMembershipNotFound)
		}
	case *clerkhook.DeletedObject:
		_, err = store.User(ctx, r.ID)
		require.ErrorIs(t, err, clerkhook.ErrUserNotFound)
		ids, err := store.UserIDs(ctx)
		require.NoError(t, err)
		require.Empty(t, ids)
	}
	if err != nil {
		return nil
	}
	return got
}

// wantRecord is c's record with the fields left at zero.
func (c driftCase) wantRecord(t *testing.T) any {
	t.Helper()
	raw, err := json.Marshal(c.record)
	require.NoError(t, err)
	want := reflect.New(reflect.TypeOf(c.record).Elem()).Interface()
	require.NoError(t, json.Unmarshal(raw, want))
	c.zero(want)
	return want
}

// payloadValues are the strings and numbers of body but the ids, the type
// and the envelope's object: none may reach an error or the log line but
// as an id.
func payloadValues(t *testing.T, body []byte) []string {
	t.Helper()
	var values []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			if len(v) >= 4 && !strings.HasPrefix(v, "user") && !strings.HasPrefix(v, "org") {
				values = append(values, v)
			}
		case float64:
			if s, _ := json.Marshal(v); len(s) >= 4 {
				values = append(values, string(s))
			}
		}
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	delete(m, "type")
	delete(m, "object")
	walk(m)
	return values
}

// TestHandlerToleratesDrift sends each drift case through the Handler on
// the MemoryStore, with and without an event handler (which takes the
// general path and decodes the event again with the typed accessor): a
// delivery whose identity and version fit is processed, its record stored
// with the drifted fields at zero and the others intact, and its anomalies
// are in the Observation and the log line; the others are refused with
// 400 and leave the store untouched. Neither quotes the payload.
func TestHandlerToleratesDrift(t *testing.T) {
	for _, c := range driftCases() {
		for _, withHandler := range []bool{false, true} {
			name := c.name
			if withHandler {
				name += ", with an event handler"
			}
			t.Run(name, func(t *testing.T) {
				var logs bytes.Buffer
				var seen []clerkhook.Observation
				opts := []clerkhook.HandlerOption{
					clerkhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
					clerkhook.WithObserver(func(_ context.Context, o clerkhook.Observation) { seen = append(seen, o) }),
				}
				handled := 0
				if withHandler {
					opts = append(opts, clerkhook.WithEventHandler(c.typ, func(_ context.Context, evt *clerkhook.Event) error {
						handled++
						got, err := eventAccessors[eventShapeOf[evt.Type]](evt)
						require.NoError(t, err, "the typed accessor is as tolerant as the Handler")
						assertSameJSON(t, c.wantRecord(t), got)
						return nil
					}))
				}
				store := clerkhook.NewMemoryStore()
				h := newTestHandler(t, store, opts...)
				body := c.body(t)
				w := serve(h, signedRequest(t, "msg_2drift", body))

				require.Len(t, seen, 1)
				o := seen[0]
				lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
				require.Len(t, lines, 1, "one line per delivery")
				var line map[string]any
				require.NoError(t, json.Unmarshal([]byte(lines[0]), &line))
				assert.Equal(t, "WARN", line["level"])
				// The ids, the type and the anomalies, checked below, are
				// logged on purpose.
				rest := maps.Clone(line)
				for _, key := range []string{"delivery_id", "event_type", "object_id", "anomalies"} {
					delete(rest, key)
				}
				restJSON, err := json.Marshal(rest)
				require.NoError(t, err)
				for _, v := range payloadValues(t, body) {
					assert.NotContains(t, string(restJSON), v, "the log line quotes the payload")
					if o.Err != nil {
						assert.NotContains(t, o.Err.Error(), v, "the error quotes the payload")
					}
				}

				if c.want == nil {
					assert.Equal(t, http.StatusBadRequest, w.Code)
					assert.Equal(t, "rejected\n", w.Body.String())
					assert.Equal(t, "invalid_event", o.Reason)
					require.ErrorIs(t, o.Err, clerkhook.ErrInvalidEvent)
					assert.Nil(t, o.Anomalies)
					assert.NotContains(t, line, "anomalies")
					assert.Nil(t, c.stored(t, store), "a refused delivery stores nothing")
					assert.Zero(t, handled)
					return
				}
				require.Equal(t, http.StatusOK, w.Code, "%s: %v", w.Body, o.Err)
				assert.Equal(t, "processed\n", w.Body.String())
				assert.Equal(t, clerkhook.OutcomeProcessed, o.Outcome)
				assert.NoError(t, o.Err)
				assert.Equal(t, c.want, o.Anomalies)
				var logged []string
				for _, a := range line["anomalies"].([]any) {
					logged = append(logged, a.(string))
				}
				assert.Equal(t, c.want, logged)
				assert.Equal(t, "processed", line["outcome"])
				if withHandler {
					assert.Equal(t, 1, handled)
				}

				got := c.stored(t, store)
				require.NotNil(t, got, "the record is stored")
				assertSameJSON(t, c.wantRecord(t), got)
			})
		}
	}
}

// assertSameJSON checks that two records encode alike: the drifted fields
// at zero, the others intact.
func assertSameJSON(t *testing.T, want, got any) {
	t.Helper()
	wantJSON, err := json.Marshal(want)
	require.NoError(t, err)
	gotJSON, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, string(wantJSON), string(gotJSON))
}

// TestHandlerCleanDeliveryHasNoAnomalies checks the other side: a delivery
// whose values all fit is logged at Info, without anomalies.
func TestHandlerCleanDeliveryHasNoAnomalies(t *testing.T) {
	var logs bytes.Buffer
	var seen []clerkhook.Observation
	h := newTestHandler(t, clerkhook.NewMemoryStore(),
		clerkhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		clerkhook.WithObserver(func(_ context.Context, o clerkhook.Observation) { seen = append(seen, o) }))
	w := serve(h, signedRequest(t, "msg_2clean", userBody(t, clerkhook.EventUserUpdated, driftUser())))
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, seen, 1)
	assert.Nil(t, seen[0].Anomalies)
	assert.Contains(t, logs.String(), `"level":"INFO"`)
	assert.NotContains(t, logs.String(), "anomalies")
}
