package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func TestProjectTrend(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		ts := s.Tenant(tenantOf(t, s, "a"))
		mk := func(total float64, m domain.Moscow) *domain.Analysis {
			return &domain.Analysis{Score: domain.Score{Total: total, Moscow: m}}
		}
		for day := range 3 {
			open := []*domain.Analysis{mk(80, domain.MoscowMust), mk(float64(40+day), domain.MoscowCould)}
			if day == 2 {
				open = append(open, mk(20, domain.MoscowWont))
			}
			// Twice a day: the day's last ranking wins.
			for _, extra := range []float64{0, 10} {
				open[0].Score.Total = 80 + extra
				if err := ts.RecordTrend(ctx, "SHOP", domain.TrendOf(clock.t, open)); err != nil {
					t.Fatal(err)
				}
			}
			clock.t = clock.t.Add(24 * time.Hour)
		}
		if err := ts.RecordTrend(ctx, "SHOP", domain.TrendPoint{Day: "yesterday"}); err == nil || !strings.Contains(err.Error(), "day") {
			t.Fatalf("bad day accepted: %v", err)
		}
		got, err := ts.Trend(ctx, "SHOP", 30)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d points, want 3: %+v", len(got), got)
		}
		if got[0].MeanScore != 65 || got[2].Open != 3 || got[2].Count != [4]int{1, 0, 1, 1} || got[2].MeanScore != 50.7 {
			t.Fatalf("trend %s", fmt.Sprint(got))
		}
		if other, _ := ts.Trend(ctx, "OPS", 30); len(other) != 0 {
			t.Fatalf("other project's trend %+v", other)
		}
	})
}
