package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	forgeui "github.com/backlogai/backlogai/forge/ui"
	"github.com/backlogai/backlogai/frontend"
	"github.com/backlogai/backlogai/server/web"
)

// The Forge host of the shell (?host=forge): the glance and the project
// page load the Custom UI resources (forge/ui: index.html, loader.js, the
// pages' static files) with forge-bridge-shim.js as their bridge.js. The
// shim sends every bridge call to the shell page (postMessage), which
// answers getContext itself and sends requestRemote here: the emulator's
// Forge host mints a FIT for the acting person and the module, and calls
// the app's remote with it and the system and user tokens, as Forge does.

// ForgeInvoker is the emulated Forge (jiraemu.ForgeHost): it installs the
// Forge app on the site and calls the app's remote as Forge would.
type ForgeInvoker interface {
	// Install sends avi:forge:installed:app to the remote.
	Install(ctx context.Context) error
	Invoke(ctx context.Context, method, path, module, accountID string, extension map[string]any, body any) (int, []byte, error)
}

// forgeInstalled installs the Forge app on the emulated site the first
// time the shell plays Forge, so a sandbox used through Connect only
// stays a Connect install. The site is the Connect tenant's, so the Forge
// installation is linked to it and both hosts show the same data.
func (sb *Shell) forgeInstalled(ctx context.Context) error {
	sb.forgeMu.Lock()
	defer sb.forgeMu.Unlock()
	if sb.forgeDone {
		return nil
	}
	if err := sb.forge.Install(ctx); err != nil {
		return &web.APIError{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "The emulated Forge could not install the app.", Err: fmt.Errorf("sandbox: forge install: %w", err)}
	}
	sb.forgeDone = true
	return nil
}

// hostCookie remembers which host the shell plays (the host switch).
const hostCookie = "backlogai-sandbox-host"

// forgeModuleType is the Jira module type of a module key of manifest.yml
// (the extension context's type).
func forgeModuleType(module string) (string, bool) {
	switch module {
	case "glance":
		return "jira:issueGlance", true
	case "project":
		return "jira:projectPage", true
	}
	return "", false
}

// forgeCSP is close to what Forge serves Custom UI with: scripts and
// styles from the resource itself (inline styles because manifest.yml
// asks for them), no direct network access: every call goes through the
// bridge.
const forgeCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"

func (sb *Shell) forgeRoutes(g *echo.Group, api *echo.Group) {
	g.GET("/forge/ui/:resource/", sb.forgeResource)
	g.GET("/forge/ui/:resource/:file", sb.forgeResource)
	api.POST("/forge/invoke", sb.forgeInvoke)
}

// forgeHost reports whether the shell plays Forge for this request:
// ?host=forge or ?host=connect chooses (and is remembered), else the
// remembered choice.
func (sb *Shell) forgeHost(c echo.Context) bool {
	if sb.forge == nil {
		return false
	}
	switch c.QueryParam("host") {
	case "forge":
		c.SetCookie(&http.Cookie{Name: hostCookie, Value: "forge", Path: "/sandbox", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return true
	case "connect":
		c.SetCookie(&http.Cookie{Name: hostCookie, Value: "", Path: "/sandbox", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return false
	}
	ck, err := c.Cookie(hostCookie)
	return err == nil && ck.Value == "forge"
}

// forgeFrame is the Custom UI resource URL of a module and the context
// view.getContext() yields in it (Forge's shape: the extension context of
// the module, the person, the site).
func (sb *Shell) forgeFrame(ctx context.Context, module string, p *sandboxProject, issueKey, issueID, issueType string, user sandboxUser) (string, string, error) {
	if err := sb.forgeInstalled(ctx); err != nil {
		return "", "", err
	}
	typ, _ := forgeModuleType(module)
	ext := map[string]any{"type": typ, "project": map[string]string{"id": p.ID, "key": p.Key, "type": "software"}}
	if issueKey != "" {
		ext["issue"] = map[string]string{"id": issueID, "key": issueKey, "type": issueType}
	}
	b, _ := json.Marshal(map[string]any{"accountId": user.AccountID, "moduleKey": module, "siteUrl": sb.host.BaseURL(),
		"localId": "sandbox-" + module, "locale": "en-US", "environmentType": "DEVELOPMENT", "extension": ext})
	return "/sandbox/forge/ui/" + module + "/", string(b), nil
}

// forgeResource serves the Custom UI resources: the forge/ui sources, the
// pages' static files, and the bridge shim as bridge.js.
func (sb *Shell) forgeResource(c echo.Context) error {
	res, file := c.Param("resource"), c.Param("file")
	if _, ok := forgeModuleType(res); !ok {
		return echo.ErrNotFound
	}
	if file == "" {
		file = "index.html"
	}
	var body []byte
	var err error
	switch file {
	case "index.html", "loader.js":
		body, err = fs.ReadFile(forgeui.Src, "src/"+file)
	case "bridge.js":
		body = sb.assets["forge-bridge-shim.js"].body
	default:
		if strings.ContainsAny(file, `/\`) || strings.HasPrefix(file, ".") {
			return echo.ErrNotFound
		}
		body, err = fs.ReadFile(frontend.Static(), file)
	}
	if err != nil {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", forgeCSP+"; frame-ancestors "+sb.origin)
	ct := mime.TypeByExtension(path.Ext(file))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return c.Blob(http.StatusOK, ct, body)
}

// forgeInvokeRequest is what the shell sends for one requestRemote call of
// a frame: the frame's module and context, and the call.
type forgeInvokeRequest struct {
	Module  string          `json:"module"`
	Project string          `json:"project"`
	Issue   string          `json:"issue"`
	IssueID string          `json:"issueId"`
	Method  string          `json:"method"`
	Path    string          `json:"path"`
	Body    json.RawMessage `json:"body"`
}

// forgeInvoke is requestRemote of the bridge: the emulated Forge mints a
// FIT for the acting person and the frame's extension context, and calls
// the remote (Authorization: Bearer <FIT>, x-forge-oauth-system,
// x-forge-oauth-user). The answer is the remote's status and body.
func (sb *Shell) forgeInvoke(c echo.Context) error {
	var req forgeInvokeRequest
	if err := json.NewDecoder(c.Request().Body).Decode(&req); err != nil {
		return web.BadRequest("the body must be JSON {module, project, issue, method, path, body}")
	}
	typ, ok := forgeModuleType(req.Module)
	if !ok {
		return web.BadRequest("module: glance or project")
	}
	switch req.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch:
	default:
		return web.BadRequest("method: GET, POST, PUT, PATCH or DELETE")
	}
	// Custom UI reaches the remote's API only (manifest: the api endpoint).
	if !strings.HasPrefix(req.Path, "/api/") || strings.Contains(req.Path, "..") || strings.ContainsAny(req.Path, "#\\") {
		return web.BadRequest("path: the remote's /api/...")
	}
	if !web.ValidKey(req.Project) || (req.Issue != "" && (!web.ValidKey(req.Issue) || web.ProjectOfIssue(req.Issue) != req.Project)) {
		return web.BadRequest("project and issue: Jira keys, the issue in the project")
	}
	if (req.Module == "glance") != (req.Issue != "") {
		return web.BadRequest("issue: the glance has one, the project page none")
	}
	ctx := c.Request().Context()
	if err := sb.forgeInstalled(ctx); err != nil {
		return err
	}
	p, err := sb.project(ctx, req.Project)
	if err != nil {
		return err
	}
	ext := map[string]any{"type": typ, "project": map[string]string{"id": p.ID, "key": p.Key, "type": "software"}}
	if req.Issue != "" {
		ext["issue"] = map[string]string{"id": req.IssueID, "key": req.Issue}
	}
	var body any
	if len(req.Body) > 0 && string(req.Body) != "null" {
		var s string
		if err := json.Unmarshal(req.Body, &s); err != nil || !json.Valid([]byte(s)) {
			return web.BadRequest("body: a JSON text, as requestRemote sends it")
		}
		body = json.RawMessage(s)
	}
	code, out, err := sb.forge.Invoke(ctx, req.Method, req.Path, req.Module, sb.actingUser(c, p).AccountID, ext, body)
	if err != nil {
		return &web.APIError{Status: http.StatusBadGateway, Code: "remote_unreachable", Message: "The emulated Forge could not reach the app.",
			Err: fmt.Errorf("sandbox: forge invoke %s %s: %w", req.Method, req.Path, err)}
	}
	ct := "application/json"
	if !json.Valid(out) {
		ct = "text/html; charset=utf-8"
	}
	return c.JSON(http.StatusOK, map[string]any{"status": code, "headers": map[string]string{"content-type": ct}, "body": string(out)})
}
