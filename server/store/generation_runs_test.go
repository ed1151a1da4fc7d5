package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
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
