package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/backlogai/backlogai/server/connect"
)

const (
	ctxRequestID = "request_id"
	ctxIdentity  = "identity"
	ctxIframe    = "iframe"
)

// requestID gives every request an id (kept from X-Request-Id when it is a
// plain token) that logs and error pages carry.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get("X-Request-Id")
		if !plainToken(id, 64) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Set(ctxRequestID, id)
		c.Response().Header().Set("X-Request-Id", id)
		return next(c)
	}
}

func plainToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// recoverPanics is echo's recover middleware, logging through slog with
// the stack of the panicking goroutine (what makes a panic fixable); the
// client gets a plain 500 with the request id. net/http's ErrAbortHandler
// passes through.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		StackSize:           16 << 10,
		DisableStackAll:     true,
		DisableErrorHandler: true, // returned: the outer chain handles it once
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log(c).Error("panic serving request", "panic", err.Error(), "route", c.Path(), "stack", string(stack))
			return fmt.Errorf("web: panic: %v", err) // %v: a panicking error is a 500, whatever it wraps
		},
	})(next)
}

// log returns a logger carrying the request id and, once authenticated,
// the tenant. Never tokens or secrets.
func (s *Server) log(c echo.Context) *slog.Logger {
	l := s.Logger.With("request_id", c.Get(ctxRequestID))
	if id := identity(c); id != nil && id.Tenant != nil {
		l = l.With("tenant_id", id.Tenant.ID)
	}
	return l
}

func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		// Path only: the query may carry a jwt. The level is checked first:
		// building the request's logger costs two allocations per request.
		if s.Logger.Enabled(c.Request().Context(), slog.LevelInfo) {
			s.log(c).Info("request", "method", c.Request().Method, "path", c.Request().URL.Path,
				"status", c.Response().Status, "dur_ms", float64(time.Since(start).Microseconds())/1000)
		}
		return nil
	}
}

// baseHeaders apply to every response.
func (s *Server) baseHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(s.Config.BaseURL, "https://") {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		return next(c)
	}
}

// bodyLimit refuses bodies over n bytes with 413 before reading them all.
func bodyLimit(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > n {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", n))
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, n)
			return next(c)
		}
	}
}

// iframeHeaders marks a page served into a Jira iframe: error pages are
// HTML and tenant data is never cached.
func iframeHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(ctxIframe, true)
		c.Response().Header().Set("Cache-Control", "no-store")
		// Until the tenant is known, no one may frame the page.
		c.Response().Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		return next(c)
	}
}

func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

func identity(c echo.Context) *connect.Identity {
	id, _ := c.Get(ctxIdentity).(*connect.Identity)
	return id
}

// jiraSigned guards URLs declared in the descriptor: the qsh must be the
// canonical hash of this request. On iframe pages it also limits framing
// to the tenant's own Jira.
func (s *Server) jiraSigned(h echo.HandlerFunc) echo.HandlerFunc {
	return s.authenticated(connect.QSHCanonical, h)
}

// appAPI guards the app's own endpoints called from its iframes with a
// context token (qsh "context-qsh").
func (s *Server) appAPI(h echo.HandlerFunc) echo.HandlerFunc {
	return s.authenticated(connect.QSHContext, s.fair(h))
}

func (s *Server) authenticated(mode connect.QSHMode, h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := s.Auth.Authenticate(c.Request().Context(), c.Request(), mode)
		if err != nil {
			return err
		}
		c.Set(ctxIdentity, id)
		if c.Get(ctxIframe) == true {
			c.Response().Header().Set("Content-Security-Policy", frameAncestors(id.Tenant.BaseURL, id.Tenant.DisplayURL))
		}
		return h(c)
	}
}

// frameAncestors allows the tenant's Jira (API and display hosts) to frame us.
func frameAncestors(urls ...string) string {
	var srcs []string
	seen := map[string]bool{}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			continue
		}
		src := u.Scheme + "://" + u.Host
		if !seen[src] {
			seen[src] = true
			srcs = append(srcs, src)
		}
	}
	if len(srcs) == 0 {
		return "frame-ancestors 'none'"
	}
	return "frame-ancestors " + strings.Join(srcs, " ")
}

// Public wrappers for feature packages that register their own routes.

// AppAPI wraps a handler for the app's own API (context-qsh).
func (s *Server) AppAPI(h echo.HandlerFunc) echo.HandlerFunc { return s.appAPI(h) }

// IdentityOf returns the authenticated identity of a request.
func IdentityOf(c echo.Context) *connect.Identity { return identity(c) }

// NoStore forbids caching.
var NoStore echo.MiddlewareFunc = noStore
