package insight

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// row is an open, analysed story of score 50 (Could, quality 80).
func row(key string, opts ...func(*store.ProjectRow)) *store.ProjectRow {
	r := &store.ProjectRow{Key: key, Summary: "Summary of " + key, Type: string(domain.TypeStory), Open: true, Analysed: true,
		Score: 50, Moscow: domain.MoscowCould, Quality: 80, Created: now.AddDate(0, -1, 0), Updated: now}
	for _, o := range opts {
		o(r)
	}
	return r
}

func rowsOf(rs ...*store.ProjectRow) map[string]*store.ProjectRow {
	m := make(map[string]*store.ProjectRow, len(rs))
	for _, r := range rs {
		m[r.Key] = r
	}
	return m
}

func near(keys ...string) func(*store.ProjectRow) {
	return func(r *store.ProjectRow) {
		for i, k := range keys {
			r.Near = append(r.Near, domain.Candidate{Key: k, Similarity: 0.8 + float64(i)/100, Near: true})
		}
	}
}

func closed(r *store.ProjectRow)   { r.Open = false }
func unscored(r *store.ProjectRow) { r.Analysed = false }
func subtask(r *store.ProjectRow)  { r.Type = string(domain.TypeSubtask) }

func TestHealthCounts(t *testing.T) {
	score := func(s float64, m domain.Moscow) func(*store.ProjectRow) {
		return func(r *store.ProjectRow) { r.Score, r.Moscow = s, m }
	}
	h := HealthOf(rowsOf(
		row("A-1", score(100, domain.MoscowMust)),
		row("A-2", score(95.5, domain.MoscowMust)),
		row("A-3", score(0, domain.MoscowWont)),
		row("A-4", score(42, domain.MoscowShould)),
		row("A-5", score(42, domain.MoscowShould), subtask), // counted apart
		row("A-6", score(42, domain.MoscowShould), closed),  // not open
		row("A-7", score(42, domain.MoscowShould), unscored),
		row("A-8", score(-3, domain.Moscow("Done"))), // no class of the four
	), now)
	if h.Open != 5 || h.OpenSubtasks != 1 {
		t.Errorf("open %d, sub-tasks %d; want 5, 1", h.Open, h.OpenSubtasks)
	}
	if want := [10]int{2, 0, 0, 0, 1, 0, 0, 0, 0, 2}; h.ScoreHistogram != want {
		t.Errorf("histogram %v, want %v", h.ScoreHistogram, want)
	}
	if d := cmp.Diff(map[string]int{"Must": 2, "Should": 1, "Could": 0, "Won't": 1}, h.Moscow); d != "" {
		t.Errorf("moscow (-want +got):\n%s", d)
	}
}

func TestHealthEmpty(t *testing.T) {
	h := HealthOf(map[string]*store.ProjectRow{}, now)
	want := Health{Moscow: map[string]int{"Must": 0, "Should": 0, "Could": 0, "Won't": 0}, InvestPassRate: map[string]float64{},
		QualityOverTime: []QualityPeriod{}, DuplicateClusters: []DupCluster{}, Stale: []StaleItem{}}
	if d := cmp.Diff(want, h); d != "" {
		t.Errorf("empty project (-want +got):\n%s", d)
	}
}

func TestHealthInvestPassRate(t *testing.T) {
	letters := func(l map[string]string) func(*store.ProjectRow) {
		return func(r *store.ProjectRow) { r.Letters = l }
	}
	h := HealthOf(rowsOf(
		row("A-1", letters(map[string]string{"I": "pass", "N": "pass", "V": domain.LetterNotApplicable})),
		row("A-2", letters(map[string]string{"I": "fail", "N": "warn"})),
		row("A-3", letters(map[string]string{"I": "pass"})),
		row("A-4", letters(map[string]string{"V": "fail", "T": "fail"}), closed), // closed issues do not count
		row("A-5", letters(map[string]string{"T": "pass"}), unscored),
	), now)
	// V was only not applicable or closed: no rate rather than 0 or 100 %.
	if d := cmp.Diff(map[string]float64{"I": 0.667, "N": 0.5}, h.InvestPassRate); d != "" {
		t.Errorf("pass rates (-want +got):\n%s", d)
	}
}

func TestHealthQualityOverTime(t *testing.T) {
	created := func(y int, m time.Month, q int) func(*store.ProjectRow) {
		return func(r *store.ProjectRow) { r.Created, r.Quality = time.Date(y, m, 10, 0, 0, 0, 0, time.UTC), q }
	}
	cases := []struct {
		name string
		rows []*store.ProjectRow
		want []QualityPeriod
	}{
		{"closed issues count, not-applicable quality does not", []*store.ProjectRow{
			row("A-1", created(2026, 3, 80)), row("A-2", created(2026, 3, 75), closed), row("A-3", created(2026, 3, -1)),
			row("A-4", created(2026, 1, 60)), row("A-5", created(2026, 1, 90), unscored),
		}, []QualityPeriod{{Period: "2026-01", AvgQuality: 60, N: 1}, {Period: "2026-03", AvgQuality: 77.5, N: 2}}},
		{"a mean rounds to one decimal", []*store.ProjectRow{
			row("A-1", created(2026, 2, 70)), row("A-2", created(2026, 2, 70)), row("A-3", created(2026, 2, 71)),
		}, []QualityPeriod{{Period: "2026-02", AvgQuality: 70.3, N: 3}}},
		{"no creation date, no period", []*store.ProjectRow{
			row("A-1", func(r *store.ProjectRow) { r.Created = time.Time{} }),
		}, []QualityPeriod{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, HealthOf(rowsOf(tc.rows...), now).QualityOverTime); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	t.Run("the last twelve months that have any", func(t *testing.T) {
		var rs []*store.ProjectRow
		for i := range 15 {
			rs = append(rs, row(fmt.Sprintf("A-%d", i+1), created(2025, time.Month(i%12+1), 50+i)))
			if i >= 12 {
				rs[i].Created = time.Date(2026, time.Month(i-11), 10, 0, 0, 0, 0, time.UTC)
			}
		}
		got := HealthOf(rowsOf(rs...), now).QualityOverTime
		if len(got) != healthMonths || got[0].Period != "2025-04" || got[len(got)-1].Period != "2026-03" {
			t.Errorf("periods %+v, want 2025-04 … 2026-03", got)
		}
	})
}

func TestHealthDuplicateClusters(t *testing.T) {
	cases := []struct {
		name string
		rows []*store.ProjectRow
		want []DupCluster
	}{
		{"pairs join through a shared issue", []*store.ProjectRow{
			row("A-1", near("A-2")), row("A-2", near("A-3")), row("A-3"),
			row("A-7", near("A-8")), row("A-8"),
		}, []DupCluster{{Keys: []string{"A-1", "A-2", "A-3"}, Size: 3, Similarity: 0.8}, {Keys: []string{"A-7", "A-8"}, Size: 2, Similarity: 0.8}}},
		{"the closest pair gives the similarity; equal sizes by it", []*store.ProjectRow{
			row("A-1", near("A-2")), row("A-2", near("A-1", "A-9")), // A-2 ~ A-9 at 0.81
			row("A-5", near("A-6", "A-4")), row("A-4"), row("A-6"), row("A-9"), // A-5 ~ A-4 at 0.81
			row("B-1", near("B-2")), row("B-2"),
		}, []DupCluster{
			{Keys: []string{"A-1", "A-2", "A-9"}, Size: 3, Similarity: 0.81},
			{Keys: []string{"A-4", "A-5", "A-6"}, Size: 3, Similarity: 0.81},
			{Keys: []string{"B-1", "B-2"}, Size: 2, Similarity: 0.8},
		}},
		{"closed, unanalysed, unknown and self candidates are left out", []*store.ProjectRow{
			row("A-1", near("A-2", "A-3", "A-4", "A-1")), row("A-2", closed), row("A-3", unscored),
			row("A-5", near("A-6"), closed), row("A-6"),
		}, []DupCluster{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, HealthOf(rowsOf(tc.rows...), now).DuplicateClusters); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	t.Run("a large cluster lists its first keys, many clusters the largest", func(t *testing.T) {
		rs := []*store.ProjectRow{row("A-100")}
		for i := range 30 {
			rs = append(rs, row(fmt.Sprintf("A-%d", 101+i), near("A-100")))
		}
		for i := range 40 {
			rs = append(rs, row(fmt.Sprintf("B-%d", 2*i+10), near(fmt.Sprintf("B-%d", 2*i+11))), row(fmt.Sprintf("B-%d", 2*i+11)))
		}
		got := HealthOf(rowsOf(rs...), now).DuplicateClusters
		if len(got) != healthMaxClusters || got[0].Size != 31 || len(got[0].Keys) != healthClusterKeys || got[0].Keys[0] != "A-100" {
			t.Errorf("%d clusters, first %+v", len(got), got[0])
		}
		if got[1].Size != 2 || got[1].Keys[0] != "B-10" {
			t.Errorf("second cluster %+v, want B-10's pair", got[1])
		}
	})
}

func TestHealthStale(t *testing.T) {
	stale := func(days int) func(*store.ProjectRow) {
		return func(r *store.ProjectRow) {
			r.Flags = []string{domain.FlagTooBig, domain.FlagStale}
			r.Updated = now.Add(-time.Duration(days)*24*time.Hour - time.Hour)
		}
	}
	h := HealthOf(rowsOf(
		row("A-1", stale(120)), row("A-2", stale(200)), row("A-3", stale(120)), row("A-4", stale(300), closed),
		row("A-5"), row("A-6", stale(0), func(r *store.ProjectRow) { r.Updated = time.Time{} }),
		row("A-7", stale(10), func(r *store.ProjectRow) { r.Updated = now.Add(time.Hour) }), // clocks apart: 0, not negative
	), now)
	want := []StaleItem{{Key: "A-2", Summary: "Summary of A-2", DaysSinceUpdate: 200}, {Key: "A-1", Summary: "Summary of A-1", DaysSinceUpdate: 120},
		{Key: "A-3", Summary: "Summary of A-3", DaysSinceUpdate: 120}, {Key: "A-6", Summary: "Summary of A-6"}, {Key: "A-7", Summary: "Summary of A-7"}}
	if d := cmp.Diff(want, h.Stale); d != "" {
		t.Errorf("stale (-want +got):\n%s", d)
	}
	var many []*store.ProjectRow
	for i := range 60 {
		many = append(many, row(fmt.Sprintf("A-%d", i+1), stale(100+i)))
	}
	if got := HealthOf(rowsOf(many...), now).Stale; len(got) != healthMaxStale || got[0].Key != "A-60" {
		t.Errorf("%d stale, first %+v; want %d, A-60", len(got), got[0], healthMaxStale)
	}
}
