package estimate_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/analysis/estimate"
	"github.com/backlogai/backlogai/server/domain"
)

func pts(v float64) *float64 { return &v }

func issue(key, summary string, points float64) domain.Issue {
	return domain.Issue{Key: key, Summary: summary, StoryPoints: pts(points)}
}

// team is a history with clear topics: flaky tests are small, migrations
// are large, everything else is a 3.
func team() []domain.Issue {
	var h []domain.Issue
	for i := range 12 {
		h = append(h, issue(fmt.Sprintf("T-%d", len(h)+1), fmt.Sprintf("Flaky test in scheduler suite case %c", 'a'+i), 1))
	}
	for i := range 12 {
		h = append(h, issue(fmt.Sprintf("T-%d", len(h)+1), fmt.Sprintf("Migrate database schema to new storage engine part %c", 'a'+i), 8))
	}
	for i := range 20 {
		h = append(h, issue(fmt.Sprintf("T-%d", len(h)+1), fmt.Sprintf("Improve the %c dashboard widget", 'a'+i), 3))
	}
	return h
}

func TestEstimateSnapsToTeamScale(t *testing.T) {
	tests := []struct {
		name  string
		scale []float64
	}{
		{"fibonacci", []float64{1, 2, 3, 5, 8, 13}},
		{"halves", []float64{0.5, 1, 2, 4}},
		{"gaps", []float64{1, 10, 100}},
	}
	queries := []string{"Flaky test in scheduler", "Migrate the storage engine", "dashboard widget", "unrelated words entirely", ""}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h []domain.Issue
			for i, is := range team() {
				h = append(h, issue(is.Key, is.Summary, tt.scale[i%len(tt.scale)]))
			}
			m := estimate.Train(h, estimate.DefaultOptions())
			if diff := cmp.Diff(tt.scale, m.Scale()); diff != "" {
				t.Fatalf("Scale() mismatch (-want +got):\n%s", diff)
			}
			for _, q := range queries {
				e := m.Estimate(&domain.Issue{Summary: q})
				if e.Method != estimate.MethodNeighbours {
					// Unrelated or empty text: no number at all.
					if e.Method != estimate.MethodInsufficient || e.Points != 0 || e.Reason == "" {
						t.Errorf("Estimate(%q) = %+v, want a number or an explained %q", q, e, estimate.MethodInsufficient)
					}
					continue
				}
				if !slices.Contains(tt.scale, e.Points) || !slices.Contains(tt.scale, e.Low) || !slices.Contains(tt.scale, e.High) {
					t.Errorf("Estimate(%q).Points = %v (%v-%v), not on the team scale %v", q, e.Points, e.Low, e.High, tt.scale)
				}
			}
		})
	}
}

func TestEstimateFollowsStrongNeighbours(t *testing.T) {
	m := estimate.Train(team(), estimate.DefaultOptions())
	tests := []struct {
		summary string
		want    float64
		method  string
	}{
		{"Flaky test in scheduler suite", 1, estimate.MethodNeighbours},
		{"Migrate database schema to the new storage engine", 8, estimate.MethodNeighbours},
		{"Improve dashboard widget", 3, estimate.MethodNeighbours},
		// Nothing similar: not enough signal for a number.
		{"Quarterly penguin census", 0, estimate.MethodInsufficient},
	}
	for _, tt := range tests {
		e := m.Estimate(&domain.Issue{Summary: tt.summary})
		if e.Points != tt.want || e.Method != tt.method {
			t.Errorf("Estimate(%q) = %v by %q, want %v by %q", tt.summary, e.Points, e.Method, tt.want, tt.method)
		}
	}
}

func TestEstimateMedianWhenThin(t *testing.T) {
	h := []domain.Issue{
		issue("A-1", "Flaky test", 1),
		issue("A-2", "Flaky test again", 1),
		issue("A-3", "Add login page", 5),
		issue("A-4", "Add logout page", 5),
		issue("A-5", "Add settings page", 5),
		{Key: "A-6", Summary: "Not estimated yet"},
	}
	tests := []struct {
		name       string
		history    []domain.Issue
		minHistory int
		want       domain.Estimate
	}{
		{"empty", nil, 3, domain.Estimate{Method: estimate.MethodNone}},
		{"only unestimated", h[5:], 3, domain.Estimate{Method: estimate.MethodNone}},
		// Five estimated issues (the sixth has none) < 6: the median of
		// {1,1,5,5,5} is 5, and on the scale {1,5} every vote is within
		// one step of it.
		{"below threshold", h, 6, domain.Estimate{Method: estimate.MethodInsufficient,
			Reason: "too little history: 5 estimated issues, at least 6 needed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := estimate.DefaultOptions()
			o.MinHistory = tt.minHistory
			o.PriorHalfLife = -1 // plain median, easy to check
			m := estimate.Train(tt.history, o)
			got := m.Estimate(&domain.Issue{Summary: "Flaky test"})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Estimate mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// At the threshold the neighbours take over: the flaky tests win.
	o := estimate.DefaultOptions()
	o.MinHistory, o.Prior, o.PriorHalfLife = 5, 0.5, -1
	got := estimate.Train(h, o).Estimate(&domain.Issue{Summary: "Flaky test"})
	if got.Method != estimate.MethodNeighbours || got.Points != 1 {
		t.Errorf("at threshold: Estimate = %v by %q, want 1 by neighbours", got.Points, got.Method)
	}
}

func TestEstimateShrinksWeakEvidence(t *testing.T) {
	// One loosely similar 13 among many 2s must not drag the estimate to 13.
	var h []domain.Issue
	for i := range 40 {
		h = append(h, issue(fmt.Sprintf("S-%d", i), fmt.Sprintf("Routine chore number %c%c", 'a'+i%26, 'a'+i/26), 2))
	}
	h = append(h, issue("S-99", "Rewrite the billing engine, payments, invoices and tax rules", 13))
	o := estimate.DefaultOptions()
	o.MinEvidence, o.MinTerms = -1, 1 // one shared word counts as evidence here
	m := estimate.Train(h, o)
	e := m.Estimate(&domain.Issue{Summary: "Billing report export"})
	if e.Points != 2 {
		t.Errorf("Estimate = %v, want 2 (shrunk to the team median)", e.Points)
	}
	if len(e.Neighbours) == 0 || e.Neighbours[0].Key != "S-99" {
		t.Errorf("Neighbours = %+v, want S-99 reported as evidence", e.Neighbours)
	}
}

func TestNeighboursReportedSorted(t *testing.T) {
	h := []domain.Issue{
		issue("N-1", "Export report as CSV file", 3),
		issue("N-2", "Export report as PDF file", 5),
		issue("N-3", "Export dashboard", 2),
		issue("N-4", "Flaky login test", 1),
		issue("N-5", "Export report as CSV file", 3), // same text as N-1, newer
	}
	o := estimate.DefaultOptions()
	o.MinHistory, o.Evidence = 1, 3
	m := estimate.Train(h, o)
	e := m.Estimate(&domain.Issue{Key: "Q-1", Summary: "Export report as CSV file"})
	var keys []string
	for i, n := range e.Neighbours {
		keys = append(keys, n.Key)
		if n.Similarity <= 0 || n.Similarity > 1 {
			t.Errorf("neighbour %s similarity %v outside (0,1]", n.Key, n.Similarity)
		}
		if i > 0 && n.Similarity > e.Neighbours[i-1].Similarity {
			t.Errorf("neighbours not sorted by similarity: %+v", e.Neighbours)
		}
		if want := *h[slices.IndexFunc(h, func(is domain.Issue) bool { return is.Key == n.Key })].StoryPoints; n.Points != want {
			t.Errorf("neighbour %s points %v, want %v", n.Key, n.Points, want)
		}
	}
	// Identical texts tie at similarity 1; the newer comes first. Evidence
	// caps the list at 3.
	if diff := cmp.Diff([]string{"N-5", "N-1", "N-2"}, keys); diff != "" {
		t.Errorf("neighbour keys mismatch (-want +got):\n%s", diff)
	}
	if e.Neighbours[0].Summary != "Export report as CSV file" {
		t.Errorf("neighbour summary = %q", e.Neighbours[0].Summary)
	}
}

func TestEstimateSkipsItself(t *testing.T) {
	h := team()
	m := estimate.Train(h, estimate.DefaultOptions())
	self := h[0]
	e := m.Estimate(&self)
	for _, n := range e.Neighbours {
		if n.Key == self.Key {
			t.Fatalf("issue %s is its own neighbour: %+v", self.Key, e.Neighbours)
		}
	}
	if len(e.Neighbours) == 0 {
		t.Fatal("no neighbours for a known issue")
	}
}

func TestTypeAndComponentsBreakTies(t *testing.T) {
	h := []domain.Issue{
		{Key: "B-1", Summary: "Search results page", Type: domain.TypeBug, Components: []string{"Web"}, StoryPoints: pts(1)},
		{Key: "B-2", Summary: "Search results page", Type: domain.TypeStory, Components: []string{"API"}, StoryPoints: pts(8)},
	}
	o := estimate.DefaultOptions()
	o.MinHistory = 1
	m := estimate.Train(h, o)
	for _, tt := range []struct {
		q    domain.Issue
		want string
	}{
		{domain.Issue{Summary: "Search results page", Type: domain.TypeBug}, "B-1"},
		{domain.Issue{Summary: "Search results page", Type: domain.TypeStory}, "B-2"},
		{domain.Issue{Summary: "Search results page", Components: []string{"web"}}, "B-1"},
		{domain.Issue{Summary: "Search results page", Components: []string{"API"}}, "B-2"},
	} {
		e := m.Estimate(&tt.q)
		if len(e.Neighbours) == 0 || e.Neighbours[0].Key != tt.want {
			t.Errorf("Estimate(%+v) first neighbour = %+v, want %s", tt.q, e.Neighbours, tt.want)
		}
	}
}

func TestEstimateDeterministic(t *testing.T) {
	h := synthetic(600, 1)
	queries := synthetic(50, 2)
	run := func() []domain.Estimate {
		m := estimate.Train(h, estimate.DefaultOptions())
		var out []domain.Estimate
		for i := range queries {
			out = append(out, m.Estimate(&queries[i]))
		}
		return out
	}
	first := run()
	for range 3 {
		if diff := cmp.Diff(first, run()); diff != "" {
			t.Fatalf("estimates differ between identical runs (-first +again):\n%s", diff)
		}
	}
}

func TestConfidenceInRange(t *testing.T) {
	for _, n := range []int{0, 3, 40, 500} {
		m := estimate.Train(synthetic(n, 3), estimate.DefaultOptions())
		qs := synthetic(100, 4)
		qs = append(qs, domain.Issue{}, domain.Issue{Summary: "zzz qqq"})
		for i := range qs {
			e := m.Estimate(&qs[i])
			if e.Confidence < 0 || e.Confidence > 1 {
				t.Errorf("history %d: Confidence %v outside [0,1]", n, e.Confidence)
			}
			if e.Method == estimate.MethodNeighbours && e.Confidence == 0 {
				t.Errorf("history %d: Confidence 0 on a suggestion", n)
			}
			if e.Method != estimate.MethodNeighbours && e.Confidence != 0 {
				t.Errorf("history %d: Confidence %v without a suggestion (%s)", n, e.Confidence, e.Method)
			}
		}
	}
}

func TestTrainSortsByCreated(t *testing.T) {
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	// Given newest first; with Created set, the oldest three (8s) must
	// count as old, so the recency-weighted median is the recent 1.
	var h []domain.Issue
	for i := range 40 {
		p := 1.0
		if i >= 22 {
			p = 8
		}
		is := issue(fmt.Sprintf("C-%d", i), fmt.Sprintf("Chore %d", i), p)
		is.Created = day.AddDate(0, 0, -i)
		h = append(h, is)
	}
	o := estimate.DefaultOptions()
	// Every chore is equally similar; a heavy prior lets recency decide.
	o.PriorHalfLife, o.Prior, o.MinTerms = 5, 1000, 1
	e := estimate.Train(h, o).Estimate(&domain.Issue{Summary: "chore"})
	if e.Points != 1 {
		t.Errorf("Estimate = %v, want 1 (recent issues dominate the prior)", e.Points)
	}
}

func TestAddUpdatesModel(t *testing.T) {
	h := team()
	m := estimate.Train(h[:30], estimate.DefaultOptions())
	for i := 30; i < len(h); i++ {
		m.Add(&h[i])
	}
	full := estimate.Train(h, estimate.DefaultOptions())
	if m.Len() != full.Len() {
		t.Fatalf("Len after Add = %d, want %d", m.Len(), full.Len())
	}
	for _, q := range []string{"Flaky test in scheduler", "Migrate storage engine", "Improve dashboard widget", "penguins"} {
		a, b := m.Estimate(&domain.Issue{Summary: q}), full.Estimate(&domain.Issue{Summary: q})
		if a.Points != b.Points || a.Method != b.Method {
			t.Errorf("%q: incremental %v by %s, retrained %v by %s", q, a.Points, a.Method, b.Points, b.Method)
		}
	}

	// Re-estimating a known issue replaces it; losing points removes it.
	up := issue("T-1", "Rocket launch sequence overhaul", 13)
	m.Add(&up)
	e := m.Estimate(&domain.Issue{Summary: "Rocket launch sequence overhaul"})
	if len(e.Neighbours) != 1 || e.Neighbours[0].Key != "T-1" || e.Neighbours[0].Points != 13 {
		t.Errorf("after update, neighbours = %+v, want only T-1 at 13", e.Neighbours)
	}
	if !slices.Contains(m.Scale(), 13) {
		t.Errorf("Scale %v lacks the new value 13", m.Scale())
	}
	n := m.Len()
	unest := domain.Issue{Key: "T-1", Summary: "Rocket launch sequence overhaul"}
	m.Add(&unest)
	if m.Len() != n-1 {
		t.Errorf("Len after unestimating = %d, want %d", m.Len(), n-1)
	}
	if slices.Contains(m.Scale(), 13) {
		t.Errorf("Scale %v still holds 13 after its only issue left", m.Scale())
	}
	if e := m.Estimate(&domain.Issue{Summary: "Rocket launch sequence overhaul"}); len(e.Neighbours) != 0 {
		t.Errorf("removed issue still a neighbour: %+v", e.Neighbours)
	}
	if !m.Remove("T-2") || m.Remove("T-2") || m.Remove("nope") {
		t.Error("Remove should report true once for a known key, false otherwise")
	}
	if m.Len() != n-2 {
		t.Errorf("Len after Remove = %d, want %d", m.Len(), n-2)
	}
}

func TestAddManyStaysConsistent(t *testing.T) {
	// Grow far past the re-weighting threshold and churn keys; the model
	// must then agree with a fresh Train on the same final history.
	h := synthetic(400, 5)
	m := estimate.Train(h[:50], estimate.DefaultOptions())
	for i := 50; i < len(h); i++ {
		m.Add(&h[i])
		if i%7 == 0 {
			m.Remove(h[i-40].Key)
		}
	}
	var final []domain.Issue
	removed := map[string]bool{}
	for i := 50; i < len(h); i++ {
		if i%7 == 0 {
			removed[h[i-40].Key] = true
		}
	}
	for _, is := range h {
		if !removed[is.Key] {
			final = append(final, is)
		}
	}
	full := estimate.Train(final, estimate.DefaultOptions())
	if m.Len() != full.Len() {
		t.Fatalf("Len = %d, want %d", m.Len(), full.Len())
	}
	qs := synthetic(60, 6)
	agree := 0
	for i := range qs {
		if m.Estimate(&qs[i]).Points == full.Estimate(&qs[i]).Points {
			agree++
		}
	}
	// IDF is frozen between re-weightings, so a few borderline votes may
	// differ; nearly all must agree.
	if agree < 57 {
		t.Errorf("incremental and retrained models agree on %d/60 estimates, want >= 57", agree)
	}
}

func TestZeroOptionsAreDefaults(t *testing.T) {
	h := synthetic(300, 7)
	a := estimate.Train(h, estimate.Options{})
	b := estimate.Train(h, estimate.DefaultOptions())
	qs := synthetic(30, 8)
	for i := range qs {
		if diff := cmp.Diff(b.Estimate(&qs[i]), a.Estimate(&qs[i])); diff != "" {
			t.Fatalf("Options{} differs from DefaultOptions (-default +zero):\n%s", diff)
		}
	}
}

func TestConcurrentEstimateAndAdd(t *testing.T) {
	h := synthetic(300, 9)
	m := estimate.Train(h[:100], estimate.DefaultOptions())
	qs := synthetic(20, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 100; i < len(h); i++ {
			m.Add(&h[i])
		}
	}()
	for i := 0; i < 200; i++ {
		e := m.Estimate(&qs[i%len(qs)])
		if e.Method == estimate.MethodNone {
			t.Fatal("estimate lost the history during concurrent Add")
		}
	}
	<-done
	if m.Len() != len(h) {
		t.Errorf("Len = %d, want %d", m.Len(), len(h))
	}
}

func TestQuantileOption(t *testing.T) {
	// Every issue matches the query equally and without recency weighting,
	// so the vote is the plain point distribution: 47 % ones, 53 % eights.
	var h []domain.Issue
	for i := range 100 {
		p := 8.0
		if i%100 < 47 {
			p = 1
		}
		h = append(h, issue(fmt.Sprintf("Q-%d", i), fmt.Sprintf("Chore %d", i), p))
	}
	tests := []struct {
		quantile float64
		want     float64
	}{
		{0.5, 8},
		{0.45, 1},
		{0.9, 8},
		{0, 1},   // default 0.45
		{1.5, 1}, // out of range: default
	}
	for _, tt := range tests {
		o := estimate.DefaultOptions()
		o.PriorHalfLife, o.HalfLife, o.MinTerms = -1, -1, 1
		o.Quantile = tt.quantile
		e := estimate.Train(h, o).Estimate(&domain.Issue{Summary: "chore"})
		if e.Points != tt.want || e.Method != estimate.MethodNeighbours {
			t.Errorf("Quantile %v: Estimate = %v by %q, want %v by neighbours", tt.quantile, e.Points, e.Method, tt.want)
		}
	}
}

func TestNotEnoughSignal(t *testing.T) {
	m := estimate.Train(team(), estimate.DefaultOptions())
	thin := estimate.Train(team()[:10], estimate.DefaultOptions())
	tests := []struct {
		name   string
		m      *estimate.Model
		issue  domain.Issue
		reason string
	}{
		{"thin history", thin, domain.Issue{Summary: "Flaky test in scheduler suite"}, "too little history"},
		{"vague story", m, domain.Issue{Summary: "Improve things"}, "too little text"},
		{"empty", m, domain.Issue{}, "too little text"},
		{"nothing similar", m, domain.Issue{Summary: "Penguin census", Description: "scheduler dashboard penguins drones counting quarterly island colonies ice seals fish krill weather nesting"}, "no similar past issue"},
	}
	for _, tt := range tests {
		e := tt.m.Estimate(&tt.issue)
		if e.Method != estimate.MethodInsufficient || e.Points != 0 || e.Low != 0 || e.High != 0 || !strings.Contains(e.Reason, tt.reason) {
			t.Errorf("%s: Estimate = %+v, want %q with reason containing %q and no number", tt.name, e, estimate.MethodInsufficient, tt.reason)
		}
	}
	if e := m.Estimate(&domain.Issue{Summary: "Flaky test in scheduler suite"}); e.Method != estimate.MethodNeighbours {
		t.Errorf("strong evidence: Estimate = %+v, want a number", e)
	}
}

func TestIntervalCalibratedOnHeldOut(t *testing.T) {
	// Train on one sample of a team, estimate fresh issues of the same
	// team: the 80 % interval must hold about 80 % of them, and the stated
	// confidence must match the share within one step.
	m := estimate.Train(synthetic(1500, 11), estimate.DefaultOptions())
	qs := synthetic(600, 12)
	sc := m.Scale()
	var n, in, within int
	var conf float64
	for i := range qs {
		e := m.Estimate(&qs[i])
		if e.Method != estimate.MethodNeighbours {
			continue
		}
		n++
		truth := *qs[i].StoryPoints
		if e.Low > e.Points || e.Points > e.High {
			t.Fatalf("interval %v-%v does not contain the estimate %v", e.Low, e.High, e.Points)
		}
		if truth >= e.Low && truth <= e.High {
			in++
		}
		if d := slices.Index(sc, truth) - slices.Index(sc, e.Points); d >= -1 && d <= 1 {
			within++
		}
		conf += e.Confidence
		if e.Level == "" {
			t.Fatalf("no confidence word: %+v", e)
		}
	}
	if n < 500 {
		t.Fatalf("answered %d of 600, want >= 500", n)
	}
	if cov := float64(in) / float64(n); cov < 0.75 || cov > 0.85 {
		t.Errorf("80%% interval held %.3f of held-out values, want 0.75-0.85", cov)
	}
	if gap := conf/float64(n) - float64(within)/float64(n); gap < -0.05 || gap > 0.05 {
		t.Errorf("mean confidence off the within-one-step share by %.3f, want within 0.05", gap)
	}
}

func TestLearnable(t *testing.T) {
	tests := []struct {
		name string
		is   domain.Issue
		want bool
	}{
		{"resolved story with points", domain.Issue{Type: domain.TypeStory, StatusCat: domain.StatusDone, StoryPoints: pts(3)}, true},
		{"resolved bug with zero points", domain.Issue{Type: domain.TypeBug, StatusCat: domain.StatusDone, StoryPoints: pts(0)}, true},
		{"open story with points (a plan, or a suggestion written by an old draft)", domain.Issue{Type: domain.TypeStory, StatusCat: domain.StatusToDo, StoryPoints: pts(5)}, false},
		{"in progress with points", domain.Issue{Type: domain.TypeTask, StatusCat: domain.StatusInProgress, StoryPoints: pts(5)}, false},
		{"resolved without points", domain.Issue{Type: domain.TypeStory, StatusCat: domain.StatusDone}, false},
		{"resolved epic with a roll-up", domain.Issue{Type: domain.TypeEpic, StatusCat: domain.StatusDone, StoryPoints: pts(40)}, false},
		{"resolved with negative points", domain.Issue{Type: domain.TypeStory, StatusCat: domain.StatusDone, StoryPoints: pts(-1)}, false},
	}
	for _, tt := range tests {
		if got := estimate.Learnable(&tt.is); got != tt.want {
			t.Errorf("%s: Learnable = %v, want %v", tt.name, got, tt.want)
		}
	}
}
