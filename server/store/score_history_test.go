package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// scored is an analysed issue with pillar evidence, so that history can
// say which pillar and signal moved.
func scored(key string, total float64, m domain.Moscow, votes float64) store.ResultInput {
	in := analysed(key, total, m)
	in.Analysis.Score.Pillars = []domain.PillarScore{
		{Name: domain.PillarUserValue, Value: 3 + votes, Evidence: []domain.Evidence{{Signal: "votes", Detail: "votes", Delta: votes}}},
		{Name: domain.PillarTechnical, Value: 5},
	}
	return in
}

func TestScoreHistory(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		ts := s.Tenant(tenantOf(t, s, "a"))
		other := s.Tenant(tenantOf(t, s, "b"))
		save := func(ts *store.TenantStore, in ...store.ResultInput) {
			t.Helper()
			if err := ts.SaveResults(ctx, "SHOP", in); err != nil {
				t.Fatal(err)
			}
			clock.t = clock.t.Add(time.Hour)
		}
		save(ts, scored("SHOP-1", 72.4, domain.MoscowShould, 2), scored("SHOP-2", 40, domain.MoscowCould, 0))
		save(ts, scored("SHOP-1", 72.9, domain.MoscowShould, 2)) // same shown score and class: no point
		save(ts, scored("SHOP-1", 58, domain.MoscowCould, 0.5))  // votes fell
		save(other, scored("SHOP-1", 10, domain.MoscowWont, 0))
		// A snapshot without analysis adds nothing.
		save(ts, store.ResultInput{Issue: domain.Issue{Key: "SHOP-1", Summary: "x"}})

		h, err := ts.ScoreHistory(ctx, "SHOP-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 {
			t.Fatalf("%d points, want 2: %+v", len(h), h)
		}
		if h[0].Reason != "First scored." || h[0].Score != 72.4 || h[0].Moscow != domain.MoscowShould {
			t.Fatalf("first point %+v", h[0])
		}
		want := "User Value −1.5 (votes −1.5)."
		if h[1].Reason != want || h[1].Score != 58 || h[1].Moscow != domain.MoscowCould {
			t.Fatalf("second point %q %v %s, want %q 58 Could", h[1].Reason, h[1].Score, h[1].Moscow, want)
		}
		if !h[1].At.After(h[0].At) || h[1].Signals["pillar:user_value"] == h[0].Signals["pillar:user_value"] {
			t.Fatalf("times %v %v, signals %v %v", h[0].At, h[1].At, h[0].Signals, h[1].Signals)
		}
		if ho, _ := other.ScoreHistory(ctx, "SHOP-1"); len(ho) != 1 || ho[0].Score != 10 {
			t.Fatalf("other tenant's history %+v", ho)
		}
	})
}

func TestScoreHistoryIsBounded(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		ts := s.Tenant(tenantOf(t, s, "a"))
		n := store.HistoryPoints + 7
		for i := range n {
			if err := ts.SaveResults(ctx, "SHOP", []store.ResultInput{scored("SHOP-1", float64(10+i), domain.MoscowCould, float64(i%3))}); err != nil {
				t.Fatal(err)
			}
			clock.t = clock.t.Add(time.Minute)
		}
		h, err := ts.ScoreHistory(ctx, "SHOP-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != store.HistoryPoints || h[0].Score != float64(10+n-store.HistoryPoints) || h[len(h)-1].Score != float64(10+n-1) {
			t.Fatalf("%d points from %v to %v, want the newest %d", len(h), h[0].Score, h[len(h)-1].Score, store.HistoryPoints)
		}
	})
}

func TestScoreHistoryReasonWithoutMovement(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		ts := s.Tenant(tenantOf(t, s, "a"))
		for _, m := range []domain.Moscow{domain.MoscowShould, domain.MoscowMust} {
			if err := ts.SaveResults(ctx, "SHOP", []store.ResultInput{scored("SHOP-9", 70, m, 1)}); err != nil {
				t.Fatal(err)
			}
		}
		h, _ := ts.ScoreHistory(ctx, "SHOP-9")
		if len(h) != 2 || !strings.Contains(h[1].Reason, "backlog around it changed") {
			t.Fatalf("history %+v", h)
		}
	})
}
