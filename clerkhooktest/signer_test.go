package clerkhooktest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

func TestNewSecret(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		secret := clerkhooktest.NewSecret()
		require.True(t, strings.HasPrefix(secret, "whsec_"), "secret lacks the whsec_ prefix")
		key, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(secret, "whsec_"))
		require.NoError(t, err, "the secret is not standard base64 after whsec_")
		assert.Len(t, key, 24)
		assert.False(t, seen[secret], "NewSecret repeated a secret")
		seen[secret] = true
		_, err = clerkhook.NewVerifier(secret)
		require.NoError(t, err)
	}
}

// TestSignerSign checks signatures against an HMAC computed here, with the
// key and the signed content spelled out as Svix documents them.
func TestSignerSign(t *testing.T) {
	key := []byte("0123456789abcdef01234567")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	tests := []struct {
		name    string
		id      string
		ts      time.Time
		payload string
	}{
		{"event", "msg_2xQ7hZ1", time.Unix(1767268800, 0), `{"type":"user.created"}`},
		{"fraction of a second is not signed", "msg_2xQ7hZ2", time.Unix(1767268800, 999_999_999), `{}`},
		{"empty body", "msg_2xQ7hZ3", time.Unix(1, 0), ``},
	}
	s, err := clerkhooktest.NewSigner(secret)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte(tt.id + "." + strconv.FormatInt(tt.ts.Unix(), 10) + "." + tt.payload))
			want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
			assert.Equal(t, want, s.Sign(tt.id, tt.ts, []byte(tt.payload)))
		})
	}
}

func TestSignerHeaders(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	s, err := clerkhooktest.NewSigner(secret)
	require.NoError(t, err)
	payload := []byte(`{"type":"user.created","object":"event","data":{}}`)
	now := time.Now()
	h := s.Headers("msg_signed", now, payload)

	assert.Len(t, h, 3)
	assert.Equal(t, "msg_signed", h.Get("svix-id"))
	assert.Equal(t, strconv.FormatInt(now.Unix(), 10), h.Get("svix-timestamp"))
	assert.Equal(t, s.Sign("msg_signed", now, payload), h.Get("svix-signature"))

	v, err := clerkhook.NewVerifier(secret)
	require.NoError(t, err)
	require.NoError(t, v.Verify(payload, h))
	assert.ErrorIs(t, v.Verify(append(payload, ' '), h), clerkhook.ErrNoMatchingSignature)
	other, err := clerkhook.NewVerifier(clerkhooktest.NewSecret())
	require.NoError(t, err)
	assert.ErrorIs(t, other.Verify(payload, h), clerkhook.ErrNoMatchingSignature)

	// The standard-webhooks library, which Svix's own libraries follow,
	// accepts the signature under its header names.
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	require.NoError(t, wh.Verify(payload, http.Header{
		"Webhook-Id":        {h.Get("svix-id")},
		"Webhook-Timestamp": {h.Get("svix-timestamp")},
		"Webhook-Signature": {h.Get("svix-signature")},
	}))
}

func TestNewSignerRefusesInvalidSecrets(t *testing.T) {
	tests := []struct {
		name   string
		secret string
	}{
		{"empty", ""},
		{"prefix only", "whsec_"},
		{"not base64", "whsec_not*base64*at*all*"},
		{"too short", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := clerkhooktest.NewSigner(tt.secret)
			assert.Nil(t, s)
			require.ErrorIs(t, err, clerkhook.ErrInvalidSecret)
			if encoded := strings.TrimPrefix(tt.secret, "whsec_"); encoded != "" {
				assert.NotContains(t, err.Error(), encoded, "the error quotes the secret")
			}
		})
	}
}
