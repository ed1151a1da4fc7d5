package analysis

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/analysis/framework"
	"github.com/backlogai/backlogai/server/domain"
)

// withRICE gives every fifth open issue entered RICE inputs, growing with
// its number so that the expected order is known.
func withRICE(issues []domain.Issue) []domain.Issue {
	for i := range issues {
		if i%5 == 0 {
			issues[i].Inputs = map[string]float64{"impact": 3, "confidence": 100, "effort": 1}
			issues[i].InputSources = map[string]string{"impact": "entered", "confidence": "entered", "effort": "entered"}
			issues[i].FieldValues = map[string]float64{reachField: float64(100 + i)}
		}
	}
	return issues
}

// reachField is the Jira field withRICE's reach is read from.
const reachField = "customfield_10050"

func TestFrameworkSwitchReranks(t *testing.T) {
	p := NewProject(domain.DefaultStrategy(), withRICE(synthetic(300)), func() time.Time { return now })
	pillars := rescore(p)
	st := domain.DefaultStrategy()
	st.Framework = &domain.FrameworkConfig{Name: framework.RICE, Fields: map[string]string{"reach": reachField}, FieldNames: map[string]string{reachField: "Reach"}}
	p.SetStrategy(st)
	if !p.NeedsRank() {
		t.Fatal("switching framework does not ask for a ranking")
	}
	rice := rescore(p)
	if len(rice) != len(pillars) {
		t.Fatalf("%d open issues under RICE, %d under pillars", len(rice), len(pillars))
	}
	moved := 0
	for i := range rice {
		if rice[i].IssueKey != pillars[i].IssueKey {
			moved++
		}
	}
	if moved < len(rice)/4 {
		t.Fatalf("only %d of %d positions changed after switching to RICE", moved, len(rice))
	}
	var must int
	for i, a := range rice {
		fs := a.Score.Framework
		if fs == nil || fs.Name != framework.RICE {
			t.Fatalf("%s has no RICE explanation: %+v", a.IssueKey, fs)
		}
		if a.Score.Total < 0 || a.Score.Total > 100 {
			t.Fatalf("%s total %v outside 0-100", a.IssueKey, a.Score.Total)
		}
		if i > 0 && fs.Raw > rice[i-1].Score.Framework.Raw+1e-9 {
			t.Fatalf("rank %d: %s RICE %v above %s RICE %v", i+1, a.IssueKey, fs.Raw, rice[i-1].IssueKey, rice[i-1].Score.Framework.Raw)
		}
		if a.Score.Moscow == domain.MoscowMust {
			must++
		}
	}
	// Entered inputs (reach ≥ 100 × impact 3 at full confidence over one
	// point) beat every pillar default (reach ≤ 1000 × impact ≤ 3 × 50 %).
	top := rice[0].Score.Framework
	if top.Inputs[0].Source != "field" || len(top.Missing) != 0 {
		t.Fatalf("top issue %s is not one with mapped inputs: %+v", rice[0].IssueKey, top)
	}
	if !strings.Contains(framework.Explain(*top), "from Jira field Reach") {
		t.Fatalf("explanation does not name the reach's field: %s", framework.Explain(*top))
	}
	if !strings.Contains(framework.Explain(*top), "rank percentile") {
		t.Fatalf("explanation does not say how the total was normalised: %s", framework.Explain(*top))
	}
	// Relative MoSCoW still takes 15 % of the ranking as Must.
	if want := int(math.Round(0.15 * float64(len(rice)))); must != want {
		t.Fatalf("%d Must under RICE, want %d", must, want)
	}
	// Between rankings, an issue is placed among the last ranking's numbers.
	a, _ := p.Analyse(rice[0].IssueKey, nil)
	if a.Score.Total != rice[0].Score.Total || !strings.Contains(a.Score.Framework.Normalisation, "rank percentile") {
		t.Fatalf("single analysis total %v (%s), ranked %v", a.Score.Total, a.Score.Framework.Normalisation, rice[0].Score.Total)
	}
	// Back to the pillars: no framework explanation, the old order.
	p.SetStrategy(domain.DefaultStrategy())
	back := rescore(p)
	if back[0].Score.Framework != nil || back[0].IssueKey != pillars[0].IssueKey {
		t.Fatalf("back on pillars: first %s framework %+v, want %s without", back[0].IssueKey, back[0].Score.Framework, pillars[0].IssueKey)
	}
}

func TestFrameworkCapacityModeAndPreview(t *testing.T) {
	p := NewProject(domain.DefaultStrategy(), withRICE(synthetic(300)), func() time.Time { return now })
	rescore(p)
	st := domain.DefaultStrategy()
	st.Mode, st.Capacity = domain.MoscowCapacity, 40
	st.Framework = &domain.FrameworkConfig{Name: framework.WSJF}
	preview, sum := p.Preview(st, nil)
	if sum.Mode != domain.MoscowCapacity {
		t.Fatalf("mode %s (fallback %q), want capacity", sum.Mode, sum.Fallback)
	}
	if sum.Points[0] > 0.6*40+1e-9 || sum.Count[0] == 0 {
		t.Fatalf("Must holds %v points in %d issues, want 1..24 points", sum.Points[0], sum.Count[0])
	}
	p.SetStrategy(st)
	saved := rescore(p)
	for i := range saved {
		if preview[i].IssueKey != saved[i].IssueKey || preview[i].Score.Moscow != saved[i].Score.Moscow {
			t.Fatalf("rank %d: preview %s %s, saved %s %s", i+1, preview[i].IssueKey, preview[i].Score.Moscow, saved[i].IssueKey, saved[i].Score.Moscow)
		}
		if saved[i].Score.Framework == nil || saved[i].Score.Framework.Name != framework.WSJF {
			t.Fatalf("%s has no WSJF explanation", saved[i].IssueKey)
		}
	}
}

// BenchmarkFrameworkSwitch10k is the server time of switching a 10k-issue
// project (about two thirds open) from the pillars to each framework: the
// Strategy tab's preview, which is exactly the rescore a save runs.
func BenchmarkFrameworkSwitch10k(b *testing.B) {
	for _, name := range []string{framework.Pillars, framework.RICE, framework.WSJF, framework.ICE, framework.Custom} {
		b.Run(name, func(b *testing.B) {
			p := NewProject(domain.DefaultStrategy(), withRICE(synthetic(10_000)), func() time.Time { return now })
			p.Preview(domain.DefaultStrategy(), nil) // the scan's ranking fills the memo
			st := domain.DefaultStrategy()
			st.Framework = &domain.FrameworkConfig{Name: name, Criteria: []domain.Criterion{{Name: "User Value", Weight: 2}, {Name: "fun", Weight: 1}}}
			for b.Loop() {
				p.Preview(st, nil)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/switch")
		})
	}
}
