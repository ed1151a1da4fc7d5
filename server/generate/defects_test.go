package generate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/llm"
	"github.com/backlogai/backlogai/server/research"
)

// TestRepairOfTypicalModelDefects drives the LLM pipeline against the
// fake server answering with a typical defect first: prose around the
// JSON is taken out without a second call; a missing field, wrong types
// and a truncated answer each get one repair call that fixes them; a
// defect repeated after the repair makes the run fall back to
// deterministic drafting with a notice that says the answer was not
// usable, and the client's error names the problem.
func TestRepairOfTypicalModelDefects(t *testing.T) {
	scenarios, err := LoadScenarios("testdata/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	sc := scenarios[0]
	valid := string(sc.Draft)
	prompts, err := loadPrompts(PromptVersion)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		defect    string
		second    string // "" = the valid answer
		calls     int    // drafting calls
		repaired  int
		fallback  bool
		errorPart string
	}{
		{defect: defectProse, calls: 1},
		{defect: defectMissingField, calls: 2, repaired: 1},
		{defect: defectWrongTypes, calls: 2, repaired: 1},
		{defect: defectTruncated, calls: 2, repaired: 1},
		{defect: defectTruncated, second: defectNoJSON, calls: 2, fallback: true, errorPart: "the answer is not valid JSON"},
		{defect: defectMissingField, second: defectWrongTypes, calls: 2, fallback: true, errorPart: "does not match the schema"},
	}
	for _, tc := range tests {
		t.Run(tc.defect+" then "+map[bool]string{true: tc.second, false: "valid"}[tc.second != ""], func(t *testing.T) {
			var mu sync.Mutex
			drafting := 0
			fake := newFakeLLM(t, func(c fakeCall) fakeReply {
				if c.Schema != "story_drafts" {
					return fakeReply{Content: `{"drafts":[]}`}
				}
				mu.Lock()
				defer mu.Unlock()
				drafting++
				if drafting == 1 {
					return defective(t, tc.defect, valid)
				}
				if tc.second != "" {
					return defective(t, tc.second, valid)
				}
				return fakeReply{Content: valid}
			})
			client, err := llm.New(llm.Config{APIKey: "sk-test", BaseURL: fake.URL(), Model: "gpt-4o-mini", MaxRetries: -1})
			if err != nil {
				t.Fatal(err)
			}
			model := analysis.NewProject(domain.DefaultStrategy(), nil, func() time.Time { return time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC) })
			p := &pipeline{LLM: client, prompts: prompts, Analyse: model.AnalyseIssue, Project: ScenarioProject(0), Strategy: domain.DefaultStrategy()}
			var f research.Findings
			if sc.Research != nil {
				f = *sc.Research
			}
			out, err := p.Run(context.Background(), sc.Form, f)
			if err != nil {
				t.Fatal(err)
			}
			if drafting != tc.calls || out.Stats.Repaired != tc.repaired {
				t.Errorf("%d drafting calls, %d repaired; want %d, %d", drafting, out.Stats.Repaired, tc.calls, tc.repaired)
			}
			if tc.fallback {
				if out.Mode != ModeDeterministic || !strings.Contains(strings.Join(out.Notices, " "), "its answer was not usable") {
					t.Errorf("mode %s, notices %v", out.Mode, out.Notices)
				}
				// The client's error names the defect.
				var ans llmDrafts
				drafting = 0
				_, err := client.Complete(context.Background(), llm.Request{Name: "story_drafts", Schema: draftsSchema, System: "s", User: "Jira project EV01", MaxTokens: 100}, &ans)
				if !errors.Is(err, llm.ErrInvalidOutput) || !strings.Contains(err.Error(), tc.errorPart) {
					t.Errorf("error %v, want one naming %q", err, tc.errorPart)
				}
				return
			}
			if out.Mode != ModeLLM || len(out.Drafts) != sc.Form.Count {
				t.Fatalf("mode %s with %d drafts, notices %v", out.Mode, len(out.Drafts), out.Notices)
			}
			for _, d := range out.Drafts {
				if d.Content.UserStory == "" || len(d.Content.AcceptanceCriteria) == 0 {
					t.Errorf("draft %+v lost fields", d.Content)
				}
			}
		})
	}
}
