package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/cli"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraemu"
)

// webhookToken signs a webhook as Jira does (iss = clientKey, qsh over
// POST /webhooks/jira).
func (e *env) webhookToken() string {
	u, _ := url.Parse(e.app + "/webhooks/jira")
	return e.signedFor("POST", u)
}

func webhookBody(key string, ts int64) []byte {
	b, _ := json.Marshal(map[string]any{
		"timestamp": ts, "webhookEvent": "jira:issue_updated", "issue_event_type_name": "issue_updated",
		"issue":     map[string]any{"id": "1", "key": key, "fields": map[string]any{"project": map[string]string{"key": "SHOP"}}},
		"changelog": map[string]any{"id": "1", "items": []map[string]string{{"field": "summary", "fieldId": "summary"}}},
	})
	return b
}

// BenchmarkWebhookIntake posts signed webhooks to the app on MariaDB from
// 32 concurrent senders (as Jira delivers them) and reports how many are
// accepted per second, then how long after the last webhook of each issue
// its re-analysis was stored (p50/p95), measured under that load.
func BenchmarkWebhookIntake(b *testing.B) {
	for b.Loop() {
		runWebhookIntake(b)
	}
}

func runWebhookIntake(b *testing.B) {
	tb := testing.TB(b)
	e := startEnv(tb, envOptions{driver: "mysql"})
	activate(tb, e)
	var keys []string
	var page struct {
		Rows []struct {
			Key string `json:"key"`
		} `json:"rows"`
	}
	e.api("GET", "/api/projects/SHOP/backlog?limit=500&all=1", nil, &page)
	for _, r := range page.Rows {
		keys = append(keys, r.Key)
	}
	const total, senders = 5000, 32
	tok := e.webhookToken()
	var mu sync.Mutex
	last := map[string]time.Time{}
	errs := 0
	var wg sync.WaitGroup
	next := make(chan int)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	start := time.Now()
	for w := 0; w < senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				key := keys[rand.IntN(len(keys))]
				req, _ := http.NewRequest("POST", e.app+"/webhooks/jira", bytes.NewReader(webhookBody(key, time.Now().UnixMilli())))
				req.Header.Set("Authorization", "JWT "+tok)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Atlassian-Webhook-Identifier", fmt.Sprintf("bench-%d", i))
				sent := time.Now()
				resp, err := client.Do(req)
				mu.Lock()
				if err != nil || resp.StatusCode != http.StatusNoContent {
					errs++
				} else if sent.After(last[key]) {
					last[key] = sent
				}
				mu.Unlock()
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	for i := 0; i < total; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	accept := time.Since(start)
	if errs > 0 {
		b.Fatalf("%d webhooks refused", errs)
	}
	ts := e.sb.App.Store.Tenant(mustTenant(tb, e))
	waitUntil(tb, 3*time.Minute, "queue drained", func() bool {
		n, _ := ts.QueueCounts(context.Background())
		return n[domain.JobQueued] == 0 && n[domain.JobRunning] == 0
	})
	results, _ := ts.Results(context.Background(), keys)
	var lat []time.Duration
	for _, r := range results {
		if l, ok := last[r.Issue.Key]; ok {
			if r.AnalysedAt.Before(l) {
				b.Fatalf("%s analysed at %v, before its last webhook at %v", r.Issue.Key, r.AnalysedAt, l)
			}
			lat = append(lat, r.AnalysedAt.Sub(l))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(total)/accept.Seconds(), "webhooks/s")
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms-to-result")
	b.ReportMetric(float64(lat[len(lat)*95/100].Milliseconds()), "p95-ms-to-result")
	e.close()
}

// BenchmarkFullScan10k activates a 10,000-issue project on the emulator
// (no injected latency) and waits for the scan to finish: fetch, analysis,
// storage and write-back of the property to every issue.
func BenchmarkFullScan10k(b *testing.B) {
	fx := jiraemu.Generate(10_000, 1)
	for b.Loop() {
		tb := b
		e := startEnv(tb, envOptions{fixtures: []*jiraemu.Fixture{fx}, start: cli.StartOptions{}})
		e.project = jiraemu.SyntheticKey
		start := time.Now()
		if c := e.api("POST", "/api/projects/"+jiraemu.SyntheticKey+"/activate", nil, nil); c != http.StatusAccepted {
			b.Fatalf("activate: %d", c)
		}
		deadline := time.Now().Add(5 * time.Minute)
		for {
			var s status
			e.api("GET", "/api/projects/"+jiraemu.SyntheticKey+"/status", nil, &s)
			if s.Scan != nil && s.Scan.State == "done" {
				if s.Scan.Written < 10_000 {
					b.Fatalf("written %d", s.Scan.Written)
				}
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("scan not done: %+v", s.Scan)
			}
			time.Sleep(100 * time.Millisecond)
		}
		el := time.Since(start)
		st := e.emu.Stats()
		b.ReportMetric(el.Seconds(), "s-scan+writeback")
		b.ReportMetric(float64(st.ByEndpoint[epSearch].Requests), "search-calls")
		b.ReportMetric(float64(st.ByEndpoint[epMulti].Requests), "bulk-property-calls")
		b.ReportMetric(float64(st.ByEndpoint["GET /rest/api/3/task/{taskId}"].Requests), "task-polls")
		b.ReportMetric(float64(st.Total), "requests-total")
		e.close()
	}
}

func mustTenant(t testing.TB, e *env) *domain.Tenant {
	tn, err := e.sb.App.Store.TenantByClientKey(context.Background(), e.emu.ClientKey())
	if err != nil {
		t.Fatal(err)
	}
	return tn
}
