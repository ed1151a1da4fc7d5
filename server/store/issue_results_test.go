package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func analysed(key string, score float64, moscow domain.Moscow, flags ...string) store.ResultInput {
	return store.ResultInput{
		Issue:    domain.Issue{Key: key, ID: key, Summary: "Summary of " + key, Type: domain.TypeStory, StatusCat: domain.StatusToDo},
		Analysis: &domain.Analysis{IssueKey: key, Score: domain.Score{Total: score, Moscow: moscow}, Check: domain.CheckResult{Quality: 70}, Flags: flags},
		Hash:     fmt.Sprintf("h-%s-%v", key, score),
	}
}

func TestResultsBacklogAndWriteback(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		in := []store.ResultInput{
			analysed("SHOP-1", 82, domain.MoscowMust),
			analysed("SHOP-2", 45, domain.MoscowCould, domain.FlagVague),
			analysed("SHOP-3", 61, domain.MoscowShould, domain.FlagDuplicate, domain.FlagVague),
		}
		if err := ts.SaveResults(ctx, "SHOP", in); err != nil {
			t.Fatal(err)
		}
		rows, total, err := ts.Backlog(ctx, "SHOP", store.BacklogQuery{})
		if err != nil || total != 3 || rows[0].Key != "SHOP-1" || rows[2].Key != "SHOP-2" {
			t.Fatalf("ranked backlog %+v %d %v", rows, total, err)
		}
		rows, total, _ = ts.Backlog(ctx, "SHOP", store.BacklogQuery{Flag: domain.FlagVague, Sort: "score", Asc: true})
		if total != 2 || rows[0].Key != "SHOP-2" {
			t.Errorf("flag filter %+v", rows)
		}
		rows, total, _ = ts.Backlog(ctx, "SHOP", store.BacklogQuery{Text: "shop-3"})
		if total != 1 || rows[0].Key != "SHOP-3" {
			t.Errorf("text filter %+v", rows)
		}
		if _, total, _ := ts.Backlog(ctx, "SHOP", store.BacklogQuery{Text: "100%_"}); total != 0 {
			t.Error("LIKE wildcards not escaped")
		}
		// Tenant b sees nothing of a's.
		if _, total, _ := s.Tenant(b).Backlog(ctx, "SHOP", store.BacklogQuery{}); total != 0 {
			t.Errorf("tenant b sees %d of a's issues", total)
		}
		if _, err := s.Tenant(b).Result(ctx, "SHOP-1"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("tenant b read a's result: %v", err)
		}
		// Write-back bookkeeping.
		un, _ := ts.Unwritten(ctx, "SHOP", 10)
		if len(un) != 3 {
			t.Fatalf("unwritten %d", len(un))
		}
		ts.MarkWritten(ctx, map[string]string{"SHOP-1": "h-SHOP-1-82", "SHOP-2": "stale-hash"})
		if n, _ := ts.CountUnwritten(ctx, "SHOP"); n != 2 {
			t.Errorf("unwritten after mark: %d", n)
		}
		// Delta for replicas: a deletion shows as a tombstone.
		since := clock.t
		clock.t = clock.t.Add(time.Second)
		if p, err := ts.MarkDeleted(ctx, "SHOP-2"); err != nil || p != "SHOP" {
			t.Fatalf("mark deleted %q %v", p, err)
		}
		var changed []store.IssueResult
		ts.ChangedSince(ctx, "SHOP", since.Add(time.Millisecond), false, func(p []store.IssueResult) error { changed = append(changed, p...); return nil })
		if len(changed) != 1 || !changed[0].Deleted || changed[0].Issue.Key != "SHOP-2" {
			t.Errorf("changed since: %+v", changed)
		}
		if _, total, _ := ts.Backlog(ctx, "SHOP", store.BacklogQuery{}); total != 2 {
			t.Errorf("deleted issue still listed: %d", total)
		}
	})
}

// TestDeletedIssuesLeaveStoredAnalyses: an analysis saved before an issue
// was deleted still names it; reads drop it from duplicate candidates and
// estimate neighbours (of this tenant only) without waiting for the
// re-analysis.
func TestDeletedIssuesLeaveStoredAnalyses(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, _ *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		withRefs := func(key string, refs ...string) store.ResultInput {
			in := analysed(key, 50, domain.MoscowShould)
			for _, r := range refs {
				in.Analysis.Duplicates = append(in.Analysis.Duplicates, domain.Candidate{Key: r, Similarity: 0.8})
				in.Analysis.Estimate.Neighbours = append(in.Analysis.Estimate.Neighbours, domain.Neighbour{Key: r, Points: 3})
			}
			return in
		}
		for _, tn := range []*domain.Tenant{a, b} {
			in := []store.ResultInput{withRefs("SHOP-1", "SHOP-2", "SHOP-3"), withRefs("SHOP-2", "SHOP-1"), withRefs("SHOP-3", "SHOP-2")}
			if err := s.Tenant(tn).SaveResults(ctx, "SHOP", in); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Tenant(a).MarkDeleted(ctx, "SHOP-2"); err != nil {
			t.Fatal(err)
		}
		refs := func(r store.IssueResult) (dup, nb []string) {
			for _, c := range r.Analysis.Duplicates {
				dup = append(dup, c.Key)
			}
			for _, n := range r.Analysis.Estimate.Neighbours {
				nb = append(nb, n.Key)
			}
			return dup, nb
		}
		tests := []struct {
			name   string
			tenant *domain.Tenant
			key    string
			want   []string
		}{
			{"one of two dropped", a, "SHOP-1", []string{"SHOP-3"}},
			{"only one dropped", a, "SHOP-3", nil},
			{"other tenant's copy kept", b, "SHOP-1", []string{"SHOP-2", "SHOP-3"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r, err := s.Tenant(tc.tenant).Result(ctx, tc.key)
				if err != nil {
					t.Fatal(err)
				}
				dup, nb := refs(*r)
				if diff := cmp.Diff(tc.want, dup); diff != "" {
					t.Errorf("duplicates (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tc.want, nb); diff != "" {
					t.Errorf("neighbours (-want +got):\n%s", diff)
				}
				rs, err := s.Tenant(tc.tenant).Results(ctx, []string{tc.key})
				if err != nil || len(rs) != 1 {
					t.Fatalf("results: %v %v", rs, err)
				}
				if dup, _ := refs(rs[0]); !cmp.Equal(tc.want, dup) {
					t.Errorf("Results duplicates %v, want %v", dup, tc.want)
				}
			})
		}
	})
}

func TestOverridesAndScans(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		if err := ts.SetOverride(ctx, "SHOP-1", domain.Override{Moscow: domain.MoscowMust, Reason: "CEO promised it", AccountID: "u1"}); err != nil {
			t.Fatal(err)
		}
		if err := ts.SetOverride(ctx, "SHOP-1", domain.Override{Moscow: "Maybe", Reason: "x"}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("bad class accepted: %v", err)
		}
		if err := ts.SetOverride(ctx, "SHOP-1", domain.Override{Moscow: domain.MoscowWont, Reason: " "}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("empty reason accepted: %v", err)
		}
		ov, _ := ts.Overrides(ctx, nil)
		if ov["SHOP-1"].Reason != "CEO promised it" {
			t.Errorf("override %+v", ov)
		}
		if ov, _ := s.Tenant(b).Overrides(ctx, nil); len(ov) != 0 {
			t.Error("override visible to another tenant")
		}
		if _, err := ts.StartScan(ctx, "SHOP", 300); err != nil {
			t.Fatal(err)
		}
		tok := "page-2"
		if err := ts.UpdateScan(ctx, "SHOP", store.ScanUpdate{AddDone: 100, PageToken: &tok}); err != nil {
			t.Fatal(err)
		}
		sc, _ := ts.Scan(ctx, "SHOP")
		if sc.Done != 100 || sc.PageToken != "page-2" || sc.State != domain.ScanRunning {
			t.Errorf("scan %+v", sc)
		}
		cancelled := domain.ScanCancelled
		ts.UpdateScan(ctx, "SHOP", store.ScanUpdate{State: &cancelled})
		if err := ts.UpdateScan(ctx, "SHOP", store.ScanUpdate{AddDone: 1}); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("update of a cancelled scan: %v", err)
		}
	})
}

func TestBacklogMarksSuggestions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		ts := s.Tenant(tenantOf(t, s, "a"))
		own := analysed("SHOP-1", 80, domain.MoscowMust)
		five := 5.0
		own.Issue.StoryPoints = &five
		own.Analysis.Estimate = domain.Estimate{Points: 3, Low: 2, High: 5, Method: "neighbours"}
		sug := analysed("SHOP-2", 70, domain.MoscowShould)
		sug.Analysis.Estimate = domain.Estimate{Points: 5, Low: 3, High: 8, Method: "neighbours"}
		weak := analysed("SHOP-3", 60, domain.MoscowCould)
		weak.Analysis.Estimate = domain.Estimate{Method: "insufficient", Reason: "no similar past issue"}
		if err := ts.SaveResults(ctx, "SHOP", []store.ResultInput{own, sug, weak}); err != nil {
			t.Fatal(err)
		}
		rows, _, err := ts.Backlog(ctx, "SHOP", store.BacklogQuery{})
		if err != nil {
			t.Fatal(err)
		}
		type mark struct {
			est       float64
			suggested bool
			low, high float64
		}
		got := map[string]mark{}
		for _, r := range rows {
			m := mark{suggested: r.Suggested, low: r.Low, high: r.High}
			if r.Estimate != nil {
				m.est = *r.Estimate
			}
			got[r.Key] = m
		}
		want := map[string]mark{
			"SHOP-1": {est: 5},                                   // the issue's own points win
			"SHOP-2": {est: 5, suggested: true, low: 3, high: 8}, // a suggestion, marked
			"SHOP-3": {},                                         // not enough signal: no number
		}
		if d := cmp.Diff(want, got, cmp.AllowUnexported(mark{})); d != "" {
			t.Errorf("backlog estimates (-want +got):\n%s", d)
		}
	})
}

// TestWrittenHashIsWhatJiraHolds: a write-back that lands after the
// analysis flipped back to the value Jira held before leaves the row
// unwritten, since Jira now holds the write-back's value (two replicas'
// models may disagree for a moment, so analyses can flip).
func TestWrittenHashIsWhatJiraHolds(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		ts := s.Tenant(tenantOf(t, s, "a"))
		save := func(score float64) string {
			in := analysed("SHOP-1", score, domain.MoscowMust)
			if err := ts.SaveResults(ctx, "SHOP", []store.ResultInput{in}); err != nil {
				t.Fatal(err)
			}
			return in.Hash
		}
		v := save(82)
		if err := ts.MarkWritten(ctx, map[string]string{"SHOP-1": v}); err != nil {
			t.Fatal(err)
		}
		v2 := save(70) // a writer reads this row and writes v2 to Jira...
		save(82)       // ...while the analysis flips back to v
		if err := ts.MarkWritten(ctx, map[string]string{"SHOP-1": v2}); err != nil {
			t.Fatal(err)
		}
		if n, _ := ts.CountUnwritten(ctx, "SHOP"); n != 1 {
			t.Errorf("Jira holds %s, the analysis is %s, yet %d rows are unwritten", v2, v, n)
		}
	})
}
