package research

import (
	"strings"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
)

// Similar lists up to n existing issues of the project model that are
// close to the request (the duplicate index's candidates), with their
// votes, so drafts neither repeat nor ignore what exists.
func Similar(p *analysis.Project, r Request, n int) []SimilarIssue {
	if p == nil || n <= 0 {
		return nil
	}
	probe := domain.Issue{Key: "DRAFT-0", Type: domain.TypeStory, Summary: r.Objective,
		Description: strings.TrimSpace(r.Context + "\n" + r.Persona + "\n" + r.Segment)}
	a := p.AnalyseIssue(probe, analysis.ExtraInput{})
	var out []SimilarIssue
	for _, c := range a.Duplicates {
		if len(out) >= n {
			break
		}
		is, ok := p.Issue(c.Key)
		if !ok {
			continue
		}
		out = append(out, SimilarIssue{Key: c.Key, Summary: is.Summary, Similarity: c.Similarity, Votes: is.Votes,
			Status: is.Status, Done: !is.Open()})
	}
	return out
}
