package web

// A project's activation and scans.

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/domain"
)

type statusResponse struct {
	Project string            `json:"project"`
	Active  bool              `json:"active"`
	Scan    *backlog.Progress `json:"scan,omitempty"`
}

func (s *Server) projectStatus(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t := identity(c).Tenant
	out := statusResponse{Project: key}
	p, err := s.Store.Tenant(t).Project(ctx, key)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	if p != nil {
		out.Active = p.Active
		pr, err := s.Backlog.ScanProgress(ctx, t, key)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		out.Scan = pr
	}
	return c.JSON(http.StatusOK, out)
}

// activate turns the project on and starts its first full scan.
func (s *Server) activate(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t := identity(c).Tenant
	jc := contextOf(c)
	// Opening the page of an active project starts nothing: a new full
	// scan is a rescan, for project admins only.
	if p, err := s.Store.Tenant(t).Project(ctx, key); err == nil && p.Active {
		pr, err := s.Backlog.ScanProgress(ctx, t, key)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		return c.JSON(http.StatusOK, statusResponse{Project: key, Active: true, Scan: pr})
	} else if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	if _, err := s.Backlog.Activate(ctx, t, key, jc.Jira.Project.ID, ""); err != nil {
		return err
	}
	pr, err := s.Backlog.ScanProgress(ctx, t, key)
	if err != nil {
		// Activated all the same: the page polls the status for progress.
		s.log(c).Warn("scan progress after activation", "project", key, "err", err)
	}
	return c.JSON(http.StatusAccepted, statusResponse{Project: key, Active: true, Scan: pr})
}

func (s *Server) rescan(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	if err := s.requirePermission(c, key, access.AdministerProjects); err != nil {
		return err
	}
	ctx := c.Request().Context()
	t := identity(c).Tenant
	// While a scan of the project is queued or running, a rescan returns
	// that scan instead of starting another.
	sc, started, err := s.Backlog.Rescan(ctx, t, key)
	if err != nil {
		return err
	}
	pr, err := s.Backlog.ScanProgress(ctx, t, key)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"project": key, "state": sc.State, "started": started, "scan": pr})
}
