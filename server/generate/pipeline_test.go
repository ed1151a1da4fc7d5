package generate

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/llm"
	"github.com/backlogai/backlogai/server/research"
)

var plannedLine = regexp.MustCompile(`(?m)^\d+\. (Story [0-9]+): `)

// TestLargeRequestIsPlannedThenDraftedInChunks: 10 stories are planned in
// one call and written by parallel calls of at most chunkSize stories, in
// the plan's order.
func TestLargeRequestIsPlannedThenDraftedInChunks(t *testing.T) {
	fake := newFakeLLM(t, func(c fakeCall) fakeReply {
		switch c.Schema {
		case "story_plan":
			var items []planItem
			for i := 1; i <= 10; i++ {
				items = append(items, planItem{Title: fmt.Sprintf("Story %d", i), Goal: fmt.Sprintf("Goal number %d.", i)})
			}
			return fakeReply{Content: mustJSONString(llmPlan{Stories: items})}
		case "story_drafts":
			var ds []llmDraft
			for _, m := range plannedLine.FindAllStringSubmatch(c.User, -1) {
				ds = append(ds, llmDraft{Title: m[1], UserStory: "As a store owner, I want to export orders as CSV, so that my accountant can import them.",
					AcceptanceCriteria: []string{"Given 120 orders in May, when I export May, then the file has 120 rows"},
					NFRs:               []string{}, Metrics: []Metric{}, Risks: []string{}, Dependencies: []string{}, OpenQuestions: []string{}, Pillars: []Pillar{}, Sources: []int{}})
			}
			return fakeReply{Content: mustJSONString(llmDrafts{Drafts: ds})}
		}
		return fakeReply{Status: 400, Body: `{"error":{"message":"unexpected"}}`}
	})
	client, err := llm.New(llm.Config{APIKey: "sk-test", BaseURL: fake.URL(), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := loadPrompts(PromptVersion)
	pipe := &pipeline{LLM: client, prompts: p, Analyse: emptyProject().AnalyseIssue, Project: "SHOP", Strategy: domain.DefaultStrategy()}
	out, err := pipe.Run(context.Background(), Form{Objective: "Help merchants close their books", Count: 10}, research.Findings{})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, g := range out.Drafts {
		titles = append(titles, g.Content.Title)
	}
	want := []string{"Story 1", "Story 2", "Story 3", "Story 4", "Story 5", "Story 6", "Story 7", "Story 8", "Story 9", "Story 10"}
	if !slices.Equal(titles, want) || out.Mode != ModeLLM {
		t.Fatalf("mode %s, titles %v", out.Mode, titles)
	}
	var schemas []string
	for _, c := range fake.Calls() {
		schemas = append(schemas, c.Schema)
	}
	slices.Sort(schemas)
	if !slices.Equal(schemas, []string{"story_drafts", "story_drafts", "story_drafts", "story_plan"}) || out.Usage.Calls != 4 {
		t.Errorf("calls %v, usage %+v", schemas, out.Usage)
	}
}
