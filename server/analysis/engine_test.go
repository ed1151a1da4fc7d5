package analysis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/analysis/checks"
	"github.com/backlogai/backlogai/server/domain"
)

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func pts(v float64) *float64 { return &v }

func sample() []domain.Issue {
	old := now.Add(-200 * 24 * time.Hour)
	return []domain.Issue{
		{Key: "S-1", Type: domain.TypeStory, Summary: "As a shopper, I want to save my cart so that I can finish buying later",
			Description: "Acceptance criteria:\n- Given a cart, when I log out, then it is kept", Votes: 12, Watchers: 5, Labels: []string{"customer"},
			Priority: "High", StatusCat: domain.StatusToDo, Created: now.Add(-10 * 24 * time.Hour), Updated: now.Add(-24 * time.Hour)},
		{Key: "S-2", Type: domain.TypeStory, Summary: "As a shopper I want to save my shopping cart so that I can buy later",
			StatusCat: domain.StatusToDo, Created: now.Add(-5 * 24 * time.Hour), Updated: now.Add(-24 * time.Hour)},
		{Key: "S-3", Type: domain.TypeStory, Summary: "Make the checkout fast and easy etc.", StatusCat: domain.StatusToDo,
			Created: old, Updated: old},
		{Key: "B-1", Type: domain.TypeBug, Summary: "NPE when the cart is empty", StatusCat: domain.StatusDone, StoryPoints: pts(2),
			Created: old, Updated: old},
	}
}

func TestProjectAnalyzeFlagsAndRank(t *testing.T) {
	p := NewProject(domain.DefaultStrategy(), sample(), func() time.Time { return now })
	a1, ok := p.Analyze("S-1", nil)
	if !ok {
		t.Fatal("S-1 missing")
	}
	if a1.Score.Total <= 0 || a1.Score.Moscow == "" || len(a1.Score.Pillars) != 5 || a1.Score.WhyThis == "" {
		t.Errorf("score incomplete: %+v", a1.Score)
	}
	if len(a1.Duplicates) == 0 || a1.Duplicates[0].Key != "S-2" {
		t.Errorf("S-2 not found as S-1's nearest: %+v", a1.Duplicates)
	}
	a3, _ := p.Analyze("S-3", nil)
	// Vague words are hints that lower nothing, but the "vague" filter
	// still finds the issue.
	if !slices.Contains(a3.Flags, domain.FlagVague) || !slices.Contains(a3.Flags, domain.FlagStale) {
		t.Errorf("S-3 flags %v", a3.Flags)
	}
	if a3.Check.Quality >= a1.Check.Quality {
		t.Errorf("vague story quality %d ≥ good story %d", a3.Check.Quality, a1.Check.Quality)
	}
	// Override wins and is reported as such.
	ov := &domain.Override{Moscow: domain.MoscowWont, Reason: "not this year"}
	a1o, _ := p.Analyze("S-1", ov)
	if a1o.Score.Moscow != domain.MoscowWont || a1o.Score.Override == nil {
		t.Errorf("override lost: %+v", a1o.Score)
	}
	// Removing an issue removes it from duplicate candidates.
	p.Remove("S-2")
	a1b, _ := p.Analyze("S-1", nil)
	for _, c := range a1b.Duplicates {
		if c.Key == "S-2" {
			t.Error("removed issue still a candidate")
		}
	}
	// Capacity mode never exceeds capacity.
	st := domain.DefaultStrategy()
	st.Mode, st.Capacity = domain.MoscowCapacity, 3
	p.SetStrategy(st)
	var as []*domain.Analysis
	for _, k := range []string{"S-1", "S-3"} {
		a, _ := p.Analyze(k, nil)
		as = append(as, &a)
	}
	sum := p.Rank(as)
	if sum.Points[0]+sum.Points[1]+sum.Points[2] > 3+1e-9 && sum.Unestimated == 0 {
		t.Errorf("capacity exceeded: %+v", sum)
	}
}

func TestPropertyVersionIsStable(t *testing.T) {
	p := NewProject(domain.DefaultStrategy(), sample(), func() time.Time { return now })
	a, _ := p.Analyze("S-1", nil)
	b, _ := p.Analyze("S-1", nil)
	pa, pb := PropertyOf(&a, nil), PropertyOf(&b, nil)
	if pa.Version == "" || pa.Version != pb.Version {
		t.Errorf("versions %q %q", pa.Version, pb.Version)
	}
	a.Score.Total += 7
	if PropertyOf(&a, nil).Version == pa.Version {
		t.Error("version did not change with the score")
	}
}

// synthetic makes n realistic issues deterministically.
func synthetic(n int) []domain.Issue {
	r := rand.New(rand.NewPCG(1, 2))
	roles := []string{"shopper", "store admin", "finance manager", "support agent", "guest"}
	wants := []string{"filter orders by date", "export invoices to CSV", "save my cart", "reset my password", "see delivery status",
		"get an email when stock is low", "compare two products", "pay with a saved card", "apply a discount code", "track returns"}
	whys := []string{"I can find orders quickly", "accounting is simpler", "I can buy later", "I regain access", "I know when it arrives"}
	out := make([]domain.Issue, n)
	for i := range out {
		is := domain.Issue{Key: fmt.Sprintf("P-%d", i+1), Type: domain.TypeStory, StatusCat: domain.StatusToDo,
			Summary:     fmt.Sprintf("As a %s, I want to %s so that %s", roles[r.IntN(len(roles))], wants[r.IntN(len(wants))], whys[r.IntN(len(whys))]),
			Description: "Acceptance criteria:\n- Given a signed-in user, when they open the page, then the list shows\n- Errors are shown inline",
			Votes:       r.IntN(20), Watchers: r.IntN(8), Priority: []string{"Low", "Medium", "High"}[r.IntN(3)],
			Created: now.Add(-time.Duration(r.IntN(400)) * 24 * time.Hour), Updated: now.Add(-time.Duration(r.IntN(100)) * 24 * time.Hour)}
		if r.IntN(3) == 0 {
			is.StatusCat = domain.StatusDone
			v := []float64{1, 2, 3, 5, 8}[r.IntN(5)]
			is.StoryPoints = &v
		}
		out[i] = is
	}
	return out
}

// BenchmarkAnalyze10k measures the full per-issue analysis (checks,
// duplicate query, estimate, score) over a 10k-issue project.
func BenchmarkAnalyze10k(b *testing.B) {
	issues := synthetic(10_000)
	p := NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	b.ResetTimer()
	for b.Loop() {
		for i := range issues {
			p.Analyze(issues[i].Key, nil)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/10k-issues")
}

// BenchmarkBuildProject10k measures building a project model.
func BenchmarkBuildProject10k(b *testing.B) {
	issues := synthetic(10_000)
	for b.Loop() {
		NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	}
}

// TestLinkedIssuesAreNotFlaggedAsDuplicates: a story and the parts it was
// split into read alike by design; once linked (Relates or a split link)
// the finder does not flag them, while an unlinked look-alike still is.
func TestLinkedIssuesAreNotFlaggedAsDuplicates(t *testing.T) {
	mk := func(key, summary string, links ...string) domain.Issue {
		is := domain.Issue{Key: key, Type: domain.TypeStory, Summary: summary, StatusCat: domain.StatusToDo,
			Created: now.Add(-24 * time.Hour), Updated: now.Add(-24 * time.Hour)}
		for _, l := range links {
			is.Links = append(is.Links, domain.Link{Kind: domain.LinkRelates, OtherKey: l})
		}
		return is
	}
	orig := "As a merchant, I want to approve or reject return requests in one list so that I handle returns in minutes"
	issues := []domain.Issue{
		mk("S-10", orig, "S-11", "S-12"),
		mk("S-11", "As a merchant, I want to approve return requests in one list so that I handle returns in minutes", "S-10"),
		mk("S-12", "As a merchant, I want to reject return requests in one list so that I handle returns in minutes", "S-10"),
	}
	p := NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	linked := map[string][]string{"S-10": {"S-11", "S-12"}, "S-11": {"S-10"}, "S-12": {"S-10"}}
	for key, others := range linked {
		a, _ := p.Analyze(key, nil)
		for _, f := range a.Check.Findings {
			for _, o := range others {
				if f.Code == checks.CodeNearDuplicate && strings.Contains(f.Message, o+" ") {
					t.Errorf("%s flagged as a duplicate of %s, linked to it: %s", key, o, f.Message)
				}
			}
		}
	}
	// The same texts without links: the finder does flag them.
	for i := range issues {
		issues[i].Links = nil
	}
	p = NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	if a, _ := p.Analyze("S-11", nil); !slices.Contains(a.Flags, domain.FlagDuplicate) {
		t.Errorf("unlinked look-alikes not flagged: %+v", a.Duplicates)
	}
}
