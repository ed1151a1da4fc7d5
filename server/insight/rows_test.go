package insight

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

func result(key string, total float64) store.ResultInput {
	a := &domain.Analysis{IssueKey: key, Score: domain.Score{Total: total, Moscow: domain.MoscowCould}, Check: domain.CheckResult{Quality: 70}}
	return store.ResultInput{Issue: domain.Issue{Key: key, Summary: key, Type: domain.TypeStory, StatusCat: domain.StatusToDo}, Analysis: a, Hash: key}
}

// TestRowsFollowTheStore: the read model catches up with what was stored
// since its last use (new, changed and deleted issues), keeps tenants and
// projects apart, and stays right when the bound evicts a project.
func TestRowsFollowTheStore(t *testing.T) {
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Open(t, driver, nil)
			tenant := func(key string) *store.TenantStore {
				tn, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: key, BaseURL: "https://" + key + ".atlassian.net", SharedSecret: "s"})
				if err != nil {
					t.Fatal(err)
				}
				return st.Tenant(tn)
			}
			a, b := tenant("a"), tenant("b")
			save := func(ts *store.TenantStore, project string, in ...store.ResultInput) {
				t.Helper()
				if err := ts.SaveResults(ctx, project, in); err != nil {
					t.Fatal(err)
				}
			}
			rows := NewRows(1) // every switch of project evicts the other
			scores := func(ts *store.TenantStore, project string) map[string]float64 {
				t.Helper()
				out := map[string]float64{}
				err := rows.With(ctx, ts, project, func(rs map[string]*store.ProjectRow) error {
					for k, r := range rs {
						out[k] = r.Score
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			save(a, "SHOP", result("SHOP-1", 40), result("SHOP-2", 60))
			save(a, "OPS", result("OPS-1", 10))
			save(b, "SHOP", result("SHOP-1", 99))
			steps := []struct {
				name    string
				change  func()
				ts      *store.TenantStore
				project string
				want    map[string]float64
			}{
				{"first read", func() {}, a, "SHOP", map[string]float64{"SHOP-1": 40, "SHOP-2": 60}},
				{"a new and a changed issue", func() { save(a, "SHOP", result("SHOP-3", 75), result("SHOP-1", 45)) }, a, "SHOP",
					map[string]float64{"SHOP-1": 45, "SHOP-2": 60, "SHOP-3": 75}},
				{"a deletion", func() {
					if _, err := a.MarkDeleted(ctx, "SHOP-2"); err != nil {
						t.Fatal(err)
					}
				}, a, "SHOP", map[string]float64{"SHOP-1": 45, "SHOP-3": 75}},
				{"another project", func() {}, a, "OPS", map[string]float64{"OPS-1": 10}},
				{"another tenant", func() {}, b, "SHOP", map[string]float64{"SHOP-1": 99}},
				{"back after eviction", func() { save(a, "SHOP", result("SHOP-4", 5)) }, a, "SHOP",
					map[string]float64{"SHOP-1": 45, "SHOP-3": 75, "SHOP-4": 5}},
			}
			for _, s := range steps {
				s.change()
				if d := cmp.Diff(s.want, scores(s.ts, s.project)); d != "" {
					t.Errorf("%s (-want +got):\n%s", s.name, d)
				}
			}
			h, err := NewRows(MaxCachedProjects).Health(ctx, a, "SHOP", now)
			if err != nil || h.Open != 3 {
				t.Errorf("health: %d open, %v; want 3", h.Open, err)
			}
			boom := errors.New("boom")
			if err := rows.With(ctx, a, "SHOP", func(rs map[string]*store.ProjectRow) error {
				if got := slices.Sorted(maps.Keys(rs)); len(got) != 3 {
					t.Errorf("rows %v", got)
				}
				return boom
			}); !errors.Is(err, boom) {
				t.Errorf("fn's error: %v", err)
			}
		})
	}
}
