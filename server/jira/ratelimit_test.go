package jira

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
)

// fakeClock is a clock whose Sleep advances time at once, shared by the
// client and the fake servers so that rate-limit tests take no real time.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slept = append(f.slept, d)
	if d > 0 {
		f.t = f.t.Add(d)
	}
	return nil
}

func (f *fakeClock) Slept() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.slept...)
}

// hit is one request a scripted server saw.
type hit struct {
	Method, Path string
	At           time.Time
}

// scripted serves responses from a function of the request number and
// records every request with the fake time it arrived.
type scripted struct {
	mu    sync.Mutex
	hits  []hit
	clock *fakeClock
	reply func(n int, w http.ResponseWriter, r *http.Request)
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := len(s.hits)
	s.hits = append(s.hits, hit{r.Method, r.URL.Path, s.clock.Now()})
	s.mu.Unlock()
	s.reply(n, w, r)
}

func (s *scripted) Hits() []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hit(nil), s.hits...)
}

// newScripted starts a fake Jira and a client of it that sends plain,
// unsigned requests and sleeps on clock.
func newScripted(t *testing.T, clock *fakeClock, opts Options, reply func(n int, w http.ResponseWriter, r *http.Request)) (*Client, *scripted) {
	t.Helper()
	s := &scripted{clock: clock, reply: reply}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	opts.Now, opts.Sleep = clock.Now, clock.Sleep
	if opts.Rand == nil {
		opts.Rand = func() float64 { return 0.5 } // jitter ×1.0
	}
	c, err := New(srv.Client(), srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func jsonReply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

func TestTransportRetries(t *testing.T) {
	const ok = `{"cloudId":"c1"}`
	tests := []struct {
		name       string
		maxRetries int
		failures   int // answers before the first 200
		status     int
		header     map[string]string
		wantSleeps []time.Duration
		wantErr    error
	}{
		{
			name: "Retry-After is the minimum wait", failures: 1, status: 429,
			header:     map[string]string{"Retry-After": "7", "RateLimit-Reason": ReasonBurst},
			wantSleeps: []time.Duration{7 * time.Second}, // rand 0: Retry-After exactly
		},
		{
			name: "exponential backoff without Retry-After", failures: 4, status: 429,
			wantSleeps: []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second},
		},
		{
			name: "backoff is capped", maxRetries: 6, failures: 6, status: 503,
			wantSleeps: []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second},
		},
		{
			name: "gives up after the retries", failures: 10, status: 429,
			wantSleeps: []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second},
			wantErr:    domain.ErrRateLimited,
		},
		{
			name: "5xx retried then unavailable", failures: 10, status: 502,
			wantSleeps: []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second},
			wantErr:    domain.ErrUnavailable,
		},
		{
			name: "404 is not retried", failures: 1, status: 404,
			wantErr: domain.ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			opts := Options{MaxRetries: tt.maxRetries}
			if tt.name == "Retry-After is the minimum wait" {
				opts.Rand = func() float64 { return 0 }
			}
			c, s := newScripted(t, clock, opts, func(n int, w http.ResponseWriter, r *http.Request) {
				if n < tt.failures {
					for k, v := range tt.header {
						w.Header().Set(k, v)
					}
					jsonReply(w, tt.status, `{"errorMessages":["nope"],"errors":{}}`)
					return
				}
				jsonReply(w, 200, ok)
			})
			id, err := c.TenantInfo(context.Background())
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "nope") {
					t.Errorf("error %q lacks Jira's message", err)
				}
			} else if err != nil || id != "c1" {
				t.Fatalf("TenantInfo = %q, %v", id, err)
			}
			if diff := cmp.Diff(tt.wantSleeps, clock.Slept()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if want := len(tt.wantSleeps) + 1; len(s.Hits()) != want {
				t.Errorf("requests = %d, want %d", len(s.Hits()), want)
			}
		})
	}
}

func TestTransportJitterRange(t *testing.T) {
	for _, r := range []float64{0, 0.999999} {
		tr := &transport{baseBackoff: 2 * time.Second, maxBackoff: 30 * time.Second, rand: func() float64 { return r }}
		if got := tr.jitterUp(7 * time.Second); got < 7*time.Second || got > 9100*time.Millisecond {
			t.Errorf("rand %v: Retry-After 7 s waits %v, want [7 s, 9.1 s]", r, got)
		}
		for attempt, base := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second} {
			got := tr.backoff(attempt)
			lo, hi := time.Duration(0.7*float64(base)), time.Duration(1.3*float64(base))
			if got < lo || got > hi {
				t.Errorf("rand %v attempt %d: backoff %v outside [%v, %v]", r, attempt, got, lo, hi)
			}
		}
	}
}

func TestTransportRetriesOnlyIdempotentRequests(t *testing.T) {
	tests := []struct {
		method, path string
		retried      bool
	}{
		{"GET", "/rest/api/3/issue/SHOP-1", true},
		{"PUT", "/rest/api/3/issue/SHOP-1", true},
		{"DELETE", "/rest/api/3/issue/SHOP-1/properties/x", true},
		{"POST", "/rest/api/3/search/jql", true},
		{"POST", "/rest/api/3/search/approximate-count", true},
		{"POST", "/rest/api/3/issue/bulkfetch", true},
		{"POST", "/rest/api/3/issue/properties/multi", true},
		{"POST", "/rest/api/3/issue", false},
		{"POST", "/rest/api/3/issue/bulk", false},
		{"POST", "/rest/api/3/issueLink", false},
		{"POST", "/rest/api/3/issue/SHOP-1/comment", false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			clock := newFakeClock()
			c, s := newScripted(t, clock, Options{}, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 0 {
					jsonReply(w, 503, `{"errorMessages":["busy"]}`)
					return
				}
				jsonReply(w, 200, `{}`)
			})
			var body any = map[string]string{}
			if tt.method == "GET" || tt.method == "DELETE" {
				body = nil // never a body with GET
			}
			err := c.do(context.Background(), tt.method, strings.TrimPrefix(tt.path, "/"), body, nil)
			retried := len(s.Hits()) == 2
			if retried != tt.retried {
				t.Fatalf("retried = %v (%d requests, err %v), want %v", retried, len(s.Hits()), err, tt.retried)
			}
			if !tt.retried && !errors.Is(err, domain.ErrUnavailable) {
				t.Errorf("err = %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestQuotaPausePausesTheWholeTenant(t *testing.T) {
	clock := newFakeClock()
	reset := clock.Now().Add(90 * time.Second)
	limiters := &Limiters{}
	opts := Options{Limiter: limiters.For("tenant-a")}
	var once sync.Once
	a, s := newScripted(t, clock, opts, func(n int, w http.ResponseWriter, r *http.Request) {
		throttled := false
		once.Do(func() { throttled = true })
		if throttled {
			w.Header().Set("Retry-After", "5")
			w.Header().Set("RateLimit-Reason", ReasonTenantQuota)
			w.Header().Set("X-RateLimit-Reset", reset.Format(time.RFC3339))
			jsonReply(w, 429, `{"errorMessages":["quota"]}`)
			return
		}
		jsonReply(w, 200, `{"cloudId":"c1"}`)
	})
	// A second client of the same tenant (another job) shares the limiter.
	b, err := New(http.DefaultClient, strings.TrimSuffix(a.api.Site.String(), "/"), Options{
		Limiter: limiters.For("tenant-a"), Now: clock.Now, Sleep: clock.Sleep, Rand: func() float64 { return 0.5 },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.TenantInfo(context.Background()); err != nil {
		t.Fatalf("first client: %v", err)
	}
	if got := limiters.For("tenant-a").PausedUntil(); !got.Equal(reset) {
		t.Fatalf("PausedUntil = %v, want the reset %v", got, reset)
	}
	if _, err := b.TenantInfo(context.Background()); err != nil {
		t.Fatalf("second client: %v", err)
	}
	hits := s.Hits()
	if len(hits) != 3 {
		t.Fatalf("requests = %d, want 3", len(hits))
	}
	for i, h := range hits[1:] {
		if h.At.Before(reset) {
			t.Errorf("request %d sent at %v, before the quota reset %v", i+2, h.At, reset)
		}
	}
	// Another tenant is not paused.
	if !limiters.For("tenant-b").PausedUntil().IsZero() {
		t.Error("tenant-b is paused by tenant-a's quota")
	}
}

func TestLongRetryAfterIsNotWaited(t *testing.T) {
	clock := newFakeClock()
	c, s := newScripted(t, clock, Options{MaxPause: time.Minute}, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.Header().Set("RateLimit-Reason", ReasonBurst)
		jsonReply(w, 429, `{"errorMessages":["slow down"]}`)
	})
	_, err := c.TenantInfo(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.RetryAfter != time.Hour || !errors.Is(err, domain.ErrRateLimited) {
		t.Fatalf("err = %v, want a 429 APIError with RetryAfter 1h", err)
	}
	if len(s.Hits()) != 1 || len(clock.Slept()) != 0 {
		t.Errorf("%d requests, slept %v; want one request and no wait", len(s.Hits()), clock.Slept())
	}
}

func TestLongQuotaPauseFailsFast(t *testing.T) {
	clock := newFakeClock()
	lim := NewLimiter()
	lim.pause(clock.Now().Add(time.Hour))
	c, s := newScripted(t, clock, Options{Limiter: lim, MaxPause: time.Minute}, func(n int, w http.ResponseWriter, r *http.Request) {
		jsonReply(w, 200, `{"cloudId":"c1"}`)
	})
	_, err := c.TenantInfo(context.Background())
	if !errors.Is(err, domain.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if len(s.Hits()) != 0 || len(clock.Slept()) != 0 {
		t.Errorf("sent %d requests and slept %v while the quota was out", len(s.Hits()), clock.Slept())
	}
}

func TestPerIssueWritePacing(t *testing.T) {
	clock := newFakeClock()
	c, s := newScripted(t, clock, Options{}, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
	})
	const writes = 45
	for i := range writes {
		if err := c.SetProperty(context.Background(), "SHOP-1", "backlogai", map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	// A write to another issue is not held back by SHOP-1's pacing.
	before := clock.Now()
	if err := c.SetProperty(context.Background(), "SHOP-2", "backlogai", 1); err != nil {
		t.Fatal(err)
	}
	if !clock.Now().Equal(before) {
		t.Error("a write to SHOP-2 waited for SHOP-1's window")
	}
	hits := s.Hits()[:writes]
	for i := range hits {
		in := 0
		for _, h := range hits[i:] {
			if h.At.Sub(hits[i].At) < issueWritesShortWindow {
				in++
			}
		}
		if in > issueWritesShort {
			t.Fatalf("%d writes to one issue within 2 s starting at write %d", in, i)
		}
	}
	if elapsed := hits[writes-1].At.Sub(hits[0].At); elapsed < 4*time.Second {
		t.Errorf("45 writes took %v of fake time, want ≥ 4 s (20 per 2 s)", elapsed)
	}
}

func TestNearLimitIsLoggedOnce(t *testing.T) {
	clock := newFakeClock()
	var logs logRecorder
	c, _ := newScripted(t, clock, Options{Logger: slog.New(&logs)}, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "65000")
		w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(1000-n))
		w.Header().Set("X-RateLimit-NearLimit", "true")
		jsonReply(w, 200, `{"cloudId":"c1"}`)
	})
	for range 3 {
		if _, err := c.TenantInfo(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := logs.count(slog.LevelWarn, "near the rate limit"); got != 1 {
		t.Errorf("near-limit warnings = %d, want 1", got)
	}
	if got := c.opts.Limiter.Remaining(); got != 998 {
		t.Errorf("Remaining = %d, want 998", got)
	}
}

func TestTransportErrorIsRetriedForReads(t *testing.T) {
	clock := newFakeClock()
	c, s := newScripted(t, clock, Options{}, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // connection dropped mid-request
			}
			return
		}
		jsonReply(w, 200, `{"cloudId":"c1"}`)
	})
	if _, err := c.TenantInfo(context.Background()); err != nil {
		t.Fatalf("TenantInfo after a dropped connection: %v", err)
	}
	if len(s.Hits()) != 2 {
		t.Errorf("requests = %d, want 2", len(s.Hits()))
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{400, domain.ErrInvalid},
		{401, domain.ErrUnauthorized},
		{403, domain.ErrForbidden},
		{404, domain.ErrNotFound},
		{409, domain.ErrConflict},
		{410, domain.ErrNotFound},
		{429, domain.ErrRateLimited},
		{500, domain.ErrUnavailable},
		{503, domain.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			clock := newFakeClock()
			c, _ := newScripted(t, clock, Options{MaxRetries: -1}, func(n int, w http.ResponseWriter, r *http.Request) {
				jsonReply(w, tt.status, `{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{"summary":"required"}}`)
			})
			_, err := c.GetProject(context.Background(), "SHOP")
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Status != tt.status {
				t.Fatalf("err = %#v, want an *APIError with status %d", err, tt.status)
			}
			for _, want := range []string{"jira: get project SHOP", "do not have permission", "summary: required"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestWrittenIssue(t *testing.T) {
	tests := []struct {
		method, path, want string
	}{
		{"PUT", "/rest/api/3/issue/shop-1", "SHOP-1"},
		{"PUT", "/jira/rest/api/3/issue/SHOP-1/properties/x", "SHOP-1"},
		{"POST", "/rest/api/3/issue/SHOP-1/comment", "SHOP-1"},
		{"GET", "/rest/api/3/issue/SHOP-1", ""},
		{"POST", "/rest/api/3/issue", ""},
		{"POST", "/rest/api/3/issue/bulk", ""},
		{"POST", "/rest/api/3/issue/properties/multi", ""},
		{"POST", "/rest/api/3/issueLink", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		if got := writtenIssue(r); got != tt.want {
			t.Errorf("writtenIssue(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

// logRecorder is a slog.Handler that keeps records for assertions.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.recs = append(l.recs, r)
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) count(level slog.Level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		if r.Level == level && strings.Contains(r.Message, msg) {
			n++
		}
	}
	return n
}
