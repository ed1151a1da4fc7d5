package tools

import (
	"errors"
	"net/http"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/llm"
)

// Error is a refused or failed tool call.
type Error struct {
	Status  int    // HTTP-like status: 400, 401, 403, 404, 409, 429, 503, 500…
	Code    string // stable, for programs and the audit log
	Message string // for the person
	Err     error  // internal cause (logged, never shown)
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid is a bad-argument error whose message names the field.
func Invalid(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_argument", Message: msg}
}

// ConfirmationRequired refuses a write the caller did not confirm.
func ConfirmationRequired(what string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "confirmation_required",
		Message: "confirm must be true to " + what + ": show the person what will change and ask first."}
}

// ErrorOf maps any error of a tool call to an *Error (nil stays nil).
func ErrorOf(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var denied *access.DeniedError
	var unavailable *access.UnavailableError
	var ie *generate.InputError
	var ae *llm.APIError
	switch {
	case errors.As(err, &denied):
		msg := "You need the Jira permission “" + denied.Permission.Label() + "” in project " + denied.Project + " to do this."
		if denied.Project == "" {
			msg = "You need the Jira permission “" + denied.Permission.Label() + "” to do this."
		}
		return &Error{Status: http.StatusForbidden, Code: "permission_denied", Message: msg, Err: err}
	case errors.As(err, &unavailable):
		return &Error{Status: http.StatusServiceUnavailable, Code: "permission_check_unavailable",
			Message: "Jira did not confirm your permissions, so nothing was done. Try again shortly.", Err: err}
	case errors.Is(err, access.ErrAnonymous):
		return &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "No signed-in person.", Err: err}
	case errors.As(err, &ie):
		return &Error{Status: http.StatusBadRequest, Code: "invalid_argument", Message: ie.Msg, Err: err}
	case errors.As(err, &ae) && ae.AuthFailed():
		return &Error{Status: http.StatusBadGateway, Code: "llm_auth", Message: "The AI provider refused the API key. An admin can check it in Settings.", Err: err}
	case errors.Is(err, domain.ErrBudget):
		return &Error{Status: http.StatusPaymentRequired, Code: "budget_exhausted", Message: "This month's AI budget is spent. An admin can raise it in Settings.", Err: err}
	case errors.Is(err, domain.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "Not found.", Err: err}
	case errors.Is(err, domain.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: "This is being changed by another request, or was done already.", Err: err}
	case errors.Is(err, domain.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Code: "invalid_argument", Message: "The arguments are not valid for this call.", Err: err}
	case errors.Is(err, domain.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "Jira refused this.", Err: err}
	case errors.Is(err, domain.ErrRateLimited):
		return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "Jira or the AI provider is rate limiting requests. Try again in a minute.", Err: err}
	case errors.Is(err, generate.ErrLLM), errors.Is(err, domain.ErrUnavailable):
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "A service we depend on did not answer. Try again shortly.", Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "Internal error.", Err: err}
}
