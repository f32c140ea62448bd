package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// FuzzHandle checks that no body, however it is flagged, panics the
// function or is answered but 200, 400 or 401: a 500 would have Clerk
// retry a delivery that can never succeed.
func FuzzHandle(f *testing.F) {
	secret := clerkhooktest.NewSecret()
	evt, err := clerkhooktest.UserCreated()
	if err != nil {
		f.Fatal(err)
	}
	payload, err := json.Marshal(evt)
	if err != nil {
		f.Fatal(err)
	}
	signed := sign(f, secret, payload, strings.ToLower)
	f.Add(string(payload), false)
	f.Add(base64.StdEncoding.EncodeToString(payload), true)
	f.Add("", false)
	f.Add("=", true)
	f.Fuzz(func(t *testing.T, body string, isBase64Encoded bool) {
		fn, _ := newTestFunction(t, secret)
		switch status := fn.handle(context.Background(), signed.headers, body, isBase64Encoded); status {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized:
		default:
			t.Fatalf("answered %d", status)
		}
	})
}
