package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraemu"
)

const benchIssues = 10000

// BenchmarkFullScan10k scans a generated 10,000-issue project through the
// emulator (in process, over loopback HTTP, JWT-signed). Allocations
// include the emulator's; BenchmarkDecodeSearchPage isolates the client's.
func BenchmarkFullScan10k(b *testing.B) {
	env := newEmuEnv(b, []*jiraemu.Fixture{jiraemu.Generate(benchIssues, 42)}, Options{}, false)
	ctx := context.Background()
	budget := (benchIssues+99)/100 + 5
	var requests int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		env.emu.ResetStats()
		n := 0
		err := env.client.IterateIssues(ctx, jiraemu.SyntheticKey, "", nil, func(page []domain.Issue) error {
			n += len(page)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != benchIssues {
			b.Fatalf("scanned %d issues, want %d", n, benchIssues)
		}
		r := env.emu.Stats().Total
		if r > budget {
			b.Fatalf("scan made %d requests, budget %d", r, budget)
		}
		requests += r
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(budget), "budget/op")
}

// BenchmarkWriteBack10k sets one property on 10,000 issues with the bulk
// endpoint and its task flow.
func BenchmarkWriteBack10k(b *testing.B) {
	env := newEmuEnv(b, []*jiraemu.Fixture{jiraemu.Generate(benchIssues, 42)}, Options{}, false)
	ctx := context.Background()
	values := make(map[string]json.RawMessage, benchIssues)
	err := env.client.IterateIssues(ctx, jiraemu.SyntheticKey, "", []string{"id"}, func(page []domain.Issue) error {
		for _, is := range page {
			values[is.ID] = json.RawMessage(fmt.Sprintf(`{"score":%d,"moscow":"Should","quality":72}`, len(values)%100))
		}
		return nil
	})
	if err != nil || len(values) != benchIssues {
		b.Fatalf("collected %d ids: %v", len(values), err)
	}
	var posts, polls, total int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		env.emu.ResetStats()
		if err := env.client.SetPropertiesBulk(ctx, "backlogai", values); err != nil {
			b.Fatal(err)
		}
		st := env.emu.Stats()
		posts += st.Requests("POST /rest/api/3/issue/properties/multi")
		polls += st.Requests("GET /rest/api/3/task/{taskId}")
		total += st.Total
	}
	b.ReportMetric(float64(total)/float64(b.N), "requests/op")
	b.ReportMetric(float64(posts)/float64(b.N), "posts/op")
	b.ReportMetric(float64(polls)/float64(b.N), "taskreads/op")
}

// BenchmarkDecodeSearchPage measures the client alone on one page of 100
// issues as the emulator renders it: JSON decoding, ADF flattening and
// mapping to domain.Issue.
func BenchmarkDecodeSearchPage(b *testing.B) {
	env := newEmuEnv(b, []*jiraemu.Fixture{jiraemu.Generate(100, 42)}, Options{}, false)
	sp, err := env.client.DiscoverStoryPointsField(context.Background(), 0)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(searchRequest{
		JQL: `project = "` + jiraemu.SyntheticKey + `"`, Fields: withField(defaultFields, sp), MaxResults: 100,
	})
	req, err := env.client.api.NewRequest(context.Background(), http.MethodPost, "rest/api/3/search/jql", "", json.RawMessage(body))
	if err != nil {
		b.Fatal(err)
	}
	resp, err := env.client.tr.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var sr searchResponse
		if err := json.Unmarshal(page, &sr); err != nil { // as Client.do decodes
			b.Fatal(err)
		}
		issues := make([]domain.Issue, len(sr.Issues))
		for i := range sr.Issues {
			issues[i] = sr.Issues[i].toDomain(sp, nil)
		}
		if len(issues) != 100 {
			b.Fatalf("%d issues", len(issues))
		}
	}
}
