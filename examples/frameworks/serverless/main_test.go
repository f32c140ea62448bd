package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

func TestInvokeOnceReadsAnAPIGatewayEvent(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	fn, store := newTestFunction(t, secret)
	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_2invoke" })
	require.NoError(t, err)
	payload, err := json.Marshal(evt)
	require.NoError(t, err)
	d := sign(t, secret, payload, strings.ToLower)

	// An HTTP API (payload format 2.0) event, trimmed to what matters.
	event, err := json.Marshal(map[string]any{
		"version":         "2.0",
		"routeKey":        "POST /webhooks/clerk",
		"headers":         d.headers,
		"body":            base64.StdEncoding.EncodeToString(d.body),
		"isBase64Encoded": true,
	})
	require.NoError(t, err)

	var out bytes.Buffer
	require.NoError(t, invokeOnce(context.Background(), fn, bytes.NewReader(event), &out))
	var resp response
	require.NoError(t, json.Unmarshal(out.Bytes(), &resp))
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "OK", resp.Body)
	_, err = store.User(context.Background(), "user_2invoke")
	assert.NoError(t, err)

	assert.Error(t, invokeOnce(context.Background(), fn, strings.NewReader("not json"), &out))
}
