package tracing

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jobs"
)

type originKey struct{}

// WithOrigin marks ctx as work descending from something that happened at
// t (a webhook's receipt); jobs enqueued under ctx carry it on.
func WithOrigin(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, originKey{}, t)
}

// Origin is the time WithOrigin set (zero without one).
func Origin(ctx context.Context) time.Time {
	t, _ := ctx.Value(originKey{}).(time.Time)
	return t
}

// JobContext is the trace and origin a job enqueued under ctx carries
// (store.Store.StampJobs).
func JobContext(ctx context.Context) (trace string, origin time.Time) {
	return Parent(ctx), Origin(ctx)
}

// WrapHandlers continues the enqueuer's trace in each job batch: a
// consumer span "job KIND" whose parent is the first traced job of the
// batch, linked to the others; the earliest origin of the batch is put in
// ctx for the jobs the handler enqueues. Works with a disabled provider
// too (origins still flow, no spans).
func WrapHandlers(p *Provider, hs map[string]jobs.Handler) map[string]jobs.Handler {
	out := make(map[string]jobs.Handler, len(hs))
	for kind, h := range hs {
		out[kind] = wrap(p, kind, h)
	}
	return out
}

func wrap(p *Provider, kind string, h jobs.Handler) jobs.Handler {
	tracer := p.Tracer()
	return func(ctx context.Context, t *domain.Tenant, batch []domain.Job) []error {
		var origin time.Time
		var parent trace.SpanContext
		var links []trace.Link
		takeovers := 0
		for _, j := range batch {
			if !j.Origin.IsZero() && (origin.IsZero() || j.Origin.Before(origin)) {
				origin = j.Origin
			}
			if j.TakenOver {
				takeovers++
			}
			sc := remote(j.Trace)
			switch {
			case !sc.IsValid():
			case !parent.IsValid():
				parent = sc
			case sc.TraceID() != parent.TraceID() && len(links) < 32:
				links = append(links, trace.Link{SpanContext: sc})
			}
		}
		if !origin.IsZero() {
			ctx = WithOrigin(ctx, origin)
		}
		if !p.Enabled() {
			return h(ctx, t, batch)
		}
		if parent.IsValid() {
			ctx = trace.ContextWithRemoteSpanContext(ctx, parent)
		}
		// The tenant id is fine in a trace (it is not a metric label).
		ctx, span := tracer.Start(ctx, "job "+kind, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithLinks(links...),
			trace.WithAttributes(attribute.String("job.kind", kind), attribute.Int("job.batch", len(batch)),
				attribute.Int("job.takeovers", takeovers), attribute.Int64("tenant.id", t.ID)))
		defer span.End()
		errs := h(ctx, t, batch)
		failed := 0
		for _, err := range errs {
			if err != nil {
				if failed == 0 {
					span.RecordError(err)
				}
				failed++
			}
		}
		if failed > 0 {
			span.SetStatus(codes.Error, "jobs failed")
			span.SetAttributes(attribute.Int("job.failed", failed))
		}
		return errs
	}
}
