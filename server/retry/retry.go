// Package retry holds the pieces every client that retries shares: the
// Retry-After header parser, exponential backoff with jitter, and a sleep
// that ends with its context. What to retry and how often stays with each
// caller.
package retry

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxAfter bounds a parsed Retry-After so that absurd values cannot
// overflow a time.Duration; every caller refuses waits far shorter.
const maxAfter = 1000 * 24 * time.Hour

// ParseAfter reads a Retry-After value: seconds (whole or decimal) or an
// HTTP date. ok is false when v is empty or unreadable, so that callers with
// other hints (rate-limit reset headers) can fall back to them; a date in
// the past gives 0 and ok.
func ParseAfter(v string, now time.Time) (d time.Duration, ok bool) {
	s := strings.TrimSpace(v)
	if s == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(secs) || math.IsInf(secs, 0) || secs < 0 {
			return 0, false
		}
		if secs > maxAfter.Seconds() {
			return maxAfter, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	t, err := http.ParseTime(s)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxAfter), true
}

// Backoff is exponential backoff: Base doubled per retry, capped at Max,
// spread by ±Jitter so that clients failing together do not retry
// together.
type Backoff struct {
	Base, Max time.Duration
	// Jitter is the spread as a fraction: 0.3 multiplies by [0.7, 1.3).
	Jitter float64
}

// Delay is the wait before retry n (0 for the first): Base·2ⁿ capped at
// Max, times a jitter factor drawn from u in [0,1). u comes from the
// caller so that tests can fix it.
func (b Backoff) Delay(n int, u float64) time.Duration {
	d := b.Base
	for range n {
		d *= 2
		if d >= b.Max {
			d = b.Max
			break
		}
	}
	return time.Duration(float64(d) * ((1 - b.Jitter) + 2*b.Jitter*u))
}

// Sleep waits d or until ctx ends, whichever comes first; it returns
// ctx.Err() in the second case. A d of zero or less returns at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
