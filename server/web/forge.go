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
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/forge"
	"github.com/backlogai/backlogai/server/forge/forgeapi"
	"github.com/backlogai/backlogai/server/tools"
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
		g.POST("/actions", s.forgeAuthed(s.fair(s.forgeAction(s.ToolRegistry()))), bodyLimit(limitAPI))
	}
}

// forgePageRoutes serve the module pages to the Custom UI resources
// (forge/ui/src/loader.js), which cannot render templates: the same
// handlers and templates as /glance and /project, reached through the
// bridge with a Forge Invocation Token instead of a Jira-signed URL.
func (u *ui) forgePageRoutes(api *echo.Group) {
	api.GET("/forge/pages/glance", u.s.appAPI(u.forgeGlancePage))
	api.GET("/forge/pages/project", u.s.appAPI(u.forgeProjectPage))
}

// forgeGlancePage is the glance of the issue the token's context names.
// A Jira-signed URL binds its query to the page; here the context does, so
// a person cannot read another issue's glance with their token.
func (u *ui) forgeGlancePage(c echo.Context) error {
	jc := contextOf(c)
	if k := c.QueryParam("issueKey"); k == "" || k != jc.Jira.Issue.Key {
		return &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "This page was not opened for that issue."}
	}
	return u.glancePage(c)
}

// forgeProjectPage is the project page of the token's project.
func (u *ui) forgeProjectPage(c echo.Context) error {
	jc := contextOf(c)
	if k := c.QueryParam("projectKey"); k == "" || k != jc.Jira.Project.Key {
		return &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "This page was not opened for that project."}
	}
	if id := c.QueryParam("projectId"); id != "" && jc.Jira.Project.ID != "" && id != jc.Jira.Project.ID {
		return &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "This page was not opened for that project."}
	}
	return u.projectPage(c)
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
// "actions" endpoint) from the assistant tool registry, the same tools MCP
// serves (forge.ActionTools maps the FIT's module key to the tool). The
// registry validates the inputs against the tool's input schema, checks the
// invoking person's Jira permissions on the project, runs the tool and
// audits the call; the answer is the tool's structured output.
//
// Inputs are the body's top-level fields, or those under "payload". A
// "context" object there is Rovo's invocation context, not an input (the
// draft-stories input "context" is a string).
func (s *Server) forgeAction(reg *tools.Registry) echo.HandlerFunc {
	return func(c echo.Context) error {
		module, err := s.forgeModuleKey(c)
		if err != nil {
			return err
		}
		tool, ok := forge.ActionTools()[module]
		if !ok {
			return &APIError{Status: http.StatusNotFound, Code: "unknown_action", Message: "There is no Rovo action " + module + "."}
		}
		raw, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return bodyReadError(err)
		}
		inputs := map[string]json.RawMessage{}
		if len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, &inputs); err != nil || inputs == nil {
				return BadRequest("body must be a JSON object of action inputs")
			}
		}
		if p, ok := inputs["payload"]; ok {
			var inner map[string]json.RawMessage
			if err := json.Unmarshal(p, &inner); err != nil || inner == nil {
				return BadRequest("payload must be a JSON object of action inputs")
			}
			inputs = inner
		}
		if v := bytes.TrimSpace(inputs["context"]); len(v) > 0 && v[0] == '{' {
			delete(inputs, "context")
		}
		if _, ok := inputs["waitSeconds"]; !ok && tool == "draft_stories" {
			inputs["waitSeconds"] = json.RawMessage(strconv.Itoa(forge.ActionWaitSeconds))
		}
		args, err := json.Marshal(inputs)
		if err != nil {
			return err
		}
		id := identity(c)
		if id.AccountID == "" {
			return &APIError{Status: http.StatusForbidden, Code: "anonymous", Message: "Rovo actions need a signed-in person."}
		}
		out, err := reg.Call(c.Request().Context(), tools.Caller{Tenant: id.Tenant, AccountID: id.AccountID, Unscoped: true}, tool, args)
		if err != nil {
			e := tools.ErrorOf(err)
			return &APIError{Status: e.Status, Code: e.Code, Message: e.Message, Err: e.Err}
		}
		return c.JSON(http.StatusOK, out)
	}
}

// forgeModuleKey reads app.module.key of the (already verified) FIT.
func (s *Server) forgeModuleKey(c echo.Context) (string, error) {
	inv, err := s.Forge.Verifier.Verify(c.Request().Context(), c.Request())
	if err != nil {
		return "", err
	}
	return inv.ModuleKey, nil
}
