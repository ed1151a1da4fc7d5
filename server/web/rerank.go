package web

// The Strategy tab's preview of the ranking under unsaved settings.

import (
	"errors"
	"math"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/analysis/score"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/insight"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/tools"
)

// rerankRequest holds the Strategy tab's unsaved settings; only weights
// are required, the rest default to the saved strategy.
type rerankRequest struct {
	Weights          *[5]float64        `json:"weights"`
	Mode             *domain.MoscowMode `json:"mode,omitempty"`
	Thresholds       *[3]float64        `json:"thresholds,omitempty"`
	Shares           *[3]float64        `json:"shares,omitempty"`
	Capacity         *float64           `json:"capacity,omitempty"`
	CapacitySprints  *int               `json:"capacitySprints,omitempty"`
	Vision           *string            `json:"vision,omitempty"`
	Objectives       *[]string          `json:"objectives,omitempty"`
	Competitors      *[]string          `json:"competitors,omitempty"`
	CommercialLabels *[]string          `json:"commercialLabels,omitempty"`
	SplitThreshold   *float64           `json:"splitThreshold,omitempty"`
	QualityBar       *int               `json:"qualityBar,omitempty"`
	StaleDays        *int               `json:"staleDays,omitempty"`
	// Framework, when present, previews another framework ({"name":
	// "pillars"} previews the pillars).
	Framework *domain.FrameworkConfig `json:"framework,omitempty"`
	Limit     int                     `json:"limit,omitempty"`
}

// apply overlays the request on the saved strategy.
func (req *rerankRequest) apply(st *domain.Strategy) {
	st.Weights = *req.Weights
	if req.Mode != nil {
		st.Mode = *req.Mode
	} else if req.Thresholds != nil {
		st.Mode = domain.MoscowThresholds // thresholds alone mean threshold mode
	}
	set := func(dst *[3]float64, v *[3]float64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&st.Thresholds, req.Thresholds)
	set(&st.Shares, req.Shares)
	if req.Capacity != nil {
		st.Capacity = *req.Capacity
	}
	if req.CapacitySprints != nil {
		st.CapacitySprints = *req.CapacitySprints
	}
	if req.Vision != nil {
		st.Vision = *req.Vision
	}
	for _, f := range []struct{ dst, v *[]string }{{&st.Objectives, req.Objectives}, {&st.Competitors, req.Competitors}, {&st.CommercialLabels, req.CommercialLabels}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if req.Framework != nil {
		st.Framework = req.Framework
	}
	if req.SplitThreshold != nil {
		st.SplitThreshold = *req.SplitThreshold
	}
	if req.QualityBar != nil {
		st.QualityBar = *req.QualityBar
	}
	if req.StaleDays != nil {
		st.StaleDays = *req.StaleDays
	}
}

type rerankRow struct {
	backlogRow
	Rank         int `json:"rank"`
	PreviousRank int `json:"previousRank"`
}

// rerankRowOf is the backlog row of a re-ranked issue, with its places.
func rerankRowOf(r insight.Row) rerankRow {
	row := backlogRow{BacklogRow: tools.BacklogRow{Key: r.Key, Summary: r.Summary, Type: r.Type, Score: int(math.Floor(r.Score)), Moscow: string(r.Moscow),
		Quality: r.Quality, Estimate: r.Estimate, Flags: r.Flags}}
	if r.Suggested {
		row.Suggested = &suggestedRange{} // the interval is not kept with the rows
	}
	return rerankRow{backlogRow: row, Rank: r.Rank, PreviousRank: r.PreviousRank}
}

const (
	rerankDefaultLimit = 20
	rerankMaxLimit     = 100
)

// rerank previews the ranking of the project's open issues under unsaved
// settings, without saving anything. With the analysis service it runs
// exactly the scoring a save runs (vision, objectives, competitors and
// labels included), so that the preview's order is the backlog's order
// after saving; without it (tests of the page alone) it reweights the
// stored pillar values.
func (u *ui) rerank(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	var req rerankRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Weights == nil {
		return BadRequest("weights are required: five numbers, one per pillar")
	}
	ctx := c.Request().Context()
	t := identity(c).Tenant
	ts := u.s.Store.Tenant(t)
	st := domain.DefaultStrategy()
	if p, err := ts.Project(ctx, key); err == nil {
		st = p.Strategy
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	req.apply(&st)
	if msg := validateStrategy(&st); msg != "" {
		return BadRequest(msg)
	}
	limit := req.Limit
	if limit <= 0 {
		limit = rerankDefaultLimit
	}
	limit = min(limit, rerankMaxLimit)
	var ranked []insight.Row
	var total int
	var summary score.Summary
	err = u.s.rows.With(ctx, ts, key, func(rows map[string]*store.ProjectRow) error {
		if u.s.Backlog == nil {
			ranked, total, summary = insight.Rerank(rows, st, limit)
			return nil
		}
		model, unlock, err := u.s.Models.Get(ctx, t, key)
		if err != nil {
			return err
		}
		defer unlock()
		overrides, err := ts.Overrides(ctx, nil)
		if err != nil {
			return err
		}
		all, sum := model.Preview(st, overrides)
		ranked, total = insight.Preview(rows, all, limit)
		summary = sum
		return nil
	})
	if err != nil {
		return err
	}
	out := make([]rerankRow, len(ranked))
	for i, r := range ranked {
		out[i] = rerankRowOf(r)
	}
	return c.JSON(http.StatusOK, map[string]any{"rows": out, "total": total, "summary": summary})
}
