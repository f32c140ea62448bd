package clerkhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// sigVector is one known-answer vector of testdata/signatures/vectors.json.
type sigVector struct {
	Name      string `json:"name"`
	Secret    string `json:"secret"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Body      string `json:"body"`
	Signature string `json:"signature"`
}

func readSigVectors(tb testing.TB) []sigVector {
	tb.Helper()
	raw, err := os.ReadFile("testdata/signatures/vectors.json")
	require.NoError(tb, err)
	var vs []sigVector
	require.NoError(tb, json.Unmarshal(raw, &vs))
	require.NotEmpty(tb, vs)
	return vs
}

// Invented secrets for the tests below.
const (
	verifySecret      = "whsec_MfKQ9r8GzpQqlhN3mEWcp3Ja7rYmT0xk"
	verifyOtherSecret = "whsec_TnpE4cNeOi4W8hqD8xW1VvL0kHhWcbXy"
	verifyThirdSecret = "whsec_c2Vjb25kLXJvdGF0aW9uLWtleS1ieXRlcw=="
)

// verifyNow is the fixed clock of these tests.
var verifyNow = time.Unix(1735689600, 0)

func fixedClock() time.Time { return verifyNow }

// libSign signs as Svix does, with the standard-webhooks library.
func libSign(tb testing.TB, secret, id string, ts time.Time, body []byte) string {
	tb.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(tb, err)
	sig, err := wh.Sign(id, ts, body)
	require.NoError(tb, err)
	return sig
}

func svixHeaders(id, ts, sig string) http.Header {
	h := http.Header{}
	h.Set("svix-id", id)
	h.Set("svix-timestamp", ts)
	h.Set("svix-signature", sig)
	return h
}

func webhookHeaders(id, ts, sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", sig)
	return h
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func newTestVerifier(tb testing.TB, secret string, opts ...clerkhook.VerifierOption) *clerkhook.Verifier {
	tb.Helper()
	v, err := clerkhook.NewVerifier(secret, append([]clerkhook.VerifierOption{clerkhook.WithClock(fixedClock)}, opts...)...)
	require.NoError(tb, err)
	return v
}

// verifyErrors are the sentinels every verification error must match one of.
var verifyErrors = []error{
	clerkhook.ErrMissingHeaders,
	clerkhook.ErrMalformedHeaders,
	clerkhook.ErrNoMatchingSignature,
	clerkhook.ErrTimestampTooOld,
	clerkhook.ErrTimestampTooNew,
	clerkhook.ErrInvalidSecret,
}

func sentinelOf(err error) error {
	for _, s := range verifyErrors {
		if errors.Is(err, s) {
			return s
		}
	}
	return nil
}

func TestVerifyKnownAnswers(t *testing.T) {
	for _, vec := range readSigVectors(t) {
		t.Run(vec.Name, func(t *testing.T) {
			// Recompute the vector with crypto/hmac alone, so that the file,
			// the library and this package are checked against each other.
			key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(vec.Secret, "whsec_"))
			require.NoError(t, err)
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte(vec.ID + "." + vec.Timestamp + "." + vec.Body))
			assert.Equal(t, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)), vec.Signature, "vector file")

			sec, err := strconv.ParseInt(vec.Timestamp, 10, 64)
			require.NoError(t, err)
			signedAt := time.Unix(sec, 0)
			assert.Equal(t, vec.Signature, libSign(t, vec.Secret, vec.ID, signedAt, []byte(vec.Body)), "library Sign")

			v, err := clerkhook.NewVerifier(vec.Secret, clerkhook.WithClock(func() time.Time { return signedAt }))
			require.NoError(t, err)
			body := []byte(vec.Body)
			require.NoError(t, v.Verify(body, svixHeaders(vec.ID, vec.Timestamp, vec.Signature)))
			require.NoError(t, v.Verify(body, webhookHeaders(vec.ID, vec.Timestamp, vec.Signature)))
			require.NoError(t, v.VerifyMap(body, map[string]string{
				"svix-id": vec.ID, "svix-timestamp": vec.Timestamp, "svix-signature": vec.Signature,
			}))

			// The signature covers the bytes as sent: any change, even one
			// a JSON re-encoding would make, breaks it.
			changed := append([]byte(vec.Body), ' ')
			assert.ErrorIs(t, v.Verify(changed, svixHeaders(vec.ID, vec.Timestamp, vec.Signature)), clerkhook.ErrNoMatchingSignature)
			if len(body) > 0 {
				flipped := []byte(vec.Body)
				flipped[len(flipped)/2] ^= 0x01
				assert.ErrorIs(t, v.Verify(flipped, svixHeaders(vec.ID, vec.Timestamp, vec.Signature)), clerkhook.ErrNoMatchingSignature)
			}
		})
	}
}

func TestVerifyAcceptsLibrarySignature(t *testing.T) {
	body := []byte(`{"data":{"id":"user_2pQ7c5XkR4mWb1","first_name":"Ada"},"object":"event","type":"user.updated"}`)
	const id = "msg_2pQ7cAq0VfL3nZr8"
	ts := unix(verifyNow)
	sig := libSign(t, verifySecret, id, verifyNow, body)
	v := newTestVerifier(t, verifySecret)

	tests := []struct {
		name    string
		headers http.Header
	}{
		{"svix headers", svixHeaders(id, ts, sig)},
		{"webhook headers", webhookHeaders(id, ts, sig)},
		{"lower-case keys built by hand", http.Header{"svix-id": {id}, "svix-timestamp": {ts}, "svix-signature": {sig}}},
		{"values padded with white space", svixHeaders(" "+id+"\t", " "+ts+" ", "  "+sig+"  ")},
		{"svix triple wins over a broken webhook triple", func() http.Header {
			h := svixHeaders(id, ts, sig)
			h.Set("webhook-signature", "v1,AAAA")
			return h
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, v.Verify(body, tt.headers))
		})
	}
}

func TestVerifySignatureEntries(t *testing.T) {
	body := []byte(`{"data":{"id":"org_2pQ8Lm3"},"type":"organization.updated"}`)
	const id = "msg_2pQ8LmEntries"
	ts := unix(verifyNow)
	good := libSign(t, verifySecret, id, verifyNow, body)
	goodValue := strings.TrimPrefix(good, "v1,")
	bad := libSign(t, verifyOtherSecret, id, verifyNow, body)
	v := newTestVerifier(t, verifySecret)

	hundreds := func(last string) string {
		entries := make([]string, 0, 501)
		for i := range 500 {
			entries = append(entries, "v1,"+base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(i))))
		}
		return strings.Join(append(entries, last), " ")
	}

	tests := []struct {
		name    string
		sig     string
		wantErr error
	}{
		{"one good entry", good, nil},
		{"good entry after unknown versions and garbage", "v1a," + goodValue + " v2," + goodValue + " %%% v1, v1,,, " + good, nil},
		{"good entry before a bad one", good + " " + bad, nil},
		{"entries separated by several spaces", bad + "    " + good, nil},
		{"good entry after 500 bad ones", hundreds(good), nil},
		{"500 bad entries", hundreds(bad), clerkhook.ErrNoMatchingSignature},
		{"empty v1 entry", "v1,", clerkhook.ErrNoMatchingSignature},
		{"version without value", "v1", clerkhook.ErrNoMatchingSignature},
		{"only v1a", "v1a," + goodValue, clerkhook.ErrNoMatchingSignature},
		{"only v2", "v2," + goodValue, clerkhook.ErrNoMatchingSignature},
		{"value without version", goodValue, clerkhook.ErrNoMatchingSignature},
		{"undecodable value", "v1,not base64!", clerkhook.ErrNoMatchingSignature},
		{"good value in upper case version", "V1," + goodValue, clerkhook.ErrNoMatchingSignature},
		{"signature of another secret", bad, clerkhook.ErrNoMatchingSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Verify(body, svixHeaders(id, ts, tt.sig))
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestVerifyTimestamp(t *testing.T) {
	body := []byte(`{"type":"session.created"}`)
	const id = "msg_2pQ9TimeStamp"

	tests := []struct {
		name     string
		signedAt time.Time
		opts     []clerkhook.VerifierOption
		wantErr  error
	}{
		{"now", verifyNow, nil, nil},
		{"default tolerance, just inside in the past", verifyNow.Add(-clerkhook.DefaultTolerance), nil, nil},
		{"default tolerance, just outside in the past", verifyNow.Add(-clerkhook.DefaultTolerance - time.Second), nil, clerkhook.ErrTimestampTooOld},
		{"default tolerance, just inside in the future", verifyNow.Add(clerkhook.DefaultTolerance), nil, nil},
		{"default tolerance, just outside in the future", verifyNow.Add(clerkhook.DefaultTolerance + time.Second), nil, clerkhook.ErrTimestampTooNew},
		{"short tolerance, just inside in the past", verifyNow.Add(-30 * time.Second), []clerkhook.VerifierOption{clerkhook.WithTolerance(30 * time.Second)}, nil},
		{"short tolerance, just outside in the past", verifyNow.Add(-31 * time.Second), []clerkhook.VerifierOption{clerkhook.WithTolerance(30 * time.Second)}, clerkhook.ErrTimestampTooOld},
		{"short tolerance, just inside in the future", verifyNow.Add(30 * time.Second), []clerkhook.VerifierOption{clerkhook.WithTolerance(30 * time.Second)}, nil},
		{"short tolerance, just outside in the future", verifyNow.Add(31 * time.Second), []clerkhook.VerifierOption{clerkhook.WithTolerance(30 * time.Second)}, clerkhook.ErrTimestampTooNew},
		{"long tolerance admits an hour-old delivery", verifyNow.Add(-time.Hour), []clerkhook.VerifierOption{clerkhook.WithTolerance(time.Hour)}, nil},
		{"a day old", verifyNow.Add(-24 * time.Hour), nil, clerkhook.ErrTimestampTooOld},
		{"the Unix epoch", time.Unix(0, 0), nil, clerkhook.ErrTimestampTooOld},
		{"the last second of year 9999", time.Unix(253402300799, 0), nil, clerkhook.ErrTimestampTooNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTestVerifier(t, verifySecret, tt.opts...)
			sig := libSign(t, verifySecret, id, tt.signedAt, body)
			err := v.Verify(body, svixHeaders(id, unix(tt.signedAt), sig))
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestVerifyRejectsHeaders(t *testing.T) {
	body := []byte(`{"data":{"id":"user_2pQAhdr","first_name":"Grace","last_name":"Hopperfield"},"type":"user.created"}`)
	const id = "msg_2pQAHeaders"
	ts := unix(verifyNow)
	sig := libSign(t, verifySecret, id, verifyNow, body)
	v := newTestVerifier(t, verifySecret)

	withTimestamp := func(ts string) http.Header { return svixHeaders(id, ts, sig) }
	tests := []struct {
		name    string
		headers http.Header
		wantErr error
	}{
		{"no headers", http.Header{}, clerkhook.ErrMissingHeaders},
		{"nil headers", nil, clerkhook.ErrMissingHeaders},
		{"no svix-id", http.Header{"Svix-Timestamp": {ts}, "Svix-Signature": {sig}}, clerkhook.ErrMissingHeaders},
		{"no svix-timestamp", http.Header{"Svix-Id": {id}, "Svix-Signature": {sig}}, clerkhook.ErrMissingHeaders},
		{"no svix-signature", http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}}, clerkhook.ErrMissingHeaders},
		{"no webhook-signature", http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}}, clerkhook.ErrMissingHeaders},
		{"svix-id blank", svixHeaders("  ", ts, sig), clerkhook.ErrMissingHeaders},
		{"svix-signature empty", svixHeaders(id, ts, ""), clerkhook.ErrMissingHeaders},
		{"svix-timestamp given as an empty list", http.Header{"Svix-Id": {id}, "Svix-Timestamp": {}, "Svix-Signature": {sig}}, clerkhook.ErrMissingHeaders},
		{"svix-id with the webhook-* rest", http.Header{"Svix-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}, clerkhook.ErrMissingHeaders},
		{"webhook-id with the svix-* rest", http.Header{"Webhook-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig}}, clerkhook.ErrMissingHeaders},
		{"svix-signature given twice", http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig, sig}}, clerkhook.ErrMalformedHeaders},
		{"svix-id given twice", http.Header{"Svix-Id": {id, id}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig}}, clerkhook.ErrMalformedHeaders},
		{"svix-timestamp under canonical and lower-case keys", http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "svix-timestamp": {ts}, "Svix-Signature": {sig}}, clerkhook.ErrMalformedHeaders},
		{"webhook-id given twice", http.Header{"Webhook-Id": {id, id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}, clerkhook.ErrMalformedHeaders},
		{"timestamp not a number", withTimestamp("yesterday"), clerkhook.ErrMalformedHeaders},
		{"timestamp negative", withTimestamp("-1"), clerkhook.ErrMalformedHeaders},
		{"timestamp with a plus sign", withTimestamp("+" + ts), clerkhook.ErrMalformedHeaders},
		{"timestamp with a leading zero", withTimestamp("0" + ts), clerkhook.ErrMalformedHeaders},
		{"timestamp with a fraction", withTimestamp(ts + ".5"), clerkhook.ErrMalformedHeaders},
		{"timestamp in milliseconds", withTimestamp(ts + "000"), clerkhook.ErrMalformedHeaders},
		{"timestamp in exponent form", withTimestamp("1.7e9"), clerkhook.ErrMalformedHeaders},
		{"timestamp in hex", withTimestamp("0x676e7d00"), clerkhook.ErrMalformedHeaders},
		{"timestamp with an inner space", withTimestamp(ts[:4] + " " + ts[4:]), clerkhook.ErrMalformedHeaders},
		{"timestamp past year 9999", withTimestamp("253402300800"), clerkhook.ErrMalformedHeaders},
		{"timestamp at the int64 limit", withTimestamp("9223372036854775807"), clerkhook.ErrMalformedHeaders},
		{"timestamp overflowing int64", withTimestamp("99999999999999999999999"), clerkhook.ErrMalformedHeaders},
		{"timestamp in RFC 3339", withTimestamp(verifyNow.UTC().Format(time.RFC3339)), clerkhook.ErrMalformedHeaders},
		{"stale timestamp with a bad signature is refused for its age", svixHeaders(id, unix(verifyNow.Add(-time.Hour)), "v1,AAAA"), clerkhook.ErrTimestampTooOld},
		{"another id", svixHeaders(id+"x", ts, sig), clerkhook.ErrNoMatchingSignature},
		{"another timestamp", withTimestamp(unix(verifyNow.Add(time.Second))), clerkhook.ErrNoMatchingSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Verify(body, tt.headers)
			require.ErrorIs(t, err, tt.wantErr)
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "clerkhook: "), msg)
			assert.NotContains(t, msg, string(body))
			assert.NotContains(t, msg, "Hopperfield")
			assert.NotContains(t, msg, strings.TrimPrefix(sig, "v1,"))
			assert.NotContains(t, msg, strings.TrimPrefix(verifySecret, "whsec_"))
		})
	}
}

func TestVerifyRejectsBody(t *testing.T) {
	body := []byte(`{"data":{"id":"user_2pQBbody","email_addresses":[{"email_address":"ada@example.test"}]},"type":"user.created"}`)
	const id = "msg_2pQBBody"
	ts := unix(verifyNow)
	sig := libSign(t, verifySecret, id, verifyNow, body)
	v := newTestVerifier(t, verifySecret)

	flip := func(i int) []byte {
		b := append([]byte(nil), body...)
		b[i] ^= 0x20
		return b
	}
	tests := []struct {
		name string
		body []byte
	}{
		{"first byte flipped", flip(0)},
		{"middle byte flipped", flip(len(body) / 2)},
		{"last byte flipped", flip(len(body) - 1)},
		{"truncated", body[:len(body)-1]},
		{"trailing newline added", append(append([]byte(nil), body...), '\n')},
		{"re-encoded with indentation", func() []byte {
			var v any
			require.NoError(t, json.Unmarshal(body, &v))
			b, err := json.MarshalIndent(v, "", " ")
			require.NoError(t, err)
			return b
		}()},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Verify(tt.body, svixHeaders(id, ts, sig))
			require.ErrorIs(t, err, clerkhook.ErrNoMatchingSignature)
			assert.NotContains(t, err.Error(), "ada@example.test")
		})
	}
	require.NoError(t, v.Verify(body, svixHeaders(id, ts, sig)), "the unchanged body still verifies")
}

func TestVerifyRotation(t *testing.T) {
	body := []byte(`{"data":{"id":"user_2pQCrot"},"type":"user.updated"}`)
	const id = "msg_2pQCRotation"
	ts := unix(verifyNow)
	byOld := libSign(t, verifySecret, id, verifyNow, body)
	byNew := libSign(t, verifyOtherSecret, id, verifyNow, body)
	byThird := libSign(t, verifyThirdSecret, id, verifyNow, body)

	tests := []struct {
		name       string
		main       string
		additional []string
		sig        string
		wantErr    error
	}{
		{"new main, old additional, signed by old", verifyOtherSecret, []string{verifySecret}, byOld, nil},
		{"new main, old additional, signed by new", verifyOtherSecret, []string{verifySecret}, byNew, nil},
		{"old main, new additional, signed by new", verifySecret, []string{verifyOtherSecret}, byNew, nil},
		{"old main, new additional, signed by both", verifySecret, []string{verifyOtherSecret}, byOld + " " + byNew, nil},
		{"match on the second additional secret", verifySecret, []string{verifyOtherSecret, verifyThirdSecret}, byThird, nil},
		{"signed by a secret not configured", verifySecret, []string{verifyOtherSecret}, byThird, clerkhook.ErrNoMatchingSignature},
		{"old secret dropped", verifyOtherSecret, nil, byOld, clerkhook.ErrNoMatchingSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTestVerifier(t, tt.main, clerkhook.WithAdditionalSecrets(tt.additional...))
			err := v.Verify(body, svixHeaders(id, ts, tt.sig))
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestNewVerifierInvalidSecret(t *testing.T) {
	// 15 bytes, one short of the minimum.
	short := "whsec_" + base64.StdEncoding.EncodeToString([]byte("fifteen-bytes!!"))
	// The last character carries non-zero padding bits, which lenient
	// decoders drop silently.
	nonCanonical := "whsec_ukDljWRO3HeAD3oG3JiYth=="

	tests := []struct {
		name       string
		main       string
		additional []string
		wantText   string
	}{
		{"empty", "", nil, "the secret is empty"},
		{"prefix only", "whsec_", nil, "the secret is empty"},
		{"not base64", "whsec_this is not base64!", nil, "the secret is not standard base64"},
		{"URL-safe alphabet", "whsec_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_", nil, "the secret is not standard base64"},
		{"missing padding", "whsec_ukDljWRO3HeAD3oG3JiYtg", nil, "the secret is not standard base64"},
		{"non-zero padding bits", nonCanonical, nil, "the secret is not standard base64"},
		{"surrounded by spaces", " " + verifySecret + " ", nil, "the secret is not standard base64"},
		{"prefix given twice", "whsec_" + verifySecret, nil, "the secret is not standard base64"},
		{"shorter than 16 bytes", short, nil, "the secret decodes to 15 bytes, fewer than 16"},
		{"bad first additional secret", verifySecret, []string{"whsec_%%%%"}, "additional secret #1 is not standard base64"},
		{"bad second additional secret", verifySecret, []string{verifyOtherSecret, short}, "additional secret #2 decodes to 15 bytes"},
		{"empty additional secret", verifySecret, []string{""}, "additional secret #1 is empty"},
		{"a Clerk secret key", "sk_test_2pQAbCdEfGhIjKlMnOpQrStUvWxYz0123456789", nil,
			"the secret is a Clerk secret key (sk_…), the one of the Backend API; the endpoint's Signing Secret, whsec_…, is wanted (Clerk Dashboard → Webhooks → your endpoint → Signing Secret)"},
		{"a Clerk live secret key", "sk_live_2pQAbCdEfGhIjKlMnOpQrStUvWxYz0123456789", nil, "the secret is a Clerk secret key (sk_…)"},
		{"a Clerk publishable key", "pk_test_Y2xlcmsuZXhhbXBsZS50ZXN0JA", nil,
			"the secret is a Clerk publishable key (pk_…), the one of the frontend; the endpoint's Signing Secret, whsec_…, is wanted"},
		{"a Clerk secret key as additional secret", verifySecret, []string{"sk_live_2pQAbCdEfGhIjKlMnOpQrStUvWxYz0123456789"}, "additional secret #1 is a Clerk secret key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := clerkhook.NewVerifier(tt.main, clerkhook.WithAdditionalSecrets(tt.additional...))
			require.ErrorIs(t, err, clerkhook.ErrInvalidSecret)
			assert.Nil(t, v)
			assert.Contains(t, err.Error(), tt.wantText)
			for _, s := range append([]string{tt.main}, tt.additional...) {
				if enc := strings.TrimSpace(strings.TrimPrefix(s, "whsec_")); len(enc) > 8 {
					assert.NotContains(t, err.Error(), enc)
				}
			}

			_, err = clerkhook.NewHandler(tt.main, clerkhook.NewMemoryStore(), clerkhook.WithAdditionalSecrets(tt.additional...))
			assert.ErrorIs(t, err, clerkhook.ErrInvalidSecret, "NewHandler")
		})
	}
}

func TestNewVerifierAcceptsSecrets(t *testing.T) {
	tests := []struct {
		name   string
		secret string
	}{
		{"Clerk form", verifySecret},
		{"without prefix", strings.TrimPrefix(verifySecret, "whsec_")},
		{"padded base64", verifyThirdSecret},
		{"16 bytes", "whsec_" + base64.StdEncoding.EncodeToString([]byte("sixteen-bytes!!!"))},
		{"64 bytes", "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 64)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := clerkhook.NewVerifier(tt.secret)
			require.NoError(t, err)
			require.NotNil(t, v)
		})
	}
}

// TestOptionTypes checks what the compiler holds to: a handler-only
// option cannot be passed to NewVerifier, and a verifier option can be
// passed to NewHandler.
func TestOptionTypes(t *testing.T) {
	verifierOption := reflect.TypeFor[clerkhook.VerifierOption]()
	handlerOption := reflect.TypeFor[clerkhook.HandlerOption]()
	tests := []struct {
		name        string
		constructor any
		verifier    bool
	}{
		{"WithAdditionalSecrets", clerkhook.WithAdditionalSecrets, true},
		{"WithTolerance", clerkhook.WithTolerance, true},
		{"WithClock", clerkhook.WithClock, true},
		{"WithLogger", clerkhook.WithLogger, false},
		{"WithMaxBodyBytes", clerkhook.WithMaxBodyBytes, false},
		{"WithTimeout", clerkhook.WithTimeout, false},
		{"WithEventHandler", clerkhook.WithEventHandler, false},
		{"WithObserver", clerkhook.WithObserver, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := reflect.TypeOf(tt.constructor)
			require.Equal(t, 1, fn.NumOut())
			out := fn.Out(0)
			assert.True(t, out.AssignableTo(handlerOption), "every option is one of NewHandler")
			assert.Equal(t, tt.verifier, out.AssignableTo(verifierOption), "an option of NewVerifier")
		})
	}
	assert.False(t, handlerOption.AssignableTo(verifierOption))
}

func TestZeroVerifierOption(t *testing.T) {
	_, err := clerkhook.NewVerifier(verifySecret, clerkhook.VerifierOption{})
	require.Error(t, err)
	_, err = clerkhook.NewHandler(verifySecret, clerkhook.NewMemoryStore(), clerkhook.VerifierOption{})
	require.Error(t, err)
	_, err = clerkhook.NewHandler(verifySecret, clerkhook.NewMemoryStore(), nil)
	require.Error(t, err)
}

func TestVerifyMap(t *testing.T) {
	body := []byte(`{"data":{"id":"user_2pQDmap"},"type":"user.deleted"}`)
	const id = "msg_2pQDMap"
	ts := unix(verifyNow)
	sig := libSign(t, verifySecret, id, verifyNow, body)
	v := newTestVerifier(t, verifySecret)

	tests := []struct {
		name    string
		headers map[string]string
		wantErr error
	}{
		{"lower case, as API Gateway v2 sends", map[string]string{"svix-id": id, "svix-timestamp": ts, "svix-signature": sig, "content-type": "application/json"}, nil},
		{"canonical case", map[string]string{"Svix-Id": id, "Svix-Timestamp": ts, "Svix-Signature": sig}, nil},
		{"mixed case", map[string]string{"SVIX-ID": id, "svix-Timestamp": ts, "Svix-signature": sig}, nil},
		{"webhook-* family", map[string]string{"webhook-id": id, "Webhook-Timestamp": ts, "WEBHOOK-SIGNATURE": sig}, nil},
		{"one name in two cases", map[string]string{"svix-id": id, "Svix-Id": id, "svix-timestamp": ts, "svix-signature": sig}, clerkhook.ErrMalformedHeaders},
		{"missing signature", map[string]string{"svix-id": id, "svix-timestamp": ts}, clerkhook.ErrMissingHeaders},
		{"mixed families", map[string]string{"svix-id": id, "webhook-timestamp": ts, "webhook-signature": sig}, clerkhook.ErrMissingHeaders},
		{"nil map", nil, clerkhook.ErrMissingHeaders},
		{"bad signature", map[string]string{"svix-id": id, "svix-timestamp": ts, "svix-signature": "v1,AAAA"}, clerkhook.ErrNoMatchingSignature},
		{"stale", map[string]string{"svix-id": id, "svix-timestamp": unix(verifyNow.Add(-time.Hour)), "svix-signature": sig}, clerkhook.ErrTimestampTooOld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.VerifyMap(body, tt.headers)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestDeliveryIDFollowsVerify(t *testing.T) {
	tests := []struct {
		name    string
		headers http.Header
		want    string
	}{
		{"svix-id", svixHeaders("msg_1", "1", "v1,x"), "msg_1"},
		{"trimmed", http.Header{"Svix-Id": {"  msg_2 \t"}}, "msg_2"},
		{"lower-case key built by hand", http.Header{"svix-id": {"msg_3"}}, "msg_3"},
		{"webhook-id", webhookHeaders("msg_4", "1", "v1,x"), "msg_4"},
		{"svix family present without svix-id", http.Header{"Svix-Signature": {"v1,x"}, "Webhook-Id": {"msg_5"}}, ""},
		{"svix-id preferred over webhook-id", http.Header{"Svix-Id": {"msg_6"}, "Webhook-Id": {"msg_7"}}, "msg_6"},
		{"given twice", http.Header{"Svix-Id": {"msg_8", "msg_9"}}, ""},
		{"blank", http.Header{"Svix-Id": {"   "}}, ""},
		{"none", http.Header{}, ""},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, clerkhook.DeliveryID(tt.headers))
		})
	}
}

func TestVerifyZeroVerifier(t *testing.T) {
	body := []byte(`{}`)
	h := svixHeaders("msg_zero", unix(time.Now()), libSign(t, verifySecret, "msg_zero", time.Now(), body))
	var zero clerkhook.Verifier
	assert.ErrorIs(t, zero.Verify(body, h), clerkhook.ErrInvalidSecret)
	var nilVerifier *clerkhook.Verifier
	assert.ErrorIs(t, nilVerifier.Verify(body, h), clerkhook.ErrInvalidSecret)
	assert.ErrorIs(t, nilVerifier.VerifyMap(body, map[string]string{}), clerkhook.ErrInvalidSecret)
}

func FuzzVerify(f *testing.F) {
	for _, vec := range readSigVectors(f) {
		f.Add([]byte(vec.Body), vec.ID, vec.Timestamp, vec.Signature)
	}
	f.Add([]byte(`{}`), " msg_pad ", " 1735689600 ", "v1, v1a,AAAA  v2,x")
	f.Add([]byte(nil), "", "", "")
	f.Add([]byte(`{"a":1}`), "msg", "-1", "v1,,,,")
	f.Add([]byte(`{"a":1}`), "msg", "99999999999999999999", strings.Repeat("v1,AAAA ", 300))

	v := newTestVerifier(f, verifySecret)
	signer, err := standardwebhooks.NewWebhook(verifySecret)
	require.NoError(f, err)
	now := unix(verifyNow)

	f.Fuzz(func(t *testing.T, body []byte, id, ts, sig string) {
		err := v.Verify(body, http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig}})
		mapErr := v.VerifyMap(body, map[string]string{"svix-id": id, "SVIX-TIMESTAMP": ts, "Svix-Signature": sig})
		if err != nil {
			require.NotNil(t, sentinelOf(err), "unexpected error %v", err)
			require.True(t, strings.HasPrefix(err.Error(), "clerkhook: "))
		}
		require.Equal(t, sentinelOf(err), sentinelOf(mapErr), "Verify and VerifyMap disagree")

		id = strings.TrimSpace(id)
		if id == "" {
			return
		}
		good, err := signer.Sign(id, verifyNow, body)
		require.NoError(t, err)
		require.NoError(t, v.Verify(body, svixHeaders(id, now, sig+" "+good)))
		require.NoError(t, v.Verify(body, webhookHeaders(id, now, good)))
	})
}

func TestSecretFingerprint(t *testing.T) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(verifySecret, "whsec_"))
	require.NoError(t, err)
	sum := sha256.Sum256(key)
	want := fmt.Sprintf("%x", sum[:4])

	got, err := clerkhook.SecretFingerprint(verifySecret)
	require.NoError(t, err)
	assert.Equal(t, want, got, "the first 8 hex digits of the SHA-256 of the key")
	assert.Len(t, got, 8)
	bare, err := clerkhook.SecretFingerprint(strings.TrimPrefix(verifySecret, "whsec_"))
	require.NoError(t, err)
	assert.Equal(t, got, bare, "the prefix is not part of the key")

	other, err := clerkhook.SecretFingerprint(verifyOtherSecret)
	require.NoError(t, err)
	assert.NotEqual(t, got, other)

	_, err = clerkhook.SecretFingerprint("sk_test_abc")
	assert.ErrorIs(t, err, clerkhook.ErrInvalidSecret)

	v := newTestVerifier(t, verifySecret, clerkhook.WithAdditionalSecrets(verifyOtherSecret))
	fps := v.SecretFingerprints()
	assert.Equal(t, []string{got, other}, fps)
	fps[0] = "changed"
	assert.Equal(t, got, v.SecretFingerprints()[0], "the Verifier's own copy")
}

// TestVerifyNamesSvixHeaders checks that a request without any signature
// header is told of the names Clerk sends.
func TestVerifyNamesSvixHeaders(t *testing.T) {
	v := newTestVerifier(t, verifySecret)
	err := v.Verify([]byte(`{}`), http.Header{"Content-Type": {"application/json"}})
	require.ErrorIs(t, err, clerkhook.ErrMissingHeaders)
	assert.Contains(t, err.Error(), "none of svix-id, svix-timestamp, svix-signature (nor their webhook-* names) is present")
	err = v.VerifyMap([]byte(`{}`), map[string]string{})
	assert.Contains(t, err.Error(), "svix-id")

	err = v.Verify([]byte(`{}`), http.Header{"Webhook-Id": {"msg_1"}})
	assert.Contains(t, err.Error(), "webhook-timestamp is absent", "a request with webhook-* headers is told of those")
}
