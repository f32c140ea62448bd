package clerkhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

func TestCountUsers(t *testing.T) {
	const key = "sk_test_cOuNt0123456789abcdefghijklmnop"
	tests := []struct {
		name    string
		status  int
		answer  string
		want    int
		wantErr string
	}{
		{"a count", http.StatusOK, `{"object":"total_count","total_count":4210}`, 4210, ""},
		{"no users", http.StatusOK, `{"object":"total_count","total_count":0}`, 0, ""},
		{"no total", http.StatusOK, `{"object":"total_count"}`, 0, "the answer holds no total_count"},
		{"a negative total", http.StatusOK, `{"total_count":-1}`, 0, "the answer holds no total_count"},
		{"not JSON", http.StatusOK, `<html>`, 0, "the answer holds no total_count"},
		{"a wrong key", http.StatusUnauthorized, `{"errors":[{"code":"authentication_invalid"}]}`, 0,
			"clerkhook: counting users: Clerk Backend API answered 401 Unauthorized (authentication_invalid)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "/v1/users/count", r.URL.Path)
				assert.Equal(t, "Bearer "+key, r.Header.Get("Authorization"))
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.answer)
			}))
			t.Cleanup(srv.Close)
			api, err := clerkhook.NewBackendAPI(key, clerkhook.WithBackendURL(srv.URL))
			require.NoError(t, err)

			n, err := api.CountUsers(context.Background())

			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), key)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, n)
		})
	}
}
