package backlog

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// TestRecordedDeliveryIsDispatchedByAnotherReplica: a replica that
// records deliveries and stops before dispatching them (a crash between
// its insert and its dispatch) loses no work: another replica's dispatcher
// finds the pending deliveries on its next look and enqueues their jobs,
// once. Deliveries for a project that is not active enqueue nothing, and
// Jira's retry of a dispatched delivery is a duplicate that enqueues
// nothing either.
func TestRecordedDeliveryIsDispatchedByAnotherReplica(t *testing.T) {
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			crashed, a, b := intakeEnv(t, driver)
			ctx := context.Background()
			var reqs []*webhookReq
			for i := range 30 {
				key := fmt.Sprintf("SHOP-%d", i%10+1) // ten issues, three updates each
				reqs = append(reqs, &webhookReq{tenant: b, ident: fmt.Sprintf("wh-%d", i), event: "jira:issue_updated", project: "SHOP", key: key,
					job: &domain.NewJob{Kind: KindAnalyse, DedupeKey: key, Payload: []byte(`{"project":"SHOP","key":"` + key + `"}`), Priority: prioWebhook}, done: make(chan struct{})})
			}
			// Tenant A has no active project: its delivery is recorded and
			// then dropped at dispatch.
			reqs = append(reqs, &webhookReq{tenant: a, ident: "wh-a", event: "jira:issue_updated", project: "SHOP", key: "SHOP-1",
				job: &domain.NewJob{Kind: KindAnalyse, DedupeKey: "SHOP-1", Payload: []byte(`{}`), Priority: prioWebhook}, done: make(chan struct{})})
			crashed.persist(ctx, reqs) // recorded; the replica stops here
			for _, r := range reqs {
				if r.err != nil || r.result != WebhookQueued {
					t.Fatalf("%s: %s %v, want queued", r.ident, r.result, r.err)
				}
			}
			if n, _ := crashed.Store.Tenant(b).QueueCounts(ctx); n[domain.JobQueued] != 0 {
				t.Fatalf("jobs before any dispatch: %v", n)
			}

			other := &Service{Store: crashed.Store, Logger: crashed.Logger, Now: time.Now}
			rctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go other.RunIntake(rctx, 1)
			// No local signal announces them: the poll finds them.
			waitFor(t, func() bool {
				n, err := other.Store.Tenant(b).QueueCounts(ctx)
				return err == nil && n[domain.JobQueued] == 10
			})
			if p, err := other.Store.PendingWebhooks(ctx, 100); err != nil || len(p) != 0 {
				t.Errorf("still pending after dispatch: %d %v", len(p), err)
			}
			if n, _ := other.Store.Tenant(a).QueueCounts(ctx); n[domain.JobQueued] != 0 {
				t.Errorf("inactive project's delivery enqueued %v", n)
			}
			// Dispatching again enqueues nothing more.
			if n, err := other.Dispatch(ctx); err != nil || n != 0 {
				t.Errorf("second dispatch took %d (%v)", n, err)
			}
			// Jira's retry of a dispatched delivery is a duplicate.
			if r, err := other.AcceptWebhook(ctx, b, "wh-3", hookBody("jira:issue_updated", "SHOP-4")); err != nil || r != WebhookDuplicate {
				t.Errorf("retry: %s %v, want duplicate", r, err)
			}
			if n, _ := other.Store.Tenant(b).QueueCounts(ctx); n[domain.JobQueued] != 10 {
				t.Errorf("queued after the retry: %v, want 10", n)
			}
		})
	}
}

// TestDispatchKeepsWebhookTelemetry: a dispatched job keeps the trace and
// the receipt time the delivery was stamped with (write-back lag).
func TestDispatchKeepsWebhookTelemetry(t *testing.T) {
	s, _, b := intakeEnv(t, "sqlite")
	ctx := context.Background()
	origin := time.Date(2026, 12, 5, 10, 0, 0, 123456000, time.UTC)
	trace := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	s.persist(ctx, []*webhookReq{{tenant: b, ident: "wh-1", event: "jira:issue_created", project: "SHOP", key: "SHOP-1",
		job: &domain.NewJob{Kind: KindAnalyse, DedupeKey: "SHOP-1", Payload: []byte(`{"project":"SHOP","key":"SHOP-1"}`), Priority: prioWebhook, Trace: trace, Origin: origin}}})
	if n, err := s.Dispatch(ctx); err != nil || n != 1 {
		t.Fatalf("dispatch: %d %v", n, err)
	}
	jobs, err := s.Store.ClaimJobs(ctx, b.ID, "w", 10, time.Minute)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	j := jobs[0]
	if j.Kind != KindAnalyse || j.DedupeKey != "SHOP-1" || j.Priority != prioWebhook || string(j.Payload) != `{"project":"SHOP","key":"SHOP-1"}` {
		t.Errorf("job %+v", j)
	}
	if j.Trace != trace || !j.Origin.Equal(origin) {
		t.Errorf("telemetry lost: trace %q origin %v", j.Trace, j.Origin)
	}
}

// TestBadDeliveryDoesNotHoldUpOthers: a delivery whose job the database
// refuses (here a job kind longer than MySQL's column) fails its batch;
// the batch is then dispatched one delivery at a time, the other tenants'
// and deliveries' jobs are enqueued, and the bad one is dropped with an
// error logged instead of blocking the queue for everyone.
func TestBadDeliveryDoesNotHoldUpOthers(t *testing.T) {
	for _, driver := range storetest.Drivers {
		if driver != "mysql" {
			continue // SQLite stores the over-long kind: nothing to refuse
		}
		t.Run(driver, func(t *testing.T) {
			s, _, b := intakeEnv(t, driver)
			ctx := context.Background()
			req := func(ident, key, kind string) *webhookReq {
				return &webhookReq{tenant: b, ident: ident, event: "jira:issue_updated", project: "SHOP", key: key,
					job: &domain.NewJob{Kind: kind, DedupeKey: key, Payload: []byte(`{}`), Priority: prioWebhook}, done: make(chan struct{})}
			}
			reqs := []*webhookReq{req("wh-1", "SHOP-1", KindAnalyse), req("wh-bad", "SHOP-2", strings.Repeat("k", 40)), req("wh-3", "SHOP-3", KindAnalyse)}
			s.persist(ctx, reqs)
			n, err := s.Dispatch(ctx)
			if err != nil || n != 3 {
				t.Fatalf("dispatch: %d %v, want the 3 deliveries taken", n, err)
			}
			counts, err := s.Store.Tenant(b).QueueCounts(ctx)
			if err != nil || counts[domain.JobQueued] != 2 {
				t.Errorf("queued %v (%v), want the 2 good jobs", counts, err)
			}
			if p, err := s.Store.PendingWebhooks(ctx, 10); err != nil || len(p) != 0 {
				t.Errorf("still pending: %d %v", len(p), err)
			}
		})
	}
}
