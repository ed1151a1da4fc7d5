package web

// The ranked backlog list, its rows and epic roll-ups; the Backlog tab's
// tools are in rank.go, export.go and views.go.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/insight"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/tools"
)

// backlogToolRoutes registers the Backlog tab's tools: applying the
// ranking in Jira (preview, apply, undo), export and saved views.
func (s *Server) backlogToolRoutes(api *echo.Group) {
	api.GET("/projects/:project/rank/preview", s.appAPI(s.rankPreview))
	api.POST("/projects/:project/rank/apply", s.appAPI(s.rankApply))
	api.POST("/projects/:project/rank/undo", s.appAPI(s.rankUndo))
	api.GET("/projects/:project/rank/last", s.appAPI(s.rankLast))
	api.GET("/projects/:project/backlog/export", s.appAPI(s.backlogExport))
	api.GET("/projects/:project/views", s.appAPI(s.listViews))
	api.POST("/projects/:project/views", s.appAPI(s.saveView))
	api.DELETE("/projects/:project/views/:id", s.appAPI(s.deleteView))
}

// backlogRow is the tools' row (the same fields MCP lists) plus what the
// page shows besides.
type backlogRow struct {
	tools.BacklogRow
	// Suggested is set when Estimate is the app's suggestion rather than
	// the issue's own points; it carries the 80 % interval when known.
	Suggested *suggestedRange `json:"suggested,omitempty"`
	// RollUp summarises an epic's open children.
	RollUp *epicRollUp `json:"rollUp,omitempty"`
}

type suggestedRange struct {
	Low  float64 `json:"low,omitempty"`
	High float64 `json:"high,omitempty"`
}

// suggestedOf marks a backlog row's estimate as a suggestion.
func suggestedOf(r store.BacklogRow) *suggestedRange {
	if !r.Suggested {
		return nil
	}
	return &suggestedRange{Low: r.Low, High: r.High}
}

// epicRollUp is what an epic's row says about its open children.
type epicRollUp struct {
	Open      int `json:"open"`
	MeanScore int `json:"meanScore"`
	Must      int `json:"must"`
}

// backlogQueryOf reads the backlog list's filters (GET /backlog's query parameters; export
// and rank in Jira read the same).
func backlogQueryOf(v url.Values) store.BacklogQuery {
	return store.BacklogQuery{Sort: v.Get("sort"), Asc: v.Get("dir") == "asc", Moscow: v.Get("moscow"),
		Flag: v.Get("flag"), Type: v.Get("type"), Text: v.Get("q"), OpenOnly: v.Get("all") != "1",
		Subtasks: v.Get("subtasks") == "1"}
}

func (s *Server) backlogPage(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	q := backlogQueryOf(c.QueryParams())
	q.Offset, _ = strconv.Atoi(c.QueryParam("offset"))
	q.Limit, _ = strconv.Atoi(c.QueryParam("limit"))
	if q.Offset < 0 {
		q.Offset = 0
	}
	ts := s.Store.Tenant(identity(c).Tenant)
	rows, total, err := ts.Backlog(c.Request().Context(), key, q)
	if err != nil {
		return err
	}
	out := backlogRows(rows)
	if err := s.rollUpEpics(c.Request().Context(), ts, key, out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"rows": out, "total": total, "offset": q.Offset})
}

// rollUpEpics sets each epic row's roll-up of its open, analysed children:
// how many, their mean score and how many are Must.
func (s *Server) rollUpEpics(ctx context.Context, ts *store.TenantStore, project string, rows []backlogRow) error {
	var epics []string
	for i := range rows {
		if rows[i].Type == string(domain.TypeEpic) {
			rows[i].RollUp = &epicRollUp{}
			epics = append(epics, rows[i].Key)
		}
	}
	if len(epics) == 0 {
		return nil
	}
	return s.rows.With(ctx, ts, project, func(all map[string]*store.ProjectRow) error {
		ups := insight.RollUps(all, epics)
		for i := range rows {
			if u, ok := ups[rows[i].Key]; ok && rows[i].RollUp != nil {
				*rows[i].RollUp = epicRollUp{Open: u.Open, MeanScore: u.MeanScore, Must: u.Must}
			}
		}
		return nil
	})
}
