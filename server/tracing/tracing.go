// Package tracing is the app's OpenTelemetry tracing: off by default, on
// when OTEL_EXPORTER_OTLP_ENDPOINT names an OTLP/HTTP collector. It builds
// the tracer provider, the echo middleware, HTTP client transports (Jira,
// LLM) and the job-handler wrapper that continues a request's trace on the
// durable queue. The provider is passed in, never installed globally.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Scope names the instrumentation library in every span.
const Scope = "github.com/backlogai/backlogai"

// Options configure New.
type Options struct {
	// Endpoint is OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL;
	// spans go to Endpoint + "/v1/traces". Empty (and no Exporter): off.
	Endpoint string
	// TracesEndpoint, when set (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), is the
	// full URL spans are posted to, as the OTLP spec defines.
	TracesEndpoint string
	ServiceName    string // default "backlogai"
	Version        string
	// Exporter replaces the OTLP/HTTP exporter (tests).
	Exporter sdktrace.SpanExporter
}

// Provider is the tracer provider of the process. A disabled Provider
// hands out no-op tracers and adds no middleware.
type Provider struct {
	tp  trace.TracerProvider
	sdk *sdktrace.TracerProvider
}

// Disabled is a provider that records nothing.
func Disabled() *Provider { return &Provider{tp: noop.NewTracerProvider()} }

// New returns the provider the options ask for: Disabled without an
// endpoint, else one exporting in batches over OTLP/HTTP (protobuf).
// Sampling follows OTEL_TRACES_SAMPLER (default: parent-based, always on).
func New(ctx context.Context, o Options) (*Provider, error) {
	exp := o.Exporter
	if exp == nil {
		target := o.TracesEndpoint
		if target == "" && o.Endpoint != "" {
			target = strings.TrimSuffix(o.Endpoint, "/") + "/v1/traces"
		}
		if target == "" {
			return Disabled(), nil
		}
		if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %q is not an absolute http(s) URL", target)
		}
		var err error
		if exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(target)); err != nil {
			return nil, fmt.Errorf("tracing: otlp exporter: %w", err)
		}
	}
	name := o.ServiceName
	if name == "" {
		name = "backlogai"
	}
	res := resource.NewSchemaless(attribute.String("service.name", name), attribute.String("service.version", o.Version))
	sdk := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Provider{tp: sdk, sdk: sdk}, nil
}

// Enabled reports whether spans are recorded and exported.
func (p *Provider) Enabled() bool { return p != nil && p.sdk != nil }

// TracerProvider is the provider to hand to instrumentation.
func (p *Provider) TracerProvider() trace.TracerProvider {
	if p == nil {
		return noop.NewTracerProvider()
	}
	return p.tp
}

// Tracer is the app's tracer.
func (p *Provider) Tracer() trace.Tracer { return p.TracerProvider().Tracer(Scope) }

// Shutdown flushes the spans still buffered and stops the exporter.
func (p *Provider) Shutdown(ctx context.Context) error {
	if !p.Enabled() {
		return nil
	}
	if err := p.sdk.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("tracing: shutdown: %w", err)
	}
	return nil
}

// Flush exports the spans still buffered.
func (p *Provider) Flush(ctx context.Context) error {
	if !p.Enabled() {
		return nil
	}
	return p.sdk.ForceFlush(ctx)
}

// Echo returns the server-span middleware (named by echo's route
// template, never the raw URL), or nil when tracing is off. It continues
// a W3C traceparent sent by a proxy in front of the app.
func (p *Provider) Echo() echo.MiddlewareFunc {
	if !p.Enabled() {
		return nil
	}
	return otelecho.Middleware("backlogai", otelecho.WithTracerProvider(p.tp),
		otelecho.WithPropagators(propagation.TraceContext{}))
}

// Transport wraps rt (nil: http.DefaultTransport) so that every request
// is a client span, named by name(request) (e.g. "jira GET"), timed up to
// the response headers. Attributes are the method, host, path and status:
// never the query, which carries JQL and, for SerpAPI, the API key (hence
// not otelhttp, whose url.full keeps it). No trace header is sent to the
// third party. Off, rt is returned as is.
func (p *Provider) Transport(rt http.RoundTripper, name func(*http.Request) string) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	if !p.Enabled() {
		return rt
	}
	tracer := p.Tracer()
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		ctx, span := tracer.Start(r.Context(), name(r), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("http.request.method", r.Method), attribute.String("server.address", r.URL.Hostname()),
			attribute.String("url.path", r.URL.Path)))
		defer span.End()
		resp, err := rt.RoundTrip(r.WithContext(ctx))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "no answer")
			return resp, err
		}
		span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
		if resp.StatusCode >= 400 {
			span.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
		}
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Parent is the W3C traceparent of the span in ctx ("" without one): what
// a job enqueued under ctx stores to continue the trace.
func Parent(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c.Get("traceparent")
}

// remote is the span context a stored traceparent names.
func remote(traceparent string) trace.SpanContext {
	if traceparent == "" {
		return trace.SpanContext{}
	}
	ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": traceparent})
	return trace.SpanContextFromContext(ctx)
}
