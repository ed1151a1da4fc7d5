package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

func tenant(t *testing.T, s *store.Store, key string) *domain.Tenant {
	tn, err := s.SaveInstallation(context.Background(), &domain.Tenant{ClientKey: key, BaseURL: "https://" + key + ".atlassian.net", SharedSecret: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPoolRunsRetriesAndDeadLetters(t *testing.T) {
	for _, d := range storetest.Drivers {
		t.Run(d, func(t *testing.T) {
			s := storetest.Open(t, d, nil)
			ctx := context.Background()
			a := tenant(t, s, "a")
			var ok, flaky atomic.Int64
			logs := &lockedBuffer{}
			p := &jobs.Pool{Store: s, Poll: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil)), Handlers: map[string]jobs.Handler{
				"ok": func(ctx context.Context, tn *domain.Tenant, b []domain.Job) []error {
					ok.Add(int64(len(b)))
					return make([]error, len(b))
				},
				"bad": func(ctx context.Context, tn *domain.Tenant, b []domain.Job) []error {
					out := make([]error, len(b))
					for i := range out {
						out[i] = fmt.Errorf("payload unreadable: %w", jobs.ErrPermanent)
					}
					return out
				},
				"panics": func(ctx context.Context, tn *domain.Tenant, b []domain.Job) []error {
					flaky.Add(1)
					panic("boom")
				},
			}}
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { p.Run(runCtx); close(done) }()
			ts := s.Tenant(a)
			for i := 0; i < 20; i++ {
				ts.Enqueue(ctx, domain.NewJob{Kind: "ok", DedupeKey: fmt.Sprint(i)})
			}
			ts.Enqueue(ctx, domain.NewJob{Kind: "bad"}, domain.NewJob{Kind: "unknown"}, domain.NewJob{Kind: "panics", MaxAttempts: 1})
			p.Wake()
			waitFor(t, "jobs to settle", func() bool {
				c, _ := ts.QueueCounts(ctx)
				return ok.Load() == 20 && c[domain.JobDead] == 3 && c[domain.JobQueued] == 0 && c[domain.JobRunning] == 0
			})
			dead, _ := ts.Jobs(ctx, domain.JobDead, 10)
			reasons := ""
			for _, j := range dead {
				reasons += j.LastError + "|"
			}
			for _, want := range []string{"payload unreadable", `no handler for job kind "unknown"`, "handler panic: boom"} {
				if !strings.Contains(reasons, want) {
					t.Errorf("dead-letter reasons %q lack %q", reasons, want)
				}
			}
			cancel()
			<-done
			if out := logs.String(); !strings.Contains(out, "job handler panic") || !strings.Contains(out, "goroutine ") {
				t.Errorf("the panic was not logged with its stack:\n%s", out)
			}
		})
	}
}

// TestPoolIsFairAcrossTenants: a tenant with a huge backlog does not delay
// another tenant's single job behind all of its own.
func TestPoolIsFairAcrossTenants(t *testing.T) {
	s := storetest.Open(t, "sqlite", nil)
	ctx := context.Background()
	big, small := tenant(t, s, "big"), tenant(t, s, "small")
	var mu sync.Mutex
	var order []int64
	p := &jobs.Pool{Store: s, Workers: 1, Batch: 10, Poll: 5 * time.Millisecond, Handlers: map[string]jobs.Handler{
		"work": func(ctx context.Context, tn *domain.Tenant, b []domain.Job) []error {
			mu.Lock()
			for range b {
				order = append(order, tn.ID)
			}
			mu.Unlock()
			return make([]error, len(b))
		},
	}}
	var many []domain.NewJob
	for i := 0; i < 500; i++ {
		many = append(many, domain.NewJob{Kind: "work", DedupeKey: fmt.Sprint(i)})
	}
	s.Tenant(big).Enqueue(ctx, many...)
	s.Tenant(small).Enqueue(ctx, domain.NewJob{Kind: "work", DedupeKey: "only"})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(runCtx); close(done) }()
	waitFor(t, "all work", func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == 501 })
	cancel()
	<-done
	pos := -1
	for i, id := range order {
		if id == small.ID {
			pos = i
		}
	}
	if pos < 0 || pos > 20 {
		t.Errorf("small tenant's job ran at position %d of %d (want within the first two batches)", pos, len(order))
	}
}

func TestPoolRetriesWithRetryAfter(t *testing.T) {
	s := storetest.Open(t, "sqlite", nil)
	ctx := context.Background()
	a := tenant(t, s, "a")
	var calls atomic.Int64
	p := &jobs.Pool{Store: s, Poll: 5 * time.Millisecond, Handlers: map[string]jobs.Handler{
		"rl": func(ctx context.Context, tn *domain.Tenant, b []domain.Job) []error {
			calls.Add(1)
			return []error{retryAfter{3 * time.Second}}
		},
	}}
	s.Tenant(a).Enqueue(ctx, domain.NewJob{Kind: "rl"})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(runCtx); close(done) }()
	waitFor(t, "first call", func() bool { return calls.Load() == 1 })
	queued, _ := s.Tenant(a).Jobs(ctx, domain.JobQueued, 1)
	waitFor(t, "requeue", func() bool { queued, _ = s.Tenant(a).Jobs(ctx, domain.JobQueued, 1); return len(queued) == 1 })
	if wait := time.Until(queued[0].RunAt); wait < 2*time.Second {
		t.Errorf("retry scheduled in %v, want ≥ Retry-After (3s) minus slack", wait)
	}
	cancel()
	<-done
}

type retryAfter struct{ d time.Duration }

func (r retryAfter) Error() string             { return "rate limited" }
func (r retryAfter) RetryAfter() time.Duration { return r.d }

func TestBackoff(t *testing.T) {
	if d := jobs.Backoff(1, 0.5); d != 2*time.Second {
		t.Errorf("first retry %v", d)
	}
	if d := jobs.Backoff(3, 0.5); d != 8*time.Second {
		t.Errorf("third retry %v", d)
	}
	if d := jobs.Backoff(40, 0.999); d > 13*time.Minute {
		t.Errorf("cap exceeded: %v", d)
	}
	if lo, hi := jobs.Backoff(2, 0), jobs.Backoff(2, 0.999); lo < 2800*time.Millisecond || hi > 5200*time.Millisecond {
		t.Errorf("jitter out of range: %v %v", lo, hi)
	}
}

// TestHeartbeatKeepsLongJobs: a job that runs longer than the lease is not
// taken over by another replica while its worker is alive.
func TestHeartbeatKeepsLongJobs(t *testing.T) {
	s := storetest.Open(t, "sqlite", nil)
	ctx := context.Background()
	a := tenant(t, s, "a")
	var runs atomic.Int64
	slow := func(ctx context.Context, tn *domain.Tenant, b []domain.Job) []error {
		runs.Add(1)
		time.Sleep(1200 * time.Millisecond)
		return make([]error, len(b))
	}
	mk := func() *jobs.Pool {
		return &jobs.Pool{Store: s, Lease: 300 * time.Millisecond, Poll: 10 * time.Millisecond, Workers: 1,
			Handlers: map[string]jobs.Handler{"slow": slow}}
	}
	p1, p2 := mk(), mk()
	s.Tenant(a).Enqueue(ctx, domain.NewJob{Kind: "slow"})
	runCtx, cancel := context.WithCancel(ctx)
	d1, d2 := make(chan struct{}), make(chan struct{})
	go func() { p1.Run(runCtx); close(d1) }()
	go func() { p2.Run(runCtx); close(d2) }()
	waitFor(t, "job done", func() bool {
		c, _ := s.Tenant(a).QueueCounts(ctx)
		return runs.Load() >= 1 && c[domain.JobQueued] == 0 && c[domain.JobRunning] == 0
	})
	cancel()
	<-d1
	<-d2
	if n := runs.Load(); n != 1 {
		t.Errorf("job ran %d times: its lease was not renewed", n)
	}
}

// lockedBuffer is a log sink the pool's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
