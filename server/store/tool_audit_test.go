package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func TestToolAudit(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		for i, res := range []string{"ok", "permission_denied", "ok"} {
			if err := ts.AddToolCall(ctx, domain.ToolCall{TokenID: 1, AccountID: "acc-1", Project: "SHOP", Tool: "explain_issue",
				Result: res, DurationMS: 3, At: clock.t.Add(time.Duration(i) * time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
		ts.AddToolCall(ctx, domain.ToolCall{TokenID: 1, AccountID: "acc-1", Project: "OPS", Tool: "list_backlog", Result: "ok"})
		calls, err := ts.ToolCalls(ctx, "SHOP", 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != 2 || calls[0].Result != "ok" || calls[1].Result != "permission_denied" || calls[0].Tool != "explain_issue" {
			t.Fatalf("calls = %+v", calls)
		}
		if other, _ := s.Tenant(b).ToolCalls(ctx, "SHOP", 10); len(other) != 0 {
			t.Fatalf("tenant b sees %v", other)
		}
		s.Tenant(b).AddToolCall(ctx, domain.ToolCall{TokenID: 2, AccountID: "acc-b", Project: "SHOP", Tool: "list_backlog", Result: "ok", At: clock.t})
		n, err := ts.PruneToolCalls(ctx, clock.t.Add(1500*time.Millisecond))
		if err != nil || n != 3 { // SHOP at +0 s and +1 s, OPS at +0 s
			t.Fatalf("pruned %d, %v; want the 3 calls before the cut-off", n, err)
		}
		if left, _ := ts.ToolCalls(ctx, "SHOP", 10); len(left) != 1 {
			t.Fatalf("left %v", left)
		}
		if other, _ := s.Tenant(b).ToolCalls(ctx, "SHOP", 10); len(other) != 1 {
			t.Fatalf("tenant b lost its calls: %v", other)
		}
	})
}
