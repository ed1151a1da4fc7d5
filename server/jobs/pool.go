// Package jobs runs the durable job queue kept in the database: a pool of
// workers that claim batches of one tenant's jobs at a time, serving
// tenants round robin so one tenant's 100k-issue scan never starves
// another's webhook. Several replicas can run pools on one MySQL database.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/retry"
	"github.com/backlogai/backlogai/server/store"
)

// Handler processes a batch of claimed jobs of one kind for one tenant and
// returns one error per job (nil for success). Handlers must be idempotent:
// after a crash a job may run again.
type Handler func(ctx context.Context, t *domain.Tenant, batch []domain.Job) []error

// ErrPermanent marks an error that retrying cannot fix; the job goes to the
// dead-letter state at once with the error as its reason.
var ErrPermanent = errors.New("permanent failure")

// RetryAfterError is implemented by errors that know when to retry (a 429
// with Retry-After, a tenant quota pause).
type RetryAfterError interface {
	RetryAfter() time.Duration
}

// Pool is a set of workers over the queue.
type Pool struct {
	Store    *store.Store
	Handlers map[string]Handler
	// Workers is the number of concurrent workers (default 2).
	Workers int
	// Batch is how many jobs a worker claims at once (default 50).
	Batch int
	// Lease is how long a claim lasts without a heartbeat before another
	// worker may take the job over (default 30 s). Live workers extend it
	// every third of a lease, so it bounds recovery after a crash, not the
	// length of a job.
	Lease time.Duration
	// Poll is the idle wait between looks at the queue (default 250 ms);
	// Wake cuts it short when this process enqueues.
	Poll time.Duration
	// Drain bounds how long Run waits for in-flight batches at shutdown.
	Drain  time.Duration
	Logger *slog.Logger
	Now    func() time.Time

	id   string
	wake chan struct{}
	once sync.Once
}

func (p *Pool) init() {
	p.once.Do(func() {
		if p.Workers <= 0 {
			p.Workers = 2
		}
		if p.Batch <= 0 {
			p.Batch = 50
		}
		if p.Lease <= 0 {
			p.Lease = 30 * time.Second
		}
		if p.Poll <= 0 {
			p.Poll = 250 * time.Millisecond
		}
		if p.Drain <= 0 {
			p.Drain = 15 * time.Second
		}
		if p.Logger == nil {
			p.Logger = slog.Default()
		}
		if p.Now == nil {
			p.Now = time.Now
		}
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		p.id = fmt.Sprintf("%.30s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
		p.wake = make(chan struct{}, 1)
	})
}

// Wake tells idle workers that work was just enqueued.
func (p *Pool) Wake() {
	p.init()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx is cancelled, then stops claiming, lets in-flight
// batches finish (up to Drain) and hands back anything still held.
func (p *Pool) Run(ctx context.Context) {
	p.init()
	// Work continues on its own context so that shutdown drains instead of
	// abandoning half-done batches.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var wg sync.WaitGroup
	for i := 0; i < p.Workers; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			p.worker(ctx, workCtx, fmt.Sprintf("%s-%d", p.id, n))
		}(i)
	}
	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(p.Drain):
		p.Logger.Warn("job drain timed out; cancelling in-flight work")
		cancelWork()
		<-done
	}
	for i := 0; i < p.Workers; i++ {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if n, err := p.Store.ReleaseJobs(rctx, fmt.Sprintf("%s-%d", p.id, i)); err != nil {
			p.Logger.Error("release jobs", "err", err)
		} else if n > 0 {
			p.Logger.Info("released jobs at shutdown", "count", n)
		}
		cancel()
	}
}

func (p *Pool) worker(stop, work context.Context, name string) {
	var last int64 // last tenant served: round robin resumes after it
	failures := 0
	for stop.Err() == nil {
		did, next, err := p.once1(work, name, last)
		wait := p.Poll
		if err != nil && stop.Err() == nil {
			// The database is likely away: back off (up to 10 s) and log
			// once per streak, not every poll.
			failures++
			if failures == 1 {
				p.Logger.Error("job worker", "worker", name, "err", err)
			}
			wait = retry.Backoff{Base: p.Poll, Max: min(10*time.Second, p.Poll<<6)}.Delay(failures, 0)
		} else {
			if failures > 0 {
				p.Logger.Info("job worker recovered", "worker", name, "after_failures", failures)
			}
			failures = 0
		}
		last = next
		if did {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-stop.Done():
		case <-p.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// once1 serves one tenant's batch; it reports whether it did anything.
func (p *Pool) once1(ctx context.Context, worker string, last int64) (bool, int64, error) {
	tenants, err := p.Store.DueTenants(ctx, 1000)
	if err != nil || len(tenants) == 0 {
		return false, last, err
	}
	pick := tenants[0]
	for _, id := range tenants {
		if id > last {
			pick = id
			break
		}
	}
	jobs, err := p.Store.ClaimJobs(ctx, pick, worker, p.Batch, p.Lease)
	if err != nil || len(jobs) == 0 {
		return false, pick, err
	}
	t, err := p.Store.TenantByID(ctx, pick)
	if err != nil || !t.Active() {
		// Uninstalled between listing and claiming: drop its work.
		for _, j := range jobs {
			// One left behind is claimed again when its lease ends and dropped then.
			if _, err := p.Store.CompleteJob(ctx, j.ID, worker); err != nil {
				p.Logger.Warn("drop job of inactive tenant", "job_id", j.ID, "err", err)
			}
		}
		return true, pick, nil
	}
	byKind := map[string][]domain.Job{}
	var order []string
	for _, j := range jobs {
		if _, ok := byKind[j.Kind]; !ok {
			order = append(order, j.Kind)
		}
		byKind[j.Kind] = append(byKind[j.Kind], j)
	}
	log := p.Logger.With("tenant_id", t.ID, "worker", worker)
	stopBeat := p.heartbeat(ctx, worker, jobs)
	defer stopBeat()
	for _, kind := range order {
		batch := byKind[kind]
		h, ok := p.Handlers[kind]
		var errs []error
		if !ok {
			errs = repeatErr(fmt.Errorf("no handler for job kind %q: %w", kind, ErrPermanent), len(batch))
		} else {
			errs = p.safeCall(ctx, h, t, batch)
		}
		var done []int64
		for i, j := range batch {
			var jerr error
			if i < len(errs) {
				jerr = errs[i]
			}
			if jerr == nil {
				done = append(done, j.ID)
				continue
			}
			p.settle(ctx, log, worker, j, jerr)
		}
		// The batch's successes are removed in one statement.
		if _, err := p.Store.CompleteJobs(ctx, done, worker); err != nil {
			log.Error("complete jobs", "kind", kind, "jobs", len(done), "err", err)
		}
	}
	return true, pick, nil
}

// heartbeat extends the lease of the claimed jobs until stopped.
func (p *Pool) heartbeat(ctx context.Context, worker string, jobs []domain.Job) func() {
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(p.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := p.Store.ExtendLease(ctx, worker, ids, p.Lease); err != nil && ctx.Err() == nil {
					p.Logger.Warn("extend job lease", "worker", worker, "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (p *Pool) safeCall(ctx context.Context, h Handler, t *domain.Tenant, batch []domain.Job) (errs []error) {
	defer func() {
		if r := recover(); r != nil {
			p.Logger.Error("job handler panic", "tenant_id", t.ID, "kind", batch[0].Kind, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			errs = repeatErr(fmt.Errorf("handler panic: %v", r), len(batch))
		}
	}()
	errs = h(ctx, t, batch)
	if len(errs) != len(batch) && len(errs) != 0 {
		return repeatErr(fmt.Errorf("handler returned %d results for %d jobs", len(errs), len(batch)), len(batch))
	}
	return errs
}

// settle puts a failed job back in the queue with a backoff, or into the
// dead-letter state when it has no attempts left.
func (p *Pool) settle(ctx context.Context, log *slog.Logger, worker string, j domain.Job, err error) {
	if errors.Is(err, ErrPermanent) {
		j.Attempts = j.MaxAttempts
	}
	delay := Backoff(j.Attempts, mrand.Float64())
	var ra RetryAfterError
	if errors.As(err, &ra) && ra.RetryAfter() > delay {
		delay = ra.RetryAfter()
	}
	reason := err.Error()
	if rerr := p.Store.RetryJob(ctx, j, worker, reason, p.Now().Add(delay)); rerr != nil {
		log.Error("retry job", "job_id", j.ID, "err", rerr)
		return
	}
	if j.Attempts >= j.MaxAttempts {
		log.Error("job dead-lettered", "job_id", j.ID, "kind", j.Kind, "attempts", j.Attempts, "reason", reason)
	} else {
		log.Warn("job will retry", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempts, "in", delay.Round(time.Millisecond), "reason", reason)
	}
}

// Backoff is the delay before retry n (1-based): 2 s doubling, capped at
// 10 minutes, with ×0.7-1.3 jitter from u in [0,1).
func Backoff(attempt int, u float64) time.Duration {
	return retry.Backoff{Base: 2 * time.Second, Max: 10 * time.Minute, Jitter: 0.3}.Delay(max(attempt-1, 0), u)
}

func repeatErr(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}
