package checks

import (
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

// A vague summary is reported even when the story sentence is in the
// description.
func TestVagueSummaryWithStoryInDescription(t *testing.T) {
	is := &domain.Issue{Type: domain.TypeStory, Summary: "Make checkout fast and easy",
		Description: "As a shopper, I want to pay with a saved card so that I check out in one step.\n\nAcceptance criteria:\n- Given a saved card, when I pay, then no card form is shown"}
	res := Check(is, DefaultOptions())
	found := false
	for _, f := range res.Findings {
		if f.Code == CodeVagueTerm && f.Span != nil && f.Span.Field == domain.FieldSummary {
			found = true
			if got := is.Summary[f.Span.Start:f.Span.End]; got != "fast" && got != "easy" && got != "fast and easy" {
				t.Errorf("span points at %q", got)
			}
		}
	}
	if !found {
		t.Fatalf("vague summary not reported: %+v", res.Findings)
	}
	// It is a hint: the quality stays that of the clean summary.
	clean := *is
	clean.Summary = "Pay with a saved card"
	if q := Check(&clean, DefaultOptions()).Quality; q != res.Quality {
		t.Errorf("clean summary quality %d ≠ vague summary %d: a hint must not lower quality", q, res.Quality)
	}
}
