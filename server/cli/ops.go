package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/metrics"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/tracing"
	"github.com/backlogai/backlogai/server/web"
)

// ops is the operability wiring of one process: Prometheus metrics and
// OpenTelemetry tracing around the store, the HTTP clients, the job
// handlers and the web server.
type ops struct {
	cfg     *config.Config
	log     *slog.Logger
	metrics *metrics.Metrics
	tracing *tracing.Provider

	srv *http.Server // the METRICS_ADDR listener's server, if any
	url string
	wg  sync.WaitGroup
}

func newOps(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) (*ops, error) {
	tp, err := tracing.New(ctx, tracing.Options{Endpoint: cfg.OTLPEndpoint, TracesEndpoint: cfg.OTLPTracesEndpoint, Version: Version})
	if err != nil {
		return nil, err
	}
	// Jobs carry the enqueuer's trace and webhook time on (lag metric), on
	// or off.
	st.StampJobs(tracing.JobContext)
	if tp.Enabled() {
		if err := st.Trace(tp.TracerProvider()); err != nil {
			return nil, errors.Join(err, tp.Shutdown(ctx))
		}
	}
	m := metrics.New()
	if err := m.RegisterStore(st, log); err != nil {
		return nil, errors.Join(err, tp.Shutdown(ctx))
	}
	return &ops{cfg: cfg, log: log, metrics: m, tracing: tp}, nil
}

// jiraHTTP is the transport of every Jira call: counted and traced under
// the signing client, so each attempt (retries, 429s) is seen.
func (o *ops) jiraHTTP(timeout time.Duration) *http.Client {
	rt := o.tracing.Transport(nil, func(r *http.Request) string { return "jira " + r.Method })
	return &http.Client{Timeout: timeout, Transport: o.metrics.JiraTransport(rt)}
}

// instrumentGenerator counts and traces the LLM (and research) calls and
// meters tokens and cost. gen is not in use yet.
func (o *ops) instrumentGenerator(gen *generate.Service) {
	if gen.HTTP != nil {
		rt := o.tracing.Transport(gen.HTTP.Transport, func(r *http.Request) string {
			if strings.HasSuffix(r.URL.Path, "/chat/completions") {
				return "llm " + r.Method
			}
			return "research " + r.Method
		})
		gen.HTTP.Transport = o.metrics.LLMTransport(rt)
	}
	gen.WrapMeter = o.metrics.Meter
}

// wrapJobs traces (continuing the enqueuer's trace) and counts the jobs.
func (o *ops) wrapJobs(hs map[string]jobs.Handler) map[string]jobs.Handler {
	return tracing.WrapHandlers(o.tracing, o.metrics.WrapHandlers(hs))
}

// mount adds the request metrics and server spans to the web server and,
// with METRICS_TOKEN and no METRICS_ADDR, the token-guarded /metrics.
func (o *ops) mount(srv *web.Server) {
	e := srv.Echo()
	mws := []echo.MiddlewareFunc{o.metrics.Echo()}
	if mw := o.tracing.Echo(); mw != nil {
		mws = append(mws, mw)
	}
	e.Use(mws...)
	if o.cfg.MetricsToken != "" && o.cfg.MetricsAddr == "" {
		e.GET("/metrics", echo.WrapHandler(metrics.RequireToken(o.metrics.Handler(), o.cfg.MetricsToken)), web.NoStore)
	}
}

// listen binds METRICS_ADDR (if set) and serves /metrics there, behind
// the token when one is set.
func (o *ops) listen() error {
	if o.cfg.MetricsAddr == "" {
		return nil
	}
	l, err := net.Listen("tcp", o.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("METRICS_ADDR: listen %s: %w", o.cfg.MetricsAddr, err)
	}
	var h http.Handler = o.metrics.Handler()
	if o.cfg.MetricsToken != "" {
		h = metrics.RequireToken(h, o.cfg.MetricsToken)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	o.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(o.log.Handler(), slog.LevelWarn)}
	o.url = "http://" + l.Addr().String() + "/metrics"
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		if err := o.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.log.Error("metrics server stopped", "err", err)
		}
	}()
	return nil
}

// close stops the metrics listener and flushes the spans still buffered.
func (o *ops) close(ctx context.Context) error {
	var err error
	if o.srv != nil {
		err = o.srv.Shutdown(ctx)
		o.wg.Wait()
	}
	return errors.Join(err, o.tracing.Shutdown(ctx))
}
