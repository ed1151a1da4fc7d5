package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

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
