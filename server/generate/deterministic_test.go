package generate

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/adf"
	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/research"
)

func emptyProject() *analysis.Project {
	return analysis.NewProject(domain.DefaultStrategy(), nil, func() time.Time { return time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC) })
}

func TestDeterministicDraftsAreWellFormed(t *testing.T) {
	forms := []Form{
		{Objective: "Reduce checkout abandonment on mobile", Persona: "mobile shopper", Segment: "small merchants",
			Constraints: "PCI DSS scope must not grow\nWorks on iOS 16 and Android 12", Metrics: "mobile checkout completion from 61% to 70%", Count: 5},
		{Objective: "Let merchants export orders and email invoices", Count: 3},
		{Objective: "Offer gift cards", Persona: "a store owner", Count: 1},
	}
	p := emptyProject()
	for _, f := range forms {
		if err := f.Normalize(); err != nil {
			t.Fatal(err)
		}
		got := Deterministic(f, research.Findings{})
		if len(got) != f.Count {
			t.Fatalf("%q: %d drafts, want %d", f.Objective, len(got), f.Count)
		}
		for _, c := range got {
			a := c.Analyze(p.AnalyzeIssue, "SHOP")
			if a.Check.Quality < 70 || a.Check.Story == nil {
				t.Errorf("%q: draft %q quality %d: %+v", f.Objective, c.UserStory, a.Check.Quality, a.Check.Findings)
			}
			gwt, n := GWTShare(c.AcceptanceCriteria)
			if gwt != n || n < 2 {
				t.Errorf("%q: criteria %v", c.Title, c.AcceptanceCriteria)
			}
			raw, _ := json.Marshal(Doc(&c))
			if err := adf.Validate(raw); err != nil {
				t.Errorf("%q: ADF invalid: %v", c.Title, err)
			}
		}
	}
}
