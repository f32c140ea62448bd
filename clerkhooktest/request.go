package clerkhooktest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clerkhook/clerkhook"
)

// A RequestOption changes a request that [NewRequest] or [NewEventRequest]
// builds.
type RequestOption func(*requestConfig)

type requestConfig struct {
	id       string
	signedAt time.Time
	target   string
}

// WithDeliveryID sets the svix-id of the request. By default NewRequest
// makes a fresh id, and NewEventRequest uses the Event's ID.
func WithDeliveryID(id string) RequestOption {
	return func(c *requestConfig) { c.id = id }
}

// WithTimestamp sets when the delivery is signed, which the svix-timestamp
// header carries in whole seconds. The default is the current time; a
// handler with a clock of its own ([clerkhook.WithClock]) needs a time
// within its tolerance of that clock.
func WithTimestamp(ts time.Time) RequestOption {
	return func(c *requestConfig) { c.signedAt = ts }
}

// WithTarget sets the request target, as for [httptest.NewRequest]: a path
// such as "/webhooks/clerk" or an absolute URL. The default is "/".
func WithTarget(target string) RequestOption {
	return func(c *requestConfig) { c.target = target }
}

// NewRequest returns an incoming POST request, for an [http.Handler], that
// carries payload as its body, Content-Type application/json, and the
// svix-id, svix-timestamp and svix-signature headers of payload signed with
// secret. It fails the test when secret is invalid or an option is.
func NewRequest(t testing.TB, secret string, payload []byte, opts ...RequestOption) *http.Request {
	t.Helper()
	c := requestConfig{target: "/"}
	for _, o := range opts {
		if o == nil {
			t.Fatalf("clerkhooktest.NewRequest: nil RequestOption")
		}
		o(&c)
	}
	if c.id == "" {
		c.id = newDeliveryID()
	}
	if c.signedAt.IsZero() {
		c.signedAt = time.Now()
	}
	// httptest.NewRequest panics on a target it cannot parse; parse it the
	// same way first to fail the test instead.
	if _, err := http.ReadRequest(bufio.NewReader(strings.NewReader("POST " + c.target + " HTTP/1.0\r\n\r\n"))); err != nil {
		t.Fatalf("clerkhooktest.NewRequest: invalid target %q: %v", c.target, err)
	}
	s, err := NewSigner(secret)
	if err != nil {
		t.Fatalf("clerkhooktest.NewRequest: %v", err)
	}
	r := httptest.NewRequest(http.MethodPost, c.target, bytes.NewReader(payload))
	for name, values := range s.Headers(c.id, c.signedAt, payload) {
		r.Header[name] = values
	}
	r.Header.Set("Content-Type", "application/json")
	return r
}

// NewEventRequest is [NewRequest] for the body of evt, as json.Marshal
// encodes it. The svix-id is evt.ID, or a fresh id when evt.ID is empty;
// [WithDeliveryID] overrides both.
func NewEventRequest(t testing.TB, secret string, evt *clerkhook.Event, opts ...RequestOption) *http.Request {
	t.Helper()
	if evt == nil {
		t.Fatalf("clerkhooktest.NewEventRequest: nil Event")
	}
	payload, err := json.Marshal(evt)
	if err != nil {
		t.Fatalf("clerkhooktest.NewEventRequest: encoding the %s event: %v", evt.Type, err)
	}
	if evt.ID != "" {
		opts = append([]RequestOption{WithDeliveryID(evt.ID)}, opts...)
	}
	return NewRequest(t, secret, payload, opts...)
}
