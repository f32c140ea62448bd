// Command otel exports OpenTelemetry traces and metrics of the Clerk webhook
// deliveries a clerkhook Handler answers: otelhttp wraps the Handler in a
// server span, and an observer registered with clerkhook.WithObserver adds
// a span per delivery (event type, outcome, reason, delivery id, the
// fingerprint of the secret that verified it) and records the
// clerk.webhook.deliveries counter and the clerk.webhook.duration
// histogram. The library itself depends on no OpenTelemetry module.
//
// It writes the spans to standard error; a service would configure its
// OTLP exporters instead. It reads the signing secret from
// CLERK_WEBHOOK_SECRET and listens on :8080.
//
//	CLERK_WEBHOOK_SECRET=whsec_... go run .
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/clerkhook/clerkhook"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(logger); err != nil {
		logger.Error("otel", "error", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	secret := os.Getenv("CLERK_WEBHOOK_SECRET")
	if secret == "" {
		return errors.New("set CLERK_WEBHOOK_SECRET to the endpoint's signing secret from the Clerk Dashboard (Webhooks, your endpoint, Signing Secret)")
	}
	exporter, err := stdouttrace.New(stdouttrace.WithWriter(os.Stderr))
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
	defer tp.Shutdown(context.Background())
	// The global meter provider does nothing until a service sets one,
	// with an OTLP or Prometheus exporter.
	handler, err := newHandler(secret, clerkhook.NewMemoryStore(), tp, otel.GetMeterProvider(), logger)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", handler)
	srv := &http.Server{
		Addr:              ":8080",
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      20 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errs := make(chan error, 1)
	go func() { errs <- srv.ListenAndServe() }()
	logger.Info("listening", "addr", srv.Addr, "webhook", "POST /webhooks/clerk")
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// newHandler returns the webhook handler, in otelhttp's server span, with
// the telemetry of each delivery.
func newHandler(secret string, store clerkhook.UserStore, tp trace.TracerProvider, mp metric.MeterProvider, logger *slog.Logger) (http.Handler, error) {
	tel, err := newTelemetry(tp, mp, time.Now)
	if err != nil {
		return nil, err
	}
	webhook, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(logger), clerkhook.WithObserver(tel.observe))
	if err != nil {
		return nil, err
	}
	return otelhttp.NewHandler(webhook, "POST /webhooks/clerk",
		otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp)), nil
}
