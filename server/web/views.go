package web

// Saved views of the backlog list, per person.

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/domain"
)

type viewRequest struct {
	Name  string `json:"name"`
	Query string `json:"query"`
}

// personOf is the acting person's account; saved views are theirs alone.
func personOf(c echo.Context) (string, error) {
	id := identity(c)
	if id == nil || id.AccountID == "" {
		return "", &APIError{Status: http.StatusForbidden, Code: "anonymous", Message: "Sign in to Jira to do this: views and rankings are kept per person."}
	}
	return id.AccountID, nil
}

// viewOwner is the project and the person whose saved views a request
// reads or changes.
func viewOwner(c echo.Context) (project, who string, err error) {
	if project, err = projectParam(c); err != nil {
		return "", "", err
	}
	if who, err = personOf(c); err != nil {
		return "", "", err
	}
	return project, who, nil
}

func (s *Server) listViews(c echo.Context) error {
	project, who, err := viewOwner(c)
	if err != nil {
		return err
	}
	views, err := s.Store.Tenant(identity(c).Tenant).Views(c.Request().Context(), who, project)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"views": views})
}

func (s *Server) saveView(c echo.Context) error {
	project, who, err := viewOwner(c)
	if err != nil {
		return err
	}
	var r viewRequest
	if err := json.NewDecoder(c.Request().Body).Decode(&r); err != nil {
		return BadRequest("The body must be JSON with name and query.")
	}
	if _, err := url.ParseQuery(r.Query); err != nil {
		return BadRequest("query: not a valid query string.")
	}
	v, err := s.Store.Tenant(identity(c).Tenant).SaveView(c.Request().Context(), who, project, domain.SavedView{Name: r.Name, Query: r.Query})
	if errors.Is(err, domain.ErrInvalid) {
		msg := err.Error()
		if i := strings.LastIndex(msg, "save view: "); i >= 0 {
			msg = msg[i+len("save view: "):]
		}
		return BadRequest(strings.TrimSuffix(msg, ": "+domain.ErrInvalid.Error()) + ".")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) deleteView(c echo.Context) error {
	project, who, err := viewOwner(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return BadRequest("id: must be a view id.")
	}
	if err := s.Store.Tenant(identity(c).Tenant).DeleteView(c.Request().Context(), who, project, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
