package web

// Applying BacklogAI's ranking to Jira's backlog order: preview, apply, undo.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/rankapply"
	"github.com/backlogai/backlogai/server/store"
)

// rankRequest chooses the issues: keys in the order wanted (the view's
// order), or the top N of BacklogAI's ranking under the view's filters.
type rankRequest struct {
	Keys  []string `json:"keys"`
	Top   int      `json:"top"`
	Query string   `json:"query"` // the view's filters, as the backlog list's query string
}

func (s *Server) rankKeys(ctx context.Context, ts *store.TenantStore, project string, r rankRequest) ([]string, error) {
	if len(r.Keys) > 0 {
		if r.Top != 0 {
			return nil, BadRequest("keys and top: give one or the other.")
		}
		if len(r.Keys) > rankapply.MaxIssues {
			return nil, BadRequest(fmt.Sprintf("keys: at most %d issues at once.", rankapply.MaxIssues))
		}
		for _, k := range r.Keys {
			if !validKey(k) || projectOfIssue(k) != project {
				return nil, BadRequest(fmt.Sprintf("keys: %q is not an issue key of project %s.", k, project))
			}
		}
		return r.Keys, nil
	}
	if r.Top < 1 || r.Top > rankapply.MaxIssues {
		return nil, BadRequest(fmt.Sprintf("top: must be between 1 and %d.", rankapply.MaxIssues))
	}
	v, err := url.ParseQuery(r.Query)
	if err != nil {
		return nil, BadRequest("query: not a valid query string.")
	}
	q := backlogQueryOf(v)
	// BacklogAI's ranking, whatever column the view is sorted by; only
	// open issues have a place in Jira's backlog.
	q.Sort, q.Asc, q.OpenOnly, q.Limit = "score", false, true, r.Top
	rows, _, err := ts.Backlog(ctx, project, q)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(rows))
	for i, row := range rows {
		keys[i] = row.Key
	}
	if len(keys) == 0 {
		return nil, BadRequest("No open issues match the view's filters.")
	}
	return keys, nil
}

func (s *Server) rankRequestOf(c echo.Context) (rankRequest, error) {
	var r rankRequest
	if c.Request().Method == http.MethodGet {
		v := c.QueryParams()
		if k := strings.TrimSpace(v.Get("keys")); k != "" {
			r.Keys = strings.Split(k, ",")
		}
		if t := v.Get("top"); t != "" {
			n, err := strconv.Atoi(t)
			if err != nil {
				return r, BadRequest("top: must be a whole number.")
			}
			r.Top = n
		}
		r.Query = v.Get("query")
		return r, nil
	}
	if err := json.NewDecoder(c.Request().Body).Decode(&r); err != nil {
		return r, BadRequest("The body must be JSON with keys or top.")
	}
	return r, nil
}

func (s *Server) rankPreview(c echo.Context) error {
	return s.rankDo(c, false)
}

func (s *Server) rankApply(c echo.Context) error {
	return s.rankDo(c, true)
}

// rankDo previews or applies: both read Jira as the person, so that the
// preview shows the order that person sees.
func (s *Server) rankDo(c echo.Context, apply bool) error {
	project, err := projectParam(c)
	if err != nil {
		return err
	}
	req, err := s.rankRequestOf(c)
	if err != nil {
		return err
	}
	if _, err := personOf(c); err != nil {
		return err // Jira's order is read as the person, so a preview needs one too
	}
	if apply {
		if err := s.requirePermission(c, project, access.EditIssues, access.ScheduleIssues); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	id := identity(c)
	ts := s.Store.Tenant(id.Tenant)
	keys, err := s.rankKeys(ctx, ts, project, req)
	if err != nil {
		return err
	}
	client, err := s.JiraClients.ForUser(ctx, id.Tenant, id.AccountID)
	if err != nil {
		return err
	}
	svc := &rankapply.Service{Now: time.Now}
	var p rankapply.Preview
	if apply {
		p, err = svc.Apply(ctx, client, ts, project, id.AccountID, keys)
	} else {
		p, err = svc.Preview(ctx, client, project, keys)
	}
	if err != nil {
		return rankError(err)
	}
	if apply {
		s.log(c).Info("ranking applied in jira", "project", project, "issues", len(p.Moves), "changed", p.Changed)
	}
	return c.JSON(http.StatusOK, map[string]any{"applied": apply, "moves": p.Moves, "changed": p.Changed, "skipped": p.Skipped})
}

func (s *Server) rankUndo(c echo.Context) error {
	project, err := projectParam(c)
	if err != nil {
		return err
	}
	if err := s.requirePermission(c, project, access.EditIssues, access.ScheduleIssues); err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := identity(c)
	client, err := s.JiraClients.ForUser(ctx, id.Tenant, id.AccountID)
	if err != nil {
		return err
	}
	svc := &rankapply.Service{Now: time.Now}
	rec, err := svc.Undo(ctx, client, s.Store.Tenant(id.Tenant), project, id.AccountID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return &APIError{Status: http.StatusNotFound, Code: "nothing_to_undo", Message: "The ranking was never applied in Jira for this project.", Err: err}
	case errors.Is(err, domain.ErrConflict):
		return &APIError{Status: http.StatusConflict, Code: "already_undone", Message: "The last application was already undone.", Err: err}
	case err != nil:
		return rankError(err)
	}
	s.log(c).Info("ranking undone in jira", "project", project, "issues", len(rec.Moved))
	return c.JSON(http.StatusOK, lastOf(rec))
}

// rankError says which issues Jira refused to rank, and why.
func rankError(err error) error {
	var re *jira.RankError
	if !errors.As(err, &re) {
		return err
	}
	keys := make([]string, 0, len(re.Failed))
	for k := range re.Failed {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	status, code := http.StatusConflict, "rank_partly_failed"
	msg := "Jira did not rank " + strings.Join(keys, ", ") + ": " + re.Failed[keys[0]]
	if re.Forbidden {
		status, code = http.StatusForbidden, "rank_forbidden"
	}
	return &APIError{Status: status, Code: code, Message: msg + " Undo restores the order from before.", Err: err}
}

func lastOf(rec domain.RankApplication) map[string]any {
	out := map[string]any{"accountId": rec.AccountID, "appliedAt": rec.AppliedAt, "moves": rec.Moved, "undone": rec.UndoneAt != nil}
	if rec.UndoneAt != nil {
		out["undoneAt"], out["undoneBy"] = rec.UndoneAt.UTC(), rec.UndoneBy
	}
	return out
}

// rankLast says who applied the ranking last and when, for the undo button.
func (s *Server) rankLast(c echo.Context) error {
	project, err := projectParam(c)
	if err != nil {
		return err
	}
	rec, err := s.Store.Tenant(identity(c).Tenant).RankApplication(c.Request().Context(), project)
	if errors.Is(err, domain.ErrNotFound) {
		return c.JSON(http.StatusOK, map[string]any{"applied": false})
	}
	if err != nil {
		return err
	}
	out := lastOf(rec)
	out["applied"] = true
	return c.JSON(http.StatusOK, out)
}
