package clerkhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// benchBodies are a typical Clerk delivery and a large one: the event
// fixtures when present, or generated JSON of the same size otherwise.
func benchBodies(b *testing.B) []struct {
	name string
	body []byte
} {
	return []struct {
		name string
		body []byte
	}{
		{"user.created", benchBody(b, "testdata/events/user.created.json", 3700)},
		{"user.updated.large", benchBody(b, "testdata/events/user.updated.large.json", 40000)},
	}
}

func benchBody(b *testing.B, path string, size int) []byte {
	body, err := os.ReadFile(path)
	if err == nil {
		return body
	}
	require.ErrorIs(b, err, fs.ErrNotExist)

	// A user.created envelope whose metadata is padded to the size.
	evt := map[string]any{
		"object":      "event",
		"type":        "user.created",
		"timestamp":   1735689599000,
		"instance_id": "ins_2nLw00aBcDeFgHiJkLmNoPqRsTu",
		"data": map[string]any{
			"object":     "user",
			"id":         "user_2nLxA1b2C3d4E5f6G7h8I9j0K",
			"first_name": "Ada",
			"last_name":  "Quill",
			"email_addresses": []map[string]any{{
				"id": "idn_2nLxB1", "object": "email_address", "email_address": "ada@example.test",
				"verification": map[string]any{"status": "verified", "strategy": "email_code"},
			}},
			"created_at":      1735689590123,
			"updated_at":      1735689590123,
			"public_metadata": map[string]any{"notes": ""},
		},
	}
	base, err := json.Marshal(evt)
	require.NoError(b, err)
	evt["data"].(map[string]any)["public_metadata"] = map[string]any{"notes": strings.Repeat("x", size-len(base))}
	body, err = json.Marshal(evt)
	require.NoError(b, err)
	require.Len(b, body, size)
	return body
}

// BenchmarkVerify compares Verifier.Verify with calling the library's own
// Verify directly, which is the least any verification through it costs.
func BenchmarkVerify(b *testing.B) {
	const id = "msg_2nLx9QkWf3TzVb7HdPq1sRcYeJm"
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, bb := range benchBodies(b) {
		sig := libSign(b, verifySecret, id, now, bb.body)

		b.Run(fmt.Sprintf("body=%s/%dB/clerkhook", bb.name, len(bb.body)), func(b *testing.B) {
			v, err := clerkhook.NewVerifier(verifySecret, clerkhook.WithClock(func() time.Time { return now }))
			require.NoError(b, err)
			h := svixHeaders(id, ts, sig)
			require.NoError(b, v.Verify(bb.body, h))
			b.SetBytes(int64(len(bb.body)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := v.Verify(bb.body, h); err != nil {
					b.Fatal(err)
				}
			}
		})

		b.Run(fmt.Sprintf("body=%s/%dB/library-Verify", bb.name, len(bb.body)), func(b *testing.B) {
			wh, err := standardwebhooks.NewWebhook(verifySecret)
			require.NoError(b, err)
			h := webhookHeaders(id, ts, sig)
			require.NoError(b, wh.Verify(bb.body, h))
			b.SetBytes(int64(len(bb.body)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := wh.Verify(bb.body, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHMACFloor is the bare cost of the signature: HMAC-SHA256 over
// id.timestamp.body into reused buffers, then a constant-time compare.
func BenchmarkHMACFloor(b *testing.B) {
	const id = "msg_2nLx9QkWf3TzVb7HdPq1sRcYeJm"
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(verifySecret, "whsec_"))
	require.NoError(b, err)
	for _, bb := range benchBodies(b) {
		b.Run(fmt.Sprintf("body=%s/%dB", bb.name, len(bb.body)), func(b *testing.B) {
			want := []byte(strings.TrimPrefix(libSign(b, verifySecret, id, now, bb.body), "v1,"))
			prefix := []byte(id + "." + ts + ".")
			mac := hmac.New(sha256.New, key)
			sum := make([]byte, 0, sha256.Size)
			enc := make([]byte, base64.StdEncoding.EncodedLen(sha256.Size))
			b.SetBytes(int64(len(bb.body)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				mac.Reset()
				mac.Write(prefix)
				mac.Write(bb.body)
				base64.StdEncoding.Encode(enc, mac.Sum(sum[:0]))
				if !hmac.Equal(enc, want) {
					b.Fatal("signature mismatch")
				}
			}
		})
	}
}
