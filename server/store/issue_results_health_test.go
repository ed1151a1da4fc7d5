package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func collectRows(t *testing.T, ts *store.TenantStore, project string, since time.Time) map[string]store.ProjectRow {
	t.Helper()
	out := map[string]store.ProjectRow{}
	err := ts.ProjectRows(context.Background(), project, since, nil, func(page []store.ProjectRow) error {
		for _, r := range page {
			out[r.Key] = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestProjectRows(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		created := time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC)
		sp := 5.0
		rich := analysed("SHOP-1", 72.5, domain.MoscowShould, domain.FlagDuplicate)
		rich.Issue.Created, rich.Issue.Updated, rich.Issue.StoryPoints = created, created.Add(48*time.Hour), &sp
		rich.Analysis.Score.Pillars = []domain.PillarScore{
			{Name: domain.PillarTechnical, Value: 4}, {Name: domain.PillarUserValue, Value: 8.5}, {Name: domain.PillarStrategic, Value: 6},
		}
		rich.Analysis.Score.UrgencyBonus = 2
		rich.Analysis.Score.Override = &domain.Override{Moscow: domain.MoscowMust, Reason: "contract"}
		rich.Analysis.Check.Letters = map[string]string{"I": "pass", "S": "warn", "T": "fail"}
		rich.Analysis.Duplicates = []domain.Candidate{{Key: "SHOP-2", Similarity: 0.91, Near: true, SharedTerms: []string{"export"}}, {Key: "SHOP-3", Similarity: 0.4}}
		rich.Analysis.Estimate = domain.Estimate{Points: 3, Method: "neighbours"}
		suggested := analysed("SHOP-2", 40, domain.MoscowCould)
		suggested.Analysis.Estimate = domain.Estimate{Points: 2, Method: "neighbours"}
		done := analysed("SHOP-3", 10, domain.MoscowWont)
		done.Issue.StatusCat = domain.StatusDone
		done.Analysis.Estimate = domain.Estimate{Method: "insufficient", Reason: "no similar past issue"}
		if err := ts.SaveResults(ctx, "SHOP", []store.ResultInput{rich, suggested, done}); err != nil {
			t.Fatal(err)
		}
		// A snapshot not analysed yet, and another project's issue.
		if err := ts.SaveResults(ctx, "SHOP", []store.ResultInput{{Issue: domain.Issue{Key: "SHOP-4", Summary: "new"}}}); err != nil {
			t.Fatal(err)
		}
		if err := ts.SaveResults(ctx, "OPS", []store.ResultInput{analysed("OPS-1", 50, domain.MoscowCould)}); err != nil {
			t.Fatal(err)
		}

		got := collectRows(t, ts, "SHOP", time.Time{})
		if len(got) != 4 {
			t.Fatalf("rows %d, want 4 (OPS excluded): %v", len(got), got)
		}
		r := got["SHOP-1"]
		want := store.ProjectRow{Key: "SHOP-1", Summary: "Summary of SHOP-1", Type: "story", Open: true, Analysed: true,
			Score: 72.5, Moscow: domain.MoscowShould, Quality: 70, Estimate: &sp, PointsSource: "issue", Flags: []string{domain.FlagDuplicate},
			Pillars: [5]float64{8.5, 0, 6, 0, 4}, UrgencyBonus: 2, Override: &domain.Override{Moscow: domain.MoscowMust, Reason: "contract"},
			Letters: map[string]string{"I": "pass", "S": "warn", "T": "fail"},
			Near:    []domain.Candidate{{Key: "SHOP-2", Similarity: 0.91, Near: true, SharedTerms: []string{"export"}}},
			Created: created, Updated: created.Add(48 * time.Hour), AnalysedAt: r.AnalysedAt, ID: r.ID}
		if d := cmp.Diff(want, r, cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) })); d != "" {
			t.Errorf("SHOP-1 (-want +got):\n%s", d)
		}
		if r := got["SHOP-2"]; r.PointsSource != "suggestion" || r.Estimate == nil || *r.Estimate != 2 {
			t.Errorf("suggested estimate: %+v", r)
		}
		if r := got["SHOP-3"]; r.Estimate != nil || r.PointsSource != "" {
			t.Errorf("'not enough signal' stored as a number: %+v", r)
		}
		if r := got["SHOP-3"]; r.Open || !r.Analysed {
			t.Errorf("done issue: %+v", r)
		}
		if r := got["SHOP-4"]; r.Analysed || r.Deleted {
			t.Errorf("unanalysed snapshot: %+v", r)
		}

		// Deltas: only what changed since, tombstones included.
		since := clock.t.Add(time.Second)
		clock.t = since
		if _, err := ts.MarkDeleted(ctx, "SHOP-2"); err != nil {
			t.Fatal(err)
		}
		delta := collectRows(t, ts, "SHOP", since)
		if len(delta) != 1 || !delta["SHOP-2"].Deleted {
			t.Errorf("delta %+v", delta)
		}
		// With known, rows held at their AnalysedAt are not read again.
		var read []string
		err := ts.ProjectRows(ctx, "SHOP", time.Time{}, func(id int64, at time.Time) bool {
			return id == got["SHOP-1"].ID && at.Equal(got["SHOP-1"].AnalysedAt) || id == got["SHOP-3"].ID
		}, func(page []store.ProjectRow) error {
			for _, r := range page {
				read = append(read, r.Key)
			}
			return nil
		})
		if err != nil || !cmp.Equal(read, []string{"SHOP-2", "SHOP-4"}) {
			t.Errorf("rows read with known: %v %v", read, err)
		}
		if other := collectRows(t, s.Tenant(b), "SHOP", time.Time{}); len(other) != 0 {
			t.Errorf("tenant b sees %d of a's rows", len(other))
		}
	})
}

func TestProjectRowsPages(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		ts := s.Tenant(tenantOf(t, s, "a"))
		var in []store.ResultInput
		for i := 0; i < 1203; i++ {
			in = append(in, analysed("BIG-"+strconv.Itoa(i), float64(i%100), domain.MoscowCould))
		}
		if err := ts.SaveResults(ctx, "BIG", in); err != nil {
			t.Fatal(err)
		}
		pages, n := 0, 0
		count := func(p []store.ProjectRow) error {
			pages++
			n += len(p)
			return nil
		}
		err := ts.ProjectRows(ctx, "BIG", time.Time{}, nil, count)
		if err != nil || n != 1203 || pages != 3 {
			t.Fatalf("%d rows in %d pages: %v", n, pages, err)
		}
		// Through the version query: all unknown, read in chunks.
		pages, n = 0, 0
		err = ts.ProjectRows(ctx, "BIG", time.Time{}, func(int64, time.Time) bool { return false }, count)
		if err != nil || n != 1203 || pages != 3 {
			t.Fatalf("with known: %d rows in %d pages: %v", n, pages, err)
		}
	})
}
