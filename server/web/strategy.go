package web

// A project's strategy: pillar weights, MoSCoW mode, framework.

import (
	"errors"
	"math"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/analysis/framework"
	"github.com/backlogai/backlogai/server/domain"
)

func (s *Server) getStrategy(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	ts := s.Store.Tenant(identity(c).Tenant)
	p, err := ts.Project(c.Request().Context(), key)
	if errors.Is(err, domain.ErrNotFound) {
		return c.JSON(http.StatusOK, domain.DefaultStrategy())
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p.Strategy)
}

func (s *Server) putStrategy(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	var st domain.Strategy
	if err := decodeJSON(c, &st); err != nil {
		return err
	}
	if msg := validateStrategy(&st); msg != "" {
		return BadRequest(msg)
	}
	// Saving re-scores and writes back every issue of the project.
	if err := s.requirePermission(c, key, access.AdministerProjects); err != nil {
		return err
	}
	ctx := c.Request().Context()
	t := identity(c).Tenant
	if err := s.checkFieldMappings(ctx, t, &st); err != nil {
		return err
	}
	ts := s.Store.Tenant(t)
	if _, err := ts.EnsureProject(ctx, key, contextOf(c).Jira.Project.ID, ""); err != nil {
		return err
	}
	if err := ts.SetStrategy(ctx, key, st); err != nil {
		return err
	}
	if err := s.Backlog.QueueRescore(ctx, t, key); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func validateStrategy(st *domain.Strategy) string {
	sum := 0.0
	for _, w := range st.Weights {
		if w < 0 || w > 10 {
			return "pillar weights must be between 0 and 10"
		}
		sum += w
	}
	if sum == 0 {
		return "at least one pillar needs a weight above 0"
	}
	switch st.Mode {
	case "":
		st.Mode = domain.MoscowRelative
	case domain.MoscowRelative, domain.MoscowThresholds, domain.MoscowCapacity:
	default:
		return "mode must be relative, thresholds or capacity"
	}
	if st.Shares == [3]float64{} {
		st.Shares = domain.DefaultStrategy().Shares
	}
	if sh := st.Shares; sh[0] < 0 || sh[1] < 0 || sh[2] < 0 || sh[0]+sh[1]+sh[2] > 100 {
		return "shares must be Must, Should and Could percentages of 0 or more that add up to at most 100"
	}
	if st.CapacitySprints == 0 {
		st.CapacitySprints = domain.DefaultStrategy().CapacitySprints
	}
	if st.CapacitySprints < 1 || st.CapacitySprints > 26 {
		return "capacitySprints must be between 1 and 26"
	}
	st.Version = domain.StrategyVersion
	if st.Thresholds == [3]float64{} {
		st.Thresholds = domain.DefaultStrategy().Thresholds
	}
	t := st.Thresholds
	if !(t[0] <= 100 && t[0] >= t[1] && t[1] >= t[2] && t[2] >= 0) {
		return "thresholds must satisfy 100 ≥ Must ≥ Should ≥ Could ≥ 0"
	}
	if st.Capacity < 0 || math.IsInf(st.Capacity, 0) || math.IsNaN(st.Capacity) {
		return "capacity must be story points of 0 or more (0: the team's measured velocity)"
	}
	if len(st.Vision) > 4000 || len(st.Objectives) > 50 || len(st.Competitors) > 50 {
		return "vision, objectives or competitors are too long"
	}
	if st.SplitThreshold <= 0 {
		st.SplitThreshold = 8
	}
	if st.QualityBar <= 0 {
		st.QualityBar = 70
	}
	if st.StaleDays <= 0 {
		st.StaleDays = 90
	}
	if err := framework.Validate(st.Framework); err != nil {
		return err.Error()
	}
	return ""
}
