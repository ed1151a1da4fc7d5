package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/llm"
)

// Meter wraps a tenant's LLM meter to count calls, tokens, cost and budget
// refusals (labelled by model, never by tenant).
func (m *Metrics) Meter(next llm.Meter) llm.Meter { return &meter{m: m, next: next} }

type meter struct {
	m    *Metrics
	next llm.Meter
}

func (w *meter) Allow(ctx context.Context) error {
	err := w.next.Allow(ctx)
	if errors.Is(err, domain.ErrBudget) {
		w.m.llmErrors.WithLabelValues("budget").Inc()
	}
	return err
}

func (w *meter) Record(ctx context.Context, u llm.Usage) error {
	model := w.m.model(u.Model)
	w.m.llmCalls.WithLabelValues(model).Add(float64(u.Calls))
	w.m.llmTokens.WithLabelValues(model, "prompt").Add(float64(u.PromptTokens))
	w.m.llmTokens.WithLabelValues(model, "completion").Add(float64(u.CompletionTokens))
	w.m.llmCost.WithLabelValues(model).Add(float64(u.CostMicroUSD) / 1e6)
	return w.next.Record(ctx, u)
}

// WrapHandlers counts and times the job handlers: jobs by kind and
// outcome, batch durations, and claims that took a job over from a dead
// worker.
func (m *Metrics) WrapHandlers(hs map[string]jobs.Handler) map[string]jobs.Handler {
	out := make(map[string]jobs.Handler, len(hs))
	for kind, h := range hs {
		out[kind] = func(ctx context.Context, t *domain.Tenant, batch []domain.Job) []error {
			for _, j := range batch {
				if j.TakenOver {
					m.leaseTakeovers.WithLabelValues(kind).Inc()
				}
			}
			start := time.Now()
			errs := h(ctx, t, batch)
			m.jobDuration.WithLabelValues(kind).Observe(time.Since(start).Seconds())
			failed := 0
			for _, err := range errs {
				if err != nil {
					failed++
				}
			}
			m.jobsProcessed.WithLabelValues(kind, "ok").Add(float64(len(batch) - failed))
			if failed > 0 {
				m.jobsProcessed.WithLabelValues(kind, "error").Add(float64(failed))
			}
			return errs
		}
	}
	return out
}
