package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// forcedIssues adds to synthetic(200) bugs with due dates and priorities
// on both sides of the forced-Must rule. now is 2026-11-01.
func forcedIssues() []domain.Issue {
	due := func(days int) *time.Time {
		d := time.Date(2026, 11, 1+days, 0, 0, 0, 0, time.UTC)
		return &d
	}
	bug := func(key, prio string, dueIn int, f func(*domain.Issue)) domain.Issue {
		is := domain.Issue{Key: key, Type: domain.TypeBug, Summary: "Label misaligned on the " + key + " page", Priority: prio,
			DueDate: due(dueIn), StatusCat: domain.StatusToDo, Created: now.AddDate(0, -2, 0), Updated: now.AddDate(0, 0, -20)}
		if f != nil {
			f(&is)
		}
		return is
	}
	return append(synthetic(200),
		bug("X-1", "High", -15, nil),   // overdue High: Must
		bug("X-2", "Highest", 2, nil),  // Highest, due in 2 days: Must
		bug("X-3", "Medium", -15, nil), // overdue Medium: ranked as usual
		bug("X-4", "High", 10, nil),    // High, not due yet
		bug("X-5", "High", -15, func(is *domain.Issue) { is.StatusCat = domain.StatusDone }),
		bug("X-6", "Low", -30, nil), // overdue Low
		bug("X-7", "High", -15, func(is *domain.Issue) { // linked as a duplicate: Won't wins
			is.Links = []domain.Link{{Kind: domain.LinkDuplicates, OtherKey: "P-1"}}
		}),
		bug("X-8", "High", 3, nil),     // High (not Highest) due in 3 days
		bug("X-9", "Blocker", -1, nil), // legacy scheme, overdue by a day: Must
		bug("X-10", "Highest", 4, nil), // Highest but 4 days out
	)
}

const (
	reasonX1 = "Overdue: due 2026-10-17 (15 days ago), priority High. An open issue of High priority or above past its due date is a Must."
	reasonX2 = "Due 2026-11-03 (in 2 days), priority Highest. An open issue of Highest priority due within 3 days is a Must."
)

func byKey(as []domain.Analysis) map[string]int {
	m := make(map[string]int, len(as))
	for i, a := range as {
		m[a.IssueKey] = i
	}
	return m
}

// TestOverdueHighPriorityIsMust: an open issue past its due date with
// priority High or above, or of Highest priority due within 3 days, is
// Must with its reason, whatever its pillars; it takes a place of the
// Must share (Must keeps 15 % of the ranking) and is listed among the
// Musts; other issues are ranked as before.
func TestOverdueHighPriorityIsMust(t *testing.T) {
	p := NewProject(domain.DefaultStrategy(), forcedIssues(), func() time.Time { return now })
	saved := rescore(p)
	at := byKey(saved)
	must := 0
	for _, a := range saved {
		if a.Score.Moscow == domain.MoscowMust {
			must++
		}
	}
	// The share counts every ranked open issue but the linked duplicate.
	if want := (len(saved) - 1) * 15 / 100; must < want || must > want+1 {
		t.Errorf("%d Must of %d open: forced Musts must take places of the 15 %% share", must, len(saved))
	}
	for key, reason := range map[string]string{"X-1": reasonX1, "X-2": reasonX2, "X-9": "Overdue: due 2026-10-31 (1 day ago), priority Blocker."} {
		a := saved[at[key]]
		if a.Score.Moscow != domain.MoscowMust || a.Score.Computed != domain.MoscowMust || !strings.HasPrefix(a.Score.ClassBasis, reason) {
			t.Errorf("%s: %s (computed %s), %q; want Must, %q", key, a.Score.Moscow, a.Score.Computed, a.Score.ClassBasis, reason)
		}
		// Listed among the Musts: nothing above it is below Must.
		if at[key] >= must {
			t.Errorf("%s is #%d with %d Musts (total %.1f)", key, at[key]+1, must, a.Score.Total)
		}
		if a.Score.UrgencyBonus <= 5 || !strings.Contains(a.Score.Urgency[0].Detail, "raised to this backlog's lowest Must score") {
			t.Errorf("%s: the lift is not explained as urgency: bonus %.1f, %+v", key, a.Score.UrgencyBonus, a.Score.Urgency)
		}
	}
	for _, key := range []string{"X-3", "X-4", "X-6", "X-8", "X-10"} {
		a := saved[at[key]]
		if strings.Contains(a.Score.ClassBasis, "is a Must") || a.Score.Moscow == domain.MoscowMust {
			t.Errorf("%s: %s, %q: the rule must not apply", key, a.Score.Moscow, a.Score.ClassBasis)
		}
	}
	if a := saved[at["X-7"]]; a.Score.Moscow != domain.MoscowWont || !strings.HasPrefix(a.Score.ClassBasis, "Linked as a duplicate") {
		t.Errorf("X-7 (linked duplicate): %s, %q", a.Score.Moscow, a.Score.ClassBasis)
	}
	if a, _ := p.Analyse("X-5", nil); !a.Score.Resolved || strings.Contains(a.Score.ClassBasis, "Overdue") {
		t.Errorf("X-5 (done): %+v", a.Score)
	}

	// Analysed alone between rankings (a webhook), it keeps its class,
	// reason and total, and does not count as changed.
	a1, _ := p.Analyse("X-1", nil)
	if r := saved[at["X-1"]]; a1.Score.Moscow != domain.MoscowMust || a1.Score.ClassBasis != r.Score.ClassBasis || a1.Score.Total != r.Score.Total {
		t.Errorf("X-1 alone: %s %.2f %q, ranked %s %.2f %q", a1.Score.Moscow, a1.Score.Total, a1.Score.ClassBasis, r.Score.Moscow, r.Score.Total, r.Score.ClassBasis)
	}
	if p.NeedsRank() {
		t.Error("re-analysing unchanged issues asks for a ranking")
	}

	// A person's override wins, alone and in the ranking.
	ov := domain.Override{Moscow: domain.MoscowCould, Reason: "waiting for the supplier"}
	if a, _ := p.Analyse("X-1", &ov); a.Score.Moscow != domain.MoscowCould || a.Score.Computed != domain.MoscowMust || a.Score.Override == nil {
		t.Errorf("X-1 overridden alone: %s (computed %s)", a.Score.Moscow, a.Score.Computed)
	}
	preview, _ := p.Preview(p.Strategy(), map[string]domain.Override{"X-1": ov})
	if a := preview[byKey(preview)["X-1"]]; a.Score.Moscow != domain.MoscowCould || a.Score.Computed != domain.MoscowMust {
		t.Errorf("X-1 overridden in the ranking: %s (computed %s)", a.Score.Moscow, a.Score.Computed)
	}
}

// TestForcedMustInEveryMode: thresholds mode lifts a forced Must to the
// Must threshold; capacity mode counts its points in the Must budget;
// the preview of either equals the saved ranking.
func TestForcedMustInEveryMode(t *testing.T) {
	p := NewProject(domain.DefaultStrategy(), forcedIssues(), func() time.Time { return now })
	rescore(p)
	thr := domain.DefaultStrategy()
	thr.Mode = domain.MoscowThresholds
	capa := domain.DefaultStrategy()
	capa.Mode, capa.Capacity = domain.MoscowCapacity, 40
	capa.Vision = "Shoppers pay with a saved card"
	for _, st := range []domain.Strategy{thr, capa} {
		preview, sum := p.Preview(st, nil)
		p.SetStrategy(st)
		saved := rescore(p)
		for i := range saved {
			if preview[i].IssueKey != saved[i].IssueKey || preview[i].Score.Total != saved[i].Score.Total || preview[i].Score.Moscow != saved[i].Score.Moscow {
				t.Fatalf("%s rank %d: preview %s %.2f %s, saved %s %.2f %s", st.Mode, i+1, preview[i].IssueKey, preview[i].Score.Total,
					preview[i].Score.Moscow, saved[i].IssueKey, saved[i].Score.Total, saved[i].Score.Moscow)
			}
		}
		a := saved[byKey(saved)["X-1"]]
		if a.Score.Moscow != domain.MoscowMust || a.Score.ClassBasis != reasonX1 {
			t.Errorf("%s: X-1 %s %q", st.Mode, a.Score.Moscow, a.Score.ClassBasis)
		}
		switch st.Mode {
		case domain.MoscowThresholds:
			if a.Score.Total < 80 {
				t.Errorf("thresholds: X-1 total %.1f below the Must threshold", a.Score.Total)
			}
		case domain.MoscowCapacity:
			if sum.Mode != domain.MoscowCapacity || sum.Points[0] > sum.Limits[0]+1e-9 && sum.Count[0] > 3 {
				t.Errorf("capacity summary %+v", sum)
			}
			if sum.Count[0] < 3 {
				t.Errorf("capacity: %d Musts, want at least the 3 forced", sum.Count[0])
			}
		}
	}
}

// TestAnalysedAloneAgreesWithRankingInThresholdsMode: in thresholds mode
// an issue analysed alone between rankings (a webhook, a glance) gets the
// class, basis and total the ranking gave it. It used to be classed by
// its uncalibrated total: "70 · Could" with "Score 57 reaches the Could
// threshold of 50."
func TestAnalysedAloneAgreesWithRankingInThresholdsMode(t *testing.T) {
	st := domain.DefaultStrategy()
	st.Mode = domain.MoscowThresholds
	st.Thresholds = [3]float64{70, 60, 50}
	issues := forcedIssues()
	issues = append(issues, domain.Issue{Key: "E-1", Type: domain.TypeEpic, Summary: "Checkout", StatusCat: domain.StatusToDo,
		Created: now.AddDate(0, -3, 0), Updated: now.AddDate(0, -1, 0)})
	for i := range issues[:40] {
		if issues[i].Open() {
			issues[i].EpicKey = "E-1"
		}
	}
	p := NewProject(st, issues, func() time.Time { return now })
	saved := rescore(p)
	classes := map[domain.Moscow]int{}
	for _, r := range saved {
		classes[r.Score.Moscow]++
		a, _ := p.Analyse(r.IssueKey, nil)
		if a.Score.Moscow != r.Score.Moscow || a.Score.Total != r.Score.Total || a.Score.ClassBasis != r.Score.ClassBasis {
			t.Errorf("%s ranked %s %.2f %q, alone %s %.2f %q", r.IssueKey, r.Score.Moscow, r.Score.Total, r.Score.ClassBasis,
				a.Score.Moscow, a.Score.Total, a.Score.ClassBasis)
		}
	}
	if len(classes) < 3 {
		t.Errorf("classes %v: the thresholds split nothing, the test proves little", classes)
	}
}
