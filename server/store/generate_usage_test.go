package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

func TestGenerateUsageAndQuota(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		period := domain.UsagePeriod(clock.t)
		if err := ts.AddLLMUsage(ctx, period, 1, 1200, 300, 360); err != nil {
			t.Fatal(err)
		}
		ts.AddLLMUsage(ctx, period, 2, 100, 50, 40)
		u, err := ts.Usage(ctx, period)
		if err != nil || u.LLMCalls != 3 || u.PromptTokens != 1300 || u.CompletionTokens != 350 || u.LLMCostMicro != 400 {
			t.Errorf("usage %+v %v", u, err)
		}
		if u, _ := s.Tenant(b).Usage(ctx, period); u.LLMCalls != 0 {
			t.Errorf("tenant b usage %+v", u)
		}
		for i := 0; i < 3; i++ {
			if ok, err := ts.TakeSearch(ctx, period, 3); !ok || err != nil {
				t.Fatalf("search %d refused: %v", i, err)
			}
		}
		if ok, _ := ts.TakeSearch(ctx, period, 3); ok {
			t.Error("a fourth search passed a quota of 3")
		}
		if err := ts.ReturnSearch(ctx, period); err != nil {
			t.Fatal(err)
		}
		if ok, _ := ts.TakeSearch(ctx, period, 3); !ok {
			t.Error("a returned search cannot be taken again")
		}
		// Next month starts afresh; another tenant has its own quota.
		if ok, _ := ts.TakeSearch(ctx, domain.UsagePeriod(clock.t.AddDate(0, 1, 0)), 3); !ok {
			t.Error("quota did not reset the next month")
		}
		if ok, _ := s.Tenant(b).TakeSearch(ctx, period, 3); !ok {
			t.Error("tenant b affected by a's quota")
		}
	})
}

// TestSearchQuotaAcrossReplicas: two stores on one database (two
// replicas) taking searches at once never exceed the quota together.
func TestSearchQuotaAcrossReplicas(t *testing.T) {
	for _, d := range storetest.Drivers {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s1 := storetest.Open(t, d, nil)
			s2 := s1
			if d == "mysql" {
				// A second pool on the same database: another replica.
				dsn := storetest.MySQLDatabase(t)
				s1 = openDSN(t, "mysql", dsn, true)
				s2 = openDSN(t, "mysql", dsn, false)
			}
			tn := tenantOf(t, s1, "a")
			const limit, tries = 20, 60
			var wg sync.WaitGroup
			var mu sync.Mutex
			taken := 0
			for i := 0; i < tries; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					st := s1
					if i%2 == 1 {
						st = s2
					}
					ok, err := st.Tenant(tn).TakeSearch(ctx, "2026-05", limit)
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						taken++
						mu.Unlock()
					}
				}(i)
			}
			wg.Wait()
			u, _ := s1.Tenant(tn).Usage(ctx, "2026-05")
			if taken != limit || u.Searches != limit {
				t.Errorf("%d searches taken, counter %d, quota %d", taken, u.Searches, limit)
			}
		})
	}
}
