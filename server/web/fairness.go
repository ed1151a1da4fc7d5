package web

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/backlogai/backlogai/server/retry"
)

// FairnessLimits bound what one tenant may take of a replica's app API, so
// that a site flooding it cannot slow down the others.
type FairnessLimits struct {
	// Concurrency is how many API requests of one tenant run at once; more
	// wait up to Wait for a slot, then get 429. 0: no limit.
	Concurrency int
	// Wait is how long a request over a limit waits (for a slot or a
	// token) before it is refused.
	Wait time.Duration
	// Rate is the sustained requests per second of one tenant, Burst the
	// bucket size (token bucket); a call over it waits for its token when
	// that comes within Wait, else it is refused after Wait. Rate 0: no
	// limit.
	Rate  float64
	Burst int
}

// fairWait is how long a request over its tenant's limits waits for a
// slot or a token before 429: a short burst is smoothed, a flood refused.
const fairWait = time.Second

// idleGate is how long a tenant's unused gate is kept before it is swept:
// a longer idle time refills any bucket anyway.
const idleGate = time.Minute

// fairness holds one gate per tenant (created on first use, swept when
// idle). Limits are per replica.
type fairness struct {
	limits    FairnessLimits
	mu        sync.Mutex
	gates     map[int64]*gate
	lastSweep time.Time
}

type gate struct {
	slots  chan struct{} // nil: no concurrency limit
	bucket *rate.Limiter // nil: no rate limit
	users  int           // requests holding or waiting for this gate
	used   time.Time
}

func newFairness(l FairnessLimits) *fairness {
	if l.Concurrency <= 0 && l.Rate <= 0 {
		return nil
	}
	if l.Burst < 1 {
		l.Burst = max(1, int(math.Ceil(l.Rate)))
	}
	return &fairness{limits: l, gates: map[int64]*gate{}}
}

// enter takes a slot for a request of tenant. It returns a release func,
// or how long the caller should wait before trying again.
func (f *fairness) enter(ctx context.Context, tenant int64, now time.Time) (release func(), retryAfter time.Duration) {
	g := f.gate(tenant, now)
	leave := func() {
		f.mu.Lock()
		g.users--
		f.mu.Unlock()
	}
	if g.bucket != nil {
		r := g.bucket.ReserveN(now, 1)
		d := r.DelayFrom(now)
		if !r.OK() || d > f.limits.Wait {
			r.CancelAt(now)
			leave()
			// Refusing at once would let a client that ignores
			// Retry-After spin on cheap 429s and eat the CPU the limit
			// protects; holding the refusal costs a goroutine, no CPU.
			_ = retry.Sleep(ctx, f.limits.Wait)
			return nil, d
		}
		if d > 0 && retry.Sleep(ctx, d) != nil {
			r.Cancel()
			leave()
			return nil, d
		}
	}
	if g.slots == nil {
		return leave, 0
	}
	release = func() { <-g.slots; leave() }
	// A free slot is taken at once: with the timer in the same select, a
	// caller delayed past Wait before the select (a busy machine) could
	// see both ready and be refused at random.
	select {
	case g.slots <- struct{}{}:
		return release, 0
	default:
	}
	t := time.NewTimer(f.limits.Wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
	case <-t.C:
		leave()
		return nil, time.Second
	case <-ctx.Done():
		leave()
		return nil, time.Second
	}
	return release, 0
}

// gate returns tenant's gate, counting the caller as one of its users, and
// now and then forgets gates nobody used for a while.
func (f *fairness) gate(tenant int64, now time.Time) *gate {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Sub(f.lastSweep) > idleGate {
		f.lastSweep = now
		for id, g := range f.gates {
			if g.users == 0 && now.Sub(g.used) > idleGate {
				delete(f.gates, id)
			}
		}
	}
	g := f.gates[tenant]
	if g == nil {
		g = &gate{}
		if f.limits.Concurrency > 0 {
			g.slots = make(chan struct{}, f.limits.Concurrency)
		}
		if f.limits.Rate > 0 {
			g.bucket = rate.NewLimiter(rate.Limit(f.limits.Rate), f.limits.Burst)
		}
		f.gates[tenant] = g
	}
	g.users++
	g.used = now
	return g
}

// fair applies the tenant's limits to an authenticated API handler:
// over them, 429 with Retry-After in whole seconds.
func (s *Server) fair(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := identity(c)
		if s.fairness == nil || id == nil || id.Tenant == nil {
			return h(c)
		}
		release, wait := s.fairness.enter(c.Request().Context(), id.Tenant.ID, time.Now())
		if release == nil {
			wait = min(max(wait, time.Second), time.Minute)
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return &APIError{Status: http.StatusTooManyRequests, Code: "too_many_requests",
				Message: "Your site is sending BacklogAI too many requests at once. Try again in a few seconds."}
		}
		defer release()
		return h(c)
	}
}
