package web

// The Health tab: summary charts, trend, value vs effort.

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/insight"
	"github.com/backlogai/backlogai/server/store"
)

// health answers the Health tab's charts (insight.HealthOf, which the
// get_health tool serves too).
func (u *ui) health(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	h, err := u.s.rows.Health(c.Request().Context(), u.s.Store.Tenant(identity(c).Tenant), key, u.s.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

// trendDays is how far back the Health tab's trend reaches.
const trendDays = 180

// projectTrend answers the Health tab's trend: mean score and class counts
// of the open backlog per day.
func (u *ui) projectTrend(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	pts, err := u.s.Store.Tenant(identity(c).Tenant).Trend(c.Request().Context(), key, trendDays)
	if err != nil {
		return err
	}
	if pts == nil {
		pts = []domain.TrendPoint{}
	}
	return c.JSON(http.StatusOK, map[string]any{"points": pts})
}

// valueEffort answers the value vs effort chart of the ranked issues.
func (u *ui) valueEffort(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	var out insight.ValueEffort
	err = u.s.rows.With(c.Request().Context(), u.s.Store.Tenant(identity(c).Tenant), key, func(rows map[string]*store.ProjectRow) error {
		out = insight.ValueEffortOf(rows)
		return nil
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
