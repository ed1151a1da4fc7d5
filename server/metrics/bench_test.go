package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/backlogai/backlogai/server/metrics"
	"github.com/backlogai/backlogai/server/tracing"
)

// BenchmarkMiddlewareOverhead serves a trivial route in process (no
// network) bare, with the metrics middleware, and with metrics and
// tracing (every request sampled, spans dropped by a no-op exporter): the
// per-request cost the instrumentation adds.
//
//	go test -run '^$' -bench MiddlewareOverhead -benchmem ./server/metrics/
func BenchmarkMiddlewareOverhead(b *testing.B) {
	tp, err := tracing.New(context.Background(), tracing.Options{Exporter: tracetest.NewNoopExporter()})
	if err != nil {
		b.Fatal(err)
	}
	defer tp.Shutdown(context.Background())
	for _, c := range []struct {
		name string
		mws  func() []echo.MiddlewareFunc
	}{
		{"bare", func() []echo.MiddlewareFunc { return nil }},
		{"metrics", func() []echo.MiddlewareFunc { return []echo.MiddlewareFunc{metrics.New().Echo()} }},
		{"metrics+tracing", func() []echo.MiddlewareFunc { return []echo.MiddlewareFunc{metrics.New().Echo(), tp.Echo()} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := echo.New()
			e.Use(c.mws()...)
			e.GET("/api/issues/:issue", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
			req := httptest.NewRequest(http.MethodGet, "/api/issues/SHOP-1", nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
