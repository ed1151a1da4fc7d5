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
