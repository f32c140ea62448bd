package clerkhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// awkwardBody returns a webhook body of type typ whose data is the JSON
// text data, written by hand: Go's encoder cannot write a lone surrogate
// or invalid UTF-8.
func awkwardBody(typ, data string) []byte {
	return fmt.Appendf(nil, `{"data":%s,"event_attributes":{"http_request":{"client_ip":"192.0.2.7","user_agent":"Mozilla/5.0"}},"instance_id":"ins_2testinstance","object":"event","timestamp":%d,"type":%q}`,
		data, testNow.UnixMilli(), typ)
}

// The awkward deliveries of issue 12: text PostgreSQL cannot hold, which
// every store must receive as U+FFFD. Each has an unknown key too, which
// Raw keeps.
const (
	awkwardUser = `{"id":"user_2awkward","object":"user","first_name":"Ada\u0000","last_name":"Lov` + "\xe9" + `lace",` +
		`"unsafe_metadata":{"note":"\u0000","\u0000key":"escaped \\u0000 is text"},"public_metadata":{"k":"\ud800","pair":"\ud83d\ude00"},` +
		`"private_metadata":{"lone_low":"x\udc00y"},"email_addresses":[],"phone_numbers":[],"web3_wallets":[],` +
		`"passkeys":[],"external_accounts":[],"saml_accounts":[],"future_field":{"nested":"\u0000"},` +
		`"created_at":1700000000000,"updated_at":1700000000001}`
	awkwardOrganization = `{"id":"org_2awkward","object":"organization","name":"North\u0000wind","slug":"northwind",` +
		`"public_metadata":{"k":"\ud800"},"max_allowed_memberships":5,"created_at":1700000000000,"updated_at":1700000000001}`
	awkwardMembership = `{"id":"orgmem_2awkward","object":"organization_membership","role":"org:admin","permissions":[],` +
		`"organization":` + awkwardOrganization + `,"public_user_data":{"user_id":"user_2awkward","first_name":"Ada\u0000",` +
		`"last_name":null,"image_url":"","has_image":false,"identifier":"ada\u0000@example.com"},` +
		`"created_at":1700000000000,"updated_at":1700000000001}`
)

// sendTwice serves the delivery and, when it was not acknowledged, once
// more, as Svix would retry it; it requires a 2xx by the second attempt.
func sendTwice(t *testing.T, h http.Handler, id string, body []byte) {
	t.Helper()
	w := serve(h, signedRequest(t, id, body))
	if w.Code/100 != 2 {
		w = serve(h, signedRequest(t, id, body))
	}
	require.Equal(t, 2, w.Code/100, "delivery %s answered %d %s twice", id, w.Code, w.Body)
}

// requireStorable requires that the JSON s is valid by the strictest
// rules, no invalid UTF-8 and no lone surrogate, and holds no U+0000.
func requireStorable(t *testing.T, what string, s []byte) {
	t.Helper()
	d := jsontext.NewDecoder(bytes.NewReader(s))
	for {
		tok, err := d.ReadToken()
		if err == io.EOF {
			return
		}
		require.NoError(t, err, "%s is not valid JSON by the strictest rules: %q", what, s)
		if tok.Kind() == '"' {
			require.NotContains(t, tok.String(), "\x00", "%s holds U+0000: %q", what, s)
		}
	}
}

func TestHandlerStoresAwkwardText(t *testing.T) {
	for _, path := range []struct {
		name string
		opts []clerkhook.HandlerOption
	}{
		{"hand decoder", nil},
		// An event handler makes the Handler take ParseEvent and the
		// typed accessors.
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
			sendTwice(t, h, "msg_awk1", awkwardBody(clerkhook.EventUserUpdated, awkwardUser))
			sendTwice(t, h, "msg_awk2", awkwardBody(clerkhook.EventOrganizationUpdated, awkwardOrganization))
			sendTwice(t, h, "msg_awk3", awkwardBody(clerkhook.EventOrganizationMembershipCreated, awkwardMembership))

			u, err := store.User(ctx, "user_2awkward")
			require.NoError(t, err)
			assert.Equal(t, "Ada\uFFFD", *u.FirstName)
			assert.Equal(t, "Lov\uFFFDlace", *u.LastName)
			assert.JSONEq(t, `{"note":"\ufffd","\ufffdkey":"escaped \\u0000 is text"}`, string(u.UnsafeMetadata))
			assert.JSONEq(t, `{"k":"\ufffd","pair":"😀"}`, string(u.PublicMetadata))
			assert.JSONEq(t, `{"lone_low":"x\ufffdy"}`, string(u.PrivateMetadata))
			wantRaw := strings.NewReplacer(`\\u0000`, `\\u0000`, `\u0000`, `\ufffd`, `\ud800`, `\ufffd`, `\udc00`, `\ufffd`, "\xe9", "\uFFFD").Replace(awkwardUser)
			assert.JSONEq(t, wantRaw, string(u.Raw), "Raw is the data with the substitution, unknown keys included")
			for what, b := range map[string]json.RawMessage{"Raw": u.Raw, "unsafe_metadata": u.UnsafeMetadata, "public_metadata": u.PublicMetadata} {
				requireStorable(t, what, b)
			}

			o, err := store.Organization(ctx, "org_2awkward")
			require.NoError(t, err)
			assert.Equal(t, "North\uFFFDwind", o.Name)
			requireStorable(t, "the organization's Raw", o.Raw)

			m, err := store.Membership(ctx, "org_2awkward", "user_2awkward")
			require.NoError(t, err)
			assert.Equal(t, "North\uFFFDwind", m.Organization.Name)
			assert.Equal(t, "Ada\uFFFD", *m.PublicUserData.FirstName)
			assert.Equal(t, "ada\uFFFD@example.com", *m.PublicUserData.Identifier)
			requireStorable(t, "the membership's Raw", m.Raw)
		})
	}
}

// TestHandlerErrorsQuoteNoPayloadValues sends deliveries that the decoders
// refuse, whose values their errors could quote: neither the log nor the
// observations' errors name them.
func TestHandlerErrorsQuoteNoPayloadValues(t *testing.T) {
	const name, key, text = "Zelda-Quux", "mfa_recovery_hint", "blue-heron-42"
	var logs bytes.Buffer
	var errs []string
	h := newTestHandler(t, clerkhook.NewMemoryStore(),
		clerkhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		clerkhook.WithObserver(func(_ context.Context, o clerkhook.Observation) {
			if o.Err != nil {
				errs = append(errs, o.Err.Error())
			}
		}))
	user := func(fields string) string {
		return `{"id":"user_2values","object":"user",` + fields + `,"created_at":1700000000000,"updated_at":1700000000001}`
	}
	// A value that does not fit a field other than the id or the version
	// is an anomaly, not an error (see handler_drift_test.go); the log line
	// names its place without quoting it either.
	for i, tt := range []struct {
		data string
		want int
	}{
		{user(`"first_name":["` + name + `"]`), http.StatusOK},
		{user(`"first_name":"` + name + `","last_name":{"` + key + `":"` + text + `"}`), http.StatusOK},
		{user(`"public_metadata":{"` + key + `":"` + text + `"`), http.StatusBadRequest},
		{user(`"public_metadata":{"` + key + `":"` + text + "\x01" + `"}`), http.StatusBadRequest},
		{user(`"updated_at":"` + text + `"`), http.StatusBadRequest},
		{user(`"updated_at":{"` + key + `":"` + text + `"}`), http.StatusBadRequest},
		{user(`"email_addresses":[{"id":"` + name + `","verification":{"attempts":"` + text + `"}}]`), http.StatusOK},
	} {
		w := serve(h, signedRequest(t, fmt.Sprintf("msg_values_%d", i), awkwardBody(clerkhook.EventUserUpdated, tt.data)))
		require.Equal(t, tt.want, w.Code, tt.data)
	}
	require.Len(t, errs, 4)
	for _, v := range []string{name, key, text} {
		assert.NotContains(t, logs.String(), v)
		for _, e := range errs {
			assert.NotContains(t, e, v)
		}
	}
}
