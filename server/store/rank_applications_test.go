package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func TestRankApplicationSaveAndUndoOnce(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		if _, err := ts.RankApplication(ctx, "SHOP"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("before any: %v", err)
		}
		app := domain.RankApplication{Project: "SHOP", AccountID: "acc-1", Moved: []domain.RankMove{{Key: "SHOP-5", From: 5, To: 1}},
			PreviousOrder: []string{"SHOP-1", "SHOP-2", "SHOP-5"}, AppliedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		if err := ts.SaveRankApplication(ctx, app); err != nil {
			t.Fatal(err)
		}
		got, err := ts.RankApplication(ctx, "SHOP")
		if err != nil || got.AccountID != "acc-1" || !slices.Equal(got.PreviousOrder, app.PreviousOrder) || got.Moved[0] != app.Moved[0] ||
			!got.AppliedAt.Equal(app.AppliedAt) || got.UndoneAt != nil {
			t.Fatalf("read back %+v %v", got, err)
		}
		if _, err := s.Tenant(b).RankApplication(ctx, "SHOP"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("tenant b sees a's application: %v", err)
		}
		if err := ts.MarkRankUndone(ctx, "SHOP", "acc-2"); err != nil {
			t.Fatal(err)
		}
		if err := ts.MarkRankUndone(ctx, "SHOP", "acc-2"); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("second undo: %v, want conflict", err)
		}
		got, _ = ts.RankApplication(ctx, "SHOP")
		if got.UndoneAt == nil || got.UndoneBy != "acc-2" {
			t.Errorf("undo not recorded: %+v", got)
		}
		// A new application replaces the old one and can be undone again.
		app.AccountID = "acc-3"
		if err := ts.SaveRankApplication(ctx, app); err != nil {
			t.Fatal(err)
		}
		got, _ = ts.RankApplication(ctx, "SHOP")
		if got.UndoneAt != nil || got.AccountID != "acc-3" {
			t.Errorf("replacement kept the old state: %+v", got)
		}
	})
}
