package backlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store/storetest"
)

func hookBody(event, key string) []byte {
	return []byte(fmt.Sprintf(`{"timestamp":1,"webhookEvent":%q,"issue":{"id":"1","key":%q,"fields":{"project":{"key":"SHOP"}}}}`, event, key))
}

// intakeEnv is a Service on a real store with two installed tenants; b
// has an active project SHOP.
func intakeEnv(t testing.TB, driver string) (*Service, *domain.Tenant, *domain.Tenant) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, driver, nil)
	var ts []*domain.Tenant
	for _, k := range []string{"a", "b"} {
		tn, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: "jira:" + k, BaseURL: "https://" + k + ".atlassian.net", SharedSecret: "s-" + k})
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tn)
	}
	bs := st.Tenant(ts[1])
	if _, err := bs.EnsureProject(ctx, "SHOP", "10000", "Shop"); err != nil {
		t.Fatal(err)
	}
	if err := bs.SetProjectActive(ctx, "SHOP", true); err != nil {
		t.Fatal(err)
	}
	return &Service{Store: st, Logger: slog.New(slog.DiscardHandler), Now: time.Now}, ts[0], ts[1]
}

// TestOverlongIdentifierDoesNotFailOtherTenants is issue 11's
// reproduction: one delivery with a 300-character identifier (and one
// with a 100-character event name) of tenant A in the same group commit
// as 200 valid deliveries of tenant B. Every delivery is accepted, B's are
// stored and queued, and A's stay idempotent under their bounded names.
func TestOverlongIdentifierDoesNotFailOtherTenants(t *testing.T) {
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			s, a, b := intakeEnv(t, driver)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Queue every delivery before the batcher starts, so that all
			// of them share one transaction.
			s.intake = make(chan *webhookReq, intakeBatch*2)
			longID := strings.Repeat("x", 300)
			longEvent := "jira:" + strings.Repeat("e", 100)
			type res struct {
				r   WebhookResult
				err error
			}
			results := make([]res, 202)
			var wg sync.WaitGroup
			send := func(i int, tn *domain.Tenant, ident string, raw []byte) {
				defer wg.Done()
				r, err := s.AcceptWebhook(ctx, tn, ident, raw)
				results[i] = res{r, err}
			}
			wg.Add(202)
			go send(200, a, longID, hookBody("jira:issue_updated", "SHOP-1"))
			go send(201, a, "wh-long-event", hookBody(longEvent, "SHOP-1"))
			for i := 0; i < 200; i++ {
				go send(i, b, fmt.Sprintf("wh-%d", i), hookBody("jira:issue_updated", fmt.Sprintf("SHOP-%d", i+1)))
			}
			waitFor(t, func() bool { return len(s.intake) == 202 })
			go s.RunIntake(ctx, 1)
			wg.Wait()
			for i, r := range results {
				if r.err != nil {
					t.Fatalf("delivery %d failed: %v", i, r.err)
				}
			}
			for i := 0; i < 200; i++ {
				if results[i].r != WebhookQueued {
					t.Errorf("B's delivery %d: %s, want queued", i, results[i].r)
				}
			}
			// The dispatcher turns the recorded deliveries into jobs.
			waitFor(t, func() bool {
				counts, err := s.Store.Tenant(b).QueueCounts(context.Background())
				return err == nil && counts[domain.JobQueued] == 200
			})
			// Jira's retry of the over-long delivery is recognised.
			if r, err := s.AcceptWebhook(ctx, a, longID, hookBody("jira:issue_updated", "SHOP-1")); err != nil || r != WebhookDuplicate {
				t.Errorf("retry of the over-long delivery: %s %v, want duplicate", r, err)
			}
			// A different over-long identifier with the same prefix is new.
			if r, err := s.AcceptWebhook(ctx, a, longID+"y", hookBody("jira:issue_updated", "SHOP-1")); err != nil || r == WebhookDuplicate {
				t.Errorf("another over-long delivery: %s %v, want new", r, err)
			}
			// B's deliveries are stored: their retries are duplicates.
			if r, err := s.AcceptWebhook(ctx, b, "wh-7", hookBody("jira:issue_updated", "SHOP-8")); err != nil || r != WebhookDuplicate {
				t.Errorf("retry of B's delivery: %s %v, want duplicate", r, err)
			}
		})
	}
}

// TestGroupCommitFailureRetriesRowsOneByOne: a group commit that fails on
// one row (here a tenant deleted meanwhile, and a value the columns cannot
// hold) is retried row by row; only the bad rows fail.
func TestGroupCommitFailureRetriesRowsOneByOne(t *testing.T) {
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			s, a, b := intakeEnv(t, driver)
			ctx := context.Background()
			gone := &domain.Tenant{ID: a.ID + b.ID + 1000, ClientKey: "jira:gone"}
			job := &domain.NewJob{Kind: KindAnalyse, DedupeKey: "SHOP-1", Payload: []byte(`{}`), Priority: prioWebhook}
			var reqs []*webhookReq
			for i := 0; i < 200; i++ {
				key := fmt.Sprintf("SHOP-%d", i+1)
				j := *job
				j.DedupeKey = key
				reqs = append(reqs, &webhookReq{tenant: b, ident: fmt.Sprintf("wh-%d", i), event: "jira:issue_updated", project: "SHOP", key: key, job: &j, done: make(chan struct{})})
			}
			bad := []*webhookReq{
				{tenant: gone, ident: "wh-gone", event: "jira:issue_updated", project: "SHOP", key: "SHOP-1", job: job, done: make(chan struct{})},
				// Bypasses boundIdent, as a future caller might.
				{tenant: a, ident: strings.Repeat("x", 300), event: "jira:issue_updated", project: "SHOP", key: "SHOP-1", job: job, done: make(chan struct{})},
			}
			all := append([]*webhookReq{reqs[0], bad[0]}, reqs[1:100]...)
			all = append(all, bad[1])
			all = append(all, reqs[100:]...)
			s.persist(ctx, all)
			for i, r := range reqs {
				if r.err != nil || r.result != WebhookQueued {
					t.Fatalf("B's delivery %d: %s %v, want queued", i, r.result, r.err)
				}
			}
			for i, r := range bad {
				if r.err == nil {
					t.Errorf("bad delivery %d succeeded", i)
				}
			}
			if !errors.Is(bad[1].err, domain.ErrInvalid) {
				t.Errorf("over-long identifier: %v, want ErrInvalid", bad[1].err)
			}
			for _, r := range all {
				select {
				case <-r.done:
				default:
					t.Fatal("a request was never settled")
				}
			}
			if n, err := s.Dispatch(ctx); err != nil || n != 200 {
				t.Errorf("dispatched %d deliveries (%v), want B's 200", n, err)
			}
			counts, err := s.Store.Tenant(b).QueueCounts(ctx)
			if err != nil || counts[domain.JobQueued] != 200 {
				t.Errorf("B's queued jobs: %v %v, want 200", counts, err)
			}
		})
	}
}

func TestBoundIdent(t *testing.T) {
	long := strings.Repeat("a", 300)
	for _, c := range []struct {
		name, in string
		n        int
		same     bool
	}{
		{"short stays", "wh-123", 255, true},
		{"exactly max stays", strings.Repeat("a", 255), 255, true},
		{"over max is hashed", long, 255, false},
		{"invalid UTF-8 is hashed", "wh-\xff", 255, false},
		{"long event is hashed", "jira:" + strings.Repeat("e", 60), 64, false},
		{"multi-byte cut at a rune", strings.Repeat("é", 200), 255, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := boundIdent(c.in, c.n)
			if (got == c.in) != c.same {
				t.Fatalf("boundIdent(%.20q…, %d) = %.40q…", c.in, c.n, got)
			}
			if len(got) > c.n || !utf8.ValidString(got) {
				t.Errorf("result of %d bytes (max %d), valid UTF-8 %v", len(got), c.n, utf8.ValidString(got))
			}
			if boundIdent(c.in, c.n) != got {
				t.Error("not stable")
			}
		})
	}
	if boundIdent(long, 255) == boundIdent(long+"b", 255) {
		t.Error("two over-long identifiers with one prefix collide")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkAcceptWebhook: deliveries of 32 concurrent senders through the
// group commit, on each engine (intake only: no HTTP, no workers).
func BenchmarkAcceptWebhook(b *testing.B) {
	for _, d := range storetest.Drivers {
		b.Run(d, func(b *testing.B) {
			s, _, tb := intakeEnv(b, d)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go s.RunIntake(ctx, 2)
			const senders = 32
			var n atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := n.Add(1)
						if i > int64(b.N) {
							return
						}
						body := hookBody("jira:issue_updated", fmt.Sprintf("SHOP-%d", i%300))
						if _, err := s.AcceptWebhook(ctx, tb, fmt.Sprintf("bench-%d", i), body); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "webhooks/s")
		})
	}
}
