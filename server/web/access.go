package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
)

// requirePermission lets a write through only when the person acting (the
// context token's sub) holds every one of perms on the project, as Jira's
// permission-check API says (cached up to a minute). Reads never call it.
// A token without a person is refused before Jira is asked; a check Jira
// does not answer refuses the write with 503, never with 403.
func (s *Server) requirePermission(c echo.Context, project string, perms ...access.Permission) error {
	id := identity(c)
	if id == nil || id.AccountID == "" {
		return &APIError{Status: http.StatusForbidden, Code: "anonymous",
			Message: "Sign in to Jira to do this: BacklogAI changes Jira only for a signed-in person.", Err: access.ErrAnonymous}
	}
	if s.Access == nil {
		return &APIError{Status: http.StatusServiceUnavailable, Code: "permission_check_unavailable",
			Message: "Jira permissions cannot be checked on this server, so changes are refused."}
	}
	p := access.Project{Key: project}
	if jc := contextOf(c); jc.Jira.Project.Key == project {
		p.ID = jc.Jira.Project.ID // signed by Jira with the token
	}
	err := s.Access.Require(c.Request().Context(), id.Tenant, id.AccountID, p, perms...)
	var denied *access.DeniedError
	var unavailable *access.UnavailableError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &denied):
		msg := "You need the Jira permission “" + denied.Permission.Label() + "” in project " + denied.Project + " to do this."
		if denied.Project == "" {
			msg = "You need the Jira permission “" + denied.Permission.Label() + "” to do this."
		}
		return &APIError{Status: http.StatusForbidden, Code: "permission_denied", Message: msg, Err: err}
	case errors.As(err, &unavailable):
		return &APIError{Status: http.StatusServiceUnavailable, Code: "permission_check_unavailable",
			Message: "Jira did not confirm your permissions, so nothing was changed. Try again shortly.", Err: err}
	}
	return err
}
