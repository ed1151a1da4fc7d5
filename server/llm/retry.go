package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/retry"
)

// APIError is an error answer of the LLM endpoint. It unwraps to
// domain.ErrRateLimited (429), domain.ErrUnavailable (5xx, 408) or
// domain.ErrInvalid (other 4xx, such as a bad key or model).
type APIError struct {
	Status  int
	Type    string
	Code    string
	Message string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("status %d", e.Status)
	if e.Type != "" || e.Code != "" {
		msg += " (" + strings.Trim(e.Type+"/"+e.Code, "/") + ")"
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Unwrap maps the status to a domain error.
func (e *APIError) Unwrap() error {
	switch {
	case e.Status == http.StatusTooManyRequests:
		return domain.ErrRateLimited
	case e.Status >= 500 || e.Status == http.StatusRequestTimeout:
		return domain.ErrUnavailable
	}
	return domain.ErrInvalid
}

// AuthFailed reports whether the endpoint refused the key.
func (e *APIError) AuthFailed() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// failure is what classify concludes about a failed attempt.
type failure struct {
	err   error
	retry bool
	wait  time.Duration // asked for by the server, 0 if it did not say
}

// classify turns a go-openai error and the answer's headers into our
// error, and decides whether retrying can help.
func classify(err error, h http.Header) failure {
	var ae *openai.APIError
	var re *openai.RequestError
	var out *APIError
	switch {
	case errors.As(err, &ae):
		out = &APIError{Status: ae.HTTPStatusCode, Type: ae.Type, Message: ae.Message}
		if ae.Code != nil {
			out.Code = fmt.Sprint(ae.Code)
		}
	case errors.As(err, &re):
		out = &APIError{Status: re.HTTPStatusCode, Message: shorten(strings.TrimSpace(string(re.Body)), 300)}
	case errors.Is(err, context.DeadlineExceeded):
		return failure{err: fmt.Errorf("timed out: %w", domain.ErrUnavailable), retry: true}
	default:
		// Transport errors (connection refused, reset) are worth a retry.
		return failure{err: fmt.Errorf("%w: %w", domain.ErrUnavailable, err), retry: true}
	}
	retry := out.Status == http.StatusTooManyRequests || out.Status >= 500 || out.Status == http.StatusRequestTimeout
	// OpenAI answers 429 "insufficient_quota" when the account has no
	// credit: waiting does not help.
	if out.Code == "insufficient_quota" || out.Type == "insufficient_quota" {
		retry = false
	}
	return failure{err: out, retry: retry, wait: retryWait(h, time.Now())}
}

// retryWait reads how long the server asks us to wait: retry-after-ms,
// Retry-After (seconds or an HTTP date), or the reset of the exhausted
// x-ratelimit-* limit. 0 when it does not say.
func retryWait(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := h.Get("retry-after-ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	if d, ok := retry.ParseAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	var wait, longest time.Duration
	for _, kind := range []string{"requests", "tokens"} {
		d, ok := parseReset(h.Get("x-ratelimit-reset-" + kind))
		if !ok {
			continue
		}
		longest = max(longest, d)
		if h.Get("x-ratelimit-remaining-"+kind) == "0" {
			wait = max(wait, d)
		}
	}
	if wait > 0 {
		return wait
	}
	return longest
}

// parseReset reads OpenAI's reset durations ("1s", "6m0s", "59.123ms",
// "1m30.951s") and plain seconds ("20").
func parseReset(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, true
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	return 0, false
}

// backoff is the wait before retry n (1-based): 1 s doubling, capped at
// 16 s, with ×0.75-1.25 jitter from u in [0,1).
func backoff(n int, u float64) time.Duration {
	return retry.Backoff{Base: time.Second, Max: 16 * time.Second, Jitter: 0.25}.Delay(max(n-1, 0), u)
}

// headerDoer is go-openai's HTTP client: it passes requests on and
// leaves each answer's headers in the request context's sink, because
// go-openai drops them from its errors and the retry needs them.
type headerDoer struct{ next *http.Client }

type sinkKey struct{}

type headerSink struct {
	mu sync.Mutex
	h  http.Header
}

func (s *headerSink) get() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.h
}

func (d *headerDoer) Do(req *http.Request) (*http.Response, error) {
	if strings.TrimSpace(req.Header.Get("Authorization")) == "Bearer" {
		// A keyless server (Config.NoKey): no empty credentials on the wire.
		req.Header.Del("Authorization")
	}
	resp, err := d.next.Do(req)
	if err == nil {
		if s, ok := req.Context().Value(sinkKey{}).(*headerSink); ok {
			s.mu.Lock()
			s.h = resp.Header.Clone()
			s.mu.Unlock()
		}
	}
	return resp, err
}
