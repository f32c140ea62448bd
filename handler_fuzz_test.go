package clerkhook_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// FuzzHandler sends the Handler arbitrary bodies and signature headers.
// When sign is set, the body is signed properly, with sig kept as extra
// entries before the valid one, so that the parser and the store are
// reached. The Handler must never panic, answer only the documented
// statuses, and process nothing that was not validly signed.
func FuzzHandler(f *testing.F) {
	ts := unix(testNow)
	for _, fx := range readEventFixtures(f) {
		f.Add(fx.body, "msg_2fuzz", ts, "", true)
	}
	user := userBody(f, clerkhook.EventUserCreated, testUser("user_2fuzz", 1))
	for _, seed := range []struct {
		body        []byte
		id, ts, sig string
		sign        bool
	}{
		{user, "msg_2fuzz", ts, "v1,AAAA v2,BBBB", true},
		{user, "msg_2other", ts, libSign(f, testSecret, "msg_2fuzz", testNow, user), false},
		{user, "msg_2fuzz", "99999999999999999999", "v1,", false},
		{user, " msg_2fuzz ", "0" + ts, "v1," + strings.Repeat("A", 44), false},
		{deleteBody(f, "user_2fuzz", testNow), "msg_2fuzz", ts, "", true},
		{[]byte(`{"type":"user.created","data":{"id":42}}`), "msg_2fuzz", ts, "", true},
		{[]byte(`{"type":"organizationMembership.created","data":{"organization":"org_1"}}`), "msg_2fuzz", ts, "", true},
		{[]byte(`{"type":"user.deleted","data":{}}`), "msg_2fuzz", ts, "", true},
		{[]byte(`[[[[[[[[[[`), "msg_2fuzz", ts, "", true},
		{[]byte("\xff\xfe{}"), "msg_2fuzz", ts, "", true},
		{nil, "", "", "", false},
	} {
		f.Add(seed.body, seed.id, seed.ts, seed.sig, seed.sign)
	}

	f.Fuzz(func(t *testing.T, body []byte, id, ts, sig string, sign bool) {
		const limit = 64 << 10
		var logs bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		store := clerkhook.NewMemoryStore()
		h := newTestHandler(t, store, clerkhook.WithLogger(logger), clerkhook.WithMaxBodyBytes(limit))
		request := func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
			r.Header["Svix-Id"] = []string{id}
			r.Header["Svix-Timestamp"] = []string{ts}
			r.Header["Svix-Signature"] = []string{sig}
			return r
		}
		if sign {
			ts = unix(testNow)
			sig = sig + " " + libSign(t, testSecret, strings.TrimSpace(id), testNow, body)
		}

		w := serve(h, request())
		switch {
		case len(body) > limit:
			require.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
		case sign:
			require.Contains(t, []int{http.StatusOK, http.StatusBadRequest}, w.Code, "a signed delivery: %s", logs.String())
		default:
			require.Contains(t, []int{http.StatusBadRequest, http.StatusUnauthorized}, w.Code, "an unsigned delivery")
		}
		assert.Contains(t, []string{"processed\n", "ignored\n", "rejected\n"}, w.Body.String())
		assert.NotContains(t, logs.String(), strings.TrimPrefix(testSecret, "whsec_"))
		assert.Equal(t, 1, strings.Count(logs.String(), "\n"), "one line per delivery")

		if w.Code != http.StatusOK {
			ids, err := store.UserIDs(context.Background())
			require.NoError(t, err)
			assert.Empty(t, ids, "a refused delivery stored a user")
			return
		}
		_, err := clerkhook.ParseEvent(body)
		require.NoError(t, err, "a 200 for a body that is not an event")
		if w.Body.String() == "processed\n" {
			assert.Equal(t, "duplicate\n", serve(h, request()).Body.String(), "the retry of a processed delivery")
		}
	})
}
