package jira

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/retry"
)

// Rate limit reasons Jira sends in the RateLimit-Reason header.
const (
	ReasonGlobalQuota = "jira-quota-global-based"
	ReasonTenantQuota = "jira-quota-tenant-based"
	ReasonBurst       = "jira-burst-based"
	ReasonPerIssue    = "jira-per-issue-on-write"
)

// Per-issue write limits Jira enforces (and the client paces itself to).
const (
	issueWritesShort       = 20
	issueWritesShortWindow = 2 * time.Second
	issueWritesLong        = 100
	issueWritesLongWindow  = 30 * time.Second
)

// retryablePOSTs are the POST endpoints safe to send twice: reads that use
// POST for their long bodies, and the bulk property set, which writes the
// same values again (Jira answers 429 before doing any of the work).
var retryablePOSTs = []string{
	"/rest/api/3/search/jql",
	"/rest/api/3/search/approximate-count",
	"/rest/api/3/issue/bulkfetch",
	"/rest/api/3/issue/properties/multi",
}

// Limiter is the rate-limit state shared by every client of one tenant:
// a pause all calls wait out after a quota 429, per-issue write pacing and
// the last quota headers. Its methods are safe for concurrent use.
type Limiter struct {
	mu          sync.Mutex
	pausedUntil time.Time
	writes      map[string][]time.Time // recent writes per issue
	remaining   int                    // X-RateLimit-Remaining, -1 unknown
	limit       int
	nearLimit   bool
}

// NewLimiter returns the limiter for one tenant.
func NewLimiter() *Limiter { return &Limiter{remaining: -1} }

// Limiters hands out one Limiter per tenant, so that every client of the
// same tenant shares it. The zero value is ready to use.
type Limiters struct {
	mu sync.Mutex
	m  map[string]*Limiter
}

// For returns the tenant's limiter (tenant is its clientKey).
func (l *Limiters) For(tenant string) *Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*Limiter{}
	}
	lim := l.m[tenant]
	if lim == nil {
		lim = NewLimiter()
		l.m[tenant] = lim
	}
	return lim
}

// PausedUntil is when calls of the tenant may resume after a quota 429
// (zero when not paused).
func (l *Limiter) PausedUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedUntil
}

// Remaining is the last X-RateLimit-Remaining seen, -1 if none.
func (l *Limiter) Remaining() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.remaining
}

func (l *Limiter) pause(until time.Time) {
	l.mu.Lock()
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
	l.mu.Unlock()
}

// reserveWrite books a write to issue at now, or returns how long to wait
// before trying again.
func (l *Limiter) reserveWrite(issue string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.writes == nil {
		l.writes = map[string][]time.Time{}
	}
	ts := l.writes[issue]
	kept := ts[:0]
	for _, t := range ts {
		if now.Sub(t) < issueWritesLongWindow {
			kept = append(kept, t)
		}
	}
	var short []time.Time
	for i, t := range kept {
		if now.Sub(t) < issueWritesShortWindow {
			short = kept[i:]
			break
		}
	}
	switch {
	case len(kept) >= issueWritesLong:
		l.writes[issue] = kept
		return kept[len(kept)-issueWritesLong].Add(issueWritesLongWindow).Sub(now)
	case len(short) >= issueWritesShort:
		l.writes[issue] = kept
		return short[len(short)-issueWritesShort].Add(issueWritesShortWindow).Sub(now)
	}
	l.writes[issue] = append(kept, now)
	if len(l.writes) > 10000 {
		l.pruneLocked(now)
	}
	return 0
}

// pruneLocked forgets issues without writes in the long window.
func (l *Limiter) pruneLocked(now time.Time) {
	for k, ts := range l.writes {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= issueWritesLongWindow {
			delete(l.writes, k)
		}
	}
}

// observe records the quota headers of a response and reports whether the
// tenant just crossed into the near-limit zone.
func (l *Limiter) observe(h http.Header) (crossed bool, remaining, limit int) {
	rem, err := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if err != nil {
		return false, 0, 0
	}
	lim, _ := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	near := strings.EqualFold(h.Get("X-RateLimit-NearLimit"), "true")
	l.mu.Lock()
	defer l.mu.Unlock()
	crossed = near && !l.nearLimit
	l.remaining, l.limit, l.nearLimit = rem, lim, near
	return crossed, rem, lim
}

// transport sends requests through next, retrying and pacing them as
// Jira's rate limits ask. It sits between go-atlassian and the signer.
type transport struct {
	next        Doer
	lim         *Limiter
	log         *slog.Logger
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error
	rand        func() float64
	maxRetries  int
	baseBackoff time.Duration
	maxBackoff  time.Duration
	maxPause    time.Duration
}

// Do sends req, retrying idempotent requests on 429, 5xx and transport
// errors. It returns the last response when retries are spent or the
// request may not be retried; the caller maps its status to an error.
func (t *transport) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	retryable := isRetryable(req)
	issue := writtenIssue(req)
	for attempt := 0; ; attempt++ {
		if err := t.waitPause(ctx); err != nil {
			return nil, err
		}
		if issue != "" {
			if err := t.paceWrite(ctx, issue); err != nil {
				return nil, err
			}
		}
		out := req
		if attempt > 0 {
			var err error
			if out, err = rewind(req); err != nil {
				return nil, err
			}
		}
		resp, err := t.next.Do(out)
		last := attempt >= t.maxRetries || !retryable
		if err != nil {
			if last || ctx.Err() != nil {
				return nil, err
			}
			t.log.DebugContext(ctx, "jira: transport error, retrying", "method", req.Method, "path", req.URL.Path, "attempt", attempt+1, "err", err)
			if err := t.sleep(ctx, t.backoff(attempt)); err != nil {
				return nil, err
			}
			continue
		}
		if crossed, rem, lim := t.lim.observe(resp.Header); crossed {
			t.log.WarnContext(ctx, "jira: near the rate limit quota", "remaining", rem, "limit", lim)
		}
		status := resp.StatusCode
		if status != http.StatusTooManyRequests && !retryableStatus(status) {
			return resp, nil
		}
		var retryAfter time.Duration
		if status == http.StatusTooManyRequests {
			retryAfter = t.onThrottle(ctx, req, resp)
		}
		// A followed redirect (the 303 of a bulk property set) means the
		// original request was done; its caller deals with the target.
		if last || redirected(req, resp) {
			return resp, nil
		}
		wait := t.backoff(attempt)
		if retryAfter > 0 {
			wait = t.jitterUp(retryAfter)
		}
		if wait > t.maxPause {
			return resp, nil // too long to hold the caller: report the 429
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		t.log.DebugContext(ctx, "jira: retrying", "method", req.Method, "path", req.URL.Path, "status", status, "attempt", attempt+1, "wait", wait)
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// onThrottle handles a 429: a quota reason pauses the whole tenant until
// X-RateLimit-Reset. It returns Retry-After (0 if absent).
func (t *transport) onThrottle(ctx context.Context, req *http.Request, resp *http.Response) time.Duration {
	now := t.now()
	retryAfter, _ := retry.ParseAfter(resp.Header.Get("Retry-After"), now)
	reason := resp.Header.Get("RateLimit-Reason")
	t.log.InfoContext(ctx, "jira: rate limited", "method", req.Method, "path", req.URL.Path, "reason", reason, "retryAfter", retryAfter)
	if reason == ReasonGlobalQuota || reason == ReasonTenantQuota {
		until := now.Add(retryAfter)
		if reset, err := time.Parse(time.RFC3339, resp.Header.Get("X-RateLimit-Reset")); err == nil && reset.After(until) {
			until = reset
		}
		if until.After(now) {
			t.lim.pause(until)
			t.log.WarnContext(ctx, "jira: tenant quota exhausted, pausing calls", "reason", reason, "until", until)
		}
	}
	return retryAfter
}

// waitPause blocks while the tenant is paused, or fails at once when the
// pause outlasts maxPause so that jobs can reschedule rather than hang.
func (t *transport) waitPause(ctx context.Context) error {
	until := t.lim.PausedUntil()
	wait := until.Sub(t.now())
	if wait <= 0 {
		return nil
	}
	if wait > t.maxPause {
		return fmt.Errorf("jira: tenant quota exhausted until %s: %w", until.UTC().Format(time.RFC3339), domain.ErrRateLimited)
	}
	return t.sleep(ctx, wait)
}

func (t *transport) paceWrite(ctx context.Context, issue string) error {
	for {
		wait := t.lim.reserveWrite(issue, t.now())
		if wait <= 0 {
			return nil
		}
		if err := t.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// backoff is base·2^attempt capped at maxBackoff, times a jitter in
// [0.7, 1.3).
func (t *transport) backoff(attempt int) time.Duration {
	return retry.Backoff{Base: t.baseBackoff, Max: t.maxBackoff, Jitter: 0.3}.Delay(attempt, t.rand())
}

// jitterUp spreads waits of clients told the same Retry-After without ever
// going below it.
func (t *transport) jitterUp(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (1 + 0.3*t.rand()))
}

func isRetryable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	case http.MethodPost:
		for _, p := range retryablePOSTs {
			if strings.HasSuffix(req.URL.Path, p) {
				return true
			}
		}
	}
	return false
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func redirected(req *http.Request, resp *http.Response) bool {
	return resp.Request != nil && resp.Request.URL != nil && resp.Request.URL.Path != req.URL.Path
}

// writtenIssue returns the issue a write request changes
// (/rest/api/3/issue/{idOrKey}[/…]), or "" for reads and other writes.
func writtenIssue(req *http.Request) string {
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return ""
	}
	_, rest, ok := strings.Cut(req.URL.Path, "/rest/api/3/issue/")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	switch key {
	case "", "bulk", "bulkfetch", "properties", "createmeta", "picker", "archive", "unarchive":
		return ""
	}
	return strings.ToUpper(key)
}

// rewind returns a copy of req with a fresh body for another attempt.
func rewind(req *http.Request) (*http.Request, error) {
	out := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return out, nil
	}
	if req.GetBody == nil {
		return nil, fmt.Errorf("jira: cannot resend %s %s: body not replayable", req.Method, req.URL.Path)
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("jira: rewind body: %w", err)
	}
	out.Body = body
	return out, nil
}
