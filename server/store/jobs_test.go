package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func tenantOf(t *testing.T, s *store.Store, key string) *domain.Tenant {
	t.Helper()
	tn, err := s.SaveInstallation(context.Background(), &domain.Tenant{ClientKey: key, BaseURL: "https://" + key + ".atlassian.net", SharedSecret: "s-" + key})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func TestQueueCoalescesAndClaims(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a := tenantOf(t, s, "a")
		ts := s.Tenant(a)
		for i := 0; i < 10; i++ {
			if _, err := ts.Enqueue(ctx, domain.NewJob{Kind: "analyze", DedupeKey: "SHOP-1"}); err != nil {
				t.Fatal(err)
			}
		}
		ts.Enqueue(ctx, domain.NewJob{Kind: "analyze", DedupeKey: "SHOP-2"}, domain.NewJob{Kind: "scan", DedupeKey: "SHOP", Priority: -1})
		counts, _ := ts.QueueCounts(ctx)
		if counts[domain.JobQueued] != 3 {
			t.Fatalf("ten updates of one issue should make one job: %v", counts)
		}
		jobs, err := s.ClaimJobs(ctx, a.ID, "w1", 10, time.Minute)
		if err != nil || len(jobs) != 3 {
			t.Fatalf("claim: %d %v", len(jobs), err)
		}
		if jobs[2].Kind != "scan" {
			t.Errorf("lower priority claimed before higher: %v", jobs)
		}
		// While SHOP-1 runs, a new update queues a fresh job (the issue
		// changed after we read it).
		if n, _ := ts.Enqueue(ctx, domain.NewJob{Kind: "analyze", DedupeKey: "SHOP-1"}); n != 1 {
			t.Errorf("enqueue during run inserted %d", n)
		}
		if again, _ := s.ClaimJobs(ctx, a.ID, "w2", 10, time.Minute); len(again) != 1 {
			t.Errorf("second claim got %d", len(again))
		}
		ok, err := s.CompleteJob(ctx, jobs[0].ID, "w2")
		if err != nil || ok {
			t.Errorf("another worker completed w1's job: %v %v", ok, err)
		}
		if ok, _ := s.CompleteJob(ctx, jobs[0].ID, "w1"); !ok {
			t.Error("owner could not complete")
		}
	})
}

func TestQueueRetryDeadLetterAndLease(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a := tenantOf(t, s, "a")
		ts := s.Tenant(a)
		ts.Enqueue(ctx, domain.NewJob{Kind: "analyze", DedupeKey: "K", MaxAttempts: 2})
		j, _ := s.ClaimJobs(ctx, a.ID, "w", 1, time.Minute)
		if err := s.RetryJob(ctx, j[0], "w", "jira 503", clock.t.Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ClaimJobs(ctx, a.ID, "w", 1, time.Minute); len(got) != 0 {
			t.Fatal("claimed before backoff elapsed")
		}
		clock.t = clock.t.Add(11 * time.Second)
		j, _ = s.ClaimJobs(ctx, a.ID, "w", 1, time.Minute)
		if len(j) != 1 || j[0].Attempts != 2 || j[0].LastError != "jira 503" {
			t.Fatalf("retry claim: %+v", j)
		}
		if err := s.RetryJob(ctx, j[0], "w", "jira 503 again", clock.t); err != nil {
			t.Fatal(err)
		}
		dead, _ := ts.Jobs(ctx, domain.JobDead, 10)
		if len(dead) != 1 || dead[0].LastError != "jira 503 again" {
			t.Fatalf("dead letter: %+v", dead)
		}
		// A worker that dies loses its lease; another takes the job.
		ts.Enqueue(ctx, domain.NewJob{Kind: "analyze", DedupeKey: "L"})
		s.ClaimJobs(ctx, a.ID, "dead-worker", 1, time.Minute)
		if got, _ := s.ClaimJobs(ctx, a.ID, "w2", 1, time.Minute); len(got) != 0 {
			t.Fatal("claimed a leased job")
		}
		clock.t = clock.t.Add(2 * time.Minute)
		got, _ := s.ClaimJobs(ctx, a.ID, "w2", 1, time.Minute)
		if len(got) != 1 {
			t.Fatal("expired lease not reclaimed")
		}
		// Graceful release hands the job back.
		if n, _ := s.ReleaseJobs(ctx, "w2"); n != 1 {
			t.Errorf("released %d", n)
		}
		if got, _ := s.ClaimJobs(ctx, a.ID, "w3", 1, time.Minute); len(got) != 1 {
			t.Error("released job not claimable")
		}
	})
}

func TestQueueTenantScopeAndCancel(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		s.Tenant(a).Enqueue(ctx, domain.NewJob{Kind: "analyze", DedupeKey: "X"})
		s.Tenant(b).Enqueue(ctx, domain.NewJob{Kind: "analyze", DedupeKey: "X"})
		ids, _ := s.DueTenants(ctx, 10)
		if len(ids) != 2 {
			t.Fatalf("due tenants %v", ids)
		}
		if got, _ := s.ClaimJobs(ctx, a.ID, "w", 10, time.Minute); len(got) != 1 || got[0].TenantID != a.ID {
			t.Fatalf("claimed across tenants: %+v", got)
		}
		s.MarkUninstalled(ctx, "b", time.Hour)
		if n, _ := s.Tenant(b).CancelJobs(ctx); n != 1 {
			t.Errorf("cancelled %d", n)
		}
		if ids, _ := s.DueTenants(ctx, 10); len(ids) != 0 {
			t.Errorf("uninstalled tenant still due: %v", ids)
		}
		ev := store.WebhookEvent{Identifier: "wh-1", Event: "jira:issue_updated", IssueKey: "SHOP-1"}
		first, _ := s.RecordWebhooksBatch(ctx, []store.TenantWebhook{{TenantID: a.ID, WebhookEvent: ev}})
		again, _ := s.RecordWebhooksBatch(ctx, []store.TenantWebhook{{TenantID: a.ID, WebhookEvent: ev}, {TenantID: b.ID, WebhookEvent: ev}})
		isNew, dup, other := first[a.ID]["wh-1"], again[a.ID]["wh-1"], again[b.ID]["wh-1"]
		if !isNew || dup || !other {
			t.Errorf("webhook dedupe: %v %v %v", isNew, dup, other)
		}
	})
}

// TestConcurrentClaimersNeverShareAJob runs several claimers at once.
func TestConcurrentClaimersNeverShareAJob(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a := tenantOf(t, s, "a")
		var batch []domain.NewJob
		for i := 0; i < 300; i++ {
			batch = append(batch, domain.NewJob{Kind: "analyze", DedupeKey: fmt.Sprintf("K-%d", i)})
		}
		if n, err := s.Tenant(a).Enqueue(ctx, batch...); err != nil || n != 300 {
			t.Fatalf("enqueue %d %v", n, err)
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(name string) {
				defer wg.Done()
				for {
					jobs, err := s.ClaimJobs(ctx, a.ID, name, 7, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(jobs) == 0 {
						return
					}
					mu.Lock()
					for _, j := range jobs {
						if prev, ok := seen[j.ID]; ok {
							t.Errorf("job %d claimed by %s and %s", j.ID, prev, name)
						}
						seen[j.ID] = name
					}
					mu.Unlock()
				}
			}(fmt.Sprintf("w%d", w))
		}
		wg.Wait()
		if len(seen) != 300 {
			t.Errorf("claimed %d of 300", len(seen))
		}
	})
}
