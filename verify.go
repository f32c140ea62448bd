package clerkhook

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
	// a Clerk secret key (sk_…) or publishable key (pk_…) rather than the
	// endpoint's signing secret, not standard base64 after the optional
	// "whsec_" prefix, or shorter than 16 bytes once decoded.
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
	// hooks holds one verifier per configured secret, the main one first;
	// fingerprints holds their fingerprints in the same order.
	hooks        []*standardwebhooks.Webhook
	fingerprints []string
	tolerance    time.Duration
	now          func() time.Time
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
		hooks:        make([]*standardwebhooks.Webhook, 0, 1+len(c.additionalSecrets)),
		fingerprints: make([]string, 0, 1+len(c.additionalSecrets)),
		tolerance:    c.tolerance,
		now:          c.now,
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

// addSecret decodes secret and appends its verifier.
func (v *Verifier) addSecret(secret, which string) error {
	key, err := decodeSecret(secret, which)
	if err != nil {
		return err
	}
	hook, err := standardwebhooks.NewWebhookRaw(key)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidSecret, which, err)
	}
	v.hooks = append(v.hooks, hook)
	v.fingerprints = append(v.fingerprints, fingerprint(key))
	return nil
}

// wantedSecret says which secret a Verifier wants, for the errors of those
// who gave it another of Clerk's keys.
const wantedSecret = "the endpoint's Signing Secret, whsec_…, is wanted (Clerk Dashboard → Webhooks → your endpoint → Signing Secret)"

// decodeSecret returns the key of a signing secret; which names the secret
// in errors. The library's own constructor decodes leniently; decoding
// here, strictly, means a secret damaged in copying is refused at startup
// rather than failing every delivery later.
func decodeSecret(secret, which string) ([]byte, error) {
	switch {
	case strings.HasPrefix(secret, "sk_"):
		return nil, fmt.Errorf("%w: %s is a Clerk secret key (sk_…), the one of the Backend API; %s", ErrInvalidSecret, which, wantedSecret)
	case strings.HasPrefix(secret, "pk_"):
		return nil, fmt.Errorf("%w: %s is a Clerk publishable key (pk_…), the one of the frontend; %s", ErrInvalidSecret, which, wantedSecret)
	}
	encoded := strings.TrimPrefix(secret, "whsec_")
	if encoded == "" {
		return nil, fmt.Errorf("%w: %s is empty", ErrInvalidSecret, which)
	}
	key, err := base64.StdEncoding.Strict().DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not standard base64 after the optional whsec_ prefix", ErrInvalidSecret, which)
	}
	if len(key) < minSecretBytes {
		return nil, fmt.Errorf("%w: %s decodes to %d bytes, fewer than %d", ErrInvalidSecret, which, len(key), minSecretBytes)
	}
	return key, nil
}

// SecretFingerprint returns the fingerprint of a signing secret: the first
// 8 hexadecimal digits of the SHA-256 of its key (the bytes the base64
// after "whsec_" encodes). It tells secrets apart in logs and diagnoses
// without revealing them: 32 bits of a hash say nothing of a 192-bit key.
// It fails, as [NewVerifier] does, for a secret that cannot be used.
func SecretFingerprint(secret string) (string, error) {
	key, err := decodeSecret(secret, "the secret")
	if err != nil {
		return "", err
	}
	return fingerprint(key), nil
}

func fingerprint(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// SecretFingerprints returns the fingerprints of the Verifier's secrets
// (see [SecretFingerprint]), the main secret first, then the additional
// ones in the order given.
func (v *Verifier) SecretFingerprints() []string {
	if v == nil {
		return nil
	}
	return slices.Clone(v.fingerprints)
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
	_, err := v.verify(payload, &d)
	return err
}

// VerifyMap is [Verifier.Verify] for platforms, such as serverless
// runtimes, that hand over the request headers as a map with one value per
// name. Names match regardless of case; two names that differ only in case
// count as one header given twice.
func (v *Verifier) VerifyMap(payload []byte, headers map[string]string) error {
	d := headersFromMap(headers)
	_, err := v.verify(payload, &d)
	return err
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

// verify is Verify, which also returns the index of the secret that
// matched, -1 when none did.
func (v *Verifier) verify(payload []byte, d *deliveryHeaders) (int, error) {
	if v == nil || len(v.hooks) == 0 {
		return -1, fmt.Errorf("%w: the Verifier has no secret; create it with NewVerifier", ErrInvalidSecret)
	}
	if err := d.check(); err != nil {
		return -1, err
	}
	fam := d.chosen()
	if err := v.checkTimestamp(fam.fields[1].value, fam.names[1]); err != nil {
		return -1, err
	}
	if i := v.match(payload, fam); i >= 0 {
		return i, nil
	}
	return -1, fmt.Errorf("%w in %s", ErrNoMatchingSignature, fam.names[2])
}

// check reports headers that are absent, empty or repeated. A request
// without any signature header is told of the svix-* names, which Clerk
// sends, rather than of the webhook-* ones.
func (d *deliveryHeaders) check() error {
	fam := d.chosen()
	if d.none() {
		return fmt.Errorf("%w: none of %s, %s, %s (nor their webhook-* names) is present", ErrMissingHeaders, d.svix.names[0], d.svix.names[1], d.svix.names[2])
	}
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
	return nil
}

// none reports whether the request has no signature header of either
// family.
func (d *deliveryHeaders) none() bool {
	for i := range d.svix.fields {
		if d.svix.fields[i].n > 0 || d.webhook.fields[i].n > 0 {
			return false
		}
	}
	return true
}

// match returns the index of the first secret whose signature of payload
// the checked headers of fam carry, or -1. The secrets are tried in turn,
// so the main one costs what it would alone.
func (v *Verifier) match(payload []byte, fam *family) int {
	// The library reads the webhook-* names; the headers have been
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
	return v.matchAny(payload, l.h)
}

// matchAny returns the index of the first secret whose signature of
// payload the headers, under the library's names, carry, or -1.
func (v *Verifier) matchAny(payload []byte, h http.Header) int {
	for i, hook := range v.hooks {
		if hook.VerifyIgnoringTimestamp(payload, h) == nil {
			return i
		}
	}
	return -1
}

// checkTimestamp refuses a timestamp that is not canonical decimal Unix
// seconds or that lies outside the tolerance around the clock. The
// signature covers the timestamp's text while the library signs its
// parsed value, so only the one spelling of a number is accepted.
func (v *Verifier) checkTimestamp(ts, name string) error {
	signed, ok := parseTimestamp(ts)
	if !ok {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrMalformedHeaders, name)
	}
	now := v.now()
	if age := now.Sub(signed); age > v.tolerance {
		return fmt.Errorf("%w: %s is %v behind the clock, tolerance %v", ErrTimestampTooOld, name, age.Round(time.Second), v.tolerance)
	}
	if ahead := signed.Sub(now); ahead > v.tolerance {
		return fmt.Errorf("%w: %s is %v ahead of the clock, tolerance %v", ErrTimestampTooNew, name, ahead.Round(time.Second), v.tolerance)
	}
	return nil
}

// parseTimestamp parses canonical decimal Unix seconds.
func parseTimestamp(ts string) (time.Time, bool) {
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return time.Time{}, false
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec > maxTimestamp || (len(ts) > 1 && ts[0] == '0') {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}
