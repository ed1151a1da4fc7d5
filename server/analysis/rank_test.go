package analysis

import (
	"slices"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/analysis/score"
	"github.com/backlogai/backlogai/server/domain"
)

// rescore does what the backlog service's rescore does: analyse every
// issue of the model, then rank.
func rescore(p *Project) []domain.Analysis {
	var all []*domain.Analysis
	for _, k := range p.Keys() {
		a, _ := p.Analyse(k, nil)
		all = append(all, &a)
	}
	p.Rank(all)
	var open []domain.Analysis
	for _, a := range all {
		if is, _ := p.Issue(a.IssueKey); is.Open() {
			open = append(open, *a)
		}
	}
	slices.SortStableFunc(open, func(a, b domain.Analysis) int {
		if a.Score.Total != b.Score.Total {
			if a.Score.Total > b.Score.Total {
				return -1
			}
			return 1
		}
		return score.CompareKeys(a.IssueKey, b.IssueKey)
	})
	return open
}

func TestPreviewIsWhatSavingGives(t *testing.T) {
	p := NewProject(domain.DefaultStrategy(), synthetic(300), func() time.Time { return now })
	rescore(p)
	if p.NeedsRank() {
		t.Error("a freshly ranked project needs ranking")
	}
	st := domain.DefaultStrategy()
	st.Vision = "Shoppers pay with a saved card and track returns"
	st.Objectives = []string{"Faster checkout", "Export invoices"}
	st.Competitors = []string{"Shopify"}
	st.CommercialLabels = []string{"billing"}
	st.Weights = [5]float64{1, 2, 3, 1, 0.5}
	st.Shares = [3]float64{20, 30, 30}
	preview, sum := p.Preview(st, nil)
	p.SetStrategy(st)
	saved := rescore(p)
	if len(preview) != len(saved) || len(saved) < 150 {
		t.Fatalf("preview %d, saved %d open issues", len(preview), len(saved))
	}
	for i := range saved {
		if preview[i].IssueKey != saved[i].IssueKey || preview[i].Score.Total != saved[i].Score.Total || preview[i].Score.Moscow != saved[i].Score.Moscow {
			t.Fatalf("rank %d: preview %s %.2f %s, saved %s %.2f %s", i+1, preview[i].IssueKey, preview[i].Score.Total, preview[i].Score.Moscow,
				saved[i].IssueKey, saved[i].Score.Total, saved[i].Score.Moscow)
		}
	}
	if sum.Mode != domain.MoscowRelative || sum.Count[0] == 0 || len(sum.Warnings) != 0 {
		t.Errorf("summary %+v", sum)
	}
}

func TestRankCalibratesPillarsAndKeepsCutoffs(t *testing.T) {
	p := NewProject(domain.DefaultStrategy(), synthetic(400), func() time.Time { return now })
	if !p.NeedsRank() {
		t.Fatal("a new project does not ask for its first ranking")
	}
	open := rescore(p)
	lo, hi := open[len(open)-1].Score.Total, open[0].Score.Total
	// Calibration spreads the totals: no evidence stays at the neutral 50,
	// so the span is what the evidence on either side makes of it, at
	// least twice the raw one on this backlog.
	rawLo, rawHi := 100.0, 0.0
	for _, a := range open {
		r := score.RawPillars(a.Score)
		ps := make([]domain.PillarScore, len(r))
		for k, n := range domain.Pillars {
			ps[k] = domain.PillarScore{Name: n, Value: r[k]}
		}
		b := score.Base(ps, domain.DefaultStrategy().Weights)
		rawLo, rawHi = min(rawLo, b), max(rawHi, b)
	}
	if hi-lo < 2*(rawHi-rawLo) {
		t.Errorf("totals span %.1f-%.1f after calibration, %.1f-%.1f before", lo, hi, rawLo, rawHi)
	}
	// An issue analysed between rankings is classed by the last cutoffs
	// and says so.
	a, _ := p.Analyse(open[0].IssueKey, nil)
	if a.Score.Moscow != domain.MoscowMust || a.Score.ClassBasis == "" || a.Score.Total != open[0].Score.Total {
		t.Errorf("between rankings: %s %.2f %q, ranked %.2f", a.Score.Moscow, a.Score.Total, a.Score.ClassBasis, open[0].Score.Total)
	}
	// Changes past a tenth of the backlog ask for a new ranking.
	for i, an := range open[:len(open)/10+25] {
		is, _ := p.Issue(an.IssueKey)
		is.Votes += 50 + i
		p.Upsert(is)
		p.Analyse(is.Key, nil)
	}
	if !p.NeedsRank() {
		t.Error("many changed scores do not ask for a new ranking")
	}
}

func TestVelocityFromDoneStoryPoints(t *testing.T) {
	day := 24 * time.Hour
	done := func(key string, pts float64, ago time.Duration) domain.Issue {
		v := pts
		return domain.Issue{Key: key, Type: domain.TypeStory, StatusCat: domain.StatusDone, StoryPoints: &v, Updated: now.Add(-ago)}
	}
	tests := []struct {
		name   string
		issues []domain.Issue
		want   float64
	}{
		{"two sprints with points", []domain.Issue{done("A-1", 8, 3*day), done("A-2", 5, 20*day), done("A-3", 5, 21*day)}, 3},
		{"only one sprint: no velocity", []domain.Issue{done("A-1", 8, 3*day), done("A-2", 5, 4*day)}, 0},
		{"old work does not count", []domain.Issue{done("A-1", 8, 3*day), done("A-2", 5, 20*day), done("A-3", 40, 200*day)}, 2.2},
	}
	for _, tc := range tests {
		p := NewProject(domain.DefaultStrategy(), tc.issues, func() time.Time { return now })
		if got := p.Velocity(); got != tc.want {
			t.Errorf("%s: velocity %v, want %v", tc.name, got, tc.want)
		}
	}
}

// BenchmarkPreview10k measures the Strategy tab's exact preview over a
// 10k-issue project (about two thirds open), after a first one.
func BenchmarkPreview10k(b *testing.B) {
	p := NewProject(domain.DefaultStrategy(), synthetic(10_000), func() time.Time { return now })
	st := domain.DefaultStrategy()
	st.Vision = "Shoppers pay with a saved card"
	p.Preview(st, nil) // the first one fills the memo, as the scan's ranking does
	for b.Loop() {
		p.Preview(st, nil)
	}
}
