package score

import (
	"fmt"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

func TestClassifyThresholds(t *testing.T) {
	def := domain.DefaultStrategy()
	custom := def
	custom.Thresholds = [3]float64{70, 50, 30}
	unset := def
	unset.Thresholds = [3]float64{}
	tests := []struct {
		s     domain.Strategy
		total float64
		want  domain.Moscow
	}{
		{def, 100, domain.MoscowMust},
		{def, 80, domain.MoscowMust},
		{def, 79.99, domain.MoscowShould},
		{def, 60, domain.MoscowShould},
		{def, 40, domain.MoscowCould},
		{def, 39.9, domain.MoscowWont},
		{def, 0, domain.MoscowWont},
		{custom, 72, domain.MoscowMust},
		{custom, 31, domain.MoscowCould},
		{unset, 80, domain.MoscowMust}, // defaults apply
		{unset, 45, domain.MoscowCould},
	}
	for _, tc := range tests {
		if got := Classify(tc.total, tc.s); got != tc.want {
			t.Errorf("Classify(%v, %v) = %s, want %s", tc.total, tc.s.Thresholds, got, tc.want)
		}
	}
}

// item makes a ranked backlog item; points < 0 means unestimated.
func item(key string, total, points float64, override domain.Moscow) Result {
	r := Result{Key: key, Score: domain.Score{Total: total}}
	if points >= 0 {
		r.Points, r.PointsSource = points, "issue"
	}
	if override != "" {
		r.Score.Override = &domain.Override{Moscow: override, Reason: "test"}
	}
	return r
}

func classesOf(items []Result) (effective, computed string) {
	for _, it := range items {
		effective += fmt.Sprintf("%s:%s ", it.Key, it.Score.Moscow)
		computed += fmt.Sprintf("%s:%s ", it.Key, it.Score.Computed)
	}
	return effective, computed
}

func capacityStrategy(c float64) domain.Strategy {
	s := domain.DefaultStrategy()
	s.Mode, s.Capacity = domain.MoscowCapacity, c
	return s
}

func TestRankCapacityMode(t *testing.T) {
	backlog := func() []Result {
		// Deliberately out of order: Rank sorts.
		return []Result{
			item("H", 30, -1, ""), item("C", 80, 3, ""), item("A", 90, 5, ""), item("B", 85, 5, ""),
			item("E", 60, 2, ""), item("D", 70, 3, ""), item("G", 40, 1, ""), item("F", 50, 8, ""),
		}
	}
	tests := []struct {
		name          string
		edit          func([]Result)
		wantEffective string
		wantComputed  string
		wantPoints    [4]float64
	}{
		{
			// Capacity 20: Must ≤ 12, Must+Should ≤ 16, all ≤ 20. H counts as
			// the median 3. F (8) fits nowhere; G (1) still fits Could.
			name:          "first fit in rank order",
			edit:          func([]Result) {},
			wantEffective: "A:Must B:Must C:Should D:Should E:Could F:Won't G:Could H:Won't ",
			wantComputed:  "A:Must B:Must C:Should D:Should E:Could F:Won't G:Could H:Won't ",
			wantPoints:    [4]float64{10, 6, 3, 11},
		},
		{
			name: "override to Must reserves its points first",
			edit: func(items []Result) {
				for i := range items {
					if items[i].Key == "E" {
						items[i].Score.Override = &domain.Override{Moscow: domain.MoscowMust}
					}
				}
			},
			wantEffective: "A:Must B:Must C:Should D:Could E:Must F:Won't G:Should H:Won't ",
			wantComputed:  "A:Must B:Must C:Should D:Could E:Must F:Won't G:Should H:Won't ",
			wantPoints:    [4]float64{12, 4, 3, 11},
		},
		{
			name: "override to Won't frees its room",
			edit: func(items []Result) {
				for i := range items {
					if items[i].Key == "A" {
						items[i].Score.Override = &domain.Override{Moscow: domain.MoscowWont}
					}
				}
			},
			// Without A, G (1 point) still fits the Must budget after E missed it.
			wantEffective: "A:Won't B:Must C:Must D:Must E:Should F:Won't G:Must H:Could ",
			wantComputed:  "A:Must B:Must C:Must D:Must E:Should F:Won't G:Must H:Could ",
			wantPoints:    [4]float64{12, 2, 3, 13},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := backlog()
			tc.edit(items)
			sum := Rank(items, capacityStrategy(20))
			eff, comp := classesOf(items)
			if eff != tc.wantEffective {
				t.Errorf("effective:\n got %s\nwant %s", eff, tc.wantEffective)
			}
			if comp != tc.wantComputed {
				t.Errorf("computed:\n got %s\nwant %s", comp, tc.wantComputed)
			}
			if sum.Mode != domain.MoscowCapacity || sum.Fallback != "" {
				t.Errorf("mode %s (fallback %q), want capacity", sum.Mode, sum.Fallback)
			}
			if sum.Points != tc.wantPoints {
				t.Errorf("points per class = %v, want %v", sum.Points, tc.wantPoints)
			}
			if sum.Unestimated != 1 || sum.MedianPoints != 3 || sum.Limits != [3]float64{12, 16, 20} {
				t.Errorf("summary = %+v, want 1 unestimated at median 3, limits 12/16/20", sum)
			}
		})
	}
}

func TestRankCapacityFallsBack(t *testing.T) {
	tests := []struct {
		name  string
		s     domain.Strategy
		items []Result
	}{
		{"no capacity", capacityStrategy(0), []Result{item("A", 90, 5, "")}},
		{"nothing estimated", capacityStrategy(20), []Result{item("A", 90, -1, ""), item("B", 50, -1, "")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sum := Rank(tc.items, tc.s)
			if sum.Mode != domain.MoscowRelative || sum.Fallback == "" {
				t.Fatalf("summary %+v, want a relative fallback with a reason", sum)
			}
			if c := tc.items[len(tc.items)-1].Score.Computed; c == domain.MoscowMust {
				t.Errorf("last item = %s, want below Must by share", c)
			}
		})
	}
}

func TestRankOrderAndThresholdOverride(t *testing.T) {
	items := []Result{item("B-2", 50, 1, ""), item("B-1", 50, 1, ""), item("A-9", 91, 1, domain.MoscowWont), item("C-1", 65, 1, "bogus")}
	st := domain.DefaultStrategy()
	st.Mode = domain.MoscowThresholds
	sum := Rank(items, st)
	eff, comp := classesOf(items)
	if want := "A-9:Won't C-1:Should B-1:Could B-2:Could "; eff != want {
		t.Errorf("effective = %s, want %s", eff, want)
	}
	if want := "A-9:Must C-1:Should B-1:Could B-2:Could "; comp != want {
		t.Errorf("computed = %s, want %s", comp, want)
	}
	if items[0].Score.Override == nil || items[1].Score.Override != nil {
		t.Errorf("overrides: A-9 %v (want kept), C-1 %v (unknown class, want cleared)", items[0].Score.Override, items[1].Score.Override)
	}
	if sum.Count != [4]int{0, 1, 2, 1} {
		t.Errorf("counts = %v, want [0 1 2 1]", sum.Count)
	}
}

func TestRankIsIdempotent(t *testing.T) {
	items := []Result{item("A", 90, 5, ""), item("B", 80, -1, ""), item("C", 70, 13, "")}
	s := capacityStrategy(10)
	Rank(items, s)
	first, _ := classesOf(items)
	sum := Rank(items, s)
	second, _ := classesOf(items)
	if first != second || sum.Unestimated != 1 {
		t.Errorf("second Rank: %s (unestimated %d), first %s", second, sum.Unestimated, first)
	}
}
