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
		in := []store.ResultInput{analysed("SHOP-10", 50, domain.MoscowCould), near, sub, analysed("SHOP-1", 40, domain.MoscowWont),
			analysed("SHOP_X-1", 40, domain.MoscowWont)}
		in[4].Issue.Key = "SHOPX-100" // a key whose text would match a careless LIKE
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
