package score

import (
	"fmt"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

// squeezed is a backlog whose totals all lie in 40-66, like the demo's:
// fixed thresholds give no Must there, shares still split it.
func squeezed(n int) []Result {
	items := make([]Result, n)
	for i := range items {
		items[i] = item(fmt.Sprintf("SHOP-%d", i+1), 40+float64((i*37)%27), 1, "")
	}
	return items
}

func TestRankRelativeSplitsBySharesOfTheBacklog(t *testing.T) {
	tests := []struct {
		n      int
		shares [3]float64
		want   [4]int
	}{
		{100, [3]float64{}, [4]int{15, 35, 35, 15}}, // defaults
		{221, [3]float64{}, [4]int{33, 78, 77, 33}},
		{20, [3]float64{10, 20, 30}, [4]int{2, 4, 6, 8}},
		{3, [3]float64{}, [4]int{0, 2, 1, 0}},
		{0, [3]float64{}, [4]int{}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.n, tc.shares), func(t *testing.T) {
			items := squeezed(tc.n)
			st := domain.DefaultStrategy()
			st.Shares = tc.shares
			sum := Rank(items, st)
			if sum.Mode != domain.MoscowRelative || sum.Count != tc.want || sum.Ranked != tc.n {
				t.Fatalf("mode %s counts %v ranked %d, want relative %v of %d", sum.Mode, sum.Count, sum.Ranked, tc.want, tc.n)
			}
			// Classes never go up as the rank goes down.
			for i := 1; i < len(items); i++ {
				if classIndex(items[i].Score.Computed) < classIndex(items[i-1].Score.Computed) {
					t.Fatalf("%s (%s) ranks below %s (%s)", items[i].Key, items[i].Score.Computed, items[i-1].Key, items[i-1].Score.Computed)
				}
			}
		})
	}
}

func TestRankRelativeExplainsTheClass(t *testing.T) {
	items := squeezed(20)
	Rank(items, domain.DefaultStrategy())
	want := map[int]string{
		0:  "In the top 15 % of this backlog (rank 1 of 20).",
		5:  "In the top 50 % of this backlog, below the top 15 % (rank 6 of 20).",
		12: "In the top 85 % of this backlog, below the top 50 % (rank 13 of 20).",
		19: "In the bottom 15 % of this backlog (rank 20 of 20).",
	}
	for i, w := range want {
		if got := items[i].Score.ClassBasis; got != w {
			t.Errorf("item %d (%s): basis %q, want %q", i, items[i].Score.Computed, got, w)
		}
	}
}

func TestRankRelativeFollowersUseCutoffs(t *testing.T) {
	items := squeezed(20)
	sub := item("SHOP-99", 1000, 1, "") // a sub-task scoring above everything
	sub.Score.Total = 100
	sub.Follows = true
	low := item("SHOP-98", 0, 1, "")
	low.Follows = true
	items = append(items, sub, low)
	sum := Rank(items, domain.DefaultStrategy())
	if sum.Ranked != 20 || sum.Count != [4]int{3, 7, 7, 3} {
		t.Errorf("ranked %d, counts %v: followers must neither take a share nor be counted", sum.Ranked, sum.Count)
	}
	for _, it := range items {
		switch it.Key {
		case "SHOP-99":
			// Share mode explains a follower's class in shares, not bounds.
			if it.Score.Computed != domain.MoscowMust || !strings.Contains(it.Score.ClassBasis, "top 15 %") || strings.Contains(it.Score.ClassBasis, "bound") {
				t.Errorf("follower above the Must cutoff: %s %q", it.Score.Computed, it.Score.ClassBasis)
			}
		case "SHOP-98":
			if it.Score.Computed != domain.MoscowWont || !strings.Contains(it.Score.ClassBasis, "bottom 15 %") {
				t.Errorf("follower at 0: %s %q", it.Score.Computed, it.Score.ClassBasis)
			}
		}
	}
	if got := ClassifyCutoffs(sum.Cutoffs[1], sum.Cutoffs); got != domain.MoscowShould {
		t.Errorf("the Should cutoff itself classifies as %s", got)
	}
}

func TestRankWarnsAboutEmptyAndOverfullClasses(t *testing.T) {
	th := domain.DefaultStrategy()
	th.Mode = domain.MoscowThresholds
	tests := []struct {
		name string
		s    domain.Strategy
		n    int
		want []string
	}{
		{"relative defaults", domain.DefaultStrategy(), 100, nil},
		{"old thresholds on a squeezed backlog", th, 100, []string{"No issue would be Must.", "Could would hold 74 %", "No issue would be Won't."}},
		{"too few to judge", th, 4, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sum := Rank(squeezed(tc.n), tc.s)
			joined := strings.Join(sum.Warnings, " | ")
			if len(sum.Warnings) != len(tc.want) {
				t.Fatalf("warnings %q, want %d like %q", joined, len(tc.want), tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(joined, w) {
					t.Errorf("warnings %q lack %q", joined, w)
				}
			}
		})
	}
}

func TestCompareKeysIsNumeric(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"SHOP-2", "SHOP-10", -1},
		{"SHOP-10", "SHOP-2", 1},
		{"SHOP-10", "SHOP-10", 0},
		{"SHOP-007", "SHOP-7", 0},
		{"ABC-9", "SHOP-1", -1}, // other project: by text
		{"x", "SHOP-1", 1},
	}
	for _, tc := range tests {
		if got := CompareKeys(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareKeys(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestStrategyUpgrade(t *testing.T) {
	tests := []struct {
		name string
		in   domain.Strategy
		want domain.MoscowMode
	}{
		{"old default thresholds", domain.Strategy{Mode: domain.MoscowThresholds, Thresholds: [3]float64{80, 60, 40}}, domain.MoscowRelative},
		{"chosen thresholds stay", domain.Strategy{Mode: domain.MoscowThresholds, Thresholds: [3]float64{70, 50, 30}}, domain.MoscowThresholds},
		{"capacity stays", domain.Strategy{Mode: domain.MoscowCapacity, Capacity: 40, Thresholds: [3]float64{80, 60, 40}}, domain.MoscowCapacity},
		{"current version untouched", domain.Strategy{Mode: domain.MoscowThresholds, Thresholds: [3]float64{80, 60, 40}, Version: domain.StrategyVersion}, domain.MoscowThresholds},
	}
	for _, tc := range tests {
		s := tc.in
		s.Upgrade()
		if s.Mode != tc.want || s.Version != domain.StrategyVersion || (tc.in.Version == 0 && s.Shares == [3]float64{}) {
			t.Errorf("%s: mode %s version %d shares %v, want %s", tc.name, s.Mode, s.Version, s.Shares, tc.want)
		}
	}
}
