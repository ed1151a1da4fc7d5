package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

func TestGenerationRunsAndDrafts(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		run, err := ts.CreateRun(ctx, "SHOP", "acc-1", json.RawMessage(`{"objective":"save carts"}`))
		if err != nil {
			t.Fatal(err)
		}
		if run.State != domain.RunQueued {
			t.Errorf("new run state %q", run.State)
		}
		if _, err := s.Tenant(b).Run(ctx, run.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("tenant b read a's run: %v", err)
		}
		st, p := domain.RunDrafting, 0.5
		if err := ts.UpdateRun(ctx, run.ID, store.RunUpdate{State: &st, Progress: &p}); err != nil {
			t.Fatal(err)
		}
		if err := s.Tenant(b).UpdateRun(ctx, run.ID, store.RunUpdate{State: &st}); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("tenant b updated a's run: %v", err)
		}
		drafts := []store.DraftInput{
			{Content: json.RawMessage(`{"title":"one"}`), Analysis: json.RawMessage(`{}`), IdemKey: "bai-1"},
			{Content: json.RawMessage(`{"title":"two"}`), Analysis: json.RawMessage(`{}`), IdemKey: "bai-2"},
		}
		done := domain.RunDone
		if err := ts.FinishRun(ctx, run.ID, drafts, store.RunUpdate{State: &done, Finished: true}); err != nil {
			t.Fatal(err)
		}
		// A job that runs again replaces the drafts it stored.
		if err := ts.FinishRun(ctx, run.ID, drafts, store.RunUpdate{State: &done, Finished: true}); err != nil {
			t.Fatal(err)
		}
		got, err := ts.RunDrafts(ctx, run.ID)
		if err != nil || len(got) != 2 || string(got[0].Content) != `{"title":"one"}` || got[1].IdemKey != "bai-2" {
			t.Fatalf("run drafts %+v %v", got, err)
		}
		r, _ := ts.Run(ctx, run.ID)
		if r.State != domain.RunDone || r.FinishedAt == nil || r.Progress != 0.5 {
			t.Errorf("finished run %+v", r)
		}
		clock.t = clock.t.Add(time.Minute)
		run2, _ := ts.CreateRun(ctx, "SHOP", "acc-1", json.RawMessage(`{}`))
		ts.FinishRun(ctx, run2.ID, []store.DraftInput{{Content: json.RawMessage(`{"title":"three"}`), IdemKey: "bai-3"}}, store.RunUpdate{State: &done})
		list, err := ts.Drafts(ctx, "SHOP", 10)
		if err != nil || len(list) != 3 || string(list[0].Content) != `{"title":"three"}` || string(list[1].Content) != `{"title":"one"}` {
			t.Fatalf("recent drafts %+v %v", list, err)
		}
		if l, _ := s.Tenant(b).Drafts(ctx, "SHOP", 10); len(l) != 0 {
			t.Errorf("tenant b sees %d of a's drafts", len(l))
		}

		// Edit, claim, create.
		id := got[0].ID
		ed, err := ts.EditDraft(ctx, id, json.RawMessage(`{"title":"one, edited"}`), json.RawMessage(`{"q":1}`))
		if err != nil || ed.Status != domain.DraftEdited {
			t.Fatalf("edit %+v %v", ed, err)
		}
		if _, err := s.Tenant(b).EditDraft(ctx, id, json.RawMessage(`{}`), nil); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("tenant b edited a's draft: %v", err)
		}
		rec, claimed, err := ts.ClaimDraft(ctx, id, clock.t.Add(-2*time.Minute))
		if err != nil || !claimed || rec.Status != domain.DraftCreating || rec.Attempts != 0 {
			t.Fatalf("first claim %+v %v %v", rec, claimed, err)
		}
		if _, claimed, _ := ts.ClaimDraft(ctx, id, clock.t.Add(-2*time.Minute)); claimed {
			t.Error("a draft being created was claimed twice")
		}
		if _, err := ts.EditDraft(ctx, id, json.RawMessage(`{}`), nil); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("edit while creating: %v", err)
		}
		// The creator died: after the stale time another may claim it and
		// learns that an earlier attempt happened.
		clock.t = clock.t.Add(3 * time.Minute)
		rec, claimed, _ = ts.ClaimDraft(ctx, id, clock.t.Add(-2*time.Minute))
		if !claimed || rec.Attempts != 1 {
			t.Fatalf("stale claim: claimed=%v attempts=%d", claimed, rec.Attempts)
		}
		if err := ts.MarkDraftCreated(ctx, id, "SHOP-99", "10099"); err != nil {
			t.Fatal(err)
		}
		if rec, claimed, _ := ts.ClaimDraft(ctx, id, clock.t.Add(time.Hour)); claimed || rec.CreatedKey != "SHOP-99" {
			t.Errorf("created draft claimed again: %v %+v", claimed, rec)
		}
		// A failed draft may be retried.
		other := got[1].ID
		ts.ClaimDraft(ctx, other, clock.t)
		if err := ts.MarkDraftFailed(ctx, other, "Jira said no"); err != nil {
			t.Fatal(err)
		}
		if rec, claimed, _ := ts.ClaimDraft(ctx, other, clock.t.Add(-time.Minute)); !claimed || rec.Attempts != 1 {
			t.Errorf("failed draft not claimable again: %v %+v", claimed, rec)
		}

		// Retention: old runs go with their drafts, except drafts being created.
		clock.t = clock.t.Add(48 * time.Hour)
		n, err := ts.PruneGenerated(ctx, clock.t.Add(-24*time.Hour))
		if err != nil || n != 1 {
			t.Errorf("pruned %d runs, %v (the run with a draft being created stays)", n, err)
		}
		if l, _ := ts.Drafts(ctx, "SHOP", 10); len(l) != 1 || l[0].ID != other {
			t.Errorf("after prune: %+v", l)
		}
	})
}

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

func openDSN(t *testing.T, driver, dsn string, migrate bool) *store.Store {
	s, err := store.Open(context.Background(), store.Options{Driver: driver, DSN: dsn, Box: storetest.Box(t), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if migrate {
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestPurgeDeletesGenerationData(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a := tenantOf(t, s, "a")
		ts := s.Tenant(a)
		run, _ := ts.CreateRun(ctx, "SHOP", "acc", json.RawMessage(`{}`))
		done := domain.RunDone
		if err := ts.FinishRun(ctx, run.ID, []store.DraftInput{{Content: json.RawMessage(`{}`), IdemKey: "bai-x"}}, store.RunUpdate{State: &done}); err != nil {
			t.Fatal(err)
		}
		none := "none"
		ts.SaveScopeSettings(ctx, domain.ScopeSettings{Project: "SHOP", LLMProvider: &none})
		ts.AddLLMUsage(ctx, "2026-01", 1, 1, 1, 1)
		ts.CacheResearch(ctx, "serpapi", "q", json.RawMessage(`{}`), time.Hour)
		ts.ClaimKey(ctx, "k", clock.t)
		if err := s.MarkUninstalled(ctx, a.ClientKey, time.Hour); err != nil {
			t.Fatal(err)
		}
		clock.t = clock.t.Add(2 * time.Hour)
		if n, err := s.PurgeDue(ctx); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		for _, table := range []string{"drafts", "generation_runs", "project_settings", "generate_usage", "research_cache", "idempotency_keys"} {
			if n, _ := s.CountRows(ctx, table); n != 0 {
				t.Errorf("%d rows left in %s", n, table)
			}
		}
	})
}

func TestDiscardAndRestoreDrafts(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		run, _ := ts.CreateRun(ctx, "SHOP", "acc-1", json.RawMessage(`{}`))
		done := domain.RunDone
		in := []store.DraftInput{
			{Content: json.RawMessage(`{"title":"one"}`), IdemKey: "bai-d1"},
			{Content: json.RawMessage(`{"title":"two"}`), IdemKey: "bai-d2"},
			{Content: json.RawMessage(`{"title":"three"}`), IdemKey: "bai-d3"},
		}
		if err := ts.FinishRun(ctx, run.ID, in, store.RunUpdate{State: &done}); err != nil {
			t.Fatal(err)
		}
		ds, _ := ts.RunDrafts(ctx, run.ID)
		clock.t = clock.t.Add(time.Minute)
		if _, err := ts.EditDraft(ctx, ds[1].ID, json.RawMessage(`{"title":"two, edited"}`), nil); err != nil {
			t.Fatal(err)
		}
		if err := ts.MarkDraftCreated(ctx, ds[2].ID, "SHOP-500", "10500"); err != nil {
			t.Fatal(err)
		}
		all := []int64{ds[0].ID, ds[1].ID, ds[2].ID}
		if got, _ := s.Tenant(b).DiscardDrafts(ctx, "SHOP", all); len(got) != 0 {
			t.Errorf("tenant b discarded a's drafts %v", got)
		}
		if got, _ := ts.DiscardDrafts(ctx, "OTHER", all); len(got) != 0 {
			t.Errorf("discarded through another project: %v", got)
		}
		got, err := ts.DiscardDrafts(ctx, "SHOP", all)
		if err != nil || len(got) != 2 || got[0] != ds[0].ID || got[1] != ds[1].ID {
			t.Fatalf("discard: %v %v (a created draft must stay)", got, err)
		}
		if l, _ := ts.Drafts(ctx, "SHOP", 10); len(l) != 1 || l[0].ID != ds[2].ID {
			t.Errorf("list after discard: %+v", l)
		}
		if l, _ := ts.RunDrafts(ctx, run.ID); len(l) != 1 {
			t.Errorf("run drafts after discard: %d", len(l))
		}
		if _, err := ts.EditDraft(ctx, ds[0].ID, json.RawMessage(`{}`), nil); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("edit of a discarded draft: %v", err)
		}
		got, err = ts.RestoreDrafts(ctx, "SHOP", all)
		if err != nil || len(got) != 2 {
			t.Fatalf("restore: %v %v", got, err)
		}
		r0, _ := ts.Draft(ctx, ds[0].ID)
		r1, _ := ts.Draft(ctx, ds[1].ID)
		if r0.Status != domain.DraftNew || r1.Status != domain.DraftEdited || string(r1.Content) != `{"title":"two, edited"}` {
			t.Errorf("restored statuses %q %q content %s", r0.Status, r1.Status, r1.Content)
		}
	})
}
