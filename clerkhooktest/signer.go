package clerkhooktest

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/clerkhook/clerkhook"
)

// secretBytes is the length of the keys NewSecret makes, that of the keys
// Svix issues.
const secretBytes = 24

// NewSecret returns a new random signing secret in the form the Clerk
// Dashboard shows: "whsec_" followed by the standard base64 of 24 random
// bytes. Each test can use its own, as each endpoint has its own in Clerk.
func NewSecret() string {
	key := make([]byte, secretBytes)
	// crypto/rand.Read does not fail on the platforms Go supports; since
	// Go 1.24 it crashes the program rather than return an error.
	rand.Read(key)
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// A Signer signs payloads as Svix signs Clerk's deliveries: an HMAC-SHA256,
// keyed with the endpoint's secret, over the delivery id, the Unix time in
// seconds and the body, joined by dots. Create one with [NewSigner]; it is
// safe for concurrent use.
type Signer struct {
	hook *standardwebhooks.Webhook
}

// NewSigner returns a Signer for secret. It accepts the secrets
// [clerkhook.NewVerifier] accepts, and fails like it, with an error
// matching [clerkhook.ErrInvalidSecret], for the others.
func NewSigner(secret string) (*Signer, error) {
	if _, err := clerkhook.NewVerifier(secret); err != nil {
		return nil, err
	}
	hook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, err
	}
	return &Signer{hook: hook}, nil
}

// Sign returns the value of the svix-signature header for the delivery id
// of a payload signed at ts: "v1," followed by the base64 of the HMAC. Only
// the whole seconds of ts are signed, as the header carries them.
func (s *Signer) Sign(id string, ts time.Time, payload []byte) string {
	// The library's Sign has an error result for its future; at v0.0.1 it
	// never fails.
	sig, _ := s.hook.Sign(id, ts, payload)
	return sig
}

// Headers returns the svix-id, svix-timestamp and svix-signature headers of
// the delivery id of a payload signed at ts, ready to be copied into a
// request.
func (s *Signer) Headers(id string, ts time.Time, payload []byte) http.Header {
	h := make(http.Header, 3)
	h.Set("svix-id", id)
	h.Set("svix-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("svix-signature", s.Sign(id, ts, payload))
	return h
}
