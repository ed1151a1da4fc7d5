package tracing_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/tracing"
)

func TestDisabledByDefault(t *testing.T) {
	p, err := tracing.New(context.Background(), tracing.Options{})
	if err != nil || p.Enabled() || p.Echo() != nil {
		t.Fatalf("tracing on without an endpoint: %v %v", p.Enabled(), err)
	}
	rt := http.DefaultTransport
	if got := p.Transport(rt, func(*http.Request) string { return "x" }); got != rt {
		t.Error("a disabled provider wrapped the transport")
	}
	if _, err := tracing.New(context.Background(), tracing.Options{Endpoint: "collector:4318"}); err == nil {
		t.Error("an endpoint without scheme was accepted")
	}
	if p, err := tracing.New(context.Background(), tracing.Options{Endpoint: "http://127.0.0.1:4318"}); err != nil || !p.Enabled() {
		t.Errorf("endpoint set, tracing off: %v", err)
	} else {
		p.Shutdown(context.Background())
	}
}

// TestJobsContinueTheEnqueuersTrace: a job stamped under a span runs in a
// child span of it, links the other traces of its batch, passes the
// earliest origin on, and marks failures; without tracing the origin still
// flows.
func TestJobsContinueTheEnqueuersTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	p, err := tracing.New(context.Background(), tracing.Options{Exporter: exp})
	if err != nil {
		t.Fatal(err)
	}
	ctx, root := p.Tracer().Start(context.Background(), "POST /webhooks/jira")
	origin := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	tr, or := tracing.JobContext(tracing.WithOrigin(ctx, origin))
	js := []domain.NewJob{{Kind: "analyze", Trace: tr, Origin: or}}
	root.End()
	if js[0].Trace == "" || js[0].Origin != origin {
		t.Fatalf("not stamped: %+v", js[0])
	}
	_, other := p.Tracer().Start(context.Background(), "another webhook")
	otherTP := tracing.Parent(trace.ContextWithSpan(context.Background(), other))
	other.End()

	var gotOrigin time.Time
	var enqueued []domain.NewJob
	hs := tracing.WrapHandlers(p, map[string]jobs.Handler{"analyze": func(ctx context.Context, _ *domain.Tenant, b []domain.Job) []error {
		gotOrigin = tracing.Origin(ctx)
		tr, _ := tracing.JobContext(ctx)
		enqueued = []domain.NewJob{{Kind: "writeback", Trace: tr}}
		return []error{nil, errors.New("jira down")}
	}})
	hs["analyze"](context.Background(), &domain.Tenant{ID: 1}, []domain.Job{
		{ID: 1, Trace: js[0].Trace, Origin: origin.Add(time.Second)},
		{ID: 2, Trace: otherTP, Origin: origin},
	})
	if !gotOrigin.Equal(origin) {
		t.Errorf("handler origin %v, want the batch's earliest %v", gotOrigin, origin)
	}
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	var rootSpan, job tracetest.SpanStub
	for _, s := range spans {
		switch s.Name {
		case "POST /webhooks/jira":
			rootSpan = s
		case "job analyze":
			job = s
		}
	}
	if job.Name == "" || job.Parent.SpanID() != rootSpan.SpanContext.SpanID() || job.SpanContext.TraceID() != rootSpan.SpanContext.TraceID() {
		t.Fatalf("job span not a child of the webhook span: %+v", job)
	}
	if len(job.Links) != 1 || job.Links[0].SpanContext.TraceID() == rootSpan.SpanContext.TraceID() {
		t.Errorf("links %+v, want the other trace", job.Links)
	}
	if job.Status.Code.String() != "Error" {
		t.Errorf("a failed job's span status %v", job.Status)
	}
	if want := "-" + job.SpanContext.SpanID().String() + "-"; len(enqueued[0].Trace) != 55 || !strings.Contains(enqueued[0].Trace, want) {
		t.Errorf("the next job's traceparent %q does not name the job span %s", enqueued[0].Trace, want)
	}

	// Off: no spans, the origin still flows.
	gotOrigin = time.Time{}
	tracing.WrapHandlers(tracing.Disabled(), map[string]jobs.Handler{"x": func(ctx context.Context, _ *domain.Tenant, b []domain.Job) []error {
		gotOrigin = tracing.Origin(ctx)
		return nil
	}})["x"](context.Background(), &domain.Tenant{}, []domain.Job{{Origin: origin}})
	if !gotOrigin.Equal(origin) {
		t.Errorf("disabled tracing lost the origin: %v", gotOrigin)
	}
}

func TestTransportSpansWithoutHeaders(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	p, _ := tracing.New(context.Background(), tracing.Options{Exporter: exp})
	var sawTraceparent bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawTraceparent = r.Header.Get("traceparent") != ""
	}))
	defer srv.Close()
	c := &http.Client{Transport: p.Transport(nil, func(r *http.Request) string { return "jira " + r.Method })}
	ctx, span := p.Tracer().Start(context.Background(), "job writeback")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL+"/rest/api/3/issue/SHOP-1/properties/backlogai?api_key=s3cret", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	span.End()
	p.Flush(context.Background())
	if sawTraceparent {
		t.Error("a trace header was sent to the third party")
	}
	var found bool
	for _, s := range exp.GetSpans() {
		if s.Name == "jira PUT" && s.Parent.SpanID() == span.SpanContext().SpanID() && s.SpanKind == trace.SpanKindClient {
			found = true
		}
		for _, a := range s.Attributes {
			if strings.Contains(a.Value.String(), "s3cret") {
				t.Errorf("the query reached span attribute %s", a.Key)
			}
		}
	}
	if !found {
		t.Errorf("no client span under the job: %v", exp.GetSpans())
	}
}
