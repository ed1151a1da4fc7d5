package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// getPage loads a module page the way Jira's iframe does: the emulator
// signs the URL for the demo project's lead.
func (e *env) getPage(path string, q url.Values) (int, http.Header, string) {
	e.t.Helper()
	u, err := e.emu.SignedIframeURL(path, q, "557058:pm")
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

type issueDetail struct {
	Key      string          `json:"key"`
	Analysed bool            `json:"analysed"`
	Issue    domain.Issue    `json:"issue"`
	Analysis domain.Analysis `json:"analysis"`
}

// TestUIOnSandbox: after the first scan, the project page renders the
// ranked backlog and the glance renders a real issue's analysis; linking
// a duplicate from the glance creates the link in (emulated) Jira.
func TestUIOnSandbox(t *testing.T) {
	e := startEnv(t, envOptions{})
	if c := e.api("POST", "/api/projects/SHOP/activate", nil, nil); c != http.StatusAccepted {
		t.Fatalf("activate: %d", c)
	}
	e.waitScan(90 * time.Second)

	code, hdr, body := e.getPage("/project", url.Values{"projectKey": {"SHOP"}, "projectId": {"10000"}})
	csp := hdr.Get("Content-Security-Policy")
	if code != 200 || hdr.Get("Cache-Control") != "no-store" || !strings.HasPrefix(csp, "frame-ancestors ") || !strings.Contains(csp, e.emu.BaseURL()) {
		t.Fatalf("project page: %d %v", code, hdr)
	}
	// The first page comes inside the page, as data for its script.
	_, state, _ := strings.Cut(body, `id="bai-data">`)
	state, _, _ = strings.Cut(state, "</script>")
	var first struct {
		Backlog struct {
			Rows []struct {
				Key string `json:"key"`
			} `json:"rows"`
		} `json:"backlog"`
	}
	if err := json.Unmarshal([]byte(state), &first); err != nil {
		t.Fatalf("project page data: %v", err)
	}
	if n := len(first.Backlog.Rows); n != 50 {
		t.Errorf("project page carries %d rows, want the first 50", n)
	}
	if !strings.Contains(body, `src="/sandbox/ap-shim.js"`) || strings.Contains(body, "connect-cdn.atl-paas.net/all.js") {
		t.Error("sandbox page does not load the AP shim instead of all.js")
	}

	// An open issue flagged as a near duplicate.
	var page struct {
		Rows []struct {
			Key   string `json:"key"`
			Score int    `json:"score"`
		} `json:"rows"`
	}
	e.api("GET", "/api/projects/SHOP/backlog?flag=duplicate&limit=20", nil, &page)
	if len(page.Rows) == 0 {
		t.Fatal("the demo project has no issue flagged duplicate")
	}
	var d issueDetail
	var key string
	for _, r := range page.Rows {
		e.api("GET", "/api/issues/"+r.Key, nil, &d)
		if len(d.Analysis.Duplicates) > 0 {
			key = r.Key
			break
		}
	}
	if key == "" {
		t.Fatal("no flagged issue lists a duplicate")
	}
	other := d.Analysis.Duplicates[0].Key
	code, hdr, body = e.getPage("/glance", url.Values{"issueKey": {key}, "projectKey": {"SHOP"}})
	if code != 200 || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("glance: %d %v", code, hdr)
	}
	for _, want := range []string{
		`data-state="analysed"`,
		fmt.Sprintf(`<span class="visually-hidden">Score </span>%d<span`, int(d.Analysis.Score.Total)),
		`data-testid="glance-moscow">` + string(d.Analysis.Score.Moscow) + "<",
		`data-other="` + other + `"`,
		d.Analysis.Score.WhyNow[:min(20, len(d.Analysis.Score.WhyNow))],
	} {
		if !strings.Contains(body, want) {
			t.Errorf("glance of %s lacks %q", key, want)
		}
	}
	marks := 0
	for _, f := range d.Analysis.Check.Findings {
		if f.Span != nil && f.Span.End > f.Span.Start {
			marks++
		}
	}
	if got := strings.Count(body, `data-testid="finding-mark"`); got != marks {
		t.Errorf("%d marked spans, the analysis has %d", got, marks)
	}

	// Link as duplicate, as the glance's button does (glance token).
	if c := e.api("POST", "/api/issues/"+key+"/link-duplicate", map[string]string{"other": "OPS-1"}, nil); c != http.StatusForbidden {
		t.Errorf("link to another project's issue: %d", c)
	}
	if c := e.api("POST", "/api/issues/"+key+"/link-duplicate", map[string]string{"other": other}, nil); c != http.StatusCreated {
		t.Fatalf("link duplicate: %d", c)
	}
	ctx := context.Background()
	tn, err := e.sb.App.Store.TenantByClientKey(ctx, e.emu.ClientKey())
	if err != nil {
		t.Fatal(err)
	}
	client, err := e.sb.App.JiraClients.App(tn)
	if err != nil {
		t.Fatal(err)
	}
	is, err := client.GetIssue(ctx, key, false)
	if err != nil {
		t.Fatal(err)
	}
	linked := false
	for _, l := range is.Links {
		if l.Kind == domain.LinkDuplicates && l.OtherKey == other {
			linked = true
		}
	}
	if !linked {
		t.Errorf("%s has no Duplicate link to %s in Jira: %+v", key, other, is.Links)
	}
	// The link re-analysed the issue at once: the glance shows the
	// close-or-merge finding, not the stale near-duplicate warning.
	_, _, b := e.getPage("/glance", url.Values{"issueKey": {key}, "projectKey": {"SHOP"}})
	if !strings.Contains(b, "Linked as a duplicate of "+other+": close or merge it.") {
		t.Errorf("right after linking, the glance of %s lacks the linked-duplicate finding", key)
	}
	if strings.Contains(b, "near duplicate of "+other) {
		t.Errorf("right after linking, the glance of %s still warns it looks like a near duplicate of %s", key, other)
	}
	// Once the webhook re-analysed it, the glance shows the link.
	waitUntil(t, 30*time.Second, "glance shows the duplicate as linked", func() bool {
		_, _, b := e.getPage("/glance", url.Values{"issueKey": {key}, "projectKey": {"SHOP"}})
		return regexp.MustCompile(`data-key="` + other + `"(?s:.)*?data-testid="duplicate-linked"`).MatchString(b)
	})

	// Health and re-ranking on the real analyses.
	var h struct {
		Open           int   `json:"open"`
		ScoreHistogram []int `json:"scoreHistogram"`
	}
	if c := e.api("GET", "/api/projects/SHOP/health", nil, &h); c != 200 {
		t.Fatalf("health: %d", c)
	}
	sum := 0
	for _, n := range h.ScoreHistogram {
		sum += n
	}
	if h.Open == 0 || sum != h.Open {
		t.Errorf("histogram counts %d of %d open issues", sum, h.Open)
	}
	var rr struct {
		Rows []struct {
			Key   string `json:"key"`
			Score int    `json:"score"`
		} `json:"rows"`
		Total int `json:"total"`
	}
	if c := e.api("POST", "/api/projects/SHOP/rerank", map[string]any{"weights": []float64{1, 0, 0, 0, 0}, "limit": 50}, &rr); c != 200 {
		t.Fatalf("rerank: %d", c)
	}
	// The preview ranks the list the backlog shows (sub-tasks follow).
	var bl struct{ Total int }
	e.api("GET", "/api/projects/SHOP/backlog?limit=1", nil, &bl)
	if rr.Total != bl.Total || bl.Total == 0 || len(rr.Rows) != 50 || !sort.SliceIsSorted(rr.Rows, func(i, j int) bool { return rr.Rows[i].Score > rr.Rows[j].Score }) {
		t.Errorf("rerank: %d rows of %d (open %d), sorted %v", len(rr.Rows), rr.Total, h.Open, rr.Rows)
	}
}

// BenchmarkGlanceOnSandbox: the glance over real HTTP, signed by the
// emulator, for analysed issues of the demo project (server time plus
// loopback). Reports p50/p95 per request.
func BenchmarkGlanceOnSandbox(b *testing.B) {
	e := startEnv(b, envOptions{})
	if c := e.api("POST", "/api/projects/SHOP/activate", nil, nil); c != http.StatusAccepted {
		b.Fatalf("activate: %d", c)
	}
	e.waitScan(90 * time.Second)
	var page struct {
		Rows []struct {
			Key string `json:"key"`
		} `json:"rows"`
	}
	e.api("GET", "/api/projects/SHOP/backlog?limit=50", nil, &page)
	var urls []string
	for _, r := range page.Rows {
		u, err := e.emu.SignedIframeURL("/glance", url.Values{"issueKey": {r.Key}, "projectKey": {"SHOP"}}, "557058:pm")
		if err != nil {
			b.Fatal(err)
		}
		urls = append(urls, u)
	}
	var d []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := 0; k < 100; k++ {
			start := time.Now()
			resp, err := http.Get(urls[k%len(urls)])
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			d = append(d, time.Since(start))
			if resp.StatusCode != 200 {
				b.Fatalf("glance: %d", resp.StatusCode)
			}
		}
	}
	b.StopTimer()
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.95), "p95-ms")
}
