package main

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/clerkhook/clerkhook"
)

// instrumentation is the name of this code as a tracer's and a meter's.
const instrumentation = "github.com/clerkhook/clerkhook/examples/otel"

// telemetry turns the Observations of a clerkhook Handler into a span per
// delivery, a counter of deliveries and a histogram of their durations.
type telemetry struct {
	tracer     trace.Tracer
	deliveries metric.Int64Counter
	duration   metric.Float64Histogram
	now        func() time.Time
}

func newTelemetry(tp trace.TracerProvider, mp metric.MeterProvider, now func() time.Time) (*telemetry, error) {
	meter := mp.Meter(instrumentation)
	deliveries, err := meter.Int64Counter("clerk.webhook.deliveries",
		metric.WithDescription("Clerk webhook deliveries answered, by event type, outcome and reason."),
		metric.WithUnit("{delivery}"))
	if err != nil {
		return nil, err
	}
	duration, err := meter.Float64Histogram("clerk.webhook.duration",
		metric.WithDescription("Time to answer a Clerk webhook delivery, from verification to the store write and the event handlers."),
		metric.WithUnit("s"))
	if err != nil {
		return nil, err
	}
	return &telemetry{tracer: tp.Tracer(instrumentation), deliveries: deliveries, duration: duration, now: now}, nil
}

// observe is the Handler's observer (clerkhook.WithObserver). It runs once
// the answer is written, in the request's context, where otelhttp's server
// span is: the delivery's span is its child, dated back by the
// Observation's duration.
//
// Metric attributes have few values each (the delivery and object ids go
// to the span only), and nothing holds personal data: an Observation has
// none but in Err, which may quote a store's error and goes to the span
// only, as it goes to the log.
func (t *telemetry) observe(ctx context.Context, o clerkhook.Observation) {
	end := t.now()
	labels := []attribute.KeyValue{
		attribute.String("clerk.event_type", o.EventType),
		attribute.String("clerk.outcome", string(o.Outcome)),
		attribute.String("clerk.reason", o.Reason),
		attribute.String("http.response.status_code", strconv.Itoa(o.Status)),
	}
	t.deliveries.Add(ctx, 1, metric.WithAttributes(labels...))
	t.duration.Record(ctx, o.Duration.Seconds(), metric.WithAttributes(labels...))

	name := "clerk.webhook"
	if o.EventType != "" {
		name += " " + o.EventType
	}
	_, span := t.tracer.Start(ctx, name, trace.WithTimestamp(end.Add(-o.Duration)), trace.WithSpanKind(trace.SpanKindInternal))
	span.SetAttributes(labels...)
	span.SetAttributes(
		attribute.String("clerk.delivery_id", o.DeliveryID),
		attribute.String("clerk.object_id", o.ObjectID),
		attribute.String("clerk.secret_fingerprint", o.SecretFingerprint),
	)
	if o.Outcome == clerkhook.OutcomeFailed || o.Outcome == clerkhook.OutcomeRejected {
		if o.Err != nil {
			span.RecordError(o.Err)
		}
		span.SetStatus(codes.Error, string(o.Outcome))
	}
	span.End(trace.WithTimestamp(end))
}
