package web

// The open glance's live API: re-rendering and the version it polls.

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// panel re-renders the glance's content (after an action, or while the
// issue waits for its first analysis).
func (u *ui) panel(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	p, err := u.panelFor(c.Request().Context(), identity(c).Tenant, projectOfIssue(key), key)
	if err != nil {
		return err
	}
	var buf strings.Builder
	if err := u.assets.Render(&buf, "glance-panel", p); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"state": p.State, "scan": p.Scan, "version": p.Version, "html": buf.String()})
}

// version answers the version of the issue's stored analysis (one small
// indexed query, no decoding): the open glance polls it and re-renders
// only when it changed. An issue without an analysis has version "".
func (u *ui) version(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	ver, active, ok, err := u.s.Store.Tenant(identity(c).Tenant).ResultVersion(c.Request().Context(), key)
	if err != nil {
		return err
	}
	if !ok || !active {
		ver = ""
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"version": ver})
}
