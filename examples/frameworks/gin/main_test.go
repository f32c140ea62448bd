package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/examples/frameworks/internal/routertest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

func TestRouter(t *testing.T) {
	routertest.Run(t, newRouter)
}

func TestVerifyClerkStopsTheChainOnRefusal(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	v, err := clerkhook.NewVerifier(secret)
	require.NoError(t, err)
	evt, err := clerkhooktest.UserCreated()
	require.NoError(t, err)

	tests := []struct {
		name    string
		secret  string
		status  int
		reached bool
	}{
		{name: "signed", secret: secret, status: http.StatusNoContent, reached: true},
		{name: "forged", secret: clerkhooktest.NewSecret(), status: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reached []string
			r := gin.New()
			r.POST("/", verifyClerk(v), func(c *gin.Context) {
				reached = append(reached, c.MustGet(eventKey).(*clerkhook.Event).ID)
				c.Next()
			}, func(c *gin.Context) {
				c.Status(http.StatusNoContent)
			})
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, tt.secret, evt))
			assert.Equal(t, tt.status, rec.Code)
			if tt.reached {
				assert.Equal(t, []string{evt.ID}, reached)
			} else {
				assert.Empty(t, reached)
			}
		})
	}
}
