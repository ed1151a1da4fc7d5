package e2e_test

import (
	"bytes"
	"context"
	"database/sql"
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
// accepted per second, then how long after the last change of each issue a
// result reflecting that change was stored (p50/p95), measured under that
// load. Each webhook follows a real edit of the summary in the
// emulator (its own webhooks are off), and a poller watches the stored
// summaries, so a result counts only once it holds the final
// text: a save that started from an older snapshot does not.
func BenchmarkWebhookIntake(b *testing.B) {
	for b.Loop() {
		runWebhookIntake(b)
	}
}

func runWebhookIntake(b *testing.B) {
	tb := testing.TB(b)
	e := startEnv(tb, envOptions{driver: "mysql"})
	activate(tb, e)
	e.emu.SetWebhooks(nil) // the benchmark sends the webhooks itself
	var keys []string
	var page struct {
		Rows []struct {
			Key     string `json:"key"`
			Summary string `json:"summary"`
		} `json:"rows"`
	}
	e.api("GET", "/api/projects/SHOP/backlog?limit=500&all=1", nil, &page)
	summaries := map[string]string{}
	for _, r := range page.Rows {
		keys = append(keys, r.Key)
		summaries[r.Key] = r.Summary
	}
	saves := watchSummaries(b, e.cfg.DSN)
	const total, senders = 5000, 32
	tok := e.webhookToken()
	var mu sync.Mutex
	type change struct {
		at      time.Time
		summary string
	}
	last := map[string]change{}
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
				summary := fmt.Sprintf("%s (rev %d)", summaries[key], i)
				sent := time.Now()
				if err := e.emu.UserUpdate(key, map[string]any{"summary": summary}, ""); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				if sent.After(last[key].at) {
					last[key] = change{sent, summary}
				}
				mu.Unlock()
				req, _ := http.NewRequest("POST", e.app+"/webhooks/jira", bytes.NewReader(webhookBody(key, time.Now().UnixMilli())))
				req.Header.Set("Authorization", "JWT "+tok)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Atlassian-Webhook-Identifier", fmt.Sprintf("bench-%d", i))
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != http.StatusNoContent {
					mu.Lock()
					errs++
					mu.Unlock()
				}
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
	seen := saves.stop()
	var lat []time.Duration
	for key, c := range last {
		at, ok := seen[key+"\x00"+c.summary]
		if !ok {
			b.Fatalf("%s: no stored result holds its last summary %q", key, c.summary)
		}
		lat = append(lat, max(0, at.Sub(c.at)))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(total)/accept.Seconds(), "webhooks/s")
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms-to-result")
	b.ReportMetric(float64(lat[len(lat)*95/100].Milliseconds()), "p95-ms-to-result")
	e.close()
}

// summaryWatch polls the stored results' summaries and save times.
type summaryWatch struct {
	done chan struct{}
	out  chan map[string]time.Time
}

// watchSummaries records, for every (issue, stored summary), the earliest
// save time it sees, polling every 20 ms through its own connection (an
// index range on recent saves; a save overwritten within one poll is
// missed, which can only make the figures worse).
func watchSummaries(b *testing.B, dsn string) *summaryWatch {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		b.Fatal(err)
	}
	w := &summaryWatch{done: make(chan struct{}), out: make(chan map[string]time.Time, 1)}
	go func() {
		defer db.Close()
		seen := map[string]time.Time{}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			since := time.Now().UTC().Add(-2 * time.Second).Format("2006-01-02 15:04:05.000000")
			rows, err := db.Query(`SELECT issue_key, summary, TIMESTAMPDIFF(MICROSECOND, '1970-01-01', analysed_at) FROM issue_results WHERE analysed_at >= ?`, since)
			if err == nil {
				for rows.Next() {
					var key, summary string
					var us int64
					if rows.Scan(&key, &summary, &us) == nil {
						k, at := key+"\x00"+summary, time.UnixMicro(us)
						if prev, ok := seen[k]; !ok || at.Before(prev) {
							seen[k] = at
						}
					}
				}
				rows.Close()
			}
			select {
			case <-w.done:
				w.out <- seen
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// stop ends the watch after one more poll and returns what it saw.
func (w *summaryWatch) stop() map[string]time.Time {
	close(w.done)
	return <-w.out
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
