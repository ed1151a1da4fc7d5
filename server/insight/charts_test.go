package insight

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func TestValueEffort(t *testing.T) {
	est := func(score, pts float64, source string) func(*store.ProjectRow) {
		return func(r *store.ProjectRow) { r.Score, r.Estimate, r.PointsSource = score, &pts, source }
	}
	cases := []struct {
		name string
		rows []*store.ProjectRow
		want ValueEffort
	}{
		{"none", nil, ValueEffort{Points: []ChartPoint{}}},
		{"by value, then key; odd medians", []*store.ProjectRow{
			row("SHOP-10", est(70.9, 3, "issue")), row("SHOP-2", est(70.2, 8, "suggestion")), row("SHOP-3", est(90, 5, "issue")),
			row("SHOP-4", est(10, 0, "issue")), row("SHOP-5"), // no effort to place
			row("SHOP-6", est(99, 1, "issue"), closed), row("SHOP-7", est(99, 1, "issue"), subtask), row("SHOP-8", est(99, 1, "issue"), unscored),
		}, ValueEffort{Points: []ChartPoint{
			{Key: "SHOP-3", Summary: "Summary of SHOP-3", Value: 90, Effort: 5, Moscow: "Could"},
			{Key: "SHOP-2", Summary: "Summary of SHOP-2", Value: 70, Effort: 8, Suggested: true, Moscow: "Could"},
			{Key: "SHOP-10", Summary: "Summary of SHOP-10", Value: 70, Effort: 3, Moscow: "Could"},
		}, MedianValue: 70, MedianEffort: 5, Unplaced: 2}},
		{"even medians", []*store.ProjectRow{row("SHOP-1", est(60, 2, "issue")), row("SHOP-2", est(41, 13, "issue"))},
			ValueEffort{Points: []ChartPoint{
				{Key: "SHOP-1", Summary: "Summary of SHOP-1", Value: 60, Effort: 2, Moscow: "Could"},
				{Key: "SHOP-2", Summary: "Summary of SHOP-2", Value: 41, Effort: 13, Moscow: "Could"},
			}, MedianValue: 50.5, MedianEffort: 7.5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, ValueEffortOf(rowsOf(tc.rows...))); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestRollUps(t *testing.T) {
	child := func(epic string, score float64, m domain.Moscow) func(*store.ProjectRow) {
		return func(r *store.ProjectRow) { r.EpicKey, r.Score, r.Moscow = epic, score, m }
	}
	rows := rowsOf(
		row("SHOP-1", func(r *store.ProjectRow) { r.Type = string(domain.TypeEpic) }),
		row("SHOP-2", child("SHOP-1", 80, domain.MoscowMust)),
		row("SHOP-3", child("SHOP-1", 51, domain.MoscowShould)),
		row("SHOP-4", child("SHOP-1", 99, domain.MoscowMust), closed), // done work is not rolled up
		row("SHOP-5", child("SHOP-1", 99, domain.MoscowMust), unscored),
		row("SHOP-6", child("SHOP-1", 10, domain.MoscowWont), subtask), // an open child all the same
		row("SHOP-7", child("SHOP-30", 70, domain.MoscowMust)),         // an epic not asked for
	)
	got := RollUps(rows, []string{"SHOP-1", "SHOP-20"})
	want := map[string]RollUp{"SHOP-1": {Open: 3, MeanScore: 47, Must: 1}, "SHOP-20": {}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("roll-ups (-want +got):\n%s", d)
	}
}
