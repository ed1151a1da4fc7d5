// Package metrics exposes the app's Prometheus metrics. It owns its own
// registry (never the global default one) and instruments the app from the
// outside: an echo middleware, RoundTrippers for the Jira and LLM clients,
// an llm.Meter wrapper, a job-handler wrapper, and collectors that query
// the store at scrape time. Tenant ids never appear in labels.
package metrics

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric of the app.
const Namespace = "backlogai"

// Metrics holds the registry and the app's instruments. Safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	jiraRequests    *prometheus.CounterVec
	jiraDuration    prometheus.Histogram
	jiraRateLimited *prometheus.CounterVec
	jiraQuotaPauses prometheus.Counter

	writebackLag prometheus.Histogram

	llmCalls    *prometheus.CounterVec
	llmTokens   *prometheus.CounterVec
	llmCost     *prometheus.CounterVec
	llmRequests *prometheus.CounterVec
	llmErrors   *prometheus.CounterVec

	jobsProcessed  *prometheus.CounterVec
	jobDuration    *prometheus.HistogramVec
	leaseTakeovers *prometheus.CounterVec

	mu     sync.Mutex
	models map[string]bool // LLM model labels seen (bounded)
}

// maxModels bounds the model label: tenants choose model names.
const maxModels = 32

// New returns metrics registered on a fresh registry, with the Go runtime
// and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) prometheus.Collector { reg.MustRegister(c); return c }
	lat := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	m := &Metrics{reg: reg, models: map[string]bool{}}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.httpRequests = f(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_requests_total",
		Help: "HTTP requests served, by method, route template and status code."}, []string{"method", "route", "code"})).(*prometheus.CounterVec)
	m.httpDuration = f(prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_request_duration_seconds",
		Help: "Time to serve an HTTP request, by method and route template.", Buckets: lat}, []string{"method", "route"})).(*prometheus.HistogramVec)
	m.jiraRequests = f(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "jira_requests_total",
		Help: "HTTP attempts sent to Jira (retries included), by method and status code (\"error\": no answer)."}, []string{"method", "status"})).(*prometheus.CounterVec)
	m.jiraDuration = f(prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "jira_request_duration_seconds",
		Help: "Time of one HTTP attempt to Jira.", Buckets: lat})).(prometheus.Histogram)
	m.jiraRateLimited = f(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "jira_rate_limited_total",
		Help: "429 answers from Jira, by RateLimit-Reason."}, []string{"reason"})).(*prometheus.CounterVec)
	m.jiraQuotaPauses = f(prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "jira_quota_pauses_total",
		Help: "Quota 429s (global or tenant) after which every call of the tenant pauses until the reset."})).(prometheus.Counter)
	m.writebackLag = f(prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "webhook_writeback_lag_seconds",
		Help:    "From a webhook's receipt to the write-back to Jira of the analyses it caused.",
		Buckets: []float64{.25, .5, 1, 2, 5, 10, 30, 60, 120, 300, 900}})).(prometheus.Histogram)
	m.llmCalls = f(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "llm_calls_total",
		Help: "Answered LLM calls, by model."}, []string{"model"})).(*prometheus.CounterVec)
	m.llmTokens = f(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "llm_tokens_total",
		Help: "LLM tokens, by model and type (prompt, completion)."}, []string{"model", "type"})).(*prometheus.CounterVec)
	m.llmCost = f(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "llm_cost_usd_total",
		Help: "Estimated LLM cost in US dollars, by model."}, []string{"model"})).(*prometheus.CounterVec)
	m.llmRequests = f(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "llm_requests_total",
		Help: "HTTP attempts to the LLM endpoint (retries included), by status code (\"error\": no answer)."}, []string{"status"})).(*prometheus.CounterVec)
	m.llmErrors = f(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "llm_errors_total",
		Help: "Failed LLM attempts, by reason (transport, rate_limited, server, client, budget)."}, []string{"reason"})).(*prometheus.CounterVec)
	m.jobsProcessed = f(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "jobs_processed_total",
		Help: "Jobs handled by this replica, by kind and outcome (ok, error)."}, []string{"kind", "outcome"})).(*prometheus.CounterVec)
	m.jobDuration = f(prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "job_batch_duration_seconds",
		Help: "Time to handle one batch of claimed jobs, by kind.", Buckets: lat}, []string{"kind"})).(*prometheus.HistogramVec)
	m.leaseTakeovers = f(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "job_lease_takeovers_total",
		Help: "Jobs this replica took over from a worker whose lease ran out, by kind."}, []string{"kind"})).(*prometheus.CounterVec)
	return m
}

// Registry is the registry the metrics live on (to add collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// WritebackDone records the lag from a webhook's receipt to the write-back
// it caused.
func (m *Metrics) WritebackDone(lag time.Duration) {
	m.writebackLag.Observe(max(0, lag.Seconds()))
}

// model bounds the model label to the first maxModels names seen.
func (m *Metrics) model(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.models[name] {
		return name
	}
	if len(m.models) >= maxModels {
		return "other"
	}
	m.models[name] = true
	return name
}

// RequireToken lets through only requests bearing "Authorization: Bearer
// token" (compared in constant time); others get 401.
func RequireToken(h http.Handler, token string) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(strings.TrimSpace(r.Header.Get("Authorization")))
		if token == "" || subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics: a bearer token is required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
