package web

// One issue: its analysis, priority overrides, duplicate links and score history.

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/generate"
)

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

type linkDuplicateRequest struct {
	Other string `json:"other"`
}

// linkDuplicate records in Jira that the issue duplicates another one of
// the same project (a "Duplicate" link), after the person confirmed it.
func (u *ui) linkDuplicate(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	var req linkDuplicateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	other := strings.TrimSpace(req.Other)
	if !validKey(other) || !strings.Contains(other, "-") {
		return BadRequest("other must be an issue key such as SHOP-12")
	}
	if other == key {
		return BadRequest("An issue cannot duplicate itself.")
	}
	if projectOfIssue(other) != projectOfIssue(key) {
		return &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "Only issues of the same project can be linked here."}
	}
	if u.s.Backlog == nil {
		return &APIError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "Linking is not available on this server."}
	}
	if err := u.s.requirePermission(c, projectOfIssue(key), access.LinkIssues); err != nil {
		return err
	}
	id := identity(c)
	client, err := u.s.JiraClients.ForUser(c.Request().Context(), id.Tenant, id.AccountID) // linked as the person
	if err != nil {
		return err
	}
	if err := client.CreateLink(c.Request().Context(), "Duplicate", key, other); err != nil {
		return err
	}
	u.s.log(c).Info("duplicate linked", "issue", key, "other", other)
	// Re-analyse both now, so that the glance the person re-renders shows
	// the link (and no stale near-duplicate warning). The link is made:
	// a failure here only delays that until the webhook arrives.
	refreshed := true
	if err := u.s.Backlog.Refresh(c.Request().Context(), id.Tenant, projectOfIssue(key), key, other); err != nil {
		refreshed = false
		u.s.log(c).Warn("re-analysis after linking failed", "issue", key, "err", err)
	}
	return c.JSON(http.StatusCreated, map[string]any{"key": key, "duplicates": other, "linked": true, "refreshed": refreshed})
}

// issueHistory answers the glance's sparkline: the issue's score points,
// oldest first, and the reason of the last change.
func (u *ui) issueHistory(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	pts, err := u.s.Store.Tenant(identity(c).Tenant).ScoreHistory(c.Request().Context(), key)
	if err != nil {
		return err
	}
	out := map[string]any{"points": pts, "lastChange": ""}
	if n := len(pts); n > 0 {
		p := pts[n-1]
		out["lastChange"] = p.Reason
		if n > 1 {
			d := math.Floor(p.Score) - math.Floor(pts[n-2].Score)
			out["lastChange"] = "Score " + strconv.Itoa(int(math.Floor(pts[n-2].Score))) + " → " + strconv.Itoa(int(math.Floor(p.Score))) +
				" (" + signedInt(d) + ") on " + p.At.Format("2 Jan") + ": " + p.Reason
		}
	}
	return c.JSON(http.StatusOK, out)
}

func signedInt(d float64) string {
	if d >= 0 {
		return "+" + strconv.Itoa(int(d))
	}
	return "−" + strconv.Itoa(int(-d))
}
