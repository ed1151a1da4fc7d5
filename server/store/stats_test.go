package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// TestQueueStatsTraceAndTakeover: the metrics queries count and age jobs by
// kind and state on both engines, a job keeps the trace and origin it was
// enqueued with, and a claim of an expired lease is flagged as a takeover.
func TestQueueStatsTraceAndTakeover(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a := tenantOf(t, s, "a")
		ts := s.Tenant(a)
		const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
		origin := clock.t.Add(-time.Minute)
		if _, err := ts.Enqueue(ctx, domain.NewJob{Kind: "analyze", DedupeKey: "SHOP-1", Trace: tp, Origin: origin}); err != nil {
			t.Fatal(err)
		}
		clock.t = clock.t.Add(10 * time.Second)
		ts.Enqueue(ctx, domain.NewJob{Kind: "analyze", DedupeKey: "SHOP-2"}, domain.NewJob{Kind: "scan", DedupeKey: "SHOP"})
		clock.t = clock.t.Add(20 * time.Second)

		stats, err := s.QueueStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]store.QueueStat{}
		for _, q := range stats {
			got[q.Kind+"/"+q.State] = q
		}
		an := got["analyze/queued"]
		if an.Count != 2 || got["scan/queued"].Count != 1 {
			t.Fatalf("stats %+v", stats)
		}
		if age := clock.t.Sub(an.Oldest); age != 30*time.Second {
			t.Errorf("oldest analyze job is %v old, want 30s (oldest %v)", age, an.Oldest)
		}
		if n, err := s.TenantCounts(ctx); err != nil || n["installed"] != 1 {
			t.Errorf("tenant counts %v %v", n, err)
		}
		if db, err := s.SQLDB(); err != nil || db.Stats().MaxOpenConnections == 0 {
			t.Errorf("sql db: %v", err)
		}

		jobs, err := s.ClaimJobs(ctx, a.ID, "w1", 10, time.Minute)
		if err != nil || len(jobs) != 3 {
			t.Fatalf("claim: %v %v", jobs, err)
		}
		var first domain.Job
		for _, j := range jobs {
			if j.DedupeKey == "SHOP-1" {
				first = j
			}
			if j.TakenOver {
				t.Errorf("first claim flagged as takeover: %+v", j)
			}
		}
		if first.Trace != tp || !first.Origin.Equal(origin) {
			t.Errorf("trace %q origin %v, want %q %v", first.Trace, first.Origin, tp, origin)
		}
		// w1 dies: after its lease another worker takes the jobs over.
		clock.t = clock.t.Add(2 * time.Minute)
		again, err := s.ClaimJobs(ctx, a.ID, "w2", 10, time.Minute)
		if err != nil || len(again) != 3 {
			t.Fatalf("takeover claim: %v %v", again, err)
		}
		for _, j := range again {
			if !j.TakenOver {
				t.Errorf("expired lease not flagged as takeover: %+v", j)
			}
		}
		stats, _ = s.QueueStats(ctx)
		if len(stats) != 2 || stats[0].State != domain.JobRunning {
			t.Errorf("after claims: %+v", stats)
		}

		// With StampJobs, Enqueue takes the trace and origin from ctx.
		type key struct{}
		s.StampJobs(func(ctx context.Context) (string, time.Time) {
			o, _ := ctx.Value(key{}).(time.Time)
			return tp, o
		})
		ts.Enqueue(context.WithValue(ctx, key{}, origin), domain.NewJob{Kind: "writeback", DedupeKey: "SHOP"})
		clock.t = clock.t.Add(time.Second)
		stamped, err := s.ClaimJobs(ctx, a.ID, "w3", 10, time.Minute)
		if err != nil || len(stamped) != 1 || stamped[0].Trace != tp || !stamped[0].Origin.Equal(origin) {
			t.Errorf("stamped job: %+v %v", stamped, err)
		}
	})
}
