package insight

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// pillars sets the stored pillar values (domain.Pillars order) and a
// stored score of twice their sum.
func pillars(v ...float64) func(*store.ProjectRow) {
	return func(r *store.ProjectRow) {
		r.Score = 0
		for i, x := range v {
			r.Pillars[i] = x
			r.Score += 2 * x
		}
	}
}

func keysOf(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Key)
	}
	return out
}

func TestRerank(t *testing.T) {
	user, tech := domain.Pillars[0], domain.Pillars[4]
	if user != domain.PillarUserValue || tech != domain.PillarTechnical {
		t.Fatalf("pillar order changed: %v", domain.Pillars)
	}
	rows := rowsOf(
		row("SHOP-1", pillars(9, 1, 1, 1, 1)), // user value; stored 26: second
		row("SHOP-2", pillars(1, 1, 1, 1, 9)), // technical; stored 26: third (key order)
		row("SHOP-3", pillars(5, 5, 5, 5, 5)), // balanced; stored 50: first
		row("SHOP-4", pillars(10, 10, 10, 10, 10), subtask),
		row("SHOP-5", pillars(10, 10, 10, 10, 10), closed),
		row("SHOP-6", pillars(10, 10, 10, 10, 10), unscored),
	)
	weights := func(w ...float64) domain.Strategy {
		st := domain.DefaultStrategy()
		copy(st.Weights[:], w)
		return st
	}
	cases := []struct {
		name  string
		st    domain.Strategy
		limit int
		want  []string
	}{
		{"equal weights", weights(1, 1, 1, 1, 1), 20, []string{"SHOP-3", "SHOP-1", "SHOP-2"}},
		{"user value only", weights(10, 0, 0, 0, 0), 20, []string{"SHOP-1", "SHOP-3", "SHOP-2"}},
		{"technical only", weights(0, 0, 0, 0, 10), 20, []string{"SHOP-2", "SHOP-3", "SHOP-1"}},
		{"limited", weights(0, 0, 0, 0, 10), 1, []string{"SHOP-2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, total, _ := Rerank(rows, tc.st, tc.limit)
			if d := cmp.Diff(tc.want, keysOf(got)); d != "" || total != 3 {
				t.Errorf("total %d, order (-want +got):\n%s", total, d)
			}
		})
	}

	st := weights(10, 0, 0, 0, 0)
	st.Mode, st.Thresholds = domain.MoscowThresholds, [3]float64{85, 60, 20}
	got, _, summary := Rerank(rows, st, 20)
	first := got[0]
	if first.Key != "SHOP-1" || first.Score != 90 || first.Moscow != domain.MoscowMust || first.Rank != 1 || first.PreviousRank != 2 {
		t.Errorf("first row %+v", first)
	}
	if got[2].Key != "SHOP-2" || got[2].PreviousRank != 3 || got[1].PreviousRank != 1 {
		t.Errorf("previous ranks %+v", got)
	}
	if summary.Mode != domain.MoscowThresholds || summary.Ranked != 3 || summary.Count[0] != 1 {
		t.Errorf("summary %+v", summary)
	}
}

func TestRerankRowFields(t *testing.T) {
	pts := 3.0
	rows := rowsOf(
		row("SHOP-1", pillars(5, 5, 5, 5, 5), func(r *store.ProjectRow) { r.Estimate, r.PointsSource = &pts, "suggestion" }),
		row("SHOP-2", pillars(1, 1, 1, 1, 1), func(r *store.ProjectRow) {
			r.Estimate, r.PointsSource, r.Flags, r.Quality = &pts, "issue", []string{domain.FlagStale}, -1
		}),
	)
	got, _, _ := Rerank(rows, domain.DefaultStrategy(), 20)
	want := []Row{
		{Key: "SHOP-1", Summary: "Summary of SHOP-1", Type: "story", Score: got[0].Score, Moscow: got[0].Moscow, Quality: 80, Estimate: &pts,
			Suggested: true, Flags: []string{}, Rank: 1, PreviousRank: 1},
		{Key: "SHOP-2", Summary: "Summary of SHOP-2", Type: "story", Score: got[1].Score, Moscow: got[1].Moscow, Quality: -1, Estimate: &pts,
			Flags: []string{domain.FlagStale}, Rank: 2, PreviousRank: 2},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func TestPreview(t *testing.T) {
	pts := 5.0
	rows := rowsOf(
		row("SHOP-1", func(r *store.ProjectRow) { r.Score, r.Estimate = 80, &pts }),
		row("SHOP-2", func(r *store.ProjectRow) { r.Score = 60 }),
		row("SHOP-3", subtask),
	)
	analysis := func(key string, total float64, m domain.Moscow, flags ...string) domain.Analysis {
		return domain.Analysis{IssueKey: key, Score: domain.Score{Total: total, Moscow: m}, Check: domain.CheckResult{Quality: 65}, Flags: flags}
	}
	// The model's ranking: SHOP-9 is not in the rows yet (analysed since).
	all := []domain.Analysis{
		analysis("SHOP-2", 91.7, domain.MoscowMust, domain.FlagTooBig),
		analysis("SHOP-3", 90, domain.MoscowMust),
		analysis("SHOP-9", 70, domain.MoscowShould),
		analysis("SHOP-1", 40.2, domain.MoscowCould),
	}
	got, total := Preview(rows, all, 2)
	want := []Row{
		{Key: "SHOP-2", Summary: "Summary of SHOP-2", Type: "story", Score: 91.7, Moscow: domain.MoscowMust, Quality: 65,
			Flags: []string{domain.FlagTooBig}, Rank: 1, PreviousRank: 2},
		{Key: "SHOP-9", Score: 70, Moscow: domain.MoscowShould, Quality: 65, Flags: []string{}, Rank: 2},
	}
	if d := cmp.Diff(want, got); d != "" || total != 3 {
		t.Errorf("total %d, rows (-want +got):\n%s", total, d)
	}
	if got, _ := Preview(rows, all, 20); len(got) != 3 || got[2].Key != "SHOP-1" || got[2].Estimate != &pts || got[2].PreviousRank != 1 {
		t.Errorf("unlimited: %+v", got)
	}
}

func TestRanked(t *testing.T) {
	cases := []struct {
		r    *store.ProjectRow
		want bool
	}{
		{row("A-1"), true}, {row("A-2", closed), false}, {row("A-3", unscored), false}, {row("A-4", subtask), false},
		{row("A-5", func(r *store.ProjectRow) { r.Type = string(domain.TypeEpic) }), true},
	}
	for _, tc := range cases {
		if got := Ranked(tc.r); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.r.Key, got, tc.want)
		}
	}
}
