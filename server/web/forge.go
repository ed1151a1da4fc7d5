package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/forge"
	"github.com/backlogai/backlogai/server/forge/forgeapi"
)

// Forge Remote endpoints (manifest.yml: endpoint modules). The Custom UI's
// calls reach the same /api handlers as Connect: s.Auth picks the host's
// authenticator per request (forge.HostAuth).
func (s *Server) forgeRoutes(e *echo.Echo) {
	g := e.Group("/forge", noStore)
	g.POST("/lifecycle", s.forgeLifecycle, bodyLimit(limitLifecycle))
	g.POST("/events/issue", s.forgeAuthed(s.forgeIssueEvent), bodyLimit(limitWebhook))
	// The authenticator keeps the fresh system token each invocation
	// brings; the hourly scheduled trigger only makes sure one comes.
	g.POST("/scheduled/refresh", s.forgeAuthed(func(c echo.Context) error { return c.JSON(http.StatusOK, struct{}{}) }),
		bodyLimit(limitLifecycle))
	if s.Backlog != nil {
		g.POST("/actions", s.forgeAuthed(s.fair(s.forgeAction)), bodyLimit(limitAPI))
	}
}

// forgeAuthed guards endpoints only Forge calls.
func (s *Server) forgeAuthed(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := s.Forge.Authenticate(c.Request().Context(), c.Request(), 0)
		if err != nil {
			return err
		}
		c.Set(ctxIdentity, id)
		return h(c)
	}
}

type forgeLifecycleEvent struct {
	EventType string `json:"eventType"`
}

// forgeLifecycle records installs and uninstalls. The installation is not
// known yet on install, so only the FIT is verified here.
func (s *Server) forgeLifecycle(c echo.Context) error {
	ctx := c.Request().Context()
	inv, err := s.Forge.Verifier.Verify(ctx, c.Request())
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyReadError(err)
	}
	// Forge's payload has more fields than we read (app, environment…).
	var ev forgeLifecycleEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return BadRequest("body must be a Forge lifecycle event object")
	}
	switch ev.EventType {
	case "avi:forge:installed:app", "avi:forge:upgraded:app":
		site := inv.SiteURL
		if site == "" {
			if site, err = s.forgeSiteURL(ctx, inv); err != nil {
				return err
			}
		}
		t, err := s.Store.SaveForgeInstallation(ctx, domain.ForgeInstallation{InstallationID: inv.InstallationID,
			AppID: inv.AppID, CloudID: inv.CloudID, SiteURL: site, APIBaseURL: inv.APIBaseURL})
		if err != nil {
			return err
		}
		s.Forge.Remember(ctx, t, inv)
		s.log(c).Info("forge installed", "tenant_id", t.ID, "installation", inv.InstallationID, "event", ev.EventType)
	case "avi:forge:uninstalled:app":
		in, err := s.Store.ForgeInstallation(ctx, inv.InstallationID)
		if errors.Is(err, domain.ErrNotFound) {
			return c.JSON(http.StatusOK, struct{}{}) // never installed here: nothing to do
		}
		if err != nil {
			return err
		}
		if err := s.Store.MarkForgeUninstalled(ctx, inv.InstallationID, time.Duration(s.Config.DataRetentionDays)*24*time.Hour); err != nil {
			return err
		}
		if t, err := s.Store.TenantByID(ctx, in.TenantID); err == nil && t.State == domain.TenantUninstalled && s.Hooks.OnUninstalled != nil {
			s.Hooks.OnUninstalled(ctx, t)
		}
		s.log(c).Info("forge uninstalled", "tenant_id", in.TenantID, "installation", inv.InstallationID)
	default:
		return BadRequest("eventType: not a Forge lifecycle event")
	}
	return c.JSON(http.StatusOK, struct{}{})
}

// forgeSiteURL asks Jira for the site URL when the FIT's context has none
// (lifecycle events carry no extension context).
func (s *Server) forgeSiteURL(ctx context.Context, inv *forge.Invocation) (string, error) {
	if inv.SystemToken == "" {
		return "", BadRequest("context.siteUrl missing and no " + forge.HeaderSystemToken + " to look it up")
	}
	bc := &forgeapi.BearerClient{BaseURL: inv.APIBaseURL, Token: func(context.Context) (string, error) { return inv.SystemToken, nil },
		HTTP: &http.Client{Timeout: 4 * time.Second}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, inv.APIBaseURL+"/rest/api/3/serverInfo", nil)
	if err != nil {
		return "", err
	}
	resp, err := bc.Do(req)
	if err != nil {
		return "", fmt.Errorf("web: forge site url: %w: %w", domain.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	var info struct {
		BaseURL string `json:"baseUrl"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&info) != nil || info.BaseURL == "" {
		return "", fmt.Errorf("web: forge site url: serverInfo status %d: %w", resp.StatusCode, domain.ErrUnavailable)
	}
	return strings.TrimRight(info.BaseURL, "/"), nil
}

// forgeIssueEvents maps Forge product events to the Connect webhook events
// the intake knows.
var forgeIssueEvents = map[string]string{
	"avi:jira:created:issue": "jira:issue_created",
	"avi:jira:updated:issue": "jira:issue_updated",
	"avi:jira:deleted:issue": "jira:issue_deleted",
}

// forgeIssueEvent feeds a Forge issue trigger into the same durable
// intake as Connect webhooks. Forge retries a failed event up to 4 times
// and waits 5 s at most: the event is persisted (group commit) and
// acknowledged, the work happens on the queue. The delivery id is a hash
// of the event without its retry context, so retries are recorded once.
func (s *Server) forgeIssueEvent(c echo.Context) error {
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyReadError(err)
	}
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ev); err != nil {
		return BadRequest("body must be a Forge event object")
	}
	var eventType string
	if err := json.Unmarshal(ev["eventType"], &eventType); err != nil {
		return BadRequest("eventType: must be a string")
	}
	hook, ok := forgeIssueEvents[eventType]
	if !ok {
		return BadRequest("eventType: not an issue created/updated/deleted event")
	}
	if s.Backlog == nil {
		return c.JSON(http.StatusOK, struct{}{})
	}
	delete(ev, "retryContext")
	stable, _ := json.Marshal(ev) // map keys sorted: stable across retries
	sum := sha256.Sum256(stable)
	body := map[string]json.RawMessage{"webhookEvent": json.RawMessage(`"` + hook + `"`), "issue": ev["issue"]}
	if cl, ok := ev["changelog"]; ok {
		body["changelog"] = cl
	}
	connectBody, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(c.Request().Context(), 4*time.Second)
	defer cancel()
	res, err := s.Backlog.AcceptWebhook(ctx, identity(c).Tenant, "forge:"+hex.EncodeToString(sum[:16]), connectBody)
	if err != nil {
		if errors.Is(err, domain.ErrInvalid) {
			return BadRequest("issue: the event has no issue key")
		}
		return err
	}
	c.Response().Header().Set("X-BacklogAI-Webhook", string(res))
	return c.JSON(http.StatusOK, struct{}{})
}

// forgeAction answers Rovo actions (manifest: action modules on the
// "actions" endpoint) with the same handlers the UI uses. The action is
// the FIT's module key; inputs are the body's top-level fields (or under
// "payload").
func (s *Server) forgeAction(c echo.Context) error {
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyReadError(err)
	}
	var body map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			return BadRequest("body must be a JSON object of action inputs")
		}
	}
	if p, ok := body["payload"]; ok {
		var inner map[string]json.RawMessage
		if json.Unmarshal(p, &inner) == nil {
			body = inner
		}
	}
	input := func(name string) (string, error) {
		var v string
		if err := json.Unmarshal(body[name], &v); err != nil || strings.TrimSpace(v) == "" {
			return "", BadRequest(name + ": required")
		}
		return strings.TrimSpace(v), nil
	}
	module, err := s.forgeModuleKey(c)
	if err != nil {
		return err
	}
	switch module {
	case "rank-backlog":
		p, err := input("project")
		if err != nil {
			return err
		}
		if !validKey(p) {
			return BadRequest("project: not a Jira project key")
		}
		if err := s.bindActionContext(c, p, ""); err != nil {
			return err
		}
		c.SetParamNames("project")
		c.SetParamValues(p)
		return s.backlogPage(c)
	case "explain-score", "estimate-issue", "find-duplicates":
		// The issue's stored analysis holds its score with reasons, its
		// estimate and its likely duplicates.
		k, err := input("issue")
		if err != nil {
			return err
		}
		if !validKey(k) || !strings.Contains(k, "-") {
			return BadRequest("issue: not a Jira issue key")
		}
		if err := s.bindActionContext(c, projectOfIssue(k), k); err != nil {
			return err
		}
		c.SetParamNames("issue")
		c.SetParamValues(k)
		return s.issueDetail(c)
	}
	return echo.NewHTTPError(http.StatusNotImplemented, "action "+module+" is not served by the remote yet")
}

// bindActionContext gives a Rovo action the page context the UI handlers
// expect (a project, an issue), once Jira shows the project to the person
// (read with their own token): Rovo has no page to bind the call to.
func (s *Server) bindActionContext(c echo.Context, project, issue string) error {
	id := *identity(c)
	if id.AccountID == "" {
		return &APIError{Status: http.StatusForbidden, Code: "anonymous", Message: "Rovo actions need a signed-in person."}
	}
	cl, err := s.JiraClients.ForUser(c.Request().Context(), id.Tenant, id.AccountID)
	if err != nil {
		return err
	}
	if _, err := cl.GetProject(c.Request().Context(), project); err != nil {
		if errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrForbidden) {
			return &APIError{Status: http.StatusForbidden, Code: "permission_denied",
				Message: "Jira does not show you project " + project + "."}
		}
		return err
	}
	jc := map[string]any{"project": map[string]string{"key": project}}
	if issue != "" {
		jc["issue"] = map[string]string{"key": issue}
	}
	id.Context, _ = json.Marshal(map[string]any{"jira": jc})
	c.Set(ctxIdentity, &id)
	return nil
}

// forgeModuleKey reads app.module.key of the (already verified) FIT.
func (s *Server) forgeModuleKey(c echo.Context) (string, error) {
	inv, err := s.Forge.Verifier.Verify(c.Request().Context(), c.Request())
	if err != nil {
		return "", err
	}
	return inv.ModuleKey, nil
}
