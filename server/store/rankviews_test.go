package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
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

func TestSavedViewsArePerPerson(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		v, err := ts.SaveView(ctx, "alice", "SHOP", domain.SavedView{Name: " Musts ", Query: "moscow=must&sort=score"})
		if err != nil || v.ID == 0 || v.Name != "Musts" {
			t.Fatalf("save: %+v %v", v, err)
		}
		// Same name replaces; another person's view of the same name is theirs.
		if v2, err := ts.SaveView(ctx, "alice", "SHOP", domain.SavedView{Name: "Musts", Query: "moscow=must"}); err != nil || v2.ID != v.ID || v2.Query != "moscow=must" {
			t.Fatalf("replace: %+v %v", v2, err)
		}
		if _, err := ts.SaveView(ctx, "bob", "SHOP", domain.SavedView{Name: "Musts", Query: "q=x"}); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.SaveView(ctx, "alice", "SHOP", domain.SavedView{Name: "Bugs", Query: "type=Bug"}); err != nil {
			t.Fatal(err)
		}
		list, err := ts.Views(ctx, "alice", "SHOP")
		if err != nil || len(list) != 2 || list[0].Name != "Bugs" || list[1].Query != "moscow=must" {
			t.Fatalf("alice's views %+v %v", list, err)
		}
		if other, _ := s.Tenant(b).Views(ctx, "alice", "SHOP"); len(other) != 0 {
			t.Errorf("tenant b sees tenant a's views: %+v", other)
		}
		if other, _ := ts.Views(ctx, "alice", "OTHER"); len(other) != 0 {
			t.Errorf("another project shows SHOP's views: %+v", other)
		}
		// Bob cannot delete Alice's view: it does not exist for him.
		if err := ts.DeleteView(ctx, "bob", "SHOP", v.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("bob deletes alice's view: %v", err)
		}
		if err := ts.DeleteView(ctx, "alice", "SHOP", v.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := ts.Views(ctx, "alice", "SHOP"); len(list) != 1 {
			t.Errorf("after delete: %+v", list)
		}
		for _, tc := range []struct {
			name, account, view, query, field string
		}{
			{"empty name", "alice", "  ", "", "name"},
			{"long name", "alice", strings.Repeat("x", 81), "", "name"},
			{"long query", "alice", "x", strings.Repeat("q", 2001), "query"},
			{"no person", "", "x", "", "accountId"},
		} {
			_, err := ts.SaveView(ctx, tc.account, "SHOP", domain.SavedView{Name: tc.view, Query: tc.query})
			if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("%s: %v, want invalid naming %s", tc.name, err, tc.field)
			}
		}
	})
}
