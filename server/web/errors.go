package web

import (
	"errors"
	"html/template"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// APIError is an error with a status and a message safe to show users.
type APIError struct {
	Status  int
	Code    string
	Message string
	Err     error // internal cause, logged, never shown
}

func (e *APIError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *APIError) Unwrap() error { return e.Err }

// BadRequest is a 400 with a message for the user.
func BadRequest(msg string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "bad_request", Message: msg}
}

// bodyReadError maps a failed read of a request body to the client's
// fault: a body sent too slowly for the server's read timeout is 408, one
// cut short is 400. Neither is our failure (503/500).
func bodyReadError(err error) error {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return &APIError{Status: http.StatusRequestTimeout, Code: "request_timeout", Message: "The request body arrived too slowly.", Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &APIError{Status: http.StatusBadRequest, Code: "bad_request", Message: "The request body was cut short.", Err: err}
	}
	return err
}

// classify maps an error to status, code and a user-facing message.
// Anything unexpected is "Internal error": users never see internals.
func classify(err error) (int, string, string) {
	var ae *APIError
	var he *echo.HTTPError
	var authErr *connect.AuthError
	switch {
	case errors.As(err, &ae):
		return ae.Status, ae.Code, ae.Message
	case errors.As(err, &he):
		msg := http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok && he.Code < 500 {
			msg = s
		}
		return he.Code, strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_"), msg
	case errors.As(err, &authErr), errors.Is(err, domain.ErrUnauthorized):
		return http.StatusUnauthorized, "unauthorized", "Authentication failed. Reload the page in Jira."
	case errors.Is(err, domain.ErrForbidden):
		return http.StatusForbidden, "forbidden", "You do not have permission to do this."
	case errors.Is(err, domain.ErrNotFound):
		return http.StatusNotFound, "not_found", "Not found."
	case errors.Is(err, domain.ErrConflict):
		return http.StatusConflict, "conflict", "This changed meanwhile. Reload and try again."
	case errors.Is(err, domain.ErrInvalid):
		return http.StatusBadRequest, "bad_request", "The request is not valid."
	case errors.Is(err, domain.ErrRateLimited):
		return http.StatusTooManyRequests, "rate_limited", "Jira is rate limiting requests. Try again in a minute."
	case errors.Is(err, domain.ErrBudget):
		return http.StatusPaymentRequired, "budget_exhausted", "This month's AI budget is spent. An admin can raise it in Settings."
	case errors.Is(err, domain.ErrUnavailable), store.Unavailable(err):
		return http.StatusServiceUnavailable, "unavailable", "A service we depend on is unavailable. Try again shortly."
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, "too_large", "The request body is too large."
	}
	return http.StatusInternalServerError, "internal", "Internal error."
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BacklogAI</title>
<style>body{font:14px/1.43 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;color:#172B4D;margin:16px}
@media (prefers-color-scheme:dark){body{background:#1D2125;color:#B6C2CF}}
.box{border-left:4px solid #E2483D;padding:8px 12px;background:rgba(226,72,61,.08)}small{color:#626F86}</style></head>
<body><div class="box" role="alert"><strong>{{.Message}}</strong></div>
{{with .RequestID}}<p><small>Reference: {{.}}</small></p>{{end}}</body></html>`))

// handleError is echo's HTTPErrorHandler: JSON for the API, an HTML page
// for iframes, and a log line with the internal cause.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code, msg := classify(err)
	l := s.log(c)
	switch {
	case status >= 500:
		l.Error("request failed", "status", status, "err", err)
	case status == http.StatusRequestTimeout:
		l.Warn("request body too slow", "path", c.Request().URL.Path, "err", err)
	case status == http.StatusUnauthorized:
		l.Warn("unauthenticated request", "path", c.Request().URL.Path, "err", err)
	default:
		l.Info("request refused", "status", status, "code", code, "err", err)
	}
	if c.Get(ctxIframe) == true {
		c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
		c.Response().WriteHeader(status)
		// A refusal (4xx) is not an outage: only a server failure carries
		// a reference to quote to support.
		var ref any
		if status >= 500 {
			ref = c.Get(ctxRequestID)
		}
		// Writing the error itself can only fail when the client is gone.
		_ = errorPage.Execute(c.Response(), map[string]any{"Message": msg, "RequestID": ref})
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, map[string]any{"error": map[string]any{"code": code, "message": msg, "requestId": c.Get(ctxRequestID)}})
}
