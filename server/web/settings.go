package web

// A project's (or the site's) LLM and research settings, and their connection test.

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/generate"
)

// getSettings shows a project's effective settings to its admins, and
// the site defaults besides to Jira site administrators.
func (s *Server) getSettings(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	if err := s.requireProjectAdmin(c, key); err != nil {
		return err
	}
	return s.settingsView(c, key)
}

// putSettings saves a project's settings (its admins) or, with
// ?scope=site, the site defaults and data retention (Jira site
// administrators only).
func (s *Server) putSettings(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	scope, err := s.settingsScope(c, key)
	if err != nil {
		return err
	}
	id := identity(c)
	ctx := c.Request().Context()
	var body generate.SettingsUpdate
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if _, err := s.Generator.SaveSettings(ctx, id.Tenant, scope, id.AccountID, body); err != nil {
		if errors.Is(err, generate.ErrSiteSetting) {
			return &APIError{Status: http.StatusForbidden, Code: "site_setting",
				Message: "Data retention (retentionDays) is a site setting: Jira site administrators change it in the site defaults.", Err: err}
		}
		return generateError(err)
	}
	return s.settingsView(c, key)
}

// settingsScope is the scope a settings call edits (?scope=project, the
// default, or site) once the caller is allowed to edit it.
func (s *Server) settingsScope(c echo.Context, key string) (string, error) {
	switch c.QueryParam("scope") {
	case "", "project":
		return key, s.requireProjectAdmin(c, key)
	case "site":
		ok, err := s.isSiteAdmin(c)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", errNotSiteAdmin
		}
		return domain.SiteScope, nil
	}
	return "", BadRequest("scope: must be project or site")
}

// testConnection makes one real call with the settings being edited
// (the LLM or the research provider) and reports exactly how it went;
// nothing is saved. A failed connection is a 200 with ok false: the
// request itself succeeded.
func (s *Server) testConnection(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	scope, err := s.settingsScope(c, key)
	if err != nil {
		return err
	}
	var body struct {
		Target string `json:"target"`
		generate.SettingsUpdate
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	res, err := s.Generator.TestConnection(c.Request().Context(), identity(c).Tenant, scope, body.Target, body.SettingsUpdate)
	if err != nil {
		return generateError(err)
	}
	s.log(c).Info("connection tested", "target", body.Target, "kind", res.Kind, "status", res.Status)
	return c.JSON(http.StatusOK, res)
}

var errNotSiteAdmin = &APIError{Status: http.StatusForbidden, Code: "not_site_admin",
	Message: "Only Jira site administrators can change the site defaults and data retention."}

// settingsView answers with the project's settings; the site defaults are
// included for Jira site administrators only.
func (s *Server) settingsView(c echo.Context, project string) error {
	id := identity(c)
	ctx := c.Request().Context()
	siteAdmin, err := s.isSiteAdmin(c)
	if err != nil {
		return err
	}
	st, err := s.Generator.Settings(ctx, id.Tenant, project, siteAdmin)
	if err != nil {
		return err
	}
	st.IsAdmin = true
	return c.JSON(http.StatusOK, st)
}
