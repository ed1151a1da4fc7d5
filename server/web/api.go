package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/analysis/framework"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/store"
)

// jiraContext is the context claim of tokens Jira issues to our iframes.
type jiraContext struct {
	Jira struct {
		Issue struct {
			Key string `json:"key"`
			ID  string `json:"id"`
		} `json:"issue"`
		Project struct {
			Key string `json:"key"`
			ID  string `json:"id"`
		} `json:"project"`
	} `json:"jira"`
}

func contextOf(c echo.Context) jiraContext {
	var jc jiraContext
	if id := identity(c); id != nil && len(id.Context) > 0 {
		_ = json.Unmarshal(id.Context, &jc) // a malformed context reads as none
	}
	return jc
}

// projectParam returns the project of the URL after checking that the
// token was issued for a page of that project: a user reaches only the
// project (or the issue's project) Jira opened our page for.
func projectParam(c echo.Context) (string, error) {
	key := c.Param("project")
	if !validKey(key) {
		return "", BadRequest("invalid project key")
	}
	jc := contextOf(c)
	pk := jc.Jira.Project.Key
	if pk == "" && jc.Jira.Issue.Key != "" {
		pk = projectOfIssue(jc.Jira.Issue.Key)
	}
	if pk != key {
		return "", &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "This page was not opened for that project."}
	}
	return key, nil
}

// issueParam returns the issue of the URL, which must belong to the page's
// project (or be the page's issue).
func issueParam(c echo.Context) (string, error) {
	key := c.Param("issue")
	if !validKey(key) || !strings.Contains(key, "-") {
		return "", BadRequest("invalid issue key")
	}
	jc := contextOf(c)
	if jc.Jira.Issue.Key == key {
		return key, nil
	}
	if pk := jc.Jira.Project.Key; pk != "" && projectOfIssue(key) == pk {
		return key, nil
	}
	return "", &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "This page was not opened for that issue."}
}

func projectOfIssue(key string) string {
	p, _, _ := strings.Cut(key, "-")
	return p
}

func validKey(k string) bool {
	if k == "" || len(k) > 255 {
		return false
	}
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func decodeJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return BadRequest("the request body is not valid JSON for this call")
	}
	return nil
}

// webhookHandler persists a Jira webhook and answers at once.
func (s *Server) webhookHandler(c echo.Context) error {
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyReadError(err)
	}
	if s.Backlog == nil {
		return acknowledgeWebhook(c, raw) // no sync service: validate and acknowledge
	}
	res, err := s.Backlog.AcceptWebhook(c.Request().Context(), identity(c).Tenant, c.Request().Header.Get("X-Atlassian-Webhook-Identifier"), raw)
	if err != nil {
		if errors.Is(err, domain.ErrInvalid) {
			return BadRequest("webhook body must be a Jira issue event")
		}
		return err
	}
	s.log(c).Debug("webhook accepted", "result", res)
	c.Response().Header().Set("X-BacklogAI-Webhook", string(res))
	return c.NoContent(http.StatusNoContent)
}

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
		if pr, err := s.Backlog.ScanProgress(ctx, t, key); err == nil {
			out.Scan = pr
		}
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
	pr, _ := s.Backlog.ScanProgress(ctx, t, key)
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

type backlogRow struct {
	Key      string   `json:"key"`
	Summary  string   `json:"summary"`
	Type     string   `json:"type"`
	Score    int      `json:"score"`
	Moscow   string   `json:"moscow"`
	Quality  int      `json:"quality"`
	Estimate *float64 `json:"estimate"`
	Flags    []string `json:"flags"`
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
	if s.rollUp != nil {
		if err := s.rollUp(c.Request().Context(), ts, key, out); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"rows": out, "total": total, "offset": q.Offset})
}

func (s *Server) issueDetail(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ts := s.Store.Tenant(identity(c).Tenant)
	r, err := ts.Result(ctx, key)
	if errors.Is(err, domain.ErrNotFound) {
		return c.JSON(http.StatusOK, map[string]any{"key": key, "analysed": false})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"key": key, "analysed": r.Analysis != nil, "issue": r.Issue, "analysis": r.Analysis})
}

// maxOverrideReason is the longest override reason the store keeps.
const maxOverrideReason = 2000

type overrideRequest struct {
	Moscow string `json:"moscow"`
	Reason string `json:"reason"`
}

func (s *Server) setOverride(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	var req overrideRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	// Named refusals, not a silent cut: the reason is shown as entered.
	switch n := utf8.RuneCountInString(strings.TrimSpace(req.Reason)); {
	case n == 0:
		return BadRequest("reason: give a reason; it is shown with the override")
	case n > maxOverrideReason:
		return BadRequest(fmt.Sprintf("reason: at most %s characters (this one has %s)", generate.Thousands(maxOverrideReason), generate.Thousands(n)))
	}
	if err := s.requirePermission(c, projectOfIssue(key), access.EditIssues); err != nil {
		return err
	}
	id := identity(c)
	ctx := c.Request().Context()
	ts := s.Store.Tenant(id.Tenant)
	err = ts.SetOverride(ctx, key, domain.Override{Moscow: domain.Moscow(req.Moscow), Reason: strings.TrimSpace(req.Reason), AccountID: id.AccountID})
	if errors.Is(err, domain.ErrInvalid) {
		return BadRequest("moscow: choose Must, Should, Could or Won't")
	}
	if err != nil {
		return err
	}
	if err := s.Backlog.Reanalyse(ctx, id.Tenant, projectOfIssue(key), key); err != nil {
		return err
	}
	return s.issueDetail(c)
}

func (s *Server) clearOverride(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	if err := s.requirePermission(c, projectOfIssue(key), access.EditIssues); err != nil {
		return err
	}
	id := identity(c)
	ctx := c.Request().Context()
	if err := s.Store.Tenant(id.Tenant).ClearOverride(ctx, key); err != nil {
		return err
	}
	if err := s.Backlog.Reanalyse(ctx, id.Tenant, projectOfIssue(key), key); err != nil {
		return err
	}
	return s.issueDetail(c)
}

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
