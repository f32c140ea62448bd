package main

import (
	"context"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clerkhook/clerkhook"
)

// metrics turns the Observations of a clerkhook Handler into Prometheus
// metrics. Every label takes values from a bounded set: the event types
// of Clerk's catalog, the outcomes, the rejection reasons and the status
// codes the Handler answers with.
type metrics struct {
	deliveries *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	// known holds the event types of the catalog. A signed body may carry
	// any type at all, so the others count as "other".
	known map[string]bool
}

// newMetrics registers the metrics with reg.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clerkhook_deliveries_total",
			Help: "Clerk webhook requests answered, by event type (empty when refused before parsing), outcome, rejection reason and status code.",
		}, []string{"event_type", "outcome", "reason", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "clerkhook_delivery_duration_seconds",
			Help:    "Time taken to answer a Clerk webhook request, by event type and outcome.",
			Buckets: prometheus.DefBuckets,
		}, []string{"event_type", "outcome"}),
		known: make(map[string]bool),
	}
	for _, t := range clerkhook.EventTypes() {
		m.known[t] = true
	}
	for _, c := range []prometheus.Collector{m.deliveries, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe is the observer given to clerkhook.WithObserver.
func (m *metrics) observe(_ context.Context, o clerkhook.Observation) {
	eventType := m.eventType(o.EventType)
	m.deliveries.WithLabelValues(eventType, string(o.Outcome), o.Reason, strconv.Itoa(o.Status)).Inc()
	m.duration.WithLabelValues(eventType, string(o.Outcome)).Observe(o.Duration.Seconds())
}

// eventType is the label value of an event type.
func (m *metrics) eventType(t string) string {
	if t == "" || m.known[t] {
		return t
	}
	return "other"
}
