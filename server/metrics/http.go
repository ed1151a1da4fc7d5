package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/jira"
)

// Echo counts and times requests per route template (echo's c.Path(),
// never the raw URL, which carries issue keys and tokens). It hands an
// error to echo's error handler first so the status is the one sent.
func (m *Metrics) Echo() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			start := time.Now()
			defer func() {
				code := c.Response().Status
				if r := recover(); r != nil {
					m.observeHTTP(c, http.StatusInternalServerError, start)
					panic(r) // the recover middleware logs and answers it
				}
				m.observeHTTP(c, code, start)
			}()
			if err = next(c); err != nil {
				c.Error(err)
			}
			return nil
		}
	}
}

func (m *Metrics) observeHTTP(c echo.Context, code int, start time.Time) {
	route := c.Path()
	if route == "" || !strings.HasPrefix(route, "/") {
		route = "unmatched"
	}
	method := c.Request().Method
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other"
	}
	m.httpRequests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// JiraTransport counts every attempt sent to Jira through rt (nil:
// http.DefaultTransport): by status, 429s by RateLimit-Reason, and the
// quota 429s that pause a tenant. It sits under the Jira client's retry
// layer, so each retry counts.
func (m *Metrics) JiraTransport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := rt.RoundTrip(r)
		m.jiraDuration.Observe(time.Since(start).Seconds())
		if err != nil {
			m.jiraRequests.WithLabelValues(r.Method, "error").Inc()
			return resp, err
		}
		m.jiraRequests.WithLabelValues(r.Method, strconv.Itoa(resp.StatusCode)).Inc()
		if resp.StatusCode == http.StatusTooManyRequests {
			reason := resp.Header.Get("RateLimit-Reason")
			switch reason {
			case jira.ReasonGlobalQuota, jira.ReasonTenantQuota:
				m.jiraQuotaPauses.Inc()
			case jira.ReasonBurst, jira.ReasonPerIssue:
			case "":
				reason = "none"
			default:
				reason = "other"
			}
			m.jiraRateLimited.WithLabelValues(reason).Inc()
		}
		return resp, nil
	})
}

// LLMTransport counts attempts to an OpenAI-compatible chat completions
// endpoint through rt (nil: http.DefaultTransport) by status, and failed
// ones by reason. Other requests on the same transport (research) pass
// uncounted.
func (m *Metrics) LLMTransport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			return rt.RoundTrip(r)
		}
		resp, err := rt.RoundTrip(r)
		if err != nil {
			m.llmRequests.WithLabelValues("error").Inc()
			m.llmErrors.WithLabelValues("transport").Inc()
			return resp, err
		}
		m.llmRequests.WithLabelValues(strconv.Itoa(resp.StatusCode)).Inc()
		switch code := resp.StatusCode; {
		case code == http.StatusTooManyRequests:
			m.llmErrors.WithLabelValues("rate_limited").Inc()
		case code >= 500:
			m.llmErrors.WithLabelValues("server").Inc()
		case code >= 400:
			m.llmErrors.WithLabelValues("client").Inc()
		}
		return resp, nil
	})
}
