package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// TestBacklogKeyOrderSubtasksAndMentions: keys sort by number, ties in
// score follow the key number, sub-tasks are left out unless asked for,
// and Mentioning finds whose candidates name an issue.
func TestBacklogKeyOrderSubtasksAndMentions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		ts := s.Tenant(tenantOf(t, s, "a"))
		sub := analysed("SHOP-3", 90, domain.MoscowMust)
		sub.Issue.Type = domain.TypeSubtask
		near := analysed("SHOP-2", 50, domain.MoscowCould)
		near.Analysis.Duplicates = []domain.Candidate{{Key: "SHOP-10", Similarity: 0.8}}
		// SHOPX-100 has a longer key: it sorts after every SHOP key.
		in := []store.ResultInput{analysed("SHOP-10", 50, domain.MoscowCould), near, sub, analysed("SHOP-1", 40, domain.MoscowWont),
			analysed("SHOPX-100", 40, domain.MoscowWont)}
		if err := ts.SaveResults(ctx, "SHOP", in); err != nil {
			t.Fatal(err)
		}
		keys := func(q store.BacklogQuery) []string {
			t.Helper()
			rows, _, err := ts.Backlog(ctx, "SHOP", q)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rows {
				out = append(out, r.Key)
			}
			return out
		}
		tests := []struct {
			name string
			q    store.BacklogQuery
			want []string
		}{
			{"key ascending", store.BacklogQuery{Sort: "key", Asc: true}, []string{"SHOP-1", "SHOP-2", "SHOP-10", "SHOPX-100"}},
			{"key descending", store.BacklogQuery{Sort: "key"}, []string{"SHOPX-100", "SHOP-10", "SHOP-2", "SHOP-1"}},
			{"score ties by key number", store.BacklogQuery{}, []string{"SHOP-2", "SHOP-10", "SHOP-1", "SHOPX-100"}},
			{"with sub-tasks", store.BacklogQuery{Subtasks: true}, []string{"SHOP-3", "SHOP-2", "SHOP-10", "SHOP-1", "SHOPX-100"}},
			{"sub-tasks by type", store.BacklogQuery{Type: string(domain.TypeSubtask)}, []string{"SHOP-3"}},
		}
		for _, tc := range tests {
			if got := keys(tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		got, err := ts.Mentioning(ctx, "SHOP", "SHOP-10")
		if err != nil || !slices.Equal(got, []string{"SHOP-2"}) {
			t.Errorf("Mentioning(SHOP-10) = %v, %v; want [SHOP-2]", got, err)
		}
		if got, _ := ts.Mentioning(ctx, "SHOP", "SHOP-1"); len(got) != 0 {
			t.Errorf("Mentioning(SHOP-1) = %v, want none (SHOP-10 is another issue)", got)
		}
	})
}

// TestStoredStrategyUpgrade: a strategy saved before relative classes
// (no version) on the old default thresholds reads as relative; one with
// thresholds a person chose keeps them.
func TestStoredStrategyUpgrade(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		ts := s.Tenant(tenantOf(t, s, "a"))
		tests := []struct {
			key        string
			thresholds [3]float64
			want       domain.MoscowMode
		}{
			{"OLD", [3]float64{80, 60, 40}, domain.MoscowRelative},
			{"CHOSEN", [3]float64{70, 50, 30}, domain.MoscowThresholds},
		}
		for _, tc := range tests {
			if _, err := ts.EnsureProject(ctx, tc.key, "1", tc.key); err != nil {
				t.Fatal(err)
			}
			// Version 0 is left out of the JSON, as the old format had none.
			old := domain.Strategy{Weights: [5]float64{1, 1, 1, 1, 1}, Mode: domain.MoscowThresholds, Thresholds: tc.thresholds}
			if err := ts.SetStrategy(ctx, tc.key, old); err != nil {
				t.Fatal(err)
			}
			p, err := ts.Project(ctx, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if p.Strategy.Mode != tc.want || p.Strategy.Version != domain.StrategyVersion || p.Strategy.Thresholds != tc.thresholds {
				t.Errorf("%s: read as %s version %d thresholds %v, want %s", tc.key, p.Strategy.Mode, p.Strategy.Version, p.Strategy.Thresholds, tc.want)
			}
		}
		// A new project starts on the current defaults.
		if _, err := ts.EnsureProject(ctx, "NEW", "2", "New"); err != nil {
			t.Fatal(err)
		}
		if p, _ := ts.Project(ctx, "NEW"); p.Strategy.Mode != domain.MoscowRelative || p.Strategy.Shares != [3]float64{15, 35, 35} {
			t.Errorf("new project strategy %+v", p.Strategy)
		}
	})
}
