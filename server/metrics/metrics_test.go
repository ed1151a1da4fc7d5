package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/llm"
	"github.com/backlogai/backlogai/server/metrics"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// scrape fetches /metrics over a real listener with the token.
func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
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

// value returns the sample of the exposition line "name{labels}" (labels
// in the order the registry prints them: sorted by name).
func value(t *testing.T, body, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no line %s in:\n%s", series, grepPrefix(body, strings.SplitN(series, "{", 2)[0]))
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func grepPrefix(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

const token = "test-token-0123456789"

// TestHTTPMetricsPerRouteAndToken: real requests through echo are counted
// per route template (never the raw URL), errors by the status the error
// handler sent, panics as 500; /metrics needs the bearer token.
func TestHTTPMetricsPerRouteAndToken(t *testing.T) {
	m := metrics.New()
	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc { // a recover like web's
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
					c.Error(err)
				}
			}()
			return next(c)
		}
	})
	e.Use(m.Echo())
	e.GET("/api/issues/:issue", func(c echo.Context) error { return c.String(200, c.Param("issue")) })
	e.POST("/webhooks/jira", func(c echo.Context) error { return echo.NewHTTPError(http.StatusUnauthorized, "bad token") })
	e.GET("/boom", func(c echo.Context) error { panic("boom") })
	e.GET("/metrics", echo.WrapHandler(metrics.RequireToken(m.Handler(), token)))
	srv := httptest.NewServer(e)
	defer srv.Close()

	for _, k := range []string{"SHOP-1", "SHOP-2", "SHOP-3"} {
		resp, err := http.Get(srv.URL + "/api/issues/" + k)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for range 2 {
		resp, _ := http.Post(srv.URL+"/webhooks/jira?jwt=secret", "application/json", strings.NewReader("{}"))
		resp.Body.Close()
	}
	if resp, _ := http.Get(srv.URL + "/boom"); resp.StatusCode != 500 {
		t.Errorf("panic answered %d", resp.StatusCode)
	}
	http.Get(srv.URL + "/no/such/route")

	if code, _ := scrape(t, srv.URL+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("scrape without token: %d, want 401", code)
	}
	if code, _ := scrape(t, srv.URL+"/metrics", "wrong-token-0123456789"); code != http.StatusUnauthorized {
		t.Errorf("scrape with a wrong token: %d, want 401", code)
	}
	code, body := scrape(t, srv.URL+"/metrics", token)
	if code != http.StatusOK {
		t.Fatalf("scrape with token: %d", code)
	}
	for series, want := range map[string]float64{
		`backlogai_http_requests_total{code="200",method="GET",route="/api/issues/:issue"}`:              3,
		`backlogai_http_requests_total{code="401",method="POST",route="/webhooks/jira"}`:                 2,
		`backlogai_http_requests_total{code="500",method="GET",route="/boom"}`:                           1,
		`backlogai_http_request_duration_seconds_count{method="GET",route="/api/issues/:issue"}`:         3,
		`backlogai_http_requests_total{code="401",method="GET",route="/metrics"}`:                        2,
		`backlogai_http_request_duration_seconds_bucket{method="POST",route="/webhooks/jira",le="+Inf"}`: 2,
	} {
		if got := value(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if strings.Contains(body, "SHOP-1") || strings.Contains(body, "secret") {
		t.Error("a raw URL reached a label")
	}
	if !strings.Contains(body, `backlogai_http_requests_total{code="404",method="GET",route="unmatched"} 1`) {
		t.Errorf("the unknown route was not counted:\n%s", grepPrefix(body, "backlogai_http_requests_total"))
	}
	if !strings.Contains(body, "go_goroutines ") || !strings.Contains(body, "process_") {
		t.Error("runtime collectors missing")
	}
}

// TestJiraLLMAndJobMetrics drives the transports against real HTTP
// servers, the meter and the job wrapper, and reads the counts back.
func TestJiraLLMAndJobMetrics(t *testing.T) {
	m := metrics.New()
	jira := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("answer") {
		case "quota":
			w.Header().Set("RateLimit-Reason", "jira-quota-tenant-based")
			w.WriteHeader(http.StatusTooManyRequests)
		case "burst":
			w.Header().Set("RateLimit-Reason", "jira-burst-based")
			w.WriteHeader(http.StatusTooManyRequests)
		case "odd":
			w.Header().Set("RateLimit-Reason", "tenant-42-something")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.Write([]byte("{}"))
		}
	}))
	defer jira.Close()
	jc := &http.Client{Transport: m.JiraTransport(nil)}
	for _, a := range []string{"", "", "quota", "burst", "burst", "odd"} {
		resp, err := jc.Get(jira.URL + "/rest/api/3/issue/SHOP-1?answer=" + a)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	if _, err := jc.Get(dead.URL + "/rest/api/3/myself"); err == nil {
		t.Fatal("closed server answered")
	}

	llmSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer llmSrv.Close()
	lc := &http.Client{Transport: m.LLMTransport(nil)}
	for _, path := range []string{"/v1/chat/completions", "/v1/chat/completions?fail=1", "/search.json"} {
		resp, err := lc.Post(llmSrv.URL+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	mt := m.Meter(budgetMeter{spent: true})
	if err := mt.Allow(context.Background()); !errors.Is(err, domain.ErrBudget) {
		t.Errorf("meter lost the budget error: %v", err)
	}
	mt.Record(context.Background(), llm.Usage{Model: "gpt-4o-mini", Calls: 2, PromptTokens: 1200, CompletionTokens: 300, CostMicroUSD: 2500})

	hs := m.WrapHandlers(map[string]jobs.Handler{"analyze": func(ctx context.Context, t *domain.Tenant, b []domain.Job) []error {
		return []error{nil, errors.New("jira down"), nil}
	}})
	hs["analyze"](context.Background(), &domain.Tenant{ID: 7}, []domain.Job{{ID: 1}, {ID: 2, TakenOver: true}, {ID: 3}})
	m.WritebackDone(1500 * time.Millisecond)
	m.WritebackDone(40 * time.Second)

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	_, body := scrape(t, srv.URL, "")
	for series, want := range map[string]float64{
		`backlogai_jira_requests_total{method="GET",status="200"}`:            2,
		`backlogai_jira_requests_total{method="GET",status="429"}`:            4,
		`backlogai_jira_requests_total{method="GET",status="error"}`:          1,
		`backlogai_jira_rate_limited_total{reason="jira-quota-tenant-based"}`: 1,
		`backlogai_jira_rate_limited_total{reason="jira-burst-based"}`:        2,
		`backlogai_jira_rate_limited_total{reason="other"}`:                   1,
		`backlogai_jira_quota_pauses_total`:                                   1,
		`backlogai_jira_request_duration_seconds_count`:                       7,
		`backlogai_llm_requests_total{status="200"}`:                          1,
		`backlogai_llm_requests_total{status="503"}`:                          1,
		`backlogai_llm_errors_total{reason="server"}`:                         1,
		`backlogai_llm_errors_total{reason="budget"}`:                         1,
		`backlogai_llm_calls_total{model="gpt-4o-mini"}`:                      2,
		`backlogai_llm_tokens_total{model="gpt-4o-mini",type="prompt"}`:       1200,
		`backlogai_llm_tokens_total{model="gpt-4o-mini",type="completion"}`:   300,
		`backlogai_llm_cost_usd_total{model="gpt-4o-mini"}`:                   0.0025,
		`backlogai_jobs_processed_total{kind="analyze",outcome="ok"}`:         2,
		`backlogai_jobs_processed_total{kind="analyze",outcome="error"}`:      1,
		`backlogai_job_lease_takeovers_total{kind="analyze"}`:                 1,
		`backlogai_job_batch_duration_seconds_count{kind="analyze"}`:          1,
		`backlogai_webhook_writeback_lag_seconds_count`:                       2,
		`backlogai_webhook_writeback_lag_seconds_bucket{le="2"}`:              1,
		`backlogai_webhook_writeback_lag_seconds_bucket{le="60"}`:             2,
	} {
		if got := value(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if strings.Contains(body, "tenant-42") || strings.Contains(body, `tenant_id`) {
		t.Error("a tenant reached a label")
	}
}

type budgetMeter struct{ spent bool }

func (b budgetMeter) Allow(context.Context) error {
	if b.spent {
		return fmt.Errorf("spent: %w", domain.ErrBudget)
	}
	return nil
}

func (budgetMeter) Record(context.Context, llm.Usage) error { return nil }

// TestStoreCollector reads the queue, tenants and pool of a real database
// at scrape time.
func TestStoreCollector(t *testing.T) {
	for _, d := range storetest.Drivers {
		t.Run(d, func(t *testing.T) {
			st := storetest.Open(t, d, nil)
			ctx := context.Background()
			tn, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: "a", BaseURL: "https://a.atlassian.net", SharedSecret: "s"})
			if err != nil {
				t.Fatal(err)
			}
			ts := st.Tenant(tn)
			ts.Enqueue(ctx, domain.NewJob{Kind: "analyze", DedupeKey: "SHOP-1"}, domain.NewJob{Kind: "analyze", DedupeKey: "SHOP-2"},
				domain.NewJob{Kind: "writeback", DedupeKey: "SHOP"})
			m := metrics.New()
			if err := m.RegisterStore(st, nil); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(m.Handler())
			defer srv.Close()
			time.Sleep(20 * time.Millisecond)
			_, body := scrape(t, srv.URL, "")
			for series, want := range map[string]float64{
				`backlogai_jobs{kind="analyze",state="queued"}`:   2,
				`backlogai_jobs{kind="writeback",state="queued"}`: 1,
				`backlogai_tenants{state="installed"}`:            1,
				`backlogai_store_up`:                              1,
			} {
				if got := value(t, body, series); got != want {
					t.Errorf("%s = %v, want %v", series, got, want)
				}
			}
			if age := value(t, body, `backlogai_job_oldest_age_seconds{kind="analyze",state="queued"}`); age <= 0 || age > 60 {
				t.Errorf("oldest analyze job age %v s", age)
			}
			if value(t, body, `go_sql_max_open_connections{db_name="backlogai"}`) <= 0 {
				t.Error("no pool stats")
			}
		})
	}
}
