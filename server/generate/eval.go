package generate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/llm"
	"github.com/backlogai/backlogai/server/research"
)

// Scenario is one case of the measured generation set: a form, the
// research the prompt gets, and the canned answers of the local LLM
// server used in tests (ignored against a real endpoint).
type Scenario struct {
	Name     string             `json:"name"`
	Form     Form               `json:"form"`
	Research *research.Findings `json:"research,omitempty"`
	// Draft is the answer to the drafting prompt (story_drafts schema);
	// DraftFirst, when set, is a broken first answer the repair attempt
	// must fix. Revision answers the revision prompt, if one is expected.
	Draft      json.RawMessage `json:"draft"`
	DraftFirst string          `json:"draftFirst,omitempty"`
	Revision   json.RawMessage `json:"revision,omitempty"`
}

// LoadScenarios reads every *.json scenario in dir, sorted by file name.
func LoadScenarios(dir string) ([]Scenario, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("generate: no scenarios in %s", dir)
	}
	sort.Strings(files)
	var out []Scenario
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var sc Scenario
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&sc); err != nil {
			return nil, fmt.Errorf("generate: scenario %s: %w", filepath.Base(f), err)
		}
		if sc.Name == "" {
			sc.Name = strings.TrimSuffix(filepath.Base(f), ".json")
		}
		if err := sc.Form.Normalize(); err != nil {
			return nil, fmt.Errorf("generate: scenario %s: %w", sc.Name, err)
		}
		out = append(out, sc)
	}
	return out, nil
}

// ScenarioProject is the project key a scenario runs in: prompts carry it,
// so a local LLM server can tell scenarios apart.
func ScenarioProject(i int) string { return fmt.Sprintf("EV%02d", i+1) }

// ScenarioResult is one scenario's measurement.
type ScenarioResult struct {
	Name    string   `json:"name"`
	Mode    string   `json:"mode"`
	Stats   Stats    `json:"stats"`
	Notices []string `json:"notices,omitempty"`
	Titles  []string `json:"titles"`
}

// EvalResult sums up a run over the scenario set.
type EvalResult struct {
	Model           string           `json:"model"`
	Scenarios       int              `json:"scenarios"`
	Drafts          int              `json:"drafts"`
	QualityBar      int              `json:"qualityBar"`
	FirstPassPassed int              `json:"firstPassPassed"`
	Revised         int              `json:"revised"`
	RevisionKept    int              `json:"revisionKept"`
	PassedAfter     int              `json:"passedAfter"`
	MeanFirst       float64          `json:"meanQualityFirst"`
	MeanFinal       float64          `json:"meanQualityFinal"`
	Criteria        int              `json:"criteria"`
	GWTCriteria     int              `json:"gwtCriteria"`
	Repaired        int              `json:"repaired"`
	Deterministic   int              `json:"deterministicFallbacks"`
	Usage           llm.Usage        `json:"usage"`
	Elapsed         time.Duration    `json:"elapsedNs"`
	PerScenario     []ScenarioResult `json:"perScenario"`
}

// FirstPassRate is the share of drafts at or above the quality bar before
// the revision pass.
func (r *EvalResult) FirstPassRate() float64 { return ratio(r.FirstPassPassed, r.Drafts) }

// FinalPassRate is that share after the revision pass.
func (r *EvalResult) FinalPassRate() float64 { return ratio(r.PassedAfter, r.Drafts) }

// GWTShare is the share of acceptance criteria written Given/When/Then.
func (r *EvalResult) GWTShare() float64 { return ratio(r.GWTCriteria, r.Criteria) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Evaluate runs every scenario through the pipeline with client (nil:
// deterministic drafting), each in an empty project with the default
// strategy, and measures the drafts.
func Evaluate(ctx context.Context, client *llm.Client, scenarios []Scenario) (*EvalResult, error) {
	p, err := loadPrompts(PromptVersion)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	strategy := domain.DefaultStrategy()
	res := &EvalResult{Scenarios: len(scenarios), QualityBar: strategy.QualityBar}
	if client != nil {
		res.Model = client.Model()
	}
	var sumFirst, sumFinal float64
	now := func() time.Time { return time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC) }
	for i, sc := range scenarios {
		model := analysis.NewProject(strategy, nil, now)
		pipe := &pipeline{LLM: client, prompts: p, Analyse: model.AnalyseIssue, Project: ScenarioProject(i), Strategy: strategy}
		var f research.Findings
		if sc.Research != nil {
			f = *sc.Research
		}
		out, err := pipe.Run(ctx, sc.Form, f)
		if err != nil {
			return nil, fmt.Errorf("generate: scenario %s: %w", sc.Name, err)
		}
		sr := ScenarioResult{Name: sc.Name, Mode: out.Mode, Stats: out.Stats, Notices: out.Notices}
		for _, g := range out.Drafts {
			sr.Titles = append(sr.Titles, g.Content.Title)
		}
		res.PerScenario = append(res.PerScenario, sr)
		st := out.Stats
		res.Drafts += st.Drafts
		res.FirstPassPassed += st.FirstPassPassed
		res.Revised += st.Revised
		res.RevisionKept += st.RevisionKept
		res.PassedAfter += st.PassedAfter
		res.Criteria += st.Criteria
		res.GWTCriteria += st.GWTCriteria
		res.Repaired += st.Repaired
		sumFirst += st.MeanFirst * float64(st.Drafts)
		sumFinal += st.MeanFinal * float64(st.Drafts)
		if out.Mode == ModeDeterministic {
			res.Deterministic++
		}
		addUsage(&res.Usage, out.Usage)
	}
	if res.Drafts > 0 {
		res.MeanFirst, res.MeanFinal = sumFirst/float64(res.Drafts), sumFinal/float64(res.Drafts)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// Report writes the result for people: totals, then one line per
// scenario.
func (r *EvalResult) Report(w io.Writer) {
	model := r.Model
	if model == "" {
		model = "deterministic (no LLM)"
	}
	fmt.Fprintf(w, "Generation evaluation: %d scenarios, %d drafts, model %s, quality bar %d\n", r.Scenarios, r.Drafts, model, r.QualityBar)
	fmt.Fprintf(w, "  first-pass pass rate     %5.1f %%  (%d of %d drafts ≥ %d)\n", 100*r.FirstPassRate(), r.FirstPassPassed, r.Drafts, r.QualityBar)
	fmt.Fprintf(w, "  after revision pass      %5.1f %%  (%d of %d; %d drafts revised, %d revisions kept)\n", 100*r.FinalPassRate(), r.PassedAfter, r.Drafts, r.Revised, r.RevisionKept)
	fmt.Fprintf(w, "  mean quality             %5.1f → %.1f\n", r.MeanFirst, r.MeanFinal)
	fmt.Fprintf(w, "  Given/When/Then criteria %5.1f %%  (%d of %d)\n", 100*r.GWTShare(), r.GWTCriteria, r.Criteria)
	fmt.Fprintf(w, "  repaired answers %d, deterministic fallbacks %d, LLM calls %d, tokens %d+%d, cost $%.4f, %s\n",
		r.Repaired, r.Deterministic, r.Usage.Calls, r.Usage.PromptTokens, r.Usage.CompletionTokens, float64(r.Usage.CostMicroUSD)/1e6, r.Elapsed.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  scenario\tmode\tdrafts\tfirst pass\tafter\tquality\tGWT")
	for _, s := range r.PerScenario {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%.0f → %.0f\t%d/%d\n", s.Name, s.Mode, s.Stats.Drafts, s.Stats.FirstPassPassed,
			s.Stats.PassedAfter, s.Stats.MeanFirst, s.Stats.MeanFinal, s.Stats.GWTCriteria, s.Stats.Criteria)
	}
	tw.Flush()
}
