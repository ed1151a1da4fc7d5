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

// rightView is one action a page offers: whether the person may take it,
// and why not.
type rightView struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
}

// projectRights answers which of the app's writes the signed-in person may
// make in the project, each with the reason when not, so that a page shows
// Apply, Create and Split disabled before a click. It reads the access
// checker's cached answer; the writes still check on their own.
func (s *Server) projectRights(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	actions := map[string][]access.Permission{
		"edit":       {access.EditIssues},                      // apply an improvement or an answer
		"create":     {access.CreateIssues},                    // create drafts in Jira
		"split":      {access.CreateIssues, access.EditIssues}, // create the parts, comment on the original
		"link":       {access.LinkIssues},                      // link a duplicate
		"administer": {access.AdministerProjects},              // strategy, settings
	}
	out := map[string]rightView{}
	deny := func(reason string) error {
		for a := range actions {
			out[a] = rightView{Reason: reason}
		}
		return c.JSON(http.StatusOK, map[string]any{"project": key, "rights": out})
	}
	id := identity(c)
	if id == nil || id.AccountID == "" {
		return deny("Sign in to Jira to do this: BacklogAI changes Jira only for a signed-in person.")
	}
	if s.Access == nil {
		return deny("Jira permissions cannot be checked on this server, so changes are refused.")
	}
	p := access.Project{Key: key}
	if jc := contextOf(c); jc.Jira.Project.Key == key {
		p.ID = jc.Jira.Project.ID
	}
	has, err := s.Access.Rights(c.Request().Context(), id.Tenant, id.AccountID, p)
	if err != nil {
		var unavailable *access.UnavailableError
		if errors.As(err, &unavailable) {
			return &APIError{Status: http.StatusServiceUnavailable, Code: "permission_check_unavailable",
				Message: "Jira did not confirm your permissions. Try again shortly.", Err: err}
		}
		return err
	}
	for a, perms := range actions {
		r := rightView{Allowed: true}
		for _, perm := range perms {
			if !has[perm] {
				r = rightView{Reason: "You need the Jira permission “" + perm.Label() + "” in project " + key + " to do this."}
				break
			}
		}
		out[a] = r
	}
	return c.JSON(http.StatusOK, map[string]any{"project": key, "rights": out})
}

// requireProjectAdmin lets only the project's administrators (and Jira
// administrators) through, as Jira itself says (cached like every check).
func (s *Server) requireProjectAdmin(c echo.Context, project string) error {
	err := s.requirePermission(c, project, access.AdministerProjects)
	var api *APIError
	if errors.As(err, &api) && api.Code == "permission_denied" {
		api.Code = "not_project_admin"
		api.Message = "Only administrators of this project can view or change BacklogAI settings."
	}
	return err
}

// isSiteAdmin reports whether the person acting is a Jira administrator.
func (s *Server) isSiteAdmin(c echo.Context) (bool, error) {
	err := s.requirePermission(c, "", access.Administer)
	var denied *access.DeniedError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &denied):
		return false, nil
	}
	return false, err
}
