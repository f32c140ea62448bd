package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

func TestTelemetry(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	secret := clerkhooktest.NewSecret()
	fingerprint, err := clerkhook.SecretFingerprint(secret)
	require.NoError(t, err)
	h, err := newHandler(secret, clerkhook.NewMemoryStore(), tp, mp, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)

	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_2otel" })
	require.NoError(t, err)
	evt.ID = "msg_2otel"
	for range 2 { // processed, then a duplicate
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt, clerkhooktest.WithTarget("/webhooks/clerk")))
		require.Equal(t, http.StatusOK, rec.Code)
	}
	forged := clerkhooktest.NewEventRequest(t, clerkhooktest.NewSecret(), evt, clerkhooktest.WithTarget("/webhooks/clerk"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, forged)
	require.Equal(t, http.StatusUnauthorized, rec.Code)

	// Each request has otelhttp's server span and, as its child, the
	// delivery's span.
	got := spans.GetSpans()
	var deliveries []tracetest.SpanStub
	servers := map[string]tracetest.SpanStub{}
	for _, s := range got {
		if strings.HasPrefix(s.Name, "clerk.webhook") {
			deliveries = append(deliveries, s)
		} else {
			servers[s.SpanContext.SpanID().String()] = s
		}
	}
	require.Len(t, deliveries, 3, "spans: %v", got)
	require.Len(t, servers, 3)
	wantOutcomes := []string{"processed", "duplicate", "rejected"}
	for i, s := range deliveries {
		attrs := attributes(s.Attributes)
		assert.Equal(t, wantOutcomes[i], attrs["clerk.outcome"], i)
		assert.Equal(t, "msg_2otel", attrs["clerk.delivery_id"], i)
		parent, ok := servers[s.Parent.SpanID().String()]
		if assert.True(t, ok, "the delivery's span is a child of otelhttp's") {
			assert.Equal(t, s.SpanContext.TraceID(), parent.SpanContext.TraceID())
		}
		assert.False(t, s.EndTime.Before(s.StartTime))
	}
	assert.Equal(t, "clerk.webhook user.created", deliveries[0].Name)
	assert.Equal(t, fingerprint, attributes(deliveries[0].Attributes)["clerk.secret_fingerprint"])
	assert.Equal(t, "user_2otel", attributes(deliveries[0].Attributes)["clerk.object_id"])
	assert.Equal(t, codes.Unset, deliveries[0].Status.Code)
	assert.Equal(t, "clerk.webhook", deliveries[2].Name, "a rejected request has no event type")
	assert.Equal(t, "bad_signature", attributes(deliveries[2].Attributes)["clerk.reason"])
	assert.Equal(t, codes.Error, deliveries[2].Status.Code)
	assert.Empty(t, attributes(deliveries[2].Attributes)["clerk.secret_fingerprint"])

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	counts := map[string]int64{}
	var histogramCount uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				if m.Name == "clerk.webhook.deliveries" {
					for _, p := range data.DataPoints {
						outcome, _ := p.Attributes.Value("clerk.outcome")
						counts[outcome.AsString()] += p.Value
					}
				}
			case metricdata.Histogram[float64]:
				if m.Name == "clerk.webhook.duration" {
					for _, p := range data.DataPoints {
						histogramCount += p.Count
					}
				}
			}
		}
	}
	assert.Equal(t, map[string]int64{"processed": 1, "duplicate": 1, "rejected": 1}, counts)
	assert.Equal(t, uint64(3), histogramCount)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "clerk.webhook.deliveries" {
				for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
					_, hasID := p.Attributes.Value("clerk.delivery_id")
					assert.False(t, hasID, "no delivery id in a metric's attributes")
				}
			}
		}
	}
}

func attributes(kvs []attribute.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

func TestNewHandlerRefusesABadSecret(t *testing.T) {
	_, err := newHandler("not a secret", clerkhook.NewMemoryStore(), sdktrace.NewTracerProvider(), sdkmetric.NewMeterProvider(), slog.Default())
	assert.ErrorIs(t, err, clerkhook.ErrInvalidSecret)
}
