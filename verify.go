package clerkhook

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Errors reported by [Verifier.Verify] and [NewVerifier]. Returned errors
// wrap one of them, so test with [errors.Is]; their text names the header
// or the secret concerned but never holds a secret, a signature or a body.
var (
	// ErrMissingHeaders means the id, timestamp or signature header of the
	// delivery is absent or empty.
	ErrMissingHeaders = errors.New("clerkhook: missing signature headers")

	// ErrMalformedHeaders means a signature header was given more than
	// once or the timestamp is not a Unix time in seconds.
	ErrMalformedHeaders = errors.New("clerkhook: malformed signature headers")

	// ErrNoMatchingSignature means no v1 signature of the delivery matches
	// the body under any configured secret: the body was altered, or the
	// secret is not the one of this endpoint.
	ErrNoMatchingSignature = errors.New("clerkhook: no matching signature")

	// ErrTimestampTooOld means the delivery was signed longer ago than the
	// tolerance allows; it may be a replay.
	ErrTimestampTooOld = errors.New("clerkhook: timestamp too old")

	// ErrTimestampTooNew means the delivery claims to be signed later than
	// the clock plus the tolerance.
	ErrTimestampTooNew = errors.New("clerkhook: timestamp too new")

	// ErrInvalidSecret means a signing secret cannot be used: it is empty,
	// not standard base64 after the optional "whsec_" prefix, or shorter
	// than 16 bytes once decoded.
	ErrInvalidSecret = errors.New("clerkhook: invalid signing secret")
)

// minSecretBytes is the shortest key accepted. Svix issues 24-byte keys;
// anything much shorter is a truncated or mistyped secret, not a key.
const minSecretBytes = 16

// maxTimestamp is 9999-12-31T23:59:59Z. Beyond it a Unix time no longer
// fits time.Time arithmetic, and no honest sender is there.
const maxTimestamp = 253402300799

// A Verifier checks the Standard Webhooks signature Svix puts on each Clerk
// delivery: an HMAC-SHA256, keyed with the endpoint's signing secret, over
// the delivery id, its timestamp and the exact bytes of the body. It also
// refuses deliveries whose timestamp lies outside the tolerance, which
// bounds how long a captured request can be replayed.
//
// Create one with [NewVerifier]; it is safe for concurrent use. The zero
// Verifier has no secret and refuses every delivery.
type Verifier struct {
	// hooks holds one verifier per configured secret, the main one first.
	hooks     []*standardwebhooks.Webhook
	tolerance time.Duration
	now       func() time.Time
	// libHeaders holds *libraryHeaders for reuse.
	libHeaders sync.Pool
}

// libraryHeaders is a request's signature headers under the names the
// library reads. The header map's values are slices of vals.
type libraryHeaders struct {
	h    http.Header
	vals [3]string
}

func newLibraryHeaders() *libraryHeaders {
	l := &libraryHeaders{}
	l.h = http.Header{
		canonicalWebhookID:        l.vals[0:1:1],
		canonicalWebhookTimestamp: l.vals[1:2:2],
		canonicalWebhookSignature: l.vals[2:3:3],
	}
	return l
}

func newVerifier(secret string, c *config) (*Verifier, error) {
	v := &Verifier{
		hooks:     make([]*standardwebhooks.Webhook, 0, 1+len(c.additionalSecrets)),
		tolerance: c.tolerance,
		now:       c.now,
	}
	if err := v.addSecret(secret, "the secret"); err != nil {
		return nil, err
	}
	for i, s := range c.additionalSecrets {
		if err := v.addSecret(s, fmt.Sprintf("additional secret #%d", i+1)); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// addSecret decodes secret and appends its verifier. The library's own
// constructor decodes leniently; decoding here, strictly, means a secret
// damaged in copying is refused at startup rather than failing every
// delivery later.
func (v *Verifier) addSecret(secret, which string) error {
	encoded := strings.TrimPrefix(secret, "whsec_")
	if encoded == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidSecret, which)
	}
	key, err := base64.StdEncoding.Strict().DecodeString(encoded)
	if err != nil {
		return fmt.Errorf("%w: %s is not standard base64 after the optional whsec_ prefix", ErrInvalidSecret, which)
	}
	if len(key) < minSecretBytes {
		return fmt.Errorf("%w: %s decodes to %d bytes, fewer than %d", ErrInvalidSecret, which, len(key), minSecretBytes)
	}
	hook, err := standardwebhooks.NewWebhookRaw(key)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidSecret, which, err)
	}
	v.hooks = append(v.hooks, hook)
	return nil
}

// Verify reports whether payload, the raw request body exactly as received,
// carries a valid signature from one of the configured secrets under the
// given headers. It returns nil for an authentic delivery, and otherwise an
// error matching one of the Err* values of this package.
//
// Clerk's deliveries carry svix-id, svix-timestamp and svix-signature; the
// Standard Webhooks names webhook-id, webhook-timestamp and
// webhook-signature are accepted too. The three headers are taken from one
// family: svix-* when any svix-* header is present, webhook-* otherwise, so
// a mix of the two is reported as missing headers. Header names match in
// canonical form (as net/http stores them) or in lower case; values are
// trimmed of surrounding white space. The signature header may list several
// space-separated entries; the delivery is authentic when any "v1" entry
// matches, and entries of other versions are ignored.
//
// The timestamp is checked before the signature is computed, so stale
// deliveries cost no HMAC.
func (v *Verifier) Verify(payload []byte, headers http.Header) error {
	d := headersFromHTTP(headers)
	return v.verify(payload, &d)
}

// VerifyMap is [Verifier.Verify] for platforms, such as serverless
// runtimes, that hand over the request headers as a map with one value per
// name. Names match regardless of case; two names that differ only in case
// count as one header given twice.
func (v *Verifier) VerifyMap(payload []byte, headers map[string]string) error {
	d := headersFromMap(headers)
	return v.verify(payload, &d)
}

// DeliveryID returns the delivery id of a request: the svix-id header, or
// webhook-id when no svix-* header is present, chosen and trimmed as
// [Verifier.Verify] does. It returns "" when that header is absent, empty
// or given more than once. Svix keeps the id across retries of a delivery,
// which makes it the key for applying a delivery once; trust it only after
// Verify has accepted the request.
func DeliveryID(headers http.Header) string {
	d := headersFromHTTP(headers)
	f := d.chosen().fields[0]
	if f.n != 1 {
		return ""
	}
	return f.value
}

// field is one signature header as found in a request.
type field struct {
	value string // the first value, trimmed
	n     int    // how many values were given
}

func (f *field) add(val string) {
	if f.n == 0 {
		f.value = strings.TrimSpace(val)
	}
	f.n++
}

// family is one triple of signature headers: id, timestamp, signature.
type family struct {
	names     [3]string // lower case, for error texts and lookups
	canonical [3]string // as http.Header keys
	fields    [3]field
}

// deliveryHeaders holds both header families of a request.
type deliveryHeaders struct {
	svix, webhook family
}

// The webhook-* names as http.Header keys, which is how the library looks
// them up.
const (
	canonicalWebhookID        = "Webhook-Id"
	canonicalWebhookTimestamp = "Webhook-Timestamp"
	canonicalWebhookSignature = "Webhook-Signature"
)

func newDeliveryHeaders() deliveryHeaders {
	return deliveryHeaders{
		svix: family{
			names:     [3]string{"svix-id", "svix-timestamp", "svix-signature"},
			canonical: [3]string{"Svix-Id", "Svix-Timestamp", "Svix-Signature"},
		},
		webhook: family{
			names:     [3]string{"webhook-id", "webhook-timestamp", "webhook-signature"},
			canonical: [3]string{canonicalWebhookID, canonicalWebhookTimestamp, canonicalWebhookSignature},
		},
	}
}

func headersFromHTTP(h http.Header) deliveryHeaders {
	d := newDeliveryHeaders()
	for _, fam := range [...]*family{&d.svix, &d.webhook} {
		for i := range fam.fields {
			// Header maps built by hand often use lower-case names,
			// which http.Header.Get would not find.
			for _, val := range h[fam.canonical[i]] {
				fam.fields[i].add(val)
			}
			for _, val := range h[fam.names[i]] {
				fam.fields[i].add(val)
			}
		}
	}
	return d
}

func headersFromMap(m map[string]string) deliveryHeaders {
	d := newDeliveryHeaders()
	for k, val := range m {
		for _, fam := range [...]*family{&d.svix, &d.webhook} {
			for i, name := range fam.names {
				if strings.EqualFold(k, name) {
					fam.fields[i].add(val)
				}
			}
		}
	}
	return d
}

// chosen returns the family Verify uses: svix-* when any svix-* header is
// present, webhook-* otherwise.
func (d *deliveryHeaders) chosen() *family {
	for _, f := range d.svix.fields {
		if f.n > 0 {
			return &d.svix
		}
	}
	return &d.webhook
}

func (v *Verifier) verify(payload []byte, d *deliveryHeaders) error {
	if v == nil || len(v.hooks) == 0 {
		return fmt.Errorf("%w: the Verifier has no secret; create it with NewVerifier", ErrInvalidSecret)
	}
	fam := d.chosen()
	for i, f := range fam.fields {
		if f.n == 0 || f.value == "" {
			return fmt.Errorf("%w: %s is absent or empty", ErrMissingHeaders, fam.names[i])
		}
	}
	for i, f := range fam.fields {
		if f.n > 1 {
			return fmt.Errorf("%w: %s is given %d times", ErrMalformedHeaders, fam.names[i], f.n)
		}
	}
	if err := v.checkTimestamp(fam.fields[1].value, fam.names[1]); err != nil {
		return err
	}

	// The library reads the webhook-* names; the headers above have been
	// checked, so the only error it can return is a mismatch.
	l, ok := v.libHeaders.Get().(*libraryHeaders)
	if !ok {
		l = newLibraryHeaders()
	}
	l.vals = [3]string{fam.fields[0].value, fam.fields[1].value, fam.fields[2].value}
	defer func() {
		l.vals = [3]string{} // the pool must not keep a request's headers
		v.libHeaders.Put(l)
	}()
	for _, hook := range v.hooks {
		if hook.VerifyIgnoringTimestamp(payload, l.h) == nil {
			return nil
		}
	}
	return fmt.Errorf("%w in %s", ErrNoMatchingSignature, fam.names[2])
}

// checkTimestamp refuses a timestamp that is not canonical decimal Unix
// seconds or that lies outside the tolerance around the clock. The
// signature covers the timestamp's text while the library signs its
// parsed value, so only the one spelling of a number is accepted.
func (v *Verifier) checkTimestamp(ts, name string) error {
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return fmt.Errorf("%w: %s is not Unix seconds", ErrMalformedHeaders, name)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec > maxTimestamp || (len(ts) > 1 && ts[0] == '0') {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrMalformedHeaders, name)
	}
	signed, now := time.Unix(sec, 0), v.now()
	if age := now.Sub(signed); age > v.tolerance {
		return fmt.Errorf("%w: %s is %v behind the clock, tolerance %v", ErrTimestampTooOld, name, age.Round(time.Second), v.tolerance)
	}
	if ahead := signed.Sub(now); ahead > v.tolerance {
		return fmt.Errorf("%w: %s is %v ahead of the clock, tolerance %v", ErrTimestampTooNew, name, ahead.Round(time.Second), v.tolerance)
	}
	return nil
}
