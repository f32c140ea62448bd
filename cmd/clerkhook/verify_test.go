package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

var verifyClock = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// wireCapture writes a request as nc -l shows it: with CRLF line endings,
// or LF ones, and the body plain or chunked.
func wireCapture(h http.Header, body []byte, lf, chunked bool) []byte {
	var b bytes.Buffer
	b.WriteString("POST /webhooks/clerk HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Svix-Webhooks/1.62.0\r\nContent-Type: application/json\r\n")
	for name, values := range h {
		for _, v := range values {
			fmt.Fprintf(&b, "%s: %s\r\n", name, v)
		}
	}
	if chunked {
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		half := len(body) / 2
		fmt.Fprintf(&b, "%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", half, body[:half], len(body)-half, body[half:])
	} else {
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	}
	if !lf {
		return b.Bytes()
	}
	// Only the head's line endings change: the body is bytes.
	head, rest, _ := bytes.Cut(b.Bytes(), []byte("\r\n\r\n"))
	return append(append(bytes.ReplaceAll(head, []byte("\r\n"), []byte("\n")), "\n\n"...), rest...)
}

// jsonCaptureOf writes a request as a serverless platform logs it.
func jsonCaptureOf(t *testing.T, h http.Header, body any, base64Body bool) []byte {
	headers := map[string]string{"content-type": "application/json"}
	for name := range h {
		headers[strings.ToLower(name)] = h.Get(name)
	}
	c := map[string]any{"headers": headers, "body": body, "isBase64Encoded": base64Body}
	if b, ok := body.([]byte); ok {
		c["body"] = string(b)
		if base64Body {
			c["body"] = base64.StdEncoding.EncodeToString(b)
		}
	}
	out, err := json.MarshalIndent(c, "", "  ")
	require.NoError(t, err)
	return out
}

func TestVerifyCommand(t *testing.T) {
	secret, other := clerkhooktest.NewSecret(), clerkhooktest.NewSecret()
	fp, err := clerkhook.SecretFingerprint(secret)
	require.NoError(t, err)
	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.FirstName = ptrTo("Zoë") })
	require.NoError(t, err)
	body, err := json.Marshal(evt)
	require.NoError(t, err)
	var pretty bytes.Buffer
	require.NoError(t, json.Indent(&pretty, body, "", "  "))
	signer, err := clerkhooktest.NewSigner(secret)
	require.NoError(t, err)
	const id = "msg_2verifyCommand"
	signedAt := func(at time.Time) http.Header { return signer.Headers(id, at, body) }
	signed := signedAt(verifyClock.Add(-3 * time.Second))
	without := func(name string) http.Header { h := signedAt(verifyClock); h.Del(name); return h }
	otherSigner, err := clerkhooktest.NewSigner(other)
	require.NoError(t, err)
	dumped := func() []byte {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
		for k, v := range signed {
			r.Header[k] = v
		}
		out, err := httputil.DumpRequest(r, true)
		require.NoError(t, err)
		return out
	}()

	tests := []struct {
		name    string
		args    []string
		env     string
		capture []byte
		code    int
		stdout  []string // lines the output holds, in order
		stderr  string
	}{
		{name: "wire format verifies", args: []string{"-secret", secret}, capture: wireCapture(signed, body, false, false), code: 0,
			stdout: []string{"capture          HTTP/1.1 wire format, POST /webhooks/clerk, a body of",
				"headers    ok    svix-id, svix-timestamp, svix-signature; delivery " + id,
				"timestamp  ok    signed 2026-12-01T11:59:57Z, 3s before this machine's clock; the tolerance is 5m0s",
				"signature  ok    matches secret 1 of 1 (fingerprint " + fp + ")",
				"result     ok    the request verifies"}},
		{name: "LF line endings", args: []string{"-secret", secret}, capture: wireCapture(signed, body, true, false), code: 0,
			stdout: []string{"result     ok    the request verifies"}},
		{name: "chunked body", args: []string{"-secret", secret}, capture: wireCapture(signed, body, false, true), code: 0,
			stdout: []string{"the body was sent chunked", "result     ok"}},
		{name: "httputil.DumpRequest", args: []string{"-secret", secret}, capture: dumped, code: 0, stdout: []string{"result     ok"}},
		{name: "trailing bytes after the body", args: []string{"-secret", secret}, capture: append(wireCapture(signed, body, false, false), '\n'), code: 0,
			stdout: []string{"1 bytes after the body are ignored", "result     ok"}},
		{name: "JSON capture", args: []string{"-secret", secret}, capture: jsonCaptureOf(t, signed, body, false), code: 0,
			stdout: []string{"capture          JSON, a body of", "result     ok"}},
		{name: "JSON capture, base64 body", args: []string{"-secret", secret}, capture: jsonCaptureOf(t, signed, body, true), code: 0,
			stdout: []string{"base64-encoded by the platform", "result     ok"}},
		{name: "secrets from the environment, the second matches", env: other + ", " + secret, capture: wireCapture(signed, body, false, false), code: 0,
			stdout: []string{"signature  ok    matches secret 2 of 2 (fingerprint " + fp + ")", "hint: The request is signed with secret 2"}},
		{name: "no signature header", args: []string{"-secret", secret}, capture: wireCapture(http.Header{}, body, false, false), code: 1,
			stdout: []string{"headers    FAIL  no svix-id, svix-timestamp or svix-signature header (nor webhook-*)",
				"signature        not checked", "result     FAIL", "hint: The request carries none of Svix's headers: a proxy"}},
		{name: "svix-signature stripped", args: []string{"-secret", secret}, capture: wireCapture(without("svix-signature"), body, false, false), code: 1,
			stdout: []string{"headers    FAIL  svix-* headers, but svix-signature absent or empty", "hint: Some of the svix-* headers are missing"}},
		{name: "clock skew", args: []string{"-secret", secret}, capture: wireCapture(signedAt(verifyClock.Add(-2*time.Hour)), body, false, false), code: 1,
			stdout: []string{"timestamp  FAIL  signed 2026-12-01T10:00:00Z, 2h0m0s before this machine's clock",
				"signature  ok    matches secret 1 of 1", "result     FAIL  the request does not verify: clerkhook: timestamp too old",
				"hint: The signature is right but the timestamp is out of tolerance", "timedatectl"}},
		{name: "old capture with a wider tolerance", args: []string{"-secret", secret, "-tolerance", "3h"},
			capture: wireCapture(signedAt(verifyClock.Add(-2*time.Hour)), body, false, false), code: 0, stdout: []string{"result     ok"}},
		{name: "another endpoint's secret", args: []string{"-secret", secret}, capture: wireCapture(otherSigner.Headers(id, verifyClock, body), body, false, false), code: 1,
			stdout: []string{"signature  FAIL  no secret of the 1 given (fingerprints " + fp + ") matches", "hint: The request was signed with another secret"}},
		{name: "trailing newline added", args: []string{"-secret", secret}, capture: wireCapture(signed, append(bytes.Clone(body), '\n'), false, false), code: 1,
			stdout: []string{"signature  FAIL  no secret matches the body received",
				"body       FAIL  changed after signing: a trailing newline was added; the body before that matches secret 1 of 1 (fingerprint " + fp + ")",
				"hint: The secret is right, but the body was changed after Svix signed it"}},
		{name: "the framework parsed it", args: []string{"-secret", other, "-secret", secret}, capture: jsonCaptureOf(t, signed, pretty.Bytes(), false), code: 1,
			stdout: []string{"body       FAIL  changed after signing: the JSON was re-indented (white space was added); the body before that matches secret 2 of 2 (fingerprint " + fp + ")",
				"express.raw"}},
		{name: "body logged as JSON", args: []string{"-secret", secret}, capture: jsonCaptureOf(t, signed, json.RawMessage(body), false), code: 1,
			stdout: []string{`the "body" is a JSON value, not a string`, "body       FAIL  changed after signing: the JSON was re-indented"}},
		{name: "empty body", args: []string{"-secret", secret}, capture: wireCapture(signed, nil, false, false), code: 1,
			stdout: []string{"hint: The body is empty"}},
		{name: "a secret key given", args: []string{"-secret", secret, "-secret", "sk_test_0123456789abcdefghijklmnopqrstuvwxyzAB"}, capture: wireCapture(signed, body, false, false), code: 2,
			stderr: "secret 2 of 2: clerkhook: invalid signing secret: the secret is a Clerk secret key (sk_…)"},
		{name: "a publishable key given", args: []string{"-secret", "pk_test_Y2xlcmsuZXhhbXBsZS50ZXN0JA"}, capture: wireCapture(signed, body, false, false), code: 2,
			stderr: "is a Clerk publishable key (pk_…), the one of the frontend; the endpoint's Signing Secret, whsec_…, is wanted (Clerk Dashboard → Webhooks → your endpoint → Signing Secret)"},
		{name: "no secret", capture: wireCapture(signed, body, false, false), code: 2, stderr: "no signing secret"},
		{name: "not a capture", args: []string{"-secret", secret}, capture: []byte("hello\n"), code: 2, stderr: "the capture is neither an HTTP/1.1 request"},
		{name: "cut short", args: []string{"-secret", secret}, capture: wireCapture(signed, body, false, false)[:300], code: 2, stderr: "shorter than its Content-Length"},
		{name: "bad tolerance", args: []string{"-secret", secret, "-tolerance", "0s"}, capture: wireCapture(signed, body, false, false), code: 2, stderr: "-tolerance 0s"},
		{name: "two files", args: []string{"-secret", secret, "a", "b"}, code: 2, stderr: `unexpected argument "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CLERK_WEBHOOK_SECRET", tt.env)
			var stdout, stderr bytes.Buffer
			args := tt.args
			if tt.capture != nil {
				args = append(args, "-")
			}
			code := runVerify(args, bytes.NewReader(tt.capture), &stdout, &stderr, func() time.Time { return verifyClock })
			assert.Equal(t, tt.code, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			out := stdout.String()
			for _, line := range tt.stdout {
				i := strings.Index(out, line)
				if !assert.GreaterOrEqual(t, i, 0, "want %q in\n%s", line, stdout.String()) {
					break
				}
				out = out[i+len(line):]
			}
			if tt.stderr != "" {
				assert.Contains(t, stderr.String(), tt.stderr)
			}
			for _, s := range []string{secret, other, strings.TrimPrefix(secret, "whsec_"), "Zoë", evt.InstanceID} {
				assert.NotContains(t, stdout.String()+stderr.String(), s, "never a secret or the body")
			}
		})
	}
}

func TestVerifyCommandReadsAFile(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	signer, err := clerkhooktest.NewSigner(secret)
	require.NoError(t, err)
	body := []byte(`{"type":"user.deleted","object":"event","data":{"id":"user_2file","object":"user","deleted":true}}`)
	path := filepath.Join(t.TempDir(), "capture.txt")
	require.NoError(t, os.WriteFile(path, wireCapture(signer.Headers("msg_file", verifyClock, body), body, true, false), 0o600))
	cleanEnv(t)
	code, stdout, stderr := runCLI(t, "verify", "-secret", secret, "-tolerance", "1000000h", path)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "result     ok    the request verifies")
	code, _, stderr = runCLI(t, "verify", "-secret", secret, filepath.Join(t.TempDir(), "missing.txt"))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "reading the capture")
}

func TestSplitSecrets(t *testing.T) {
	assert.Equal(t, []string{"whsec_a", "whsec_b", "whsec_c"}, splitSecrets(" whsec_a,whsec_b \n whsec_c,"))
	assert.Empty(t, splitSecrets(" , "))
}

func ptrTo[T any](v T) *T { return &v }
