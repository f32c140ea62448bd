package clerkhooktest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

func TestNewRequest(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	payload := []byte(`{"type":"user.created","object":"event","data":{"id":"user_1"}}`)
	before := time.Now().Unix()
	r := clerkhooktest.NewRequest(t, secret, payload)

	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/", r.URL.Path)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Equal(t, int64(len(payload)), r.ContentLength)
	id := r.Header.Get("svix-id")
	assert.Regexp(t, `^msg_[0-9A-Za-z]{27}$`, id)
	ts, err := strconv.ParseInt(r.Header.Get("svix-timestamp"), 10, 64)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, ts, before)
	assert.LessOrEqual(t, ts, time.Now().Unix())
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Equal(t, payload, body)

	v, err := clerkhook.NewVerifier(secret)
	require.NoError(t, err)
	require.NoError(t, v.Verify(body, r.Header))

	again := clerkhooktest.NewRequest(t, secret, payload)
	assert.NotEqual(t, id, again.Header.Get("svix-id"), "two requests share a delivery id")
}

func TestNewRequestOptions(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	payload := []byte(`{"type":"user.deleted","object":"event","data":{"id":"user_1"}}`)
	signedAt := time.Date(2026, 3, 1, 9, 30, 15, 0, time.UTC)
	r := clerkhooktest.NewRequest(t, secret, payload,
		clerkhooktest.WithDeliveryID("msg_chosen"),
		clerkhooktest.WithTimestamp(signedAt),
		clerkhooktest.WithTarget("/webhooks/clerk?source=test"),
	)

	assert.Equal(t, "msg_chosen", r.Header.Get("svix-id"))
	assert.Equal(t, strconv.FormatInt(signedAt.Unix(), 10), r.Header.Get("svix-timestamp"))
	assert.Equal(t, "/webhooks/clerk", r.URL.Path)
	assert.Equal(t, "test", r.URL.Query().Get("source"))

	v, err := clerkhook.NewVerifier(secret, clerkhook.WithClock(func() time.Time { return signedAt.Add(time.Minute) }))
	require.NoError(t, err)
	require.NoError(t, v.Verify(payload, r.Header))
	now, err := clerkhook.NewVerifier(secret)
	require.NoError(t, err)
	assert.ErrorIs(t, now.Verify(payload, r.Header), clerkhook.ErrTimestampTooOld)
}

func TestNewEventRequest(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_request" })
	require.NoError(t, err)

	r := clerkhooktest.NewEventRequest(t, secret, evt)
	assert.Equal(t, evt.ID, r.Header.Get("svix-id"), "the svix-id is not the Event's ID")
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	v, err := clerkhook.NewVerifier(secret)
	require.NoError(t, err)
	require.NoError(t, v.Verify(body, r.Header))
	got, err := clerkhook.ParseEvent(body)
	require.NoError(t, err)
	assert.Equal(t, clerkhook.EventUserCreated, got.Type)
	assert.JSONEq(t, string(evt.Data), string(got.Data))

	other := clerkhooktest.NewEventRequest(t, secret, evt, clerkhooktest.WithDeliveryID("msg_other"))
	assert.Equal(t, "msg_other", other.Header.Get("svix-id"))

	evt.ID = ""
	fresh := clerkhooktest.NewEventRequest(t, secret, evt)
	assert.Regexp(t, `^msg_`, fresh.Header.Get("svix-id"))
}

func TestRequestHelpersFailTheTest(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	tests := []struct {
		name    string
		call    func(tb testing.TB)
		wantMsg string // "" when the helper must not fail the test
	}{
		{"valid request", func(tb testing.TB) { clerkhooktest.NewRequest(tb, secret, []byte(`{}`)) }, ""},
		{"invalid secret", func(tb testing.TB) { clerkhooktest.NewRequest(tb, "whsec_short", []byte(`{}`)) }, "invalid signing secret"},
		{"invalid target", func(tb testing.TB) {
			clerkhooktest.NewRequest(tb, secret, []byte(`{}`), clerkhooktest.WithTarget("/a path"))
		}, "invalid target"},
		{"nil option", func(tb testing.TB) { clerkhooktest.NewRequest(tb, secret, []byte(`{}`), nil) }, "nil RequestOption"},
		{"nil event", func(tb testing.TB) { clerkhooktest.NewEventRequest(tb, secret, nil) }, "nil Event"},
		{"event that does not encode", func(tb testing.TB) {
			clerkhooktest.NewEventRequest(tb, secret, &clerkhook.Event{Type: "user.created", Data: json.RawMessage(`{`)})
		}, "encoding the user.created event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fatalRecorder{TB: t}
			ft.run(tt.call)
			if tt.wantMsg == "" {
				assert.False(t, ft.fatal, "the helper failed the test: %s", ft.msg)
				return
			}
			assert.True(t, ft.fatal, "the helper returned instead of failing the test")
			assert.Contains(t, ft.msg, tt.wantMsg)
		})
	}
}

// fatalRecorder records the Fatalf of a helper, and stops the helper as
// testing.T does, without failing the test.
type fatalRecorder struct {
	testing.TB
	fatal bool
	msg   string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.fatal = true
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn in a goroutine of its own, which Fatalf can end.
func (f *fatalRecorder) run(fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
}
