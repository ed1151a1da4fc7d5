package e2e_test

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/backlogai/backlogai/server/config"
)

// collector is an in-process OTLP/HTTP trace receiver: it decodes the
// protobuf export requests the app's exporter posts to /v1/traces.
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	srv   *httptest.Server
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "unexpected "+r.URL.Path+" "+r.Header.Get("Content-Type"), http.StatusBadRequest)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(raw, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				c.spans = append(c.spans, ss.Spans...)
			}
		}
		c.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *collector) all() []*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*tracepb.Span(nil), c.spans...)
}

const metricsToken = "e2e-metrics-token-0123456789"

// TestWebhookTraceAndMetrics: with tracing on, a webhook's trace runs from
// the HTTP intake through the analyse job (with its Jira fetch and its
// statements) to the write-back job and its Jira write, across the durable
// queue; /metrics (token required) shows the request, the Jira calls, the
// jobs and the webhook-to-write-back lag.
func TestWebhookTraceAndMetrics(t *testing.T) {
	col := newCollector(t)
	e := startGenEnv(t, func(c *config.Config) {
		c.OTLPEndpoint = col.srv.URL
		c.MetricsToken = metricsToken
	})
	activate(t, e)
	key := e.goodStory()
	before, _ := e.property(key)
	if err := e.emu.UserUpdate(key, map[string]any{"summary": "Make it fast and easy, etc."}, ""); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "property update after the webhook", func() bool {
		p, _ := e.property(key)
		return p.Version != before.Version
	})

	// /metrics: 401 without the token, the figures with it.
	if code, _ := getMetrics(t, e.app, ""); code != http.StatusUnauthorized {
		t.Errorf("/metrics without token: %d, want 401", code)
	}
	var body string
	waitUntil(t, 10*time.Second, "the write-back lag to be recorded", func() bool {
		_, body = getMetrics(t, e.app, metricsToken)
		return sample(body, `backlogai_webhook_writeback_lag_seconds_count`) >= 1
	})
	for _, series := range []string{
		`backlogai_http_requests_total{code="204",method="POST",route="/webhooks/jira"}`,
		`backlogai_http_requests_total{code="202",method="POST",route="/api/projects/:project/activate"}`,
		`backlogai_jira_requests_total{method="POST",status="200"}`,
		`backlogai_jobs_processed_total{kind="analyze",outcome="ok"}`,
		`backlogai_jobs_processed_total{kind="writeback",outcome="ok"}`,
		`backlogai_tenants{state="installed"}`,
		`go_sql_max_open_connections{db_name="backlogai"}`,
	} {
		if v := sample(body, series); v < 1 {
			t.Errorf("%s = %v, want ≥ 1", series, v)
		}
	}
	if lag := sample(body, `backlogai_webhook_writeback_lag_seconds_sum`); lag <= 0 || lag > 20 {
		t.Errorf("write-back lag sum %v s", lag)
	}
	if strings.Contains(body, key) || strings.Contains(body, e.emu.ClientKey()) {
		t.Error("an issue key or client key reached a metric label")
	}

	secret := e.sharedSecret()
	if secret == "" {
		t.Fatal("no shared secret to look for")
	}
	// Closing flushes the spans still buffered.
	e.close()
	spans := col.all()
	byID := map[string]*tracepb.Span{}
	for _, s := range spans {
		byID[hex.EncodeToString(s.SpanId)] = s
	}
	var webhook *tracepb.Span
	for _, s := range spans {
		if s.Name == "POST /webhooks/jira" {
			webhook = s
		}
	}
	if webhook == nil {
		t.Fatalf("no webhook span among %d spans", len(spans))
	}
	// No token, secret or query string in any attribute.
	for _, s := range spans {
		for _, a := range s.Attributes {
			v := a.Value.String()
			if strings.Contains(v, "jwt=") || strings.Contains(v, "JWT ") || strings.Contains(v, secret) {
				t.Errorf("span %q attribute %s carries a token or secret: %.80s", s.Name, a.Key, v)
			}
		}
	}
	trace := hex.EncodeToString(webhook.TraceId)
	names := map[string]int{}
	var writeback *tracepb.Span
	for _, s := range spans {
		if hex.EncodeToString(s.TraceId) != trace {
			continue
		}
		names[s.Name]++
		if s.Name == "job writeback" {
			writeback = s
		}
	}
	if writeback == nil {
		t.Fatalf("the webhook's trace has no write-back: %v", names)
	}
	// The write-back descends from the analyse job, which descends from
	// the webhook request.
	var chain []string
	for s := writeback; s != nil; s = byID[hex.EncodeToString(s.ParentSpanId)] {
		chain = append(chain, s.Name)
		if len(s.ParentSpanId) == 0 {
			break
		}
	}
	if got := strings.Join(chain, " ← "); got != "job writeback ← job analyze ← POST /webhooks/jira" {
		t.Errorf("write-back ancestry %q", got)
	}
	for _, want := range []string{"jira POST", "job analyze", "db query"} {
		if names[want] == 0 {
			t.Errorf("the webhook's trace lacks %q spans: %v", want, names)
		}
	}
	var jiraWrite bool
	for _, s := range spans {
		if hex.EncodeToString(s.TraceId) == trace && strings.HasPrefix(s.Name, "jira ") && parentIs(byID, s, writeback) {
			jiraWrite = true
		}
	}
	if !jiraWrite {
		t.Errorf("no Jira call under the write-back job: %v", names)
	}
}

// parentIs reports whether anc is an ancestor of s.
func parentIs(byID map[string]*tracepb.Span, s, anc *tracepb.Span) bool {
	for p := byID[hex.EncodeToString(s.ParentSpanId)]; p != nil; p = byID[hex.EncodeToString(p.ParentSpanId)] {
		if p == anc {
			return true
		}
	}
	return false
}

func getMetrics(t *testing.T, app, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, app+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sample is the value of one exposition line, -1 when absent.
func sample(body, series string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestLLMMetricsAndSpans: a generation run against a fake OpenAI shows up
// as LLM calls, tokens and cost in /metrics, and as an "llm POST" span
// under the generate job, itself under the request that asked for it.
func TestLLMMetricsAndSpans(t *testing.T) {
	col := newCollector(t)
	fake := newFakeOpenAI(t)
	e := startGenEnv(t, func(c *config.Config) {
		c.OpenAIKey, c.OpenAIBaseURL, c.OpenAIModel = "sk-test", fake.srv.URL+"/v1", "gpt-4o-mini"
		c.OTLPEndpoint = col.srv.URL
		c.MetricsToken = metricsToken
	})
	activate(t, e)
	v := e.generateRun(map[string]any{"context": "ShopFlow runs online stores for small merchants; 68% of sessions are on phones.",
		"objective": "Reduce checkout abandonment on mobile", "persona": "returning mobile shopper", "count": 3})
	if v.Mode != "llm" {
		t.Fatalf("run %+v", v)
	}
	_, body := getMetrics(t, e.app, metricsToken)
	calls := sample(body, `backlogai_llm_calls_total{model="gpt-4o-mini"}`)
	if calls < 1 || calls != float64(len(fake.calls())) {
		t.Errorf("llm calls %v, the fake answered %d", calls, len(fake.calls()))
	}
	if got := sample(body, `backlogai_llm_tokens_total{model="gpt-4o-mini",type="prompt"}`); got != 2100*calls {
		t.Errorf("prompt tokens %v, want %v", got, 2100*calls)
	}
	if got := sample(body, `backlogai_llm_cost_usd_total{model="gpt-4o-mini"}`); got <= 0 {
		t.Errorf("cost %v", got)
	}
	if got := sample(body, `backlogai_llm_requests_total{status="200"}`); got != calls {
		t.Errorf("llm HTTP 200s %v, calls %v", got, calls)
	}

	e.close()
	spans := col.all()
	byID := map[string]*tracepb.Span{}
	for _, s := range spans {
		byID[hex.EncodeToString(s.SpanId)] = s
	}
	var found string
	for _, s := range spans {
		if s.Name != "llm POST" {
			continue
		}
		var chain []string
		for p := s; p != nil; p = byID[hex.EncodeToString(p.ParentSpanId)] {
			chain = append(chain, p.Name)
			if len(p.ParentSpanId) == 0 {
				break
			}
		}
		found = strings.Join(chain, " ← ")
		break
	}
	if found != "llm POST ← job generate ← POST /api/projects/:project/generate" {
		t.Errorf("llm span ancestry %q", found)
	}
}
