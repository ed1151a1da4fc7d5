package score

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenIssues are hand-written issues that cover the explanation paths.
func goldenIssues() []Input {
	return []Input{
		{
			Issue: &domain.Issue{
				Key: "PROJ-101", Type: domain.TypeStory, StatusCat: domain.StatusToDo,
				Summary:     "As a workspace admin, I want a guided onboarding checklist so that new teams get started without help",
				Description: "Users find setup confusing and slow. Several enterprise customers asked for it during their renewal.",
				Labels:      []string{"Enterprise"}, Priority: "High", Votes: 12, Watchers: 5,
				StoryPoints: ptr(3.0), DueDate: dayOffset(3), EpicKey: "PROJ-10", RecentComments: 4,
				Links:   []domain.Link{{Kind: domain.LinkBlocks, OtherKey: "PROJ-130"}},
				Updated: testNow.Add(-48 * time.Hour),
			},
			Quality: 85, EpicSummary: "Self-serve onboarding",
		},
		{
			Issue: &domain.Issue{
				Key: "PROJ-102", Type: domain.TypeTask, StatusCat: domain.StatusToDo,
				Summary: "Refactor the logging module", Priority: "Low",
			},
			Quality: 40,
		},
		{
			Issue: &domain.Issue{
				Key: "PROJ-103", Type: domain.TypeBug, StatusCat: domain.StatusInProgress,
				Summary:     "Report export crashes for large boards",
				Description: "Customers complain that the export fails and they lose their filters. Support has a workaround.",
				Priority:    "Highest", Votes: 3, Watchers: 9, DueDate: dayOffset(-2), StoryPoints: ptr(2.0),
				Links: []domain.Link{{Kind: domain.LinkBlocks, OtherKey: "PROJ-140"}, {Kind: domain.LinkBlocks, OtherKey: "PROJ-141"}},
			},
			Quality: 70, CustomerRequests: 4,
		},
		{
			Issue: &domain.Issue{
				Key: "PROJ-104", Type: domain.TypeStory, StatusCat: domain.StatusToDo,
				Summary:     "As a project manager, I want swimlanes like Trello has",
				Description: "We need parity with Trello here. Depends on the board renderer rewrite.",
				StoryPoints: ptr(13.0),
				Links:       []domain.Link{{Kind: domain.LinkBlockedBy, OtherKey: "PROJ-77"}},
			},
			Quality: 55,
		},
		{
			Issue: &domain.Issue{
				Key: "PROJ-105", Type: domain.TypeStory, StatusCat: domain.StatusToDo,
				Summary:     "As a field technician, I want offline sync of my forms in the mobile app so that I can work without a connection",
				Description: "Unlike Asana, this would be unique for field workers.",
				Components:  []string{"Mobile"}, FixVersionRelease: dayOffset(12),
			},
			Quality: 90, Estimate: &domain.Estimate{Points: 2, Confidence: 0.8, Method: "neighbours"},
		},
		{
			Issue: &domain.Issue{
				Key: "PROJ-106", Type: domain.TypeStory, StatusCat: domain.StatusDone,
				Summary: "As a user, I want to print invoices", DueDate: dayOffset(-30), Votes: 1, StoryPoints: ptr(1.0),
			},
			Quality: 65,
		},
		{
			Issue: &domain.Issue{
				Key: "PROJ-107", Type: domain.TypeStory, StatusCat: domain.StatusToDo,
				Summary: "As a support agent, I want canned replies", Votes: 2,
			},
			Quality: 75, Override: &domain.Override{Moscow: domain.MoscowMust, Reason: "Promised to Acme", AccountID: "5b10a2844c20165700ede21g"},
		},
		{
			Issue: &domain.Issue{
				Key: "PROJ-108", Type: domain.TypeStory, StatusCat: domain.StatusToDo,
				Summary: "As a team lead, I want a weekly digest of dashboards in Slack so that my team stays aligned",
			},
			Quality: 80, ResearchSources: 3,
			Proposed: []Proposal{
				{Pillar: domain.PillarUserValue, Value: 8, Reason: "Team leads ask for digests in 4 of 6 interviews"},
				{Pillar: domain.PillarCompetitive, Value: 6, Reason: "Asana has digests; ours would include dashboards"},
			},
		},
	}
}

func renderScore(b *strings.Builder, r Result) {
	s := r.Score
	fmt.Fprintf(b, "== %s  total %.2f  %s (computed %s)  urgency +%.2f\n", r.Key, s.Total, s.Moscow, s.Computed, s.UrgencyBonus)
	if s.Override != nil {
		fmt.Fprintf(b, "   override: %s, %q\n", s.Override.Moscow, s.Override.Reason)
	}
	for _, p := range s.Pillars {
		fmt.Fprintf(b, "   %-24s %5.2f\n", PillarTitle(p.Name), p.Value)
		for _, e := range p.Evidence {
			fmt.Fprintf(b, "     %+6.2f %-20s %s\n", e.Delta, e.Signal, e.Detail)
		}
	}
	for _, e := range s.Urgency {
		fmt.Fprintf(b, "   urgency %+6.2f %-16s %s\n", e.Delta, e.Signal, e.Detail)
	}
	fmt.Fprintf(b, "   why now:  %s\n   why this: %s\n   why us:   %s\n\n", s.WhyNow, s.WhyThis, s.WhyUs)
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test -update and review the diff):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first lines that differ between want and got (a
// positional comparison: after an inserted line everything differs).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 4; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %s\n+ %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

func goldenResults() map[string]Result {
	sc := NewScorer(testStrategy())
	bare := testStrategy()
	bare.Vision, bare.Objectives = "", nil
	out := map[string]Result{}
	for _, in := range goldenIssues() {
		if in.Issue.Key == "PROJ-107" {
			out[in.Issue.Key] = Score(in, bare, testNow) // no strategy text
			continue
		}
		out[in.Issue.Key] = sc.Score(in, testNow)
	}
	return out
}

func TestGoldenExplanations(t *testing.T) {
	results := goldenResults()
	var b strings.Builder
	for _, in := range goldenIssues() {
		renderScore(&b, results[in.Issue.Key])
	}
	checkGolden(t, "explanations.golden", b.String())
}

func TestSentence(t *testing.T) {
	ev := func(signal, detail string, delta float64, pillar int) tagged {
		return tagged{Evidence: domain.Evidence{Signal: signal, Detail: detail, Delta: delta}, pillar: pillar}
	}
	tests := []struct {
		name       string
		pros, cons []tagged
		want       string
	}{
		{"empty", nil, nil, "Nothing yet."},
		{"empty with a con", nil, []tagged{ev("priority", "priority Low", -1, 1)}, "Nothing yet; it has priority Low."},
		{"one clause", []tagged{ev("users", "it speaks of “users”", 0.5, 0)}, nil, "It speaks of “users”."},
		{
			"shared verb merges, clauses keep their commas",
			[]tagged{ev("votes", "12 votes", 2, 0), ev("commercial_labels", "the Enterprise label marks it commercial", 1.5, 1), ev("watchers", "5 watchers", 1, 0)},
			nil,
			"It has 12 votes and 5 watchers, and the Enterprise label marks it commercial.",
		},
		{
			"pros and a con",
			[]tagged{ev("estimate", "small (1 story point)", 2, 4)},
			[]tagged{ev("blockers", "blocked by 1 open issue (A-1)", -1.5, 4)},
			"It is small (1 story point), but it is blocked by 1 open issue (A-1).",
		},
	}
	for _, tc := range tests {
		if got := sentence(tc.pros, tc.cons, "Nothing yet"); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestJoinAnd(t *testing.T) {
	tests := []struct {
		items []string
		n     int
		want  string
	}{
		{[]string{"a"}, 3, "a"},
		{[]string{"a", "b"}, 3, "a and b"},
		{[]string{"a", "b", "c"}, 3, "a, b and c"},
		{[]string{"a", "b", "c", "d", "e"}, 3, "a, b, c and 2 more"},
	}
	for _, tc := range tests {
		if got := joinAnd(tc.items, tc.n); got != tc.want {
			t.Errorf("joinAnd(%v, %d) = %q, want %q", tc.items, tc.n, got, tc.want)
		}
	}
}

func TestExplanationsOfAnIssueWithoutSignals(t *testing.T) {
	bare := testStrategy()
	bare.Vision, bare.Objectives = "", nil
	tests := []struct {
		name     string
		s        domain.Strategy
		whyThis  string
		whyUsHas string
	}{
		{"with strategy", testStrategy(), "No user or commercial signal speaks for it yet.", "No strategic, competitive or technical signal stands out."},
		{"without strategy text", bare, "No user or commercial signal speaks for it yet.", "set a vision or objectives on the Strategy tab"},
	}
	for _, tc := range tests {
		in := Input{Issue: plainIssue(), Quality: 60, Estimate: &domain.Estimate{Points: 3, Method: "median", Confidence: 1}}
		sco := Score(in, tc.s, testNow).Score
		if sco.WhyThis != tc.whyThis {
			t.Errorf("%s: why this = %q, want %q", tc.name, sco.WhyThis, tc.whyThis)
		}
		if !strings.Contains(sco.WhyUs, tc.whyUsHas) {
			t.Errorf("%s: why us = %q, want it to contain %q", tc.name, sco.WhyUs, tc.whyUsHas)
		}
		if want := "Nothing makes it urgent: no close due date or release, and it blocks no open issue."; sco.WhyNow != want {
			t.Errorf("%s: why now = %q, want %q", tc.name, sco.WhyNow, want)
		}
	}
}
