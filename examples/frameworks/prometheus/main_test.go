package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

func TestMetricsCountDeliveries(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	reg := prometheus.NewRegistry()
	router, err := newRouter(secret, clerkhook.NewMemoryStore(), reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)

	created, err := clerkhooktest.UserCreated()
	require.NoError(t, err)
	session, err := clerkhooktest.NewEvent(clerkhook.EventSessionCreated, map[string]string{"id": "sess_2metrics"})
	require.NoError(t, err)
	unknown, err := clerkhooktest.NewEvent("acme.unknown", map[string]string{"id": "acme_2metrics"})
	require.NoError(t, err)
	to := clerkhooktest.WithTarget("/webhooks/clerk")
	deliveries := []struct {
		req    *http.Request
		status int
	}{
		{clerkhooktest.NewEventRequest(t, secret, created, to), http.StatusOK},
		{clerkhooktest.NewEventRequest(t, secret, created, to), http.StatusOK}, // a retry
		{clerkhooktest.NewEventRequest(t, clerkhooktest.NewSecret(), created, to, clerkhooktest.WithDeliveryID("msg_2forged")), http.StatusUnauthorized},
		{clerkhooktest.NewEventRequest(t, secret, session, to), http.StatusOK},
		{clerkhooktest.NewEventRequest(t, secret, unknown, to), http.StatusOK},
	}
	for _, d := range deliveries {
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, d.req)
		require.Equal(t, d.status, rec.Code, "body %q", rec.Body.String())
	}

	const want = `
# HELP clerkhook_deliveries_total Clerk webhook requests answered, by event type (empty when refused before parsing), outcome, rejection reason and status code.
# TYPE clerkhook_deliveries_total counter
clerkhook_deliveries_total{event_type="",outcome="rejected",reason="bad_signature",status="401"} 1
clerkhook_deliveries_total{event_type="other",outcome="ignored",reason="",status="200"} 1
clerkhook_deliveries_total{event_type="session.created",outcome="ignored",reason="",status="200"} 1
clerkhook_deliveries_total{event_type="user.created",outcome="duplicate",reason="",status="200"} 1
clerkhook_deliveries_total{event_type="user.created",outcome="processed",reason="",status="200"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "clerkhook_deliveries_total"))

	// One histogram series per event type and outcome, one sample per delivery.
	assert.Equal(t, 5, testutil.CollectAndCount(reg, "clerkhook_delivery_duration_seconds"))
	families, err := reg.Gather()
	require.NoError(t, err)
	var samples uint64
	for _, f := range families {
		if f.GetName() == "clerkhook_delivery_duration_seconds" {
			for _, m := range f.GetMetric() {
				samples += m.GetHistogram().GetSampleCount()
			}
		}
	}
	assert.Equal(t, uint64(len(deliveries)), samples)

	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `clerkhook_deliveries_total{event_type="user.created",outcome="processed",reason="",status="200"} 1`)
}

func TestEventTypeLabel(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry())
	require.NoError(t, err)
	tests := []struct {
		eventType, want string
	}{
		{clerkhook.EventUserCreated, clerkhook.EventUserCreated},
		{clerkhook.EventOrganizationMembershipDeleted, clerkhook.EventOrganizationMembershipDeleted},
		{"", ""},
		{"user.created.v2", "other"},
		{"acme.unknown", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.eventType, func(t *testing.T) {
			assert.Equal(t, tt.want, m.eventType(tt.eventType))
		})
	}
}

func TestObserveCountsOneObservation(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry())
	require.NoError(t, err)
	m.observe(context.Background(), clerkhook.Observation{
		EventType: "acme.unknown",
		Outcome:   clerkhook.OutcomeFailed,
		Status:    http.StatusServiceUnavailable,
	})
	assert.Equal(t, 1.0, testutil.ToFloat64(m.deliveries.WithLabelValues("other", "failed", "", "503")))
}

func TestNewRouterRefusesARegisteredRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := newRouter(clerkhooktest.NewSecret(), clerkhook.NewMemoryStore(), reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	_, err = newRouter(clerkhooktest.NewSecret(), clerkhook.NewMemoryStore(), reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var already prometheus.AlreadyRegisteredError
	assert.ErrorAs(t, err, &already)
}
