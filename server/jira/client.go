// Package jira is the app's client of one tenant's Jira Cloud REST API.
//
// It is built on github.com/ctreminiom/go-atlassian/v2 (jira/v3) and adds
// typed calls for what that library lacks (token-paged search with
// properties, bulk fetch, the asynchronous bulk property set, approximate
// count, board configuration), a transport that honours Jira's rate limits,
// and the mapping of Jira issues to domain.Issue. Requests are authorised by
// the Doer it is given: connect.SigningClient acts as the app (Connect JWT),
// connect.UserClient as a person (a user impersonation Bearer token; see
// jiraclients.Registry.ForUser).
package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	v3 "github.com/ctreminiom/go-atlassian/v2/jira/v3"
	"github.com/ctreminiom/go-atlassian/v2/pkg/infra/models"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/retry"
)

// Doer sends one HTTP request; connect.SigningClient is the one the app
// uses.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Defaults for Options left zero.
const (
	DefaultMaxRetries       = 4
	DefaultBaseBackoff      = 2 * time.Second
	DefaultMaxBackoff       = 30 * time.Second
	DefaultMaxPause         = 5 * time.Minute
	DefaultPageSize         = 100
	DefaultTaskPollInterval = 250 * time.Millisecond
	DefaultTaskTimeout      = 5 * time.Minute
)

// Jira's own limits on bulk calls.
const (
	maxBulkFetch     = 100
	maxBulkCreate    = 50
	maxBulkProps     = 100
	maxPropertyChars = 32768
	maxTasksInFlight = 10
)

// Options configure a Client. Zero values pick the defaults.
type Options struct {
	Logger *slog.Logger
	// Limiter is the tenant's shared rate-limit state (Limiters.For); nil
	// gives the client a private one.
	Limiter *Limiter
	// StoryPointsField is the story points field id when already known
	// (stored per tenant); otherwise it is discovered on first need.
	StoryPointsField string
	MaxRetries       int           // retries of an idempotent request (default 4; negative: none)
	BaseBackoff      time.Duration // first backoff (default 2 s), doubling
	MaxBackoff       time.Duration // backoff cap (default 30 s)
	// MaxPause is the longest a call waits out a tenant quota pause or a
	// Retry-After before failing with domain.ErrRateLimited (default
	// 5 min), so that jobs can reschedule instead of hanging.
	MaxPause         time.Duration
	PageSize         int           // search page size (default 100)
	TaskPollInterval time.Duration // first wait before polling a task (default 250 ms)
	TaskTimeout      time.Duration // give up on a task after this (default 5 min)
	// Now, Sleep and Rand are the clock, the wait and the jitter source
	// (floats in [0,1)); tests inject them.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64
}

// Client calls one tenant's Jira. It is safe for concurrent use.
type Client struct {
	api  *v3.Client
	tr   *transport
	opts Options

	mu      sync.Mutex
	spField string
	spKnown bool // spField is settled ("" meaning the site has none)
}

// New returns a client of the Jira site at baseURL whose requests go
// through doer (the signing client), wrapped in the rate-limit transport.
func New(doer Doer, baseURL string, opts Options) (*Client, error) {
	if doer == nil {
		return nil, errors.New("jira: new client: nil doer")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Limiter == nil {
		opts.Limiter = NewLimiter()
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = DefaultMaxRetries
	}
	if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = DefaultBaseBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxPause <= 0 {
		opts.MaxPause = DefaultMaxPause
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.TaskPollInterval <= 0 {
		opts.TaskPollInterval = DefaultTaskPollInterval
	}
	if opts.TaskTimeout <= 0 {
		opts.TaskTimeout = DefaultTaskTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = retry.Sleep
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	tr := &transport{
		next:        doer,
		lim:         opts.Limiter,
		log:         opts.Logger,
		now:         opts.Now,
		sleep:       opts.Sleep,
		rand:        opts.Rand,
		maxRetries:  opts.MaxRetries,
		baseBackoff: opts.BaseBackoff,
		maxBackoff:  opts.MaxBackoff,
		maxPause:    opts.MaxPause,
	}
	api, err := v3.New(tr, baseURL)
	if err != nil {
		return nil, fmt.Errorf("jira: new client: %w", err)
	}
	c := &Client{api: api, tr: tr, opts: opts}
	if opts.StoryPointsField != "" {
		c.spField, c.spKnown = opts.StoryPointsField, true
	}
	return c, nil
}

// APIError is a non-2xx answer from Jira. It unwraps to the domain error
// of its status (ErrInvalid 400, ErrUnauthorized 401, ErrForbidden 403,
// ErrNotFound 404 and 410, ErrConflict 409, ErrRateLimited 429,
// ErrUnavailable 5xx).
type APIError struct {
	Status   int
	Method   string
	Path     string
	Messages []string          // Jira's errorMessages
	Fields   map[string]string // Jira's errors, by field
	// Reason and RetryAfter come from a 429's headers.
	Reason     string
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	if msg := e.Detail(); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	return b.String()
}

// Detail joins Jira's error messages and field errors.
func (e *APIError) Detail() string {
	parts := append([]string(nil), e.Messages...)
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return strings.Join(parts, "; ")
}

// Unwrap maps the status to a domain error.
func (e *APIError) Unwrap() error { return statusError(e.Status) }

func statusError(code int) error {
	switch {
	case code == http.StatusBadRequest:
		return domain.ErrInvalid
	case code == http.StatusUnauthorized:
		return domain.ErrUnauthorized
	case code == http.StatusForbidden:
		return domain.ErrForbidden
	case code == http.StatusNotFound, code == http.StatusGone:
		return domain.ErrNotFound
	case code == http.StatusConflict:
		return domain.ErrConflict
	case code == http.StatusTooManyRequests:
		return domain.ErrRateLimited
	case code >= 500:
		return domain.ErrUnavailable
	}
	return nil
}

// errorBody is Jira's error document.
type errorBody struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
	Message       string            `json:"message"`
}

func newAPIError(method, path string, status int, header http.Header, body []byte, now time.Time) *APIError {
	e := &APIError{Status: status, Method: method, Path: path}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Messages, e.Fields = eb.ErrorMessages, eb.Errors
		if eb.Message != "" {
			e.Messages = append(e.Messages, eb.Message)
		}
	} else if s := strings.TrimSpace(string(body)); s != "" && len(s) < 512 {
		e.Messages = []string{s}
	}
	if header != nil {
		e.Reason = header.Get("RateLimit-Reason")
		e.RetryAfter, _ = retry.ParseAfter(header.Get("Retry-After"), now)
	}
	return e
}

// do sends one JSON request (path relative to the site, query included)
// and decodes a 2xx answer into out when out is non-nil. Non-2xx answers
// become *APIError.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	req, err := c.api.NewRequest(ctx, method, path, "", body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	resp, err := c.tr.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(method, req.URL.Path, resp.StatusCode, resp.Header, data, c.opts.Now())
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
	}
	return nil
}

// libErr turns what a go-atlassian call returned into our error: an
// *APIError for a Jira answer, the transport error otherwise.
func (c *Client) libErr(res *models.ResponseScheme, err error) error {
	if err == nil {
		return nil
	}
	if res != nil && res.Response != nil && (res.Code < 200 || res.Code > 299) {
		method, path := res.Method, res.Endpoint
		if res.Response.Request != nil {
			method, path = res.Response.Request.Method, res.Response.Request.URL.Path
		}
		return newAPIError(method, path, res.Code, res.Response.Header, res.Bytes.Bytes(), c.opts.Now())
	}
	return err
}
