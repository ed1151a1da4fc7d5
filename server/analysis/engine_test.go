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

func TestProjectAnalyseFlagsAndRank(t *testing.T) {
	p := NewProject(domain.DefaultStrategy(), sample(), func() time.Time { return now })
	a1, ok := p.Analyse("S-1", nil)
	if !ok {
		t.Fatal("S-1 missing")
	}
	if a1.Score.Total <= 0 || a1.Score.Moscow == "" || len(a1.Score.Pillars) != 5 || a1.Score.WhyThis == "" {
		t.Errorf("score incomplete: %+v", a1.Score)
	}
	if len(a1.Duplicates) == 0 || a1.Duplicates[0].Key != "S-2" {
		t.Errorf("S-2 not found as S-1's nearest: %+v", a1.Duplicates)
	}
	a3, _ := p.Analyse("S-3", nil)
	// Vague words in the story sentence are hints that lower nothing:
	// they do not flag the issue vague either.
	if slices.Contains(a3.Flags, domain.FlagVague) || !slices.Contains(a3.Flags, domain.FlagStale) {
		t.Errorf("S-3 flags %v", a3.Flags)
	}
	// A vague acceptance criterion is a warning: that flags it.
	crit := domain.Issue{Key: "S-9", Type: domain.TypeStory, Summary: "As a shopper, I want to save my cart so that I can finish buying later",
		Description: "Acceptance criteria:\n- The cart page loads fast", StatusCat: domain.StatusToDo, Created: now, Updated: now}
	if a := p.AnalyseIssue(crit, ExtraInput{}); !slices.Contains(a.Flags, domain.FlagVague) {
		t.Errorf("vague criterion: flags %v, findings %+v", a.Flags, a.Check.Findings)
	}
	if a3.Check.Quality >= a1.Check.Quality {
		t.Errorf("vague story quality %d ≥ good story %d", a3.Check.Quality, a1.Check.Quality)
	}
	// Override wins and is reported as such.
	ov := &domain.Override{Moscow: domain.MoscowWont, Reason: "not this year"}
	a1o, _ := p.Analyse("S-1", ov)
	if a1o.Score.Moscow != domain.MoscowWont || a1o.Score.Override == nil {
		t.Errorf("override lost: %+v", a1o.Score)
	}
	// Removing an issue removes it from duplicate candidates.
	p.Remove("S-2")
	a1b, _ := p.Analyse("S-1", nil)
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
		a, _ := p.Analyse(k, nil)
		as = append(as, &a)
	}
	sum := p.Rank(as)
	if sum.Points[0]+sum.Points[1]+sum.Points[2] > 3+1e-9 && sum.Unestimated == 0 {
		t.Errorf("capacity exceeded: %+v", sum)
	}
}

func TestPropertyVersionIsStable(t *testing.T) {
	p := NewProject(domain.DefaultStrategy(), sample(), func() time.Time { return now })
	a, _ := p.Analyse("S-1", nil)
	b, _ := p.Analyse("S-1", nil)
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

// BenchmarkAnalyse10k measures the full per-issue analysis (checks,
// duplicate query, estimate, score) over a 10k-issue project.
func BenchmarkAnalyse10k(b *testing.B) {
	issues := synthetic(10_000)
	p := NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	b.ResetTimer()
	for b.Loop() {
		for i := range issues {
			p.Analyse(issues[i].Key, nil)
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

// TestDuplicatesSkipRelatives: an issue's parent, sub-tasks, sibling
// sub-tasks, epic, epic children and linked issues are never candidates,
// in either direction, and the bookkeeping follows updates and removals.
func TestDuplicatesSkipRelatives(t *testing.T) {
	text := "Export the monthly sales report as a CSV file for finance"
	mk := func(key string, typ domain.IssueType, f func(*domain.Issue)) domain.Issue {
		is := domain.Issue{Key: key, Type: typ, Summary: text, Description: "Finance downloads the monthly sales report as CSV.", StatusCat: domain.StatusToDo}
		if f != nil {
			f(&is)
		}
		return is
	}
	link := func(kind domain.LinkKind, other string) func(*domain.Issue) {
		return func(is *domain.Issue) { is.Links = []domain.Link{{Kind: kind, OtherKey: other}} }
	}
	issues := []domain.Issue{
		mk("P-1", domain.TypeEpic, nil),
		mk("P-2", domain.TypeStory, func(is *domain.Issue) { is.EpicKey = "P-1" }),
		mk("P-3", domain.TypeSubtask, func(is *domain.Issue) { is.ParentKey = "P-2" }),
		mk("P-4", domain.TypeSubtask, func(is *domain.Issue) { is.ParentKey = "P-2" }),
		mk("P-5", domain.TypeStory, link(domain.LinkRelates, "P-2")), // split from P-2
		mk("P-6", domain.TypeStory, nil),                             // a real duplicate
		{Key: "P-7", Type: domain.TypeStory, Summary: "Dark mode for the settings page"},
		mk("P-8", domain.TypeEpic, nil), // an epic matches epics only
	}
	p := NewProject(domain.Strategy{}, issues, nil)
	cands := func(key string) []string {
		a, _ := p.Analyse(key, nil)
		var out []string
		for _, c := range a.Duplicates {
			out = append(out, c.Key)
		}
		return out
	}
	tests := []struct {
		key  string
		want []string
	}{
		{"P-1", []string{"P-8"}},               // epic: stories, sub-tasks (other grain) skipped
		{"P-2", []string{"P-6"}},               // epic, sub-tasks, linked story skipped
		{"P-3", []string{"P-5", "P-6"}},        // parent, sibling and the parent's epic skipped
		{"P-5", []string{"P-3", "P-4", "P-6"}}, // linked from P-2's side only; epics skipped
	}
	for _, tt := range tests {
		got := cands(tt.key)
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s candidates %v, want %v", tt.key, got, tt.want)
		}
	}
	// Unlinking P-5 makes it a candidate of P-2 again; removing P-3 forgets it.
	is5 := issues[4]
	is5.Links = nil
	p.Upsert(is5)
	if got := cands("P-2"); !slices.Contains(got, "P-5") {
		t.Errorf("after unlinking, P-2 candidates %v lack P-5", got)
	}
	p.Remove("P-3")
	if got := cands("P-5"); slices.Contains(got, "P-3") {
		t.Errorf("removed P-3 still a candidate: %v", got)
	}
	if len(p.rel["P-3"]) != 0 || p.rel["P-2"]["P-3"] != 0 {
		t.Errorf("relations of removed P-3 kept: %v", p.rel)
	}
}

func TestEstimatorLearnsOnlyFromResolvedPoints(t *testing.T) {
	var issues []domain.Issue
	for i := range 40 {
		issues = append(issues, domain.Issue{Key: fmt.Sprintf("H-%d", i), Type: domain.TypeTask, StatusCat: domain.StatusDone,
			Summary: fmt.Sprintf("Export report variant %c%c", 'a'+i%26, 'a'+i/26), StoryPoints: pts(2), Created: now.Add(time.Duration(i-100) * time.Hour)})
	}
	// An open issue whose points came from a suggestion (a draft written
	// by an older version): it must not vote.
	draft := domain.Issue{Key: "H-99", Type: domain.TypeStory, StatusCat: domain.StatusToDo,
		Summary: "Quantum flux capacitor calibration export report", StoryPoints: pts(13), Created: now}
	issues = append(issues, draft)
	p := NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	query := domain.Issue{Key: "Q-1", Type: domain.TypeStory, Summary: "Quantum flux capacitor calibration export report"}
	hasDraft := func() bool {
		e := p.AnalyseIssue(query, ExtraInput{}).Estimate
		return slices.ContainsFunc(e.Neighbours, func(n domain.Neighbour) bool { return n.Key == draft.Key })
	}
	if hasDraft() {
		t.Fatal("an open issue's points voted in the estimate")
	}
	// Resolved with its points, it is the team's outcome and teaches.
	draft.StatusCat = domain.StatusDone
	p.Upsert(draft)
	if !hasDraft() {
		t.Fatal("a resolved issue's points did not vote")
	}
	// Reopened, it stops teaching again.
	draft.StatusCat = domain.StatusInProgress
	p.Upsert(draft)
	if hasDraft() {
		t.Fatal("a reopened issue's points still vote")
	}
}

func TestUnestimableStoryGetsNoNumber(t *testing.T) {
	var issues []domain.Issue
	for i := range 60 {
		issues = append(issues, domain.Issue{Key: fmt.Sprintf("H-%d", i), Type: domain.TypeStory, StatusCat: domain.StatusDone,
			Summary: fmt.Sprintf("As a shopper, I want to export my order history as CSV variant %c%c so that I can file expenses", 'a'+i%26, 'a'+i/26), StoryPoints: pts(3)})
	}
	p := NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	clear := domain.Issue{Key: "Q-1", Type: domain.TypeStory, Summary: "As a shopper, I want to export my order history as CSV so that I can file expenses"}
	unclear := clear
	unclear.Key, unclear.Summary = "Q-2", "As a shopper, I want to export TBD ??? as CSV so that I can file expenses"
	if a := p.AnalyseIssue(clear, ExtraInput{}); a.Estimate.Method != "neighbours" {
		t.Fatalf("clear story: estimate %+v, want a number", a.Estimate)
	}
	a := p.AnalyseIssue(unclear, ExtraInput{})
	if a.Check.Letters["E"] != "fail" {
		t.Fatalf("precondition: the checks should fail E for %q, letters %v", unclear.Summary, a.Check.Letters)
	}
	if a.Estimate.Method != "insufficient" || a.Estimate.Points != 0 || a.Estimate.Reason == "" {
		t.Errorf("unestimable story: estimate %+v, want 'insufficient' with a reason", a.Estimate)
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
		a, _ := p.Analyse(key, nil)
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
	if a, _ := p.Analyse("S-11", nil); !slices.Contains(a.Flags, domain.FlagDuplicate) {
		t.Errorf("unlinked look-alikes not flagged: %+v", a.Duplicates)
	}
}

// TestLinkedDuplicateIsNotPromoted: linking an issue as the duplicate of
// another never raises its quality or class: it gets a "close or merge"
// finding, the duplicate flag and Won't, before and after ranking, while
// the issue it duplicates keeps its score.
func TestLinkedDuplicateIsNotPromoted(t *testing.T) {
	mk := func(key string) domain.Issue {
		return domain.Issue{Key: key, Type: domain.TypeStory, StatusCat: domain.StatusToDo, Priority: "Highest",
			Summary:     "As a merchant, I want to approve return requests in one list so that I handle returns in minutes",
			Description: "Acceptance criteria:\n- Given a pending return, when I approve it, then the customer is refunded",
			Created:     now.Add(-24 * time.Hour), Updated: now.Add(-24 * time.Hour)}
	}
	for _, mode := range []domain.MoscowMode{domain.MoscowThresholds, domain.MoscowRelative} {
		t.Run(string(mode), func(t *testing.T) {
			st := domain.DefaultStrategy()
			st.Mode = mode
			issues := []domain.Issue{mk("S-1"), mk("S-2")}
			p := NewProject(st, issues, func() time.Time { return now })
			before, _ := p.Analyse("S-2", nil)
			other, _ := p.Analyse("S-1", nil)

			issues[1].Links = []domain.Link{{Kind: domain.LinkDuplicates, OtherKey: "S-1"}}
			issues[0].Links = []domain.Link{{Kind: domain.LinkDuplicatedBy, OtherKey: "S-2"}}
			p.Upsert(issues[0])
			p.Upsert(issues[1])
			after, _ := p.Analyse("S-2", nil)
			if after.Check.Quality > before.Check.Quality {
				t.Errorf("quality rose from %d to %d by linking", before.Check.Quality, after.Check.Quality)
			}
			want := "Linked as a duplicate of S-1: close or merge it."
			if !slices.ContainsFunc(after.Check.Findings, func(f domain.Finding) bool { return f.Message == want }) {
				t.Errorf("findings %+v lack %q", after.Check.Findings, want)
			}
			if slices.ContainsFunc(after.Check.Findings, func(f domain.Finding) bool { return f.Code == checks.CodeNearDuplicate }) {
				t.Errorf("stale near-duplicate warning kept: %+v", after.Check.Findings)
			}
			if !slices.Contains(after.Flags, domain.FlagDuplicate) {
				t.Errorf("flags %v lack %q", after.Flags, domain.FlagDuplicate)
			}
			a1, _ := p.Analyse("S-1", nil)
			all := []*domain.Analysis{&a1, &after}
			p.Rank(all)
			if after.Score.Moscow != domain.MoscowWont || after.Score.ClassBasis != want {
				t.Errorf("linked duplicate classed %q (%q), want Won't (%q)", after.Score.Moscow, after.Score.ClassBasis, want)
			}
			if a1.Score.Moscow == domain.MoscowWont {
				t.Errorf("the duplicated issue S-1 lost its class: %q (before linking %q)", a1.Score.Moscow, other.Score.Moscow)
			}
			again, _ := p.Analyse("S-2", nil)
			if again.Score.Moscow != domain.MoscowWont {
				t.Errorf("after ranking, linked duplicate re-analysed as %q", again.Score.Moscow)
			}
			// A person's override still wins.
			ov, _ := p.Analyse("S-2", &domain.Override{Moscow: domain.MoscowMust})
			if ov.Score.Moscow != domain.MoscowMust || ov.Score.Computed != domain.MoscowWont {
				t.Errorf("override: class %q computed %q, want Must over Won't", ov.Score.Moscow, ov.Score.Computed)
			}
		})
	}
}

// TestWeakCandidatesAreNotListed: a candidate below the related band (one
// shared word) is noise, not a duplicate to review.
func TestWeakCandidatesAreNotListed(t *testing.T) {
	mk := func(key, summary string) domain.Issue {
		return domain.Issue{Key: key, Type: domain.TypeStory, StatusCat: domain.StatusToDo, Summary: summary}
	}
	issues := []domain.Issue{
		mk("W-1", "Export the monthly sales report as a CSV file for finance"),
		mk("W-2", "Export the monthly sales report as a CSV file for the finance team"),
		mk("W-3", "Show the frontend loading spinner while the cart page loads"),
		mk("W-4", "Translate the checkout frontend into German and French"),
		mk("W-5", "Archive inactive customer accounts after two years"),
	}
	p := NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	a, _ := p.Analyse("W-1", nil)
	if len(a.Duplicates) != 1 || a.Duplicates[0].Key != "W-2" || a.Duplicates[0].Band == "" {
		t.Errorf("W-1 candidates %+v, want only W-2 with a band", a.Duplicates)
	}
	b, _ := p.Analyse("W-3", nil)
	for _, c := range b.Duplicates {
		t.Errorf("W-3 lists %s at %.2f (band %q): one shared word is not a duplicate", c.Key, c.Similarity, c.Band)
	}
	if b.Duplicates == nil {
		t.Error("Duplicates is nil, want an empty list")
	}
}
