package pgxstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// eventBody returns a webhook body of type typ whose data is the JSON text
// data, written by hand: Go's encoder cannot write a lone surrogate or
// invalid UTF-8.
func eventBody(typ, data string) []byte {
	return fmt.Appendf(nil, `{"data":%s,"instance_id":"ins_2testinstance","object":"event","timestamp":%d,"type":%q}`,
		data, at(100).Time().UnixMilli(), typ)
}

// The awkward deliveries of issue 12, which PostgreSQL refused on every
// attempt before the library replaced their text with U+FFFD.
const (
	awkwardUser = `{"id":"user_2awkward","object":"user","first_name":"Ada\u0000","last_name":"Lov` + "\xe9" + `lace",` +
		`"unsafe_metadata":{"note":"\u0000"},"public_metadata":{"k":"\ud800"},"private_metadata":{"x":"\udc00"},` +
		`"email_addresses":[],"phone_numbers":[],"created_at":1748779200000,"updated_at":1748779201000}`
	awkwardOrganization = `{"id":"org_2awkward","object":"organization","name":"North\u0000wind","slug":"northwind",` +
		`"public_metadata":{"k":"\ud800"},"max_allowed_memberships":5,"created_at":1748779200000,"updated_at":1748779201000}`
	awkwardMembership = `{"id":"orgmem_2awkward","object":"organization_membership","role":"org:admin","permissions":[],` +
		`"organization":` + awkwardOrganization + `,"public_user_data":{"user_id":"user_2awkward","first_name":"Ada\u0000",` +
		`"image_url":"","has_image":false,"identifier":"ada\u0000@example.com"},` +
		`"created_at":1748779200000,"updated_at":1748779201000}`
)

// handlerOn returns a Handler over f's store with secret, logging to logs
// and appending the error text of every observation to errs.
func handlerOn(t *testing.T, f *fixture, secret string, logs *bytes.Buffer, errs *[]string, opts ...clerkhook.HandlerOption) http.Handler {
	t.Helper()
	var mu sync.Mutex
	opts = append([]clerkhook.HandlerOption{
		clerkhook.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))),
		clerkhook.WithObserver(func(_ context.Context, o clerkhook.Observation) {
			if o.Err != nil {
				mu.Lock()
				*errs = append(*errs, o.Err.Error())
				mu.Unlock()
			}
		}),
	}, opts...)
	h, err := clerkhook.NewHandler(secret, f.store, opts...)
	require.NoError(t, err)
	return h
}

// deliver serves the signed body, and once more when it was not
// acknowledged, as Svix retries; it returns the last status.
func deliver(t *testing.T, h http.Handler, secret, id string, body []byte) int {
	t.Helper()
	status := 0
	for range 2 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, clerkhooktest.NewRequest(t, secret, body, clerkhooktest.WithDeliveryID(id)))
		if status = w.Code; status/100 == 2 {
			break
		}
	}
	return status
}

// TestHandlerStoresAwkwardText sends the deliveries of issue 12 through the
// Handler: each is acknowledged within two attempts, and reads back with
// U+FFFD, on both decoding paths.
func TestHandlerStoresAwkwardText(t *testing.T) {
	for _, path := range []struct {
		name string
		opts []clerkhook.HandlerOption
	}{
		{"hand decoder", nil},
		{"reflective decoder", []clerkhook.HandlerOption{
			clerkhook.WithEventHandler(clerkhook.EventUserUpdated, func(context.Context, *clerkhook.Event) error { return nil }),
			clerkhook.WithEventHandler(clerkhook.EventOrganizationUpdated, func(context.Context, *clerkhook.Event) error { return nil }),
			clerkhook.WithEventHandler(clerkhook.EventOrganizationMembershipCreated, func(context.Context, *clerkhook.Event) error { return nil }),
			clerkhook.WithEventHandler(clerkhook.EventOrganizationMembershipUpdated, func(context.Context, *clerkhook.Event) error { return nil }),
		}},
	} {
		t.Run(path.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			secret := clerkhooktest.NewSecret()
			var logs bytes.Buffer
			var errs []string
			h := handlerOn(t, f, secret, &logs, &errs, path.opts...)
			for i, d := range []struct{ typ, data string }{
				{clerkhook.EventUserUpdated, awkwardUser},
				{clerkhook.EventOrganizationUpdated, awkwardOrganization},
				{clerkhook.EventOrganizationMembershipCreated, awkwardMembership},
				{clerkhook.EventOrganizationMembershipUpdated, strings.TrimSuffix(awkwardMembership, "1748779201000}") + "1748779202000}"},
			} {
				status := deliver(t, h, secret, fmt.Sprintf("msg_awkward_%d", i), eventBody(d.typ, d.data))
				require.Equal(t, http.StatusOK, status, "%s within two attempts; log:\n%s", d.typ, logs.String())
			}
			require.Empty(t, errs)

			u, err := f.store.User(ctx, "user_2awkward")
			require.NoError(t, err)
			assert.Equal(t, "Ada\uFFFD", *u.FirstName)
			assert.Equal(t, "Lov\uFFFDlace", *u.LastName)
			assert.JSONEq(t, `{"note":"\ufffd"}`, string(u.UnsafeMetadata))
			assert.JSONEq(t, `{"k":"\ufffd"}`, string(u.PublicMetadata))
			assert.JSONEq(t, `{"x":"\ufffd"}`, string(u.PrivateMetadata))
			assert.Equal(t, "Ada\uFFFD", f.row(t, "clerk_users", "id = $1", u.ID)["first_name"])

			o, err := f.store.Organization(ctx, "org_2awkward")
			require.NoError(t, err)
			assert.Equal(t, "North\uFFFDwind", o.Name)
			m, err := f.store.Membership(ctx, "org_2awkward", "user_2awkward")
			require.NoError(t, err)
			assert.Equal(t, "North\uFFFDwind", m.Organization.Name)
			assert.Equal(t, "Ada\uFFFD", *m.PublicUserData.FirstName)
			assert.Equal(t, clerkhook.UnixMilli(1748779202000), m.UpdatedAt, "the membership's update was applied")
		})
	}
}

// Values the tests below put in records, that no error text may quote.
const (
	secretName     = "Zelda-Quux"
	secretMetaKey  = "mfa_recovery_hint"
	secretMetaText = "blue-heron-42"
)

// TestErrorsQuoteNoValues writes records built in Go, which bypass the
// library's text substitution, with values PostgreSQL and the JSON encoder
// refuse and whose errors would quote them: the errors keep the SQLSTATE
// and still match the pgx error, but name no value.
func TestErrorsQuoteNoValues(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	cases := map[string]struct {
		write func() error
		code  string // the SQLSTATE, or "" for an encoding error
	}{
		"invalid UTF-8 in a column": {func() error {
			u := testUser("user_2badutf8", 1)
			u.FirstName = ptr(secretName + "\xe9 " + secretName)
			u.Raw = json.RawMessage(`{"id":"user_2badutf8"}`)
			return f.store.UpsertUser(ctx, u)
		}, "22021"},
		"invalid UTF-8 in metadata": {func() error {
			u := testUser("user_2badutf8meta", 1)
			u.UnsafeMetadata = json.RawMessage(`{"` + secretMetaKey + `":"` + secretMetaText + "\xe9" + `"}`)
			return f.store.UpsertUser(ctx, u)
		}, ""},
		"NUL in a column": {func() error {
			o := testOrganization("org_2nul", 1)
			o.Name = secretName + "\x00"
			return f.store.UpsertOrganization(ctx, o)
		}, "22021"},
		"lone surrogate in metadata": {func() error {
			u := testUser("user_2surrogate", 1)
			u.PublicMetadata = json.RawMessage(`{"` + secretMetaKey + `":"` + secretMetaText + `\ud800"}`)
			return f.store.UpsertUser(ctx, u)
		}, ""},
		"NUL in raw data": {func() error {
			m := testMembership("org_2rawnul", "user_2rawnul", 1)
			m.Raw = json.RawMessage(`{"` + secretMetaKey + `":"` + secretMetaText + `\u0000"}`)
			return f.store.UpsertMembership(ctx, m)
		}, "22P05"},
		"NUL through the group commit": {func() error {
			u := testUser("user_2groupnul", 1)
			u.LastName = ptr(secretName + "\x00")
			return f.store.UpsertUserDelivery(ctx, newDeliveryID(), clerkhook.EventUserUpdated, u)
		}, "22021"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.write()
			require.Error(t, err)
			for _, v := range []string{secretName, secretMetaKey, secretMetaText, "0xe9", "0x00", `\u0000`} {
				assert.NotContains(t, err.Error(), v)
			}
			if tc.code != "" {
				var pgErr *pgconn.PgError
				require.True(t, errors.As(err, &pgErr), "%v", err)
				assert.Equal(t, tc.code, pgErr.Code)
				assert.Contains(t, err.Error(), tc.code)
			}
		})
	}
}

// TestHandlerLogsNoPayloadValues sends deliveries whose values the
// decoders, PostgreSQL or the encoder would once have quoted: neither the
// log lines nor the observations' errors name them.
func TestHandlerLogsNoPayloadValues(t *testing.T) {
	f := newFixture(t)
	secret := clerkhooktest.NewSecret()
	var logs bytes.Buffer
	var errs []string
	h := handlerOn(t, f, secret, &logs, &errs)
	user := func(fields string) string {
		return `{"id":"user_2values","object":"user",` + fields + `,"created_at":1748779200000,"updated_at":1748779201000}`
	}
	for i, data := range []string{
		user(`"first_name":"` + secretName + `\u0000","unsafe_metadata":{"` + secretMetaKey + `":"` + secretMetaText + `\ud800"}`),
		user(`"last_name":"` + secretName + "\xe9" + `"`),
		user(`"first_name":["` + secretName + `"]`),
		user(`"public_metadata":{"` + secretMetaKey + `":"` + secretMetaText + `"`),
		user(`"updated_at":"` + secretMetaText + `"`),
		user(`"unsafe_metadata":{"` + secretMetaKey + `":1e1000000}`),
	} {
		deliver(t, h, secret, fmt.Sprintf("msg_values_%d", i), eventBody(clerkhook.EventUserUpdated, data))
	}
	require.NotEmpty(t, errs, "some of the deliveries are refused or fail")
	for _, v := range []string{secretName, secretMetaKey, secretMetaText} {
		assert.NotContains(t, logs.String(), v)
		for _, e := range errs {
			assert.NotContains(t, e, v)
		}
	}
}
