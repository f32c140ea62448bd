// Command prometheus exports metrics of the Clerk webhook deliveries a
// clerkhook Handler answers: an observer registered with
// clerkhook.WithObserver counts them in clerkhook_deliveries_total and
// times them in clerkhook_delivery_duration_seconds, which GET /metrics
// serves.
//
// It reads the signing secret from CLERK_WEBHOOK_SECRET and listens on
// :8080.
//
//	CLERK_WEBHOOK_SECRET=whsec_... go run ./prometheus
//	curl localhost:8080/metrics
package main

import (
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/clerkhook/clerkhook"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	secret := os.Getenv("CLERK_WEBHOOK_SECRET")
	if secret == "" {
		logger.Error("set CLERK_WEBHOOK_SECRET to the endpoint's signing secret from the Clerk Dashboard")
		os.Exit(1)
	}
	mux, err := newRouter(secret, clerkhook.NewMemoryStore(), prometheus.NewRegistry(), logger)
	if err != nil {
		logger.Error("prometheus", "error", err)
		os.Exit(1)
	}
	srv := &http.Server{
		Addr:              ":8080",
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      20 * time.Second,
	}
	logger.Info("listening", "addr", srv.Addr)
	if err := srv.ListenAndServe(); err != nil {
		logger.Error("prometheus", "error", err)
		os.Exit(1)
	}
}

// newRouter mounts the Handler, observed by the metrics it registers with
// reg, and the /metrics endpoint that serves reg.
func newRouter(secret string, store clerkhook.UserStore, reg *prometheus.Registry, logger *slog.Logger) (http.Handler, error) {
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	h, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(logger), clerkhook.WithObserver(m.observe))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", h)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux, nil
}
