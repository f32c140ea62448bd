package clerkhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

func TestDiagnose(t *testing.T) {
	// A body as Svix sends it: compact, with text beyond ASCII and an
	// HTML character that encoders tend to escape.
	signed := []byte(`{"data":{"id":"user_2pQDiag","first_name":"Zoë","last_name":"O'Brien <ops>"},"object":"event","type":"user.updated"}`)
	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, signed, "", "  "))
	const id = "msg_2pQDiagnose"

	signer := func(secret string) *clerkhooktest.Signer {
		s, err := clerkhooktest.NewSigner(secret)
		require.NoError(t, err)
		return s
	}
	mainFP, err := clerkhook.SecretFingerprint(verifySecret)
	require.NoError(t, err)
	otherFP, err := clerkhook.SecretFingerprint(verifyOtherSecret)
	require.NoError(t, err)
	headersAt := func(secret string, at time.Time, body []byte) http.Header {
		return signer(secret).Headers(id, at, body)
	}
	headers := func(body []byte) http.Header { return headersAt(verifySecret, verifyNow, body) }
	without := func(h http.Header, name string) http.Header { h.Del(name); return h }
	webhookFamily := func(h http.Header) http.Header {
		w := http.Header{}
		for _, n := range []string{"id", "timestamp", "signature"} {
			w.Set("webhook-"+n, h.Get("svix-"+n))
		}
		return w
	}

	tests := []struct {
		name       string
		headers    http.Header
		body       []byte
		wantErr    error
		family     string
		missing    []string
		repeated   []string
		skew       time.Duration
		secret     int
		change     string
		noSkewRead bool
	}{
		{name: "verifies", headers: headers(signed), body: signed, family: "svix", secret: 0},
		{name: "verifies with the additional secret", headers: headersAt(verifyOtherSecret, verifyNow, signed), body: signed, family: "svix", secret: 1},
		{name: "webhook-* headers", headers: webhookFamily(headers(signed)), body: signed, family: "webhook", secret: 0},
		{name: "no signature header", headers: http.Header{"Content-Type": {"application/json"}}, body: signed,
			wantErr: clerkhook.ErrMissingHeaders, secret: -1, noSkewRead: true},
		{name: "svix-signature stripped", headers: without(headers(signed), "svix-signature"), body: signed,
			wantErr: clerkhook.ErrMissingHeaders, family: "svix", missing: []string{"svix-signature"}, secret: -1},
		{name: "svix-id given twice", headers: func() http.Header { h := headers(signed); h.Add("svix-id", id); return h }(), body: signed,
			wantErr: clerkhook.ErrMalformedHeaders, family: "svix", repeated: []string{"svix-id"}, secret: 0},
		{name: "signed 2 hours ago", headers: headersAt(verifySecret, verifyNow.Add(-2*time.Hour), signed), body: signed,
			wantErr: clerkhook.ErrTimestampTooOld, family: "svix", skew: -2 * time.Hour, secret: 0},
		{name: "signed 10 minutes ahead", headers: headersAt(verifySecret, verifyNow.Add(10*time.Minute), signed), body: signed,
			wantErr: clerkhook.ErrTimestampTooNew, family: "svix", skew: 10 * time.Minute, secret: 0},
		{name: "another endpoint's secret", headers: headersAt(clerkhooktest.NewSecret(), verifyNow, signed), body: signed,
			wantErr: clerkhook.ErrNoMatchingSignature, family: "svix", secret: -1},
		{name: "trailing newline added", headers: headers(signed), body: append(bytes.Clone(signed), '\n'),
			wantErr: clerkhook.ErrNoMatchingSignature, family: "svix", secret: 0, change: "a trailing newline was added"},
		{name: "trailing CRLF added", headers: headers(signed), body: append(bytes.Clone(signed), '\r', '\n'),
			wantErr: clerkhook.ErrNoMatchingSignature, family: "svix", secret: 0, change: "a trailing newline was added"},
		{name: "trailing newline removed", headers: headers(append(bytes.Clone(signed), '\n')), body: signed,
			wantErr: clerkhook.ErrNoMatchingSignature, family: "svix", secret: 0, change: "a trailing newline was removed"},
		{name: "re-indented", headers: headers(signed), body: indented.Bytes(),
			wantErr: clerkhook.ErrNoMatchingSignature, family: "svix", secret: 0, change: "the JSON was re-indented (white space was added)"},
		{name: "compacted", headers: headers(indented.Bytes()), body: signed,
			wantErr: clerkhook.ErrNoMatchingSignature, family: "svix", secret: 0, change: "the JSON was compacted (white space was removed)"},
		{name: "re-encoded with HTML escapes", headers: headers(signed),
			body:    []byte(strings.NewReplacer("<", `\u003c`, ">", `\u003e`).Replace(string(signed))),
			wantErr: clerkhook.ErrNoMatchingSignature, family: "svix", secret: 0, change: "the JSON was parsed and encoded again (its strings are escaped differently)"},
		{name: "re-encoded as ASCII", headers: headers(signed), body: []byte(strings.ReplaceAll(string(signed), "ë", `\u00eb`)),
			wantErr: clerkhook.ErrNoMatchingSignature, family: "svix", secret: 0, change: "the JSON was parsed and encoded again (its strings are escaped differently)"},
		{name: "signed body had escapes, received body has none", headers: headers([]byte(strings.NewReplacer("<", `\u003c`, ">", `\u003e`).Replace(string(signed)))), body: signed,
			wantErr: clerkhook.ErrNoMatchingSignature, family: "svix", secret: 0, change: "the JSON was parsed and encoded again (its strings are escaped differently)"},
		{name: "changed with the additional secret", headers: headersAt(verifyOtherSecret, verifyNow, signed), body: append(bytes.Clone(signed), '\n'),
			wantErr: clerkhook.ErrNoMatchingSignature, family: "svix", secret: 1, change: "a trailing newline was added"},
		{name: "a value changed", headers: headers(signed), body: bytes.Replace(signed, []byte("Zoë"), []byte("Zoe"), 1),
			wantErr: clerkhook.ErrNoMatchingSignature, family: "svix", secret: -1},
	}
	v := newTestVerifier(t, verifySecret, clerkhook.WithAdditionalSecrets(verifyOtherSecret))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := v.Diagnose(tt.body, tt.headers)
			if tt.wantErr == nil {
				require.NoError(t, d.Err)
			} else {
				require.ErrorIs(t, d.Err, tt.wantErr)
			}
			assert.Equal(t, v.Verify(tt.body, tt.headers), d.Err, "Err is what Verify returns")
			assert.Equal(t, tt.family, d.Family)
			assert.Equal(t, tt.missing, d.Missing)
			assert.Equal(t, tt.repeated, d.Repeated)
			assert.Equal(t, tt.secret, d.SecretIndex)
			switch tt.secret {
			case -1:
				assert.Empty(t, d.SecretFingerprint)
			case 0:
				assert.Equal(t, mainFP, d.SecretFingerprint)
			case 1:
				assert.Equal(t, otherFP, d.SecretFingerprint)
			}
			assert.Equal(t, tt.change, d.BodyChange)
			if tt.noSkewRead {
				assert.True(t, d.Timestamp.IsZero())
				return
			}
			assert.Equal(t, tt.skew, d.Skew)
			ts, err := strconv.ParseInt(tt.headers.Get(tt.family+"-timestamp"), 10, 64)
			require.NoError(t, err)
			assert.Equal(t, time.Unix(ts, 0), d.Timestamp)
			assert.Equal(t, id, d.DeliveryID)
			if len(tt.missing) == 0 {
				assert.Equal(t, 1, d.Signatures)
			}
		})
	}
}

func TestDiagnoseMap(t *testing.T) {
	body := []byte(`{"type":"user.deleted"}`)
	s, err := clerkhooktest.NewSigner(verifySecret)
	require.NoError(t, err)
	h := s.Headers("msg_map", verifyNow, body)
	m := map[string]string{"svix-id": h.Get("svix-id"), "SVIX-TIMESTAMP": h.Get("svix-timestamp"), "svix-signature": h.Get("svix-signature")}
	v := newTestVerifier(t, verifySecret)
	d := v.DiagnoseMap(body, m)
	require.NoError(t, d.Err)
	assert.Equal(t, 0, d.SecretIndex)
	d = v.DiagnoseMap(append(bytes.Clone(body), '\n'), m)
	assert.Equal(t, "a trailing newline was added", d.BodyChange)
}

func TestDiagnoseZeroVerifier(t *testing.T) {
	var v *clerkhook.Verifier
	d := v.Diagnose([]byte(`{}`), http.Header{})
	assert.ErrorIs(t, d.Err, clerkhook.ErrInvalidSecret)
	assert.Equal(t, -1, d.SecretIndex)
}

// FuzzDiagnose checks that any body and signature header can be diagnosed,
// and that the diagnosis agrees with Verify.
func FuzzDiagnose(f *testing.F) {
	s, err := clerkhooktest.NewSigner(verifySecret)
	require.NoError(f, err)
	for _, body := range []string{`{"a":"<é>"}`, "[1, 2.50, {\"b\": null}]\n", `"\ud800"`, `{"a":1}{"b":2}`, ""} {
		f.Add([]byte(body), s.Sign("msg_fuzz", verifyNow, []byte(body)))
	}
	v := newTestVerifier(f, verifySecret)
	f.Fuzz(func(t *testing.T, body []byte, signature string) {
		h := http.Header{"Svix-Id": {"msg_fuzz"}, "Svix-Timestamp": {strconv.FormatInt(verifyNow.Unix(), 10)}, "Svix-Signature": {signature}}
		d := v.Diagnose(body, h)
		err := v.Verify(body, h)
		assert.Equal(t, err, d.Err)
		if err == nil {
			assert.Equal(t, 0, d.SecretIndex)
			assert.Empty(t, d.BodyChange)
		}
		if d.BodyChange != "" {
			assert.Equal(t, 0, d.SecretIndex)
		}
	})
}
