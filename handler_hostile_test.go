package clerkhook_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// The hostile requests all aim at these records and this delivery id, so
// that one accepted by mistake would show in the store.
const (
	hostileID     = "msg_2hostile"
	hostileUserID = "user_2hostile"
	hostileOrgID  = "org_2hostile"
	// hostileSecond is the additional secret of the rotation cases.
	hostileSecond = "whsec_cm90YXRlZC1pbnZlbnRlZC1rZXktMDAx"
)

// hostileUser carries personal data the log must never show.
func hostileUser() *clerkhook.User {
	u := testUser(hostileUserID, 1)
	u.FirstName = str("Zoë")
	return u
}

// complementSecret returns the secret whose key differs from secret's in
// every bit.
func complementSecret(t testing.TB, secret string) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	for i := range key {
		key[i] ^= 0xff
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// hostileRequest returns a POST of body with the given svix-* headers;
// an empty value leaves its header out.
func hostileRequest(body []byte, id, ts, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
	for name, v := range map[string]string{"svix-id": id, "svix-timestamp": ts, "svix-signature": sig} {
		if v != "" {
			r.Header.Set(name, v)
		}
	}
	r.Header.Set("Content-Type", "application/json")
	return r
}

// signedAt returns a request for body signed with secret under id at the
// given time, carrying that time.
func signedAt(t testing.TB, secret, id string, at time.Time, body []byte) *http.Request {
	return hostileRequest(body, id, unix(at), libSign(t, secret, id, at, body))
}

// trickleReader hands out its bytes one at a time, as a slow client does.
type trickleReader struct{ rest []byte }

func (r *trickleReader) Read(p []byte) (int, error) {
	if len(r.rest) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.rest[0]
	r.rest = r.rest[1:]
	return 1, nil
}

// teeBody records what the handler read of a request body.
type teeBody struct {
	io.Reader
	io.Closer
}

type hostileCase struct {
	name    string
	opts    []clerkhook.HandlerOption
	request func(t *testing.T) *http.Request
	status  int
	// followID is the delivery id a valid delivery is sent under
	// afterwards; hostileID when empty.
	followID string
}

// hostileCases are requests an attacker or a broken proxy could send.
// None may change the store, record a delivery, or leak into the log.
func hostileCases(t *testing.T) []hostileCase {
	good := userBody(t, clerkhook.EventUserCreated, hostileUser())
	ts := unix(testNow)
	valid := libSign(t, testSecret, hostileID, testNow, good)
	validB64 := strings.TrimPrefix(valid, "v1,")
	// forged is a well-formed signature of the right length.
	forged := "v1," + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))
	bigID := "msg_" + strings.Repeat("X", 64<<10)

	// signedBody signs body properly: these requests are authentic but
	// carry something that is not a valid event.
	signedBody := func(body []byte) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return signedAt(t, testSecret, hostileID, testNow, body) }
	}
	signedEvent := func(typ string, data any) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			return signedAt(t, testSecret, hostileID, testNow, envelope(t, typ, testNow, data))
		}
	}
	withSig := func(sig string) func(t *testing.T) *http.Request {
		return func(*testing.T) *http.Request { return hostileRequest(good, hostileID, ts, sig) }
	}
	withTS := func(stamp string) func(t *testing.T) *http.Request {
		return func(*testing.T) *http.Request { return hostileRequest(good, hostileID, stamp, valid) }
	}
	method := func(m string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := signedAt(t, testSecret, hostileID, testNow, good)
			r.Method = m
			return r
		}
	}
	membership := func(mutate func(m map[string]any)) map[string]any {
		m := map[string]any{
			"id": "orgmem_2hostile", "object": "organization_membership", "role": "org:admin",
			"organization":     map[string]any{"id": hostileOrgID, "object": "organization", "name": "Acme"},
			"public_user_data": map[string]any{"user_id": hostileUserID, "first_name": "Zoë", "identifier": "ada.x@example.com"},
			"created_at":       1000, "updated_at": 1000,
		}
		mutate(m)
		return m
	}
	userData := func(mutate func(m map[string]any)) map[string]any {
		raw, err := json.Marshal(hostileUser())
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		mutate(m)
		return m
	}

	return []hostileCase{
		// Forgeries.
		{name: "no signature header", request: withSig(""), status: 400},
		{name: "blank signature header", request: withSig("   "), status: 400},
		{name: "forged signature of the right length", request: withSig(forged), status: 401},
		{name: "signature from another secret", request: func(t *testing.T) *http.Request {
			return signedAt(t, verifyOtherSecret, hostileID, testNow, good)
		}, status: 401},
		{name: "signature from the secret's complement", request: func(t *testing.T) *http.Request {
			return signedAt(t, complementSecret(t, testSecret), hostileID, testNow, good)
		}, status: 401},
		{name: "signature from the additional secret's complement", opts: []clerkhook.HandlerOption{clerkhook.WithAdditionalSecrets(hostileSecond)},
			request: func(t *testing.T) *http.Request {
				return signedAt(t, complementSecret(t, hostileSecond), hostileID, testNow, good)
			}, status: 401},
		{name: "signature for another delivery id", request: func(t *testing.T) *http.Request {
			return hostileRequest(good, hostileID, ts, libSign(t, testSecret, "msg_2other", testNow, good))
		}, status: 401},
		{name: "signature for another body", request: func(t *testing.T) *http.Request {
			other := userBody(t, clerkhook.EventUserCreated, testUser("user_2other", 1))
			return hostileRequest(good, hostileID, ts, libSign(t, testSecret, hostileID, testNow, other))
		}, status: 401},
		{name: "one body byte flipped", request: func(*testing.T) *http.Request {
			b := bytes.Clone(good)
			b[len(b)/2] ^= 0x01
			return hostileRequest(b, hostileID, ts, valid)
		}, status: 401},
		{name: "white space appended to the body", request: func(*testing.T) *http.Request {
			return hostileRequest(append(bytes.Clone(good), '\n'), hostileID, ts, valid)
		}, status: 401},
		{name: "body truncated by one byte", request: func(*testing.T) *http.Request {
			return hostileRequest(good[:len(good)-1], hostileID, ts, valid)
		}, status: 401},
		{name: "v1 with an empty signature", request: withSig("v1,"), status: 401},
		{name: "v1 without a comma", request: withSig("v1"), status: 401},
		{name: "valid signature under another version", request: withSig("v2," + validB64), status: 401},
		{name: "valid signature under v1a", request: withSig("v1a," + validB64), status: 401},
		{name: "valid signature without its version", request: withSig(validB64), status: 401},
		{name: "signature in hex", request: func(t *testing.T) *http.Request {
			raw, err := base64.StdEncoding.DecodeString(validB64)
			require.NoError(t, err)
			return hostileRequest(good, hostileID, ts, "v1,"+hex.EncodeToString(raw))
		}, status: 401},
		{name: "signature in base64url", request: withSig("v1," + strings.NewReplacer("+", "-", "/", "_").Replace(validB64)), status: 401},
		{name: "valid signature with its last character changed", request: withSig(valid[:len(valid)-2] + "A="), status: 401},
		{name: "500 forged signature entries", request: withSig(strings.TrimSpace(strings.Repeat(forged+" ", 500))), status: 401},
		{name: "64 KiB signature header", request: withSig("v1," + strings.Repeat("A", 64<<10)), status: 401},
		{name: "64 KiB id with the signature of another id", request: func(*testing.T) *http.Request {
			return hostileRequest(good, bigID, ts, valid)
		}, status: 401, followID: bigID},
		{name: "valid signature in webhook-signature beside svix-id and svix-timestamp", request: func(*testing.T) *http.Request {
			r := hostileRequest(good, hostileID, ts, "")
			r.Header.Set("webhook-signature", valid)
			return r
		}, status: 400},
		{name: "valid webhook-* headers beside a svix-id of another delivery", request: func(*testing.T) *http.Request {
			r := hostileRequest(good, "msg_2other", "", "")
			r.Header.Set("webhook-id", hostileID)
			r.Header.Set("webhook-timestamp", ts)
			r.Header.Set("webhook-signature", valid)
			return r
		}, status: 400, followID: "msg_2other"},

		// Replays and timestamps.
		{name: "timestamp moved 1s later", request: withTS(unix(testNow.Add(time.Second))), status: 401},
		{name: "timestamp moved 1s earlier", request: withTS(unix(testNow.Add(-time.Second))), status: 401},
		{name: "timestamp moved 1h later", request: withTS(unix(testNow.Add(time.Hour))), status: 401},
		{name: "timestamp moved 1h earlier", request: withTS(unix(testNow.Add(-time.Hour))), status: 401},
		{name: "replay of a delivery signed 6 minutes ago", request: func(t *testing.T) *http.Request {
			return signedAt(t, testSecret, hostileID, testNow.Add(-6*time.Minute), good)
		}, status: 401},
		{name: "delivery signed 6 minutes ahead", request: func(t *testing.T) *http.Request {
			return signedAt(t, testSecret, hostileID, testNow.Add(6*time.Minute), good)
		}, status: 401},
		{name: "timestamp 0", request: withTS("0"), status: 401},
		{name: "timestamp in 1970", request: func(t *testing.T) *http.Request {
			return signedAt(t, testSecret, hostileID, time.Unix(1, 0), good)
		}, status: 401},
		{name: "timestamp at the end of year 9999", request: withTS("253402300799"), status: 401},
		{name: "timestamp past year 9999", request: withTS("253402300800"), status: 400},
		{name: "timestamp of 20 digits", request: withTS("99999999999999999999"), status: 400},
		{name: "timestamp in milliseconds", request: withTS(strconv.FormatInt(testNow.UnixMilli(), 10)), status: 400},
		{name: "negative timestamp", request: withTS("-1"), status: 400},
		{name: "non-numeric timestamp", request: withTS("now"), status: 400},
		{name: "timestamp with a leading zero", request: withTS("0" + ts), status: 400},
		{name: "timestamp with a plus sign", request: withTS("+" + ts), status: 400},
		{name: "fractional timestamp", request: withTS(ts + ".0"), status: 400},
		{name: "timestamp with inner white space", request: withTS(ts[:5] + " " + ts[5:]), status: 400},
		{name: "64 KiB timestamp", request: withTS(strings.Repeat("1", 64<<10)), status: 400},

		// Headers given twice or empty.
		{name: "svix-id twice", request: func(*testing.T) *http.Request {
			r := hostileRequest(good, hostileID, ts, valid)
			r.Header.Add("svix-id", hostileID)
			return r
		}, status: 400},
		{name: "svix-timestamp twice", request: func(*testing.T) *http.Request {
			r := hostileRequest(good, hostileID, ts, valid)
			r.Header.Add("svix-timestamp", ts)
			return r
		}, status: 400},
		{name: "svix-signature twice", request: func(*testing.T) *http.Request {
			r := hostileRequest(good, hostileID, ts, valid)
			r.Header.Add("svix-signature", valid)
			return r
		}, status: 400},
		{name: "svix-id under its canonical and lower-case names", request: func(*testing.T) *http.Request {
			r := hostileRequest(good, hostileID, ts, valid)
			r.Header["svix-id"] = []string{"msg_2other"}
			return r
		}, status: 400},
		{name: "blank svix-id", request: func(*testing.T) *http.Request {
			r := hostileRequest(good, hostileID, ts, valid)
			r.Header.Set("svix-id", " \t ")
			return r
		}, status: 400},
		{name: "no headers at all", request: func(*testing.T) *http.Request { return hostileRequest(good, "", "", "") }, status: 400},

		// Bodies.
		{name: "body over the limit, announced", opts: []clerkhook.HandlerOption{clerkhook.WithMaxBodyBytes(int64(len(good) - 1))},
			request: signedBody(good), status: 413},
		{name: "body over the limit, chunked", opts: []clerkhook.HandlerOption{clerkhook.WithMaxBodyBytes(int64(len(good) - 1))},
			request: func(t *testing.T) *http.Request {
				r := signedAt(t, testSecret, hostileID, testNow, good)
				r.ContentLength = -1
				r.TransferEncoding = []string{"chunked"}
				return r
			}, status: 413},
		{name: "Content-Length of 1 TiB", request: func(t *testing.T) *http.Request {
			r := signedAt(t, testSecret, hostileID, testNow, good)
			r.ContentLength = 1 << 40
			return r
		}, status: 413},
		{name: "slow body with a forged signature", request: func(*testing.T) *http.Request {
			r := hostileRequest(nil, hostileID, ts, forged)
			r.Body = io.NopCloser(&trickleReader{rest: bytes.Clone(good)})
			r.ContentLength = -1
			return r
		}, status: 401},
		{name: "empty body with a forged signature", request: func(*testing.T) *http.Request {
			return hostileRequest(nil, hostileID, ts, forged)
		}, status: 401},
		{name: "signed empty body", request: signedBody(nil), status: 400},
		{name: "signed invalid UTF-8", request: signedBody(append([]byte{0xff, 0xfe, 0xfd}, good...)), status: 400},
		{name: "signed JSON array", request: signedBody([]byte(`[{"type":"user.created"}]`)), status: 400},
		{name: "signed JSON string", request: signedBody([]byte(`"user.created"`)), status: 400},
		{name: "signed JSON number", request: signedBody([]byte(`1e400`)), status: 400},
		{name: "signed JSON null", request: signedBody([]byte(`null`)), status: 400},
		{name: "signed JSON cut short", request: signedBody(good[:len(good)/2]), status: 400},
		{name: "signed 100k nested arrays", request: signedBody(bytes.Repeat([]byte{'['}, 100_000)), status: 400},
		{name: "signed 100k nested objects in data", request: signedBody([]byte(
			`{"type":"user.created","data":` + strings.Repeat(`{"a":`, 100_000) + `1` + strings.Repeat(`}`, 100_000) + `}`)), status: 400},
		{name: "signed event without a type", request: signedBody([]byte(`{"object":"event","data":{"id":"user_2hostile"}}`)), status: 400},
		{name: "signed event whose type is a number", request: signedBody([]byte(`{"type":7,"data":{"id":"user_2hostile"}}`)), status: 400},
		{name: "signed envelope data a string", request: signedBody([]byte(
			`{"type":"user.created","timestamp":1,"data":"{\"id\":\"user_2hostile\",\"updated_at\":1}"}`)), status: 400},
		{name: "signed user.created with data an array", request: signedBody([]byte(`{"type":"user.created","data":[{"id":"user_2hostile"}]}`)), status: 400},
		{name: "signed user.created with data null", request: signedBody([]byte(`{"type":"user.created","data":null}`)), status: 400},
		{name: "signed user.created without id", request: signedEvent(clerkhook.EventUserCreated, userData(func(m map[string]any) { delete(m, "id") })), status: 400},
		{name: "signed user.created with a numeric id", request: signedEvent(clerkhook.EventUserCreated, userData(func(m map[string]any) { m["id"] = 42 })), status: 400},
		{name: "signed user.created with updated_at a fraction", request: signedEvent(clerkhook.EventUserCreated, userData(func(m map[string]any) { m["updated_at"] = 1.5 })), status: 400},
		{name: "signed user.updated with updated_at a string", request: signedEvent(clerkhook.EventUserUpdated, userData(func(m map[string]any) { m["updated_at"] = "2026-01-01" })), status: 400},
		{name: "signed user.updated with id and updated_at strings, and a drifted field", request: signedEvent(clerkhook.EventUserUpdated, userData(func(m map[string]any) {
			m["email_addresses"] = map[string]any{"email_address": "ada.x@example.com"}
			m["updated_at"] = "2026-01-01"
		})), status: 400},
		{name: "signed user.deleted without id", request: signedEvent(clerkhook.EventUserDeleted, map[string]any{"object": "user", "deleted": true}), status: 400},
		{name: "signed user.deleted with id an object", request: signedEvent(clerkhook.EventUserDeleted, map[string]any{"id": map[string]any{}, "deleted": true}), status: 400},
		{name: "signed organization.created with a numeric id", request: signedEvent(clerkhook.EventOrganizationCreated, map[string]any{"id": 5, "name": "Acme"}), status: 400},
		{name: "signed organization.created without id", request: signedEvent(clerkhook.EventOrganizationCreated, map[string]any{"name": "Acme"}), status: 400},
		{name: "signed organization.deleted with id a list", request: signedEvent(clerkhook.EventOrganizationDeleted, map[string]any{"id": []string{hostileOrgID}}), status: 400},
		{name: "signed organizationMembership.created with organization a string", request: signedEvent(clerkhook.EventOrganizationMembershipCreated,
			membership(func(m map[string]any) { m["organization"] = hostileOrgID })), status: 400},
		{name: "signed organizationMembership.created without user id", request: signedEvent(clerkhook.EventOrganizationMembershipCreated,
			membership(func(m map[string]any) { m["public_user_data"] = map[string]any{"first_name": "Zoë"} })), status: 400},
		{name: "signed organizationMembership.deleted without organization id", request: signedEvent(clerkhook.EventOrganizationMembershipDeleted,
			membership(func(m map[string]any) { delete(m, "organization") })), status: 400},
		{name: "signed organizationMembership.updated with a numeric user id", request: signedEvent(clerkhook.EventOrganizationMembershipUpdated,
			membership(func(m map[string]any) { m["public_user_data"] = map[string]any{"user_id": 5, "first_name": "Zoë"} })), status: 400},
		{name: "signed organizationMembership.updated with organization id a list", request: signedEvent(clerkhook.EventOrganizationMembershipUpdated,
			membership(func(m map[string]any) { m["organization"] = map[string]any{"id": []string{hostileOrgID}, "name": 5} })), status: 400},

		// Methods.
		{name: "GET", request: method(http.MethodGet), status: 405},
		{name: "HEAD", request: method(http.MethodHead), status: 405},
		{name: "PUT", request: method(http.MethodPut), status: 405},
		{name: "PATCH", request: method(http.MethodPatch), status: 405},
		{name: "DELETE", request: method(http.MethodDelete), status: 405},
		{name: "OPTIONS", request: method(http.MethodOptions), status: 405},
		{name: "TRACE", request: method(http.MethodTrace), status: 405},
		{name: "CONNECT", request: method(http.MethodConnect), status: 405},
		{name: "lower-case post", request: method("post"), status: 405},
	}
}

// hostileSecrets are strings that must never reach the log.
func hostileSecrets(t *testing.T) []string {
	out := []string{"Zoë", "ada.", "example.com", "Version", "192.0.2", "Mozilla", "plan"}
	for _, s := range []string{testSecret, hostileSecond, verifyOtherSecret} {
		out = append(out, strings.TrimPrefix(s, "whsec_"), strings.TrimPrefix(complementSecret(t, s), "whsec_"))
	}
	return out
}

// TestHandlerRefusesHostileRequests serves each hostile request to a
// Handler with a MemoryStore and a JSON logger, and checks the status, that
// nothing panicked, that the one log line quotes no secret, signature, body
// or personal data, and that the store holds nothing afterwards: not a
// record, not a tombstone, not the delivery id.
func TestHandlerRefusesHostileRequests(t *testing.T) {
	cases := hostileCases(t)
	require.GreaterOrEqual(t, len(cases), 40)
	secrets := hostileSecrets(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			store := clerkhook.NewMemoryStore()
			h := newTestHandler(t, store, append([]clerkhook.HandlerOption{clerkhook.WithLogger(logger)}, tc.opts...)...)

			r := tc.request(t)
			var read bytes.Buffer
			r.Body = teeBody{io.TeeReader(r.Body, &read), r.Body}
			forbidden := append(signatureParts(r.Header), secrets...)
			var w *httptest.ResponseRecorder
			require.NotPanics(t, func() { w = serve(h, r) })

			assert.Equal(t, tc.status, w.Code)
			assert.Equal(t, "rejected\n", w.Body.String())
			if tc.status == http.StatusMethodNotAllowed {
				assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			}
			assertCleanLog(t, logs.String(), tc.status, read.Bytes(), forbidden)
			followID := tc.followID
			if followID == "" {
				followID = hostileID
			}
			assertStoreUntouched(t, store, followID)
		})
	}
}

// signatureParts returns the values of a request's signature headers and
// each of their entries, which the log must not repeat.
func signatureParts(h http.Header) []string {
	var out []string
	for _, name := range []string{"Svix-Signature", "Webhook-Signature"} {
		for _, v := range h.Values(name) {
			out = append(out, v)
			for _, entry := range strings.Fields(v) {
				if _, sig, ok := strings.Cut(entry, ","); ok && len(sig) >= 8 {
					out = append(out, sig)
				}
			}
		}
	}
	return out
}

// assertCleanLog checks that a refused delivery is logged as one Warn line
// that quotes neither a forbidden string nor any 24 bytes of the body.
func assertCleanLog(t *testing.T, out string, status int, body []byte, forbidden []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 1, "one line per delivery")
	line := lines[0]
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &rec))
	assert.Equal(t, "WARN", rec["level"])
	assert.Equal(t, "rejected", rec["outcome"])
	assert.EqualValues(t, status, rec["status"])
	assert.LessOrEqual(t, len(line), 1024, "a refused request cannot make the log grow by what it sends")
	for _, s := range forbidden {
		if s != "" && strings.Contains(line, s) {
			t.Errorf("the log line holds %.40q", s)
		}
	}
	// The event type of a signed event is logged on purpose.
	if typ, ok := rec["event_type"].(string); ok {
		line = strings.ReplaceAll(line, typ, "")
	}
	const window = 24
	seen := make(map[string]bool, len(line))
	for i := 0; i+window <= len(line); i++ {
		seen[line[i:i+window]] = true
	}
	for i := 0; i+window <= len(body); i++ {
		if seen[string(body[i:i+window])] {
			t.Errorf("the log line quotes the body: %q", body[i:i+window])
			return
		}
	}
}

// assertStoreUntouched checks that the store holds nothing, not even a
// tombstone, and that the delivery id was not recorded: a valid delivery
// under it is processed.
func assertStoreUntouched(t *testing.T, store *clerkhook.MemoryStore, followID string) {
	t.Helper()
	ctx := context.Background()
	ids, err := store.UserIDs(ctx)
	require.NoError(t, err)
	assert.Empty(t, ids)
	_, err = store.Organization(ctx, hostileOrgID)
	assert.ErrorIs(t, err, clerkhook.ErrOrganizationNotFound)
	_, err = store.Membership(ctx, hostileOrgID, hostileUserID)
	assert.ErrorIs(t, err, clerkhook.ErrMembershipNotFound)

	h := newTestHandler(t, store)
	follow := func(id string, body []byte) {
		t.Helper()
		w := serve(h, signedRequest(t, id, body))
		assert.Equal(t, "processed\n", w.Body.String(), "a valid delivery after the hostile one")
	}
	follow(followID, userBody(t, clerkhook.EventUserCreated, hostileUser()))
	follow("msg_2follow_org", envelope(t, clerkhook.EventOrganizationCreated, testNow,
		clerkhook.Organization{ID: hostileOrgID, Object: "organization", Name: "Acme", UpdatedAt: 1000}))
	follow("msg_2follow_mem", envelope(t, clerkhook.EventOrganizationMembershipCreated, testNow, clerkhook.OrganizationMembership{
		ID: "orgmem_2hostile", Object: "organization_membership", Role: "org:admin",
		Organization:   clerkhook.Organization{ID: hostileOrgID},
		PublicUserData: clerkhook.PublicUserData{UserID: hostileUserID}, UpdatedAt: 1000,
	}))
	_, err = store.User(ctx, hostileUserID)
	assert.NoError(t, err)
	_, err = store.Membership(ctx, hostileOrgID, hostileUserID)
	assert.NoError(t, err)
}

// TestVerifyTimingDoesNotDependOnMatchingPrefix checks that refusing a
// signature takes no longer when more of its leading bytes are right, which
// would let an attacker find a valid signature byte by byte. The HMAC
// dwarfs a comparison, so the statistic is first shown to catch a leak: a
// reference comparison that exits at the first wrong byte and spends a
// known time on each right one, 30% of a verification over the whole
// prefix. Verify must stay under a third of that.
func TestVerifyTimingDoesNotDependOnMatchingPrefix(t *testing.T) {
	body := []byte(`{"type":"user.created","data":{"id":"user_2timing"}}`)
	v := newTestVerifier(t, testSecret)
	want := strings.TrimPrefix(libSign(t, testSecret, "msg_timing", verifyNow, body), "v1,")
	// none differs from the valid signature in its first byte (in every
	// byte, in fact); most differs only in its last.
	none := strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, want)
	most := want[:len(want)-1] + string(none[len(none)-1])
	verify := func(sig string) func() {
		h := svixHeaders("msg_timing", unix(verifyNow), "v1,"+sig)
		require.ErrorIs(t, v.Verify(body, h), clerkhook.ErrNoMatchingSignature)
		return func() { _ = v.Verify(body, h) }
	}

	verifyCost := minCallTime(verify(none))
	var sink uint64
	spinCost := minCallTime(func() { sink = spin(sink, 1000) }) / 1000
	perByte := int(0.3*float64(verifyCost)/float64(len(want)-1)/float64(spinCost)) + 1
	leaky := func(sig string) func() {
		check := verify(sig)
		return func() {
			check()
			for i := range len(sig) {
				if sig[i] != want[i] {
					return
				}
				sink = spin(sink, perByte)
			}
		}
	}

	leak := prefixCost(leaky(none), leaky(most))
	got := prefixCost(verify(none), verify(most))
	threshold := verifyCost / 10
	_ = sink
	t.Logf("verification %v; cost of a matching prefix: leaky reference %v, Verify %v, threshold %v",
		verifyCost, leak, got, threshold)
	require.Greater(t, leak, threshold, "the statistic must detect an early-exit comparison")
	assert.Less(t, got, threshold, "Verify takes longer when more of the signature matches")
}

// spin does n steps of arithmetic, each depending on the one before, from
// x: chained through its result, spins cannot overlap in the processor, and
// the compiler cannot remove them.
func spin(x uint64, n int) uint64 {
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// minCallTime returns the shortest time fn takes, over batches of calls.
func minCallTime(fn func()) time.Duration {
	const calls = 50
	best := time.Duration(1<<63 - 1)
	for range 40 {
		start := time.Now()
		for range calls {
			fn()
		}
		best = min(best, time.Since(start)/calls)
	}
	return best
}

// prefixCost returns how much longer a call of slow takes than one of fast:
// the difference of their fastest batches, measured in alternation so that
// load and frequency changes hit both alike. Taking the minimum discards
// the time lost to preemption and garbage collection, which only ever adds.
func prefixCost(fast, slow func()) time.Duration {
	const batches = 200
	calls := max(1, int(200*time.Microsecond/max(minCallTime(fast), 1)))
	batch := func(fn func()) time.Duration {
		start := time.Now()
		for range calls {
			fn()
		}
		return time.Since(start) / time.Duration(calls)
	}
	bestFast, bestSlow := time.Duration(1<<63-1), time.Duration(1<<63-1)
	deadline := time.Now().Add(1500 * time.Millisecond)
	for i := 0; i < batches && time.Now().Before(deadline); i++ {
		if i%2 == 0 {
			bestFast = min(bestFast, batch(fast))
			bestSlow = min(bestSlow, batch(slow))
		} else {
			bestSlow = min(bestSlow, batch(slow))
			bestFast = min(bestFast, batch(fast))
		}
	}
	return bestSlow - bestFast
}

// TestHandlerSlowBodies checks the handler against clients that send their
// body slowly. The handler reads until the body ends or fails; what bounds
// a slow client in production is the server's ReadTimeout.
func TestHandlerSlowBodies(t *testing.T) {
	body := userBody(t, clerkhook.EventUserCreated, hostileUser())

	t.Run("trickled body is read whole", func(t *testing.T) {
		store := clerkhook.NewMemoryStore()
		r := signedRequest(t, hostileID, body)
		r.Body = io.NopCloser(&trickleReader{rest: bytes.Clone(body)})
		r.ContentLength = -1
		w := serve(newTestHandler(t, store), r)
		assert.Equal(t, "processed\n", w.Body.String())
		_, err := store.User(context.Background(), hostileUserID)
		assert.NoError(t, err)
	})

	t.Run("body that stalls until the request is canceled", func(t *testing.T) {
		store := clerkhook.NewMemoryStore()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stalled := make(chan struct{})
		r := signedRequest(t, hostileID, body).WithContext(ctx)
		r.Body = io.NopCloser(&stallingReader{head: body[:10], ctx: ctx, stalled: stalled})
		done := make(chan *httptest.ResponseRecorder)
		go func() { done <- serve(newTestHandler(t, store), r) }()
		<-stalled
		cancel()
		w := <-done
		assert.Equal(t, http.StatusBadRequest, w.Code)
		assertStoreUntouched(t, store, hostileID)
	})

	t.Run("server ReadTimeout ends a stalled body", func(t *testing.T) {
		store := clerkhook.NewMemoryStore()
		srv := httptest.NewUnstartedServer(newTestHandler(t, store))
		srv.Config.ReadHeaderTimeout = 100 * time.Millisecond
		srv.Config.ReadTimeout = 100 * time.Millisecond
		srv.Start()
		defer srv.Close()

		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		require.NoError(t, err)
		defer conn.Close()
		require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
		r := signedRequest(t, hostileID, body)
		head := fmt.Sprintf("POST /webhooks/clerk HTTP/1.1\r\nHost: clerkhook.test\r\nContent-Length: %d\r\n", len(body))
		for _, name := range []string{"Svix-Id", "Svix-Timestamp", "Svix-Signature"} {
			head += name + ": " + r.Header.Get(name) + "\r\n"
		}
		_, err = io.WriteString(conn, head+"\r\n"+string(body[:10]))
		require.NoError(t, err)
		// The client sends nothing more; the server's read deadline
		// fails the body read, and the handler answers.
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assertStoreUntouched(t, store, hostileID)
	})
}

// stallingReader returns head, then blocks until ctx is done.
type stallingReader struct {
	head    []byte
	ctx     context.Context
	stalled chan struct{}
}

func (r *stallingReader) Read(p []byte) (int, error) {
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	close(r.stalled)
	<-r.ctx.Done()
	return 0, r.ctx.Err()
}
