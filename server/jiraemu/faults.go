package jiraemu

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/retry"
)

// Rate limit reasons Jira sends in the RateLimit-Reason header.
const (
	ReasonGlobalQuota = "jira-quota-global-based"
	ReasonTenantQuota = "jira-quota-tenant-based"
	ReasonBurst       = "jira-burst-based"
	ReasonPerIssue    = "jira-per-issue-on-write"
)

// Faults is what the emulator injects or enforces beyond normal behaviour.
// The zero value injects nothing and enforces no limit. Endpoint in a rule
// is a route pattern as Stats names them ("POST /rest/api/3/search/jql"),
// a path pattern matching any method ("/rest/api/3/search/jql"), or "" or
// "*" for every REST endpoint. Probability 0 means always; Count > 0 stops
// a rule after that many hits (Faults() then shows it as -1, spent).
type Faults struct {
	Throttle []ThrottleRule `json:"throttle,omitempty"`
	Errors   []ErrorRule    `json:"errors,omitempty"`
	Slow     []SlowRule     `json:"slow,omitempty"`
	// QuotaExhaustedUntil answers 429 to every REST call until then, with
	// RateLimit-Reason QuotaReason (default jira-quota-global-based) and
	// X-RateLimit-Reset.
	QuotaExhaustedUntil time.Time `json:"quotaExhaustedUntil,omitzero"`
	QuotaReason         string    `json:"quotaReason,omitempty"`
	// HourlyPoints enables the hourly points quota (Tier 1: 65000): a read
	// costs 1 plus 1 per returned object, a write 1. X-RateLimit-Limit,
	// -Remaining and -NearLimit report it on every response.
	HourlyPoints int `json:"hourlyPoints,omitempty"`
	// Burst enables the per-endpoint token buckets: GET/POST BurstReadRPS
	// (default 100), PUT/DELETE BurstWriteRPS (default 50).
	Burst         bool    `json:"burst,omitempty"`
	BurstReadRPS  float64 `json:"burstReadRps,omitempty"`
	BurstWriteRPS float64 `json:"burstWriteRps,omitempty"`
	// PerIssueWrites enables the per-issue write limit: 20 writes per 2 s
	// and 100 per 30 s on one issue.
	PerIssueWrites bool `json:"perIssueWrites,omitempty"`
}

// ThrottleRule answers 429 on matching requests.
type ThrottleRule struct {
	Endpoint    string  `json:"endpoint,omitempty"`
	Probability float64 `json:"probability,omitempty"`
	Count       int     `json:"count,omitempty"`
	// RetryAfter is the Retry-After header in seconds (default 1).
	RetryAfter int    `json:"retryAfter,omitempty"`
	Reason     string `json:"reason,omitempty"` // default jira-burst-based
}

// ErrorRule answers Status (default 503) on matching requests.
type ErrorRule struct {
	Endpoint    string  `json:"endpoint,omitempty"`
	Probability float64 `json:"probability,omitempty"`
	Count       int     `json:"count,omitempty"`
	Status      int     `json:"status,omitempty"`
}

// SlowRule delays matching requests by Delay before anything else happens.
type SlowRule struct {
	Endpoint    string        `json:"endpoint,omitempty"`
	Probability float64       `json:"probability,omitempty"`
	Count       int           `json:"count,omitempty"`
	Delay       time.Duration `json:"-"`
}

// MarshalJSON writes Delay as a Go duration string ("250ms").
func (s SlowRule) MarshalJSON() ([]byte, error) {
	type plain SlowRule
	return json.Marshal(struct {
		plain
		Delay string `json:"delay"`
	}{plain(s), s.Delay.String()})
}

// UnmarshalJSON reads Delay as a Go duration string.
func (s *SlowRule) UnmarshalJSON(b []byte) error {
	type plain SlowRule
	var w struct {
		plain
		Delay string `json:"delay"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = SlowRule(w.plain)
	if w.Delay != "" {
		d, err := time.ParseDuration(w.Delay)
		if err != nil {
			return fmt.Errorf("slow rule delay: %w", err)
		}
		s.Delay = d
	}
	return nil
}

// SetFaults replaces the fault configuration (and resets rule counters and
// buckets).
func (e *Emulator) SetFaults(f Faults) {
	e.faultsMu.Lock()
	defer e.faultsMu.Unlock()
	e.faults = f
	e.limits = limiter{}
}

// Faults returns the current fault configuration (with rule counts left).
func (e *Emulator) Faults() Faults {
	e.faultsMu.Lock()
	defer e.faultsMu.Unlock()
	f := e.faults
	f.Throttle = append([]ThrottleRule(nil), f.Throttle...)
	f.Errors = append([]ErrorRule(nil), f.Errors...)
	f.Slow = append([]SlowRule(nil), f.Slow...)
	return f
}

// limiter is the state of the limits; faultsMu guards it.
type limiter struct {
	quotaStart time.Time
	quotaUsed  int
	buckets    map[string]*bucket
	perIssue   map[string][]time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func matches(rule, pattern string) bool {
	if rule == "" || rule == "*" || rule == pattern {
		return true
	}
	_, path, _ := strings.Cut(pattern, " ")
	return rule == path
}

// hit decides whether a probabilistic, counted rule fires; faultsMu held.
func (e *Emulator) hit(p float64, count *int) bool {
	if *count < 0 {
		return false
	}
	if p > 0 && p < 1 && e.rng.Float64() >= p {
		return false
	}
	if *count > 0 {
		*count--
		if *count == 0 {
			*count = -1 // spent
		}
	}
	return true
}

// slowDown applies slow rules; it returns the context error if the client
// went away while waiting.
func (e *Emulator) slowDown(ctx context.Context, pattern string) error {
	var d time.Duration
	e.faultsMu.Lock()
	for i := range e.faults.Slow {
		r := &e.faults.Slow[i]
		if matches(r.Endpoint, pattern) && e.hit(r.Probability, &r.Count) {
			d += r.Delay
		}
	}
	e.faultsMu.Unlock()
	if d <= 0 {
		return nil
	}
	return retry.Sleep(ctx, d)
}

func throttled(retryAfter time.Duration, reason string, reset time.Time, msg string) *apiError {
	secs := int(math.Ceil(retryAfter.Seconds()))
	if secs < 1 {
		secs = 1
	}
	h := http.Header{}
	h.Set("Retry-After", strconv.Itoa(secs))
	h.Set("RateLimit-Reason", reason)
	if !reset.IsZero() {
		h.Set("X-RateLimit-Reset", reset.UTC().Format(time.RFC3339))
	}
	return &apiError{Status: http.StatusTooManyRequests, Messages: []string{msg}, Header: h}
}

// admit applies the quota, the burst buckets, the per-issue write limit and
// the injected 429s and 5xx, in that order. It also sets the quota headers.
func (e *Emulator) admit(hdr http.Header, pattern string, class endpointClass, st *reqState) error {
	now := e.now()
	e.faultsMu.Lock()
	defer e.faultsMu.Unlock()
	f := &e.faults
	l := &e.limits

	if !f.QuotaExhaustedUntil.IsZero() && now.Before(f.QuotaExhaustedUntil) {
		reason := f.QuotaReason
		if reason == "" {
			reason = ReasonGlobalQuota
		}
		return throttled(f.QuotaExhaustedUntil.Sub(now), reason, f.QuotaExhaustedUntil, "Rate limit exceeded: the app's quota is exhausted.")
	}
	if f.HourlyPoints > 0 {
		if l.quotaStart.IsZero() || now.Sub(l.quotaStart) >= time.Hour {
			l.quotaStart, l.quotaUsed = now, 0
		}
		reset := l.quotaStart.Add(time.Hour)
		remaining := f.HourlyPoints - l.quotaUsed
		if remaining <= 0 {
			reason := f.QuotaReason
			if reason == "" {
				reason = ReasonGlobalQuota
			}
			err := throttled(reset.Sub(now), reason, reset, "Rate limit exceeded: hourly points quota used up.")
			err.Header.Set("X-RateLimit-Limit", strconv.Itoa(f.HourlyPoints))
			err.Header.Set("X-RateLimit-Remaining", "0")
			err.Header.Set("X-RateLimit-NearLimit", "true")
			return err
		}
		l.quotaUsed++ // the base cost; objects are charged after the call
		remaining--
		hdr.Set("X-RateLimit-Limit", strconv.Itoa(f.HourlyPoints))
		hdr.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		if float64(remaining) < 0.2*float64(f.HourlyPoints) {
			hdr.Set("X-RateLimit-NearLimit", "true")
		}
	}
	if f.Burst {
		rps := f.BurstReadRPS
		if rps <= 0 {
			rps = 100
		}
		if class == classWrite {
			rps = f.BurstWriteRPS
			if rps <= 0 {
				rps = 50
			}
		}
		if l.buckets == nil {
			l.buckets = map[string]*bucket{}
		}
		b := l.buckets[pattern]
		if b == nil {
			b = &bucket{tokens: rps, last: now}
			l.buckets[pattern] = b
		}
		b.tokens = math.Min(rps, b.tokens+now.Sub(b.last).Seconds()*rps)
		b.last = now
		if b.tokens < 1 {
			wait := time.Duration((1 - b.tokens) / rps * float64(time.Second))
			return throttled(wait, ReasonBurst, time.Time{}, "Rate limit exceeded: too many requests to this endpoint.")
		}
		b.tokens--
	}
	if f.PerIssueWrites && st.write && st.issue != "" {
		if l.perIssue == nil {
			l.perIssue = map[string][]time.Time{}
		}
		k := strings.ToUpper(st.issue)
		ts := l.perIssue[k]
		kept := ts[:0]
		var in2s int
		for _, t := range ts {
			if now.Sub(t) < 30*time.Second {
				kept = append(kept, t)
				if now.Sub(t) < 2*time.Second {
					in2s++
				}
			}
		}
		l.perIssue[k] = kept
		if in2s >= 20 || len(kept) >= 100 {
			wait := 2 * time.Second
			if len(kept) >= 100 {
				wait = 30*time.Second - now.Sub(kept[0])
			}
			return throttled(wait, ReasonPerIssue, time.Time{}, "Rate limit exceeded: too many writes to this issue.")
		}
		l.perIssue[k] = append(kept, now)
	}
	for i := range f.Throttle {
		t := &f.Throttle[i]
		if matches(t.Endpoint, pattern) && e.hit(t.Probability, &t.Count) {
			ra := t.RetryAfter
			if ra <= 0 {
				ra = 1
			}
			reason := t.Reason
			if reason == "" {
				reason = ReasonBurst
			}
			var reset time.Time
			if strings.Contains(reason, "quota") {
				reset = now.Add(time.Duration(ra) * time.Second)
			}
			return throttled(time.Duration(ra)*time.Second, reason, reset, "Rate limit exceeded.")
		}
	}
	for i := range f.Errors {
		x := &f.Errors[i]
		if matches(x.Endpoint, pattern) && e.hit(x.Probability, &x.Count) {
			status := x.Status
			if status == 0 {
				status = http.StatusServiceUnavailable
			}
			return errf(status, "Injected fault: %s", http.StatusText(status))
		}
	}
	return nil
}

// charge adds the per-object cost of a finished read to the quota.
func (e *Emulator) charge(st *reqState) {
	if st.write || st.objects == 0 {
		return
	}
	e.faultsMu.Lock()
	if e.faults.HourlyPoints > 0 {
		e.limits.quotaUsed += st.objects
	}
	e.faultsMu.Unlock()
}

// Stats counts the requests the emulator answered, per endpoint.
type Stats struct {
	Total      int                      `json:"total"`
	ByEndpoint map[string]EndpointStats `json:"byEndpoint"`
}

// EndpointStats counts one endpoint's requests by status code.
type EndpointStats struct {
	Requests int         `json:"requests"`
	ByStatus map[int]int `json:"byStatus"`
}

func (s *Stats) reset() {
	s.Total = 0
	s.ByEndpoint = map[string]EndpointStats{}
}

func (e *Emulator) count(pattern string, status int) {
	if status == 0 {
		status = http.StatusOK
	}
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	e.stats.Total++
	es := e.stats.ByEndpoint[pattern]
	es.Requests++
	if es.ByStatus == nil {
		es.ByStatus = map[int]int{}
	}
	es.ByStatus[status]++
	e.stats.ByEndpoint[pattern] = es
}

// Stats returns a copy of the request counts.
func (e *Emulator) Stats() Stats {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	out := Stats{Total: e.stats.Total, ByEndpoint: make(map[string]EndpointStats, len(e.stats.ByEndpoint))}
	for k, v := range e.stats.ByEndpoint {
		bs := make(map[int]int, len(v.ByStatus))
		for c, n := range v.ByStatus {
			bs[c] = n
		}
		out.ByEndpoint[k] = EndpointStats{Requests: v.Requests, ByStatus: bs}
	}
	return out
}

// Requests returns how many requests matched endpoint (a route pattern, or a
// path pattern for every method).
func (s Stats) Requests(endpoint string) int {
	if endpoint == "" || endpoint == "*" {
		return s.Total
	}
	n := 0
	for k, v := range s.ByEndpoint {
		if matches(endpoint, k) {
			n += v.Requests
		}
	}
	return n
}

// ResetStats zeroes the request counts.
func (e *Emulator) ResetStats() {
	e.statsMu.Lock()
	e.stats.reset()
	e.statsMu.Unlock()
}
