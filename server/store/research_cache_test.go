package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func TestResearchCacheAndIdempotencyKeys(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		if _, _, ok, _ := ts.CachedResearch(ctx, "serpapi", "q1"); ok {
			t.Fatal("cache hit on an empty cache")
		}
		if err := ts.CacheResearch(ctx, "serpapi", "q1", json.RawMessage(`{"n":1}`), time.Hour); err != nil {
			t.Fatal(err)
		}
		ts.CacheResearch(ctx, "serpapi", "q1", json.RawMessage(`{"n":2}`), time.Hour)
		got, at, ok, err := ts.CachedResearch(ctx, "serpapi", "q1")
		if err != nil || !ok || string(got) != `{"n":2}` || !at.Equal(clock.t) {
			t.Fatalf("cache %s %v %v %v", got, at, ok, err)
		}
		if _, _, ok, _ := s.Tenant(b).CachedResearch(ctx, "serpapi", "q1"); ok {
			t.Error("tenant b hits a's cache")
		}
		clock.t = clock.t.Add(2 * time.Hour)
		if _, _, ok, _ := ts.CachedResearch(ctx, "serpapi", "q1"); ok {
			t.Error("expired entry served")
		}
		if n, err := ts.PruneResearchCache(ctx); err != nil || n != 1 {
			t.Errorf("pruned %d %v", n, err)
		}

		k, claimed, err := ts.ClaimKey(ctx, "split:SHOP-1:abc", clock.t.Add(-time.Minute))
		if err != nil || !claimed || k.Attempts != 0 {
			t.Fatalf("first claim %+v %v %v", k, claimed, err)
		}
		if _, claimed, _ := ts.ClaimKey(ctx, "split:SHOP-1:abc", clock.t.Add(-time.Minute)); claimed {
			t.Error("key claimed twice while fresh")
		}
		if _, claimed, _ := s.Tenant(b).ClaimKey(ctx, "split:SHOP-1:abc", clock.t.Add(-time.Minute)); !claimed {
			t.Error("tenant b blocked by a's key")
		}
		clock.t = clock.t.Add(5 * time.Minute)
		k, claimed, _ = ts.ClaimKey(ctx, "split:SHOP-1:abc", clock.t.Add(-time.Minute))
		if !claimed || k.Attempts != 1 {
			t.Fatalf("stale claim %+v %v", k, claimed)
		}
		if err := ts.FinishKey(ctx, "split:SHOP-1:abc", json.RawMessage(`{"created":["SHOP-7"]}`)); err != nil {
			t.Fatal(err)
		}
		k, claimed, _ = ts.ClaimKey(ctx, "split:SHOP-1:abc", clock.t.Add(time.Hour))
		if claimed || k.State != domain.IdempotencyDone || string(k.Result) != `{"created":["SHOP-7"]}` {
			t.Errorf("finished key %+v claimed=%v", k, claimed)
		}
		ts.ClaimKey(ctx, "k2", clock.t)
		if err := ts.ReleaseKey(ctx, "k2"); err != nil {
			t.Fatal(err)
		}
		if _, claimed, _ := ts.ClaimKey(ctx, "k2", clock.t.Add(-time.Hour)); !claimed {
			t.Error("released key not claimable at once")
		}
	})
}
