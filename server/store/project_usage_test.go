package store_test

import (
	"context"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// TestProjectUsage: a project's view counts and limits that project's
// usage; the tenant's total still sees everything.
func TestProjectUsage(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a := tenantOf(t, s, "a")
		period := domain.UsagePeriod(clock.t)
		shop, syn := s.Tenant(a).ForProject("SHOP"), s.Tenant(a).ForProject("SYN")
		if err := syn.AddLLMUsage(ctx, period, 2, 100, 50, 9_000_000); err != nil {
			t.Fatal(err)
		}
		if err := shop.AddLLMUsage(ctx, period, 1, 10, 5, 1_000); err != nil {
			t.Fatal(err)
		}
		if u, err := shop.Usage(ctx, period); err != nil || u.LLMCalls != 1 || u.LLMCostMicro != 1_000 {
			t.Errorf("SHOP usage %+v %v", u, err)
		}
		if u, _ := syn.Usage(ctx, period); u.LLMCalls != 2 || u.LLMCostMicro != 9_000_000 {
			t.Errorf("SYN usage %+v", u)
		}
		if u, _ := s.Tenant(a).Usage(ctx, period); u.LLMCalls != 3 || u.LLMCostMicro != 9_001_000 {
			t.Errorf("tenant total %+v", u)
		}
		// Search quotas are per project too.
		for i, want := range []bool{true, false} {
			if ok, err := syn.TakeSearch(ctx, period, 1); err != nil || ok != want {
				t.Errorf("SYN search %d: %v %v", i, ok, err)
			}
		}
		if ok, err := shop.TakeSearch(ctx, period, 1); err != nil || !ok {
			t.Errorf("SHOP's quota spent by SYN: %v %v", ok, err)
		}
		if err := shop.ReturnSearch(ctx, period); err != nil {
			t.Fatal(err)
		}
		if u, _ := shop.Usage(ctx, period); u.Searches != 0 {
			t.Errorf("SHOP searches after return: %d", u.Searches)
		}
		if u, _ := s.Tenant(a).Usage(ctx, period); u.Searches != 1 {
			t.Errorf("tenant searches: %d", u.Searches)
		}
	})
}
