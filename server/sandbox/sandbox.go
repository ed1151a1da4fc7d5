// Package sandbox is the /sandbox shell: a minimal Jira-like host page
// around the app's real module pages, for local use. It is mounted on the
// app's router through web.Deps.Mount (only in sandbox mode, embedded
// database only) and answers only on loopback.
//
// The shell plays both hosts: Connect (the default), where it embeds the
// signed iframe URLs of the descriptor's modules and talks to them
// through ap-shim.js; and Forge (?host=forge), where it embeds the Custom
// UI resources built from the same pages and implements @forge/bridge
// for them (forge.go).
package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	sandboxui "github.com/backlogai/backlogai/frontend/sandbox"
	"github.com/backlogai/backlogai/server/adf"
	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/web"
)

const (
	// sandboxTokenTTL is the lifetime of the context tokens the shell hands
	// to its iframes (Jira's are 15 minutes too).
	sandboxTokenTTL = 15 * time.Minute
	// sandboxPageSize is the number of issues on one page of the shell's list.
	sandboxPageSize = 50
	// sandboxTimeout bounds one call from the shell to the emulated Jira.
	sandboxTimeout = 10 * time.Second
	// limitAPI bounds the body of the shell's own API calls.
	limitAPI = 1 << 20
)

// Host is what the shell needs from the emulated Jira (jiraemu.Emulator).
type Host interface {
	// SignedIframeURL is the URL Jira would load for one of our modules.
	SignedIframeURL(path string, query url.Values, accountID string) (string, error)
	ClientKey() string
	SharedSecret() string
	BaseURL() string
}

// Options configure the shell.
type Options struct {
	Config *config.Config
	// Host is the emulated Jira (Connect host role).
	Host Host
	// Forge is the emulated Jira's Forge host role (jiraemu.ForgeHost);
	// nil: the shell offers the Connect host only.
	Forge  ForgeInvoker
	Logger *slog.Logger
	Now    func() time.Time
}

// Shell is the /sandbox shell.
type Shell struct {
	cfg    *config.Config
	host   Host
	forge  ForgeInvoker
	log    *slog.Logger
	now    func() time.Time
	client *http.Client
	tmpl   *template.Template
	assets map[string]sandboxAsset
	origin string // scheme://host of the app, where the shell must be opened

	forgeMu   sync.Mutex
	forgeDone bool // the Forge app is installed on the emulated site

	mu       sync.Mutex
	info     *sandboxSite
	projects map[string]*sandboxProject
}

type sandboxAsset struct {
	body        []byte
	contentType string
}

// sandboxSite is what the shell learns once from the emulator's admin API.
type sandboxSite struct {
	Projects []string `json:"projects"`
	// Users are the site's demo people of different rights, whom the
	// shell's user switcher offers.
	Users            []sandboxDemoUser `json:"users"`
	StoryPointsField string            `json:"storyPointsField"`
}

type sandboxProject struct {
	ID          string
	Key         string
	Name        string
	Description string
	Lead        sandboxUser
}

type sandboxUser struct {
	AccountID   string `json:"accountId"`
	DisplayName string `json:"displayName"`
}

type sandboxDemoUser struct {
	sandboxUser
	Rights string `json:"rights"`
}

// sandboxUserCookie remembers whom the shell acts as (the user switcher).
const sandboxUserCookie = "backlogai-sandbox-user"

// actingUser is the person the shell is signed in as: the one chosen with
// ?as= (remembered in a cookie) if the site knows them, else the project
// lead. Tokens, iframe URLs and edits all carry this account, so the app's
// permission checks see that person's rights.
func (sb *Shell) actingUser(c echo.Context, p *sandboxProject) sandboxUser {
	want := c.QueryParam("as")
	fromQuery := want != ""
	if !fromQuery {
		if ck, err := c.Cookie(sandboxUserCookie); err == nil {
			want = ck.Value
		}
	}
	if want == "" || want == p.Lead.AccountID {
		if fromQuery {
			sb.rememberUser(c, p.Lead.AccountID)
		}
		return p.Lead
	}
	si, err := sb.site(c.Request().Context())
	if err != nil {
		return p.Lead
	}
	for _, u := range si.Users {
		if u.AccountID == want {
			if fromQuery {
				sb.rememberUser(c, want)
			}
			return u.sandboxUser
		}
	}
	return p.Lead
}

func (sb *Shell) rememberUser(c echo.Context, accountID string) {
	c.SetCookie(&http.Cookie{Name: sandboxUserCookie, Value: accountID, Path: "/sandbox", HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// userChoices are the switcher's entries: the site's demo users, and the
// lead when not among them.
func (sb *Shell) userChoices(c echo.Context, p *sandboxProject) []sandboxDemoUser {
	out := []sandboxDemoUser{}
	if si, err := sb.site(c.Request().Context()); err == nil {
		out = append(out, si.Users...)
	}
	for _, u := range out {
		if u.AccountID == p.Lead.AccountID {
			return out
		}
	}
	return append([]sandboxDemoUser{{sandboxUser: p.Lead, Rights: "project lead"}}, out...)
}

// New builds the shell. It serves nothing until mounted.
func New(o Options) *Shell {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	sb := &Shell{cfg: o.Config, host: o.Host, forge: o.Forge, log: o.Logger, now: o.Now,
		client: &http.Client{Timeout: sandboxTimeout}, assets: map[string]sandboxAsset{}, projects: map[string]*sandboxProject{}}
	if u, err := url.Parse(o.Config.BaseURL); err == nil {
		sb.origin = u.Scheme + "://" + u.Host
	}
	sb.tmpl = template.Must(template.New("shell.html").Funcs(template.FuncMap{
		"initials": initials,
	}).ParseFS(sandboxui.FS, "shell.html"))
	for name, ct := range map[string]string{
		"ap-shim.js":           "text/javascript; charset=utf-8",
		"forge-bridge-shim.js": "text/javascript; charset=utf-8",
		"shell.js":             "text/javascript; charset=utf-8",
		"shell.css":            "text/css; charset=utf-8",
	} {
		b, err := fs.ReadFile(sandboxui.FS, name)
		if err != nil {
			panic(fmt.Sprintf("sandbox: embedded %s: %v", name, err)) // a build defect
		}
		sb.assets[name] = sandboxAsset{body: b, contentType: ct}
	}
	return sb
}

// Mount registers the /sandbox routes on the app's router (web.Deps.Mount).
// Outside sandbox mode, or without an emulated Jira, it registers nothing:
// the shell signs tokens for whoever asks.
func (sb *Shell) Mount(e *echo.Echo) {
	if sb.host == nil || sb.cfg == nil || !sb.cfg.Sandbox {
		return
	}
	// Module pages allow framing by the tenant's Jira only; in the sandbox
	// "Jira" is the shell, served by this very app.
	e.Use(sb.allowShellFraming)

	g := e.Group("/sandbox", sb.localOnly)
	g.GET("", sb.shellPage, sb.canonicalHost, web.HTMLErrors)
	g.GET("/issue/:key", sb.issuePage, sb.canonicalHost, web.HTMLErrors)
	g.GET("/ap-shim.js", sb.asset("ap-shim.js"))
	g.GET("/shell.css", sb.asset("shell.css"))
	g.GET("/shell.js", sb.asset("shell.js"))

	api := g.Group("/api", web.BodyLimit(limitAPI), web.NoStore, sb.sameOriginWrites)
	api.GET("/context-token", sb.contextToken)
	api.GET("/issues/:key", sb.issueStatus)
	api.PUT("/issues/:key", sb.editIssue)
	if sb.forge != nil {
		sb.forgeRoutes(g, api)
	}
}

// --- access -----------------------------------------------------------------

// localOnly refuses every sandbox request that does not come from this
// machine, or that names a host other than a loopback one (a DNS-rebinding
// page on another name cannot reach it). The sandbox signs Jira tokens for
// whoever asks, so it must never be reachable from elsewhere.
func (sb *Shell) localOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !loopbackRemote(r.RemoteAddr) || !sb.localHost(r.Host) {
			return &web.APIError{Status: http.StatusForbidden, Code: "forbidden",
				Message: "The sandbox answers only to requests from this machine (loopback)."}
		}
		return next(c)
	}
}

// loopbackRemote reports whether a RemoteAddr is a loopback address. The
// peer address, never X-Forwarded-For: a proxy in front would make every
// request look local.
func loopbackRemote(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// localHost accepts loopback names and the configured BASE_URL's host.
func (sb *Shell) localHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Unmap().IsLoopback() {
		return true
	}
	if u, err := url.Parse(sb.origin); err == nil && strings.EqualFold(u.Hostname(), host) {
		return true
	}
	return false
}

// canonicalHost sends the shell to the app's own origin (BASE_URL), so
// that the shell and the iframes it embeds share an origin the iframes'
// frame-ancestors policy names.
func (sb *Shell) canonicalHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if sb.origin != "" && !strings.EqualFold("http://"+r.Host, sb.origin) && !strings.EqualFold("https://"+r.Host, sb.origin) {
			return c.Redirect(http.StatusFound, sb.origin+r.URL.RequestURI())
		}
		return next(c)
	}
}

// sameOriginWrites makes writes need a JSON body and a custom header, which
// a cross-site form cannot send without a CORS preflight that we never
// answer.
func (sb *Shell) sameOriginWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if r.Header.Get("X-Sandbox-Shell") != "1" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				return &web.APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "Sandbox writes come from the sandbox shell only."}
			}
		}
		return next(c)
	}
}

// allowShellFraming adds the shell's origin to the frame-ancestors of
// module pages that already allow their tenant's Jira (never to a page
// that refused framing, such as an authentication error).
func (sb *Shell) allowShellFraming(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		res.Before(func() {
			h := res.Header()
			if csp := h.Get("Content-Security-Policy"); csp != "" && sb.origin != "" {
				h.Set("Content-Security-Policy", addFrameAncestor(csp, sb.origin))
			}
		})
		return next(c)
	}
}

// addFrameAncestor appends origin to the frame-ancestors directive of csp
// unless it is 'none' or already lists origin.
func addFrameAncestor(csp, origin string) string {
	parts := strings.Split(csp, ";")
	for i, p := range parts {
		fields := strings.Fields(p)
		if len(fields) == 0 || !strings.EqualFold(fields[0], "frame-ancestors") {
			continue
		}
		for _, src := range fields[1:] {
			if src == "'none'" || strings.EqualFold(src, origin) {
				return csp
			}
		}
		lead := p[:len(p)-len(strings.TrimLeft(p, " "))]
		parts[i] = lead + strings.Join(append(fields, origin), " ")
	}
	return strings.Join(parts, ";")
}

func (sb *Shell) asset(name string) echo.HandlerFunc {
	a := sb.assets[name]
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.Blob(http.StatusOK, a.contentType, a.body)
	}
}

// --- pages ------------------------------------------------------------------

// shellView is the data of shell.html.
type shellView struct {
	Title      string
	View       string // app, issues or issue
	Project    *sandboxProject
	User       sandboxUser
	Users      []sandboxDemoUser // the user switcher's choices
	FrameURL   string            // signed URL of the embedded module page
	FrameTitle string
	Context    string // JSON context of the embedded page, for the shim
	// Forge: the shell plays the Forge host (Custom UI with the bridge
	// shim) instead of Connect; Forgeable: the host switch is offered.
	Forge, Forgeable bool

	// Issue list.
	Query    string
	Issues   []sandboxIssueRow
	NextPage string
	Paged    bool

	// Issue view.
	Issue  *sandboxIssue
	Glance sandboxGlance
	Open   bool // glance panel open on load
}

type sandboxIssueRow struct {
	Key, Summary, Type, Status, StatusCategory, Priority, Assignee string
}

type sandboxIssue struct {
	sandboxIssueRow
	ID          string
	Description string
	Reporter    string
	Labels      []string
	Components  []string
	Parent      string
	Points      string
	DueDate     string // as Jira stores it, YYYY-MM-DD
	Created     string
	Updated     string
}

// sandboxGlance is the glance button as Jira renders it: the app's status
// lozenge when the app set one, else the descriptor's label.
type sandboxGlance struct {
	Label string
	Type  string // lozenge appearance; "" for a plain label
	Stamp string // changes whenever the app rewrites its properties
}

func (sb *Shell) shellPage(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := sb.pickProject(ctx, c.QueryParam("project"))
	if err != nil {
		return err
	}
	v := &shellView{Project: p, User: sb.actingUser(c, p), Users: sb.userChoices(c, p), View: "app",
		Forge: sb.forgeHost(c), Forgeable: sb.forge != nil}
	switch c.QueryParam("view") {
	case "issues":
		v.View = "issues"
		v.Title = "Issues - " + p.Name
		v.Query = strings.TrimSpace(c.QueryParam("q"))
		v.Paged = c.QueryParam("page") != ""
		if v.Issues, v.NextPage, err = sb.search(ctx, p.Key, v.Query, c.QueryParam("page")); err != nil {
			return err
		}
	default:
		v.Title = "BacklogAI - " + p.Name
		v.FrameTitle = "BacklogAI project page"
		if v.Forge {
			if v.FrameURL, v.Context, err = sb.forgeFrame(ctx, "project", p, "", "", "", v.User); err != nil {
				return err
			}
			break
		}
		q := url.Values{"projectKey": {p.Key}, "projectId": {p.ID}}
		if v.FrameURL, err = sb.host.SignedIframeURL("/project", q, v.User.AccountID); err != nil {
			return fmt.Errorf("sandbox: sign project page: %w", err)
		}
		v.Context = contextJSON(p, "", "")
	}
	return sb.render(c, v)
}

func (sb *Shell) issuePage(c echo.Context) error {
	ctx := c.Request().Context()
	key := strings.ToUpper(c.Param("key"))
	if !web.ValidKey(key) || !strings.Contains(key, "-") {
		return &web.APIError{Status: http.StatusNotFound, Code: "not_found", Message: "No issue with that key."}
	}
	p, err := sb.pickProject(ctx, web.ProjectOfIssue(key))
	if err != nil {
		return err
	}
	is, glance, err := sb.issue(ctx, key)
	if err != nil {
		return err
	}
	user := sb.actingUser(c, p)
	v := &shellView{Title: "[" + is.Key + "] " + is.Summary, View: "issue", Project: p, User: user, Users: sb.userChoices(c, p),
		Issue: is, Glance: glance, FrameTitle: "BacklogAI for " + is.Key, Open: c.QueryParam("glance") == "open",
		Forge: sb.forgeHost(c), Forgeable: sb.forge != nil}
	if v.Forge {
		if v.FrameURL, v.Context, err = sb.forgeFrame(ctx, "glance", p, is.Key, is.ID, is.Type, user); err != nil {
			return err
		}
		return sb.render(c, v)
	}
	q := url.Values{"issueKey": {is.Key}, "projectKey": {p.Key}}
	frame, err := sb.host.SignedIframeURL("/glance", q, user.AccountID)
	if err != nil {
		return fmt.Errorf("sandbox: sign glance: %w", err)
	}
	v.FrameURL, v.Context = frame, contextJSON(p, is.Key, is.ID)
	return sb.render(c, v)
}

func (sb *Shell) render(c echo.Context, v *shellView) error {
	var buf bytes.Buffer
	if err := sb.tmpl.Execute(&buf, v); err != nil {
		return fmt.Errorf("sandbox: render: %w", err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// contextJSON is what AP.context.getContext() yields in the embedded page.
func contextJSON(p *sandboxProject, issueKey, issueID string) string {
	jira := map[string]any{"project": map[string]string{"key": p.Key, "id": p.ID}}
	if issueKey != "" {
		jira["issue"] = map[string]string{"key": issueKey, "id": issueID}
	}
	b, _ := json.Marshal(map[string]any{"jira": jira})
	return string(b)
}

func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			out = append(out, r)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

// --- API --------------------------------------------------------------------

// contextToken is AP.context.getToken() of the sandbox: an HS256 token with
// qsh "context-qsh" for the page's Jira context, signed with the
// installation's shared secret, as Jira issues it.
func (sb *Shell) contextToken(c echo.Context) error {
	project, issue := c.QueryParam("project"), strings.ToUpper(c.QueryParam("issue"))
	if issue != "" {
		if !web.ValidKey(issue) || !strings.Contains(issue, "-") {
			return web.BadRequest("invalid issue key")
		}
		if project == "" {
			project = web.ProjectOfIssue(issue)
		} else if !strings.EqualFold(project, web.ProjectOfIssue(issue)) {
			return web.BadRequest("the issue is not in that project")
		}
	}
	if !web.ValidKey(project) {
		return web.BadRequest("invalid project key")
	}
	secret := sb.host.SharedSecret()
	if secret == "" {
		return &web.APIError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "The emulated Jira has not installed the app."}
	}
	p, err := sb.project(c.Request().Context(), strings.ToUpper(project))
	if err != nil {
		return err
	}
	jira := map[string]any{"project": map[string]string{"key": p.Key, "id": p.ID}}
	if issue != "" {
		jira["issue"] = map[string]string{"key": issue}
	}
	ctxClaim, _ := json.Marshal(map[string]any{"jira": jira})
	now := sb.now()
	exp := now.Add(sandboxTokenTTL)
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: sb.host.ClientKey(), Subject: sb.actingUser(c, p).AccountID, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	}, QSH: connect.ContextQSH, Context: ctxClaim}, secret)
	if err != nil {
		return fmt.Errorf("sandbox: context token: %w", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"token": tok, "expiresAt": exp.UTC().Format(time.RFC3339)})
}

// issueStatus is what the shell polls after an edit: the summary and the
// glance as the app last wrote it.
func (sb *Shell) issueStatus(c echo.Context) error {
	key := strings.ToUpper(c.Param("key"))
	if !web.ValidKey(key) || !strings.Contains(key, "-") {
		return web.BadRequest("invalid issue key")
	}
	is, g, err := sb.issue(c.Request().Context(), key)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"key": is.Key, "id": is.ID, "summary": is.Summary,
		"glance": map[string]string{"label": g.Label, "type": g.Type, "stamp": g.Stamp}})
}

// editIssue changes an issue's summary as a person would in Jira: through
// the emulator's admin API, which records the change and sends the signed
// jira:issue_updated webhook to the app.
func (sb *Shell) editIssue(c echo.Context) error {
	key := strings.ToUpper(c.Param("key"))
	if !web.ValidKey(key) || !strings.Contains(key, "-") {
		return web.BadRequest("invalid issue key")
	}
	var body struct {
		Summary string `json:"summary"`
	}
	if err := json.NewDecoder(c.Request().Body).Decode(&body); err != nil {
		return web.BadRequest("the body must be JSON {\"summary\": \"...\"}")
	}
	body.Summary = strings.TrimSpace(body.Summary)
	if body.Summary == "" || len(body.Summary) > 255 || strings.ContainsAny(body.Summary, "\r\n") {
		return web.BadRequest("A summary is one line of 1 to 255 characters.")
	}
	ctx := c.Request().Context()
	p, err := sb.project(ctx, web.ProjectOfIssue(key))
	if err != nil {
		return err
	}
	payload, _ := json.Marshal(map[string]any{"fields": map[string]string{"summary": body.Summary}, "accountId": sb.actingUser(c, p).AccountID})
	if err := sb.call(ctx, http.MethodPut, "/_emulator/issues/"+url.PathEscape(key), nil, payload, false, nil); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// --- the emulated Jira --------------------------------------------------------

// call sends one request to the emulated Jira: REST calls signed as the
// installed app (iss = app key, qsh of the request), admin calls unsigned.
func (sb *Shell) call(ctx context.Context, method, path string, query url.Values, body []byte, signed bool, out any) error {
	base := strings.TrimSuffix(sb.host.BaseURL(), "/")
	u, err := url.Parse(base + path)
	if err != nil {
		return fmt.Errorf("sandbox: jira url: %w", err)
	}
	u.RawQuery = query.Encode()
	ctx, cancel := context.WithTimeout(ctx, sandboxTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("sandbox: jira request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if signed {
		bu, _ := url.Parse(base)
		tok, err := connect.OutgoingToken(sb.cfg.AppKey, sb.host.SharedSecret(), method, u, bu.EscapedPath(), sb.now())
		if err != nil {
			return &web.APIError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "The emulated Jira has not installed the app.", Err: err}
		}
		req.Header.Set("Authorization", "JWT "+tok)
	}
	resp, err := sb.client.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox: %s %s: %w: %w", method, path, domain.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("sandbox: %s %s: read: %w", method, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return &web.APIError{Status: http.StatusNotFound, Code: "not_found", Message: "Not found in the emulated Jira.",
			Err: fmt.Errorf("%s %s: %s", method, path, raw)}
	case resp.StatusCode == http.StatusBadRequest:
		return &web.APIError{Status: http.StatusBadRequest, Code: "bad_request", Message: "The emulated Jira refused the change: " + jiraMessage(raw)}
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("sandbox: %s %s: status %d: %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("sandbox: %s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// jiraMessage extracts Jira's error text from an error body.
func jiraMessage(raw []byte) string {
	var e struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return "invalid request"
	}
	msgs := append([]string(nil), e.ErrorMessages...)
	for k, v := range e.Errors {
		msgs = append(msgs, k+": "+v)
	}
	if len(msgs) == 0 {
		return "invalid request"
	}
	return strings.Join(msgs, "; ")
}

// site returns the emulator's projects and story point field (cached).
func (sb *Shell) site(ctx context.Context) (*sandboxSite, error) {
	sb.mu.Lock()
	info := sb.info
	sb.mu.Unlock()
	if info != nil {
		return info, nil
	}
	var si sandboxSite
	if err := sb.call(ctx, http.MethodGet, "/_emulator/info", nil, nil, false, &si); err != nil {
		return nil, err
	}
	sb.mu.Lock()
	sb.info = &si
	sb.mu.Unlock()
	return &si, nil
}

// pickProject returns the named project, or the site's first one.
func (sb *Shell) pickProject(ctx context.Context, key string) (*sandboxProject, error) {
	key = strings.ToUpper(strings.TrimSpace(key))
	if key == "" {
		si, err := sb.site(ctx)
		if err != nil {
			return nil, err
		}
		if len(si.Projects) == 0 {
			return nil, &web.APIError{Status: http.StatusNotFound, Code: "not_found", Message: "The emulated Jira has no project."}
		}
		key = si.Projects[0]
		for _, k := range si.Projects {
			if k == "SHOP" { // the demo project, when present
				key = k
			}
		}
	}
	if !web.ValidKey(key) {
		return nil, web.BadRequest("invalid project key")
	}
	return sb.project(ctx, key)
}

// project reads a project (id, name, lead) from the emulated Jira, once.
func (sb *Shell) project(ctx context.Context, key string) (*sandboxProject, error) {
	sb.mu.Lock()
	p := sb.projects[key]
	sb.mu.Unlock()
	if p != nil {
		return p, nil
	}
	var raw struct {
		ID          string      `json:"id"`
		Key         string      `json:"key"`
		Name        string      `json:"name"`
		Description string      `json:"description"`
		Lead        sandboxUser `json:"lead"`
	}
	if err := sb.call(ctx, http.MethodGet, "/rest/api/3/project/"+url.PathEscape(key), nil, nil, true, &raw); err != nil {
		return nil, err
	}
	p = &sandboxProject{ID: raw.ID, Key: raw.Key, Name: raw.Name, Description: raw.Description, Lead: raw.Lead}
	if p.Lead.AccountID == "" {
		p.Lead = sandboxUser{AccountID: "557058:sandbox-user", DisplayName: "Sandbox user"}
	}
	sb.mu.Lock()
	sb.projects[key] = p
	sb.mu.Unlock()
	return p, nil
}

// jiraIssue is the part of Jira's IssueBean the shell shows.
type jiraIssue struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Summary     string          `json:"summary"`
		Description json.RawMessage `json:"description"`
		IssueType   struct {
			Name string `json:"name"`
		} `json:"issuetype"`
		Status struct {
			Name     string `json:"name"`
			Category struct {
				Key string `json:"key"`
			} `json:"statusCategory"`
		} `json:"status"`
		Priority *struct {
			Name string `json:"name"`
		} `json:"priority"`
		Assignee   *sandboxUser `json:"assignee"`
		Reporter   *sandboxUser `json:"reporter"`
		Labels     []string     `json:"labels"`
		DueDate    string       `json:"duedate"`
		Components []struct {
			Name string `json:"name"`
		} `json:"components"`
		Parent *struct {
			Key    string `json:"key"`
			Fields struct {
				Summary string `json:"summary"`
			} `json:"fields"`
		} `json:"parent"`
		Created string `json:"created"`
		Updated string `json:"updated"`
	} `json:"fields"`
	Properties map[string]json.RawMessage `json:"properties"`
}

func (j *jiraIssue) row() sandboxIssueRow {
	r := sandboxIssueRow{Key: j.Key, Summary: j.Fields.Summary, Type: j.Fields.IssueType.Name,
		Status: j.Fields.Status.Name, StatusCategory: j.Fields.Status.Category.Key, Assignee: "Unassigned"}
	if j.Fields.Priority != nil {
		r.Priority = j.Fields.Priority.Name
	}
	if j.Fields.Assignee != nil && j.Fields.Assignee.DisplayName != "" {
		r.Assignee = j.Fields.Assignee.DisplayName
	}
	return r
}

var listFields = []string{"summary", "issuetype", "status", "priority", "assignee"}

// search lists a project's issues, newest first, optionally filtered by
// words of the summary; page is Jira's nextPageToken.
func (sb *Shell) search(ctx context.Context, project, q, page string) ([]sandboxIssueRow, string, error) {
	jql := "project = " + project
	if q != "" {
		jql += ` AND summary ~ "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(q) + `"`
	}
	jql += " ORDER BY created DESC"
	req := map[string]any{"jql": jql, "fields": listFields, "maxResults": sandboxPageSize}
	if page != "" {
		req["nextPageToken"] = page
	}
	body, _ := json.Marshal(req)
	var res struct {
		Issues        []jiraIssue `json:"issues"`
		NextPageToken string      `json:"nextPageToken"`
	}
	if err := sb.call(ctx, http.MethodPost, "/rest/api/3/search/jql", nil, body, true, &res); err != nil {
		return nil, "", err
	}
	rows := make([]sandboxIssueRow, len(res.Issues))
	for i := range res.Issues {
		rows[i] = res.Issues[i].row()
	}
	return rows, res.NextPageToken, nil
}

// issue reads one issue with the app's properties (the glance status).
func (sb *Shell) issue(ctx context.Context, key string) (*sandboxIssue, sandboxGlance, error) {
	si, err := sb.site(ctx)
	if err != nil {
		return nil, sandboxGlance{}, err
	}
	glanceKey := analysis.GlanceStatusKey(sb.cfg.AppKey, backlog.GlanceModuleKey)
	fields := append(append([]string{}, listFields...), "description", "reporter", "labels", "components", "parent", "duedate", "created", "updated")
	if si.StoryPointsField != "" {
		fields = append(fields, si.StoryPointsField)
	}
	q := url.Values{"fields": {strings.Join(fields, ",")}, "properties": {backlog.PropertyKey + "," + glanceKey}}
	var raw json.RawMessage
	if err := sb.call(ctx, http.MethodGet, "/rest/api/3/issue/"+url.PathEscape(key), q, nil, true, &raw); err != nil {
		return nil, sandboxGlance{}, err
	}
	var j jiraIssue
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, sandboxGlance{}, fmt.Errorf("sandbox: decode issue %s: %w", key, err)
	}
	is := &sandboxIssue{sandboxIssueRow: j.row(), ID: j.ID, Labels: j.Fields.Labels, DueDate: j.Fields.DueDate,
		Created: jiraDate(j.Fields.Created), Updated: jiraDate(j.Fields.Updated), Reporter: "Unknown"}
	if len(j.Fields.Description) > 0 && string(j.Fields.Description) != "null" {
		if is.Description, err = adf.PlainText(j.Fields.Description); err != nil {
			is.Description = ""
		}
	}
	if j.Fields.Reporter != nil {
		is.Reporter = j.Fields.Reporter.DisplayName
	}
	for _, c := range j.Fields.Components {
		is.Components = append(is.Components, c.Name)
	}
	if j.Fields.Parent != nil {
		is.Parent = j.Fields.Parent.Key + " " + j.Fields.Parent.Fields.Summary
	}
	if si.StoryPointsField != "" {
		var all struct {
			Fields map[string]json.RawMessage `json:"fields"`
		}
		if json.Unmarshal(raw, &all) == nil {
			if v := all.Fields[si.StoryPointsField]; len(v) > 0 && string(v) != "null" {
				is.Points = string(v)
			}
		}
	}
	return is, glanceOf(j.Properties, glanceKey), nil
}

// glanceOf is the glance button's content from the issue's properties.
func glanceOf(props map[string]json.RawMessage, glanceKey string) sandboxGlance {
	g := sandboxGlance{Label: "Backlog score"} // the descriptor's label
	var st struct {
		Type  string `json:"type"`
		Value struct {
			Label string `json:"label"`
			Type  string `json:"type"`
		} `json:"value"`
	}
	if raw := props[glanceKey]; len(raw) > 0 && json.Unmarshal(raw, &st) == nil && st.Value.Label != "" {
		g.Label = st.Value.Label
		g.Type = st.Value.Type
		if g.Type == "" {
			g.Type = "default"
		}
	}
	h := sha256.New()
	h.Write(props[backlog.PropertyKey])
	h.Write(props[glanceKey])
	g.Stamp = hex.EncodeToString(h.Sum(nil)[:8])
	return g
}

func jiraDate(s string) string {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2 Jan 2006")
		}
	}
	return s
}
