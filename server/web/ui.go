package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/frontend"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/domain"
)

// Script URLs of Atlassian's Connect library and the sandbox's shim.
const (
	allJSURL     = "https://connect-cdn.atl-paas.net/all.js"
	sandboxAPURL = "/sandbox/ap-shim.js"
)

// ui serves the module pages, their static files and the UI-only API
// (the project rows they read are the Server's insight.Rows).
type ui struct {
	s      *Server
	assets *frontend.Assets
	pages  pageCache
}

// uiRoutes registers the pages, static files and UI-only API endpoints.
func (s *Server) uiRoutes(e *echo.Echo, api *echo.Group) {
	u := &ui{s: s, pages: pageCache{max: 20000}}
	assets, err := frontend.Load(s.basePath, u.funcs())
	if err != nil {
		// The files are compiled in: this is a build defect, which the
		// frontend tests catch. Pages answer with the error meanwhile.
		s.Logger.Error("frontend assets", "err", err)
		fail := func(c echo.Context) error { return err }
		e.GET("/glance", fail, iframeHeaders)
		e.GET("/project", fail, iframeHeaders)
		return
	}
	u.assets = assets
	e.GET("/glance", s.jiraSigned(u.glancePage), iframeHeaders)
	e.GET("/project", s.jiraSigned(u.projectPage), iframeHeaders)
	e.GET(strings.TrimSuffix(frontend.StaticPrefix, "/")+"/*", u.static)
	e.HEAD(strings.TrimSuffix(frontend.StaticPrefix, "/")+"/*", u.static)
	e.GET("/favicon.ico", u.favicon)
	e.HEAD("/favicon.ico", u.favicon)

	api.GET("/projects/:project/health", s.appAPI(u.health))
	api.GET("/projects/:project/permissions", s.appAPI(s.projectRights))
	api.POST("/projects/:project/rerank", s.appAPI(u.rerank))
	api.POST("/issues/:issue/link-duplicate", s.appAPI(u.linkDuplicate))
	api.GET("/issues/:issue/panel", s.appAPI(u.panel))
	api.GET("/issues/:issue/version", s.appAPI(u.version))
	api.GET("/issues/:issue/history", s.appAPI(u.issueHistory))
	api.PUT("/issues/:issue/inputs", s.appAPI(u.putInputs))
	api.GET("/projects/:project/trend", s.appAPI(u.projectTrend))
	api.GET("/projects/:project/value-effort", s.appAPI(u.valueEffort))
	if s.Forge != nil {
		u.forgePageRoutes(api) // forge.go
	}
}

// render writes a page with the headers every module page carries.
func (u *ui) render(c echo.Context, name string, data any) error {
	var buf strings.Builder
	if err := u.assets.Render(&buf, name, data); err != nil {
		return err
	}
	return c.HTML(http.StatusOK, buf.String())
}

// pageMeta is what the shared head of both pages needs.
type pageMeta struct {
	Title string
	// APScript is Atlassian's all.js, or the sandbox's shim.
	APScript string
	Script   string // the page's own script (static file name)
	Sandbox  bool
	Base     string
}

func (u *ui) meta(title, script string) pageMeta {
	m := pageMeta{Title: title, APScript: allJSURL, Script: script, Base: u.s.basePath}
	if u.s.Config.Sandbox {
		m.Sandbox = true
		m.APScript = u.s.basePath + sandboxAPURL
	}
	return m
}

// progress is the project's scan progress, or nil when it never ran or
// cannot be read (the page then renders without it).
func (u *ui) progress(ctx context.Context, t *domain.Tenant, project string) *backlog.Progress {
	p, err := u.scanProgress(ctx, t, project)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		u.s.Logger.Warn("scan progress for a page", "tenant_id", t.ID, "project", project, "err", err)
	}
	return p
}

func (u *ui) scanProgress(ctx context.Context, t *domain.Tenant, project string) (*backlog.Progress, error) {
	if u.s.Backlog != nil {
		return u.s.Backlog.ScanProgress(ctx, t, project)
	}
	sc, err := u.s.Store.Tenant(t).Scan(ctx, project)
	if err != nil {
		return nil, err
	}
	return &backlog.Progress{State: sc.State, Phase: sc.Phase, Done: sc.Done, Total: sc.Total, Written: sc.Written,
		Error: sc.Error, StartedAt: sc.StartedAt.UTC().Format(time.RFC3339)}, nil
}

// funcs are the template helpers.
func (u *ui) funcs() template.FuncMap {
	return template.FuncMap{
		"lower":      strings.ToLower,
		"moscowSlug": moscowSlug,
		"flagLabel":  flagLabel,
		"pct":        func(v float64) int { return int(v*100 + 0.5) },
		"num":        fmtNum,
		"plural":     func(n int, one, many string) string { return pluralWord(n, one, many) },
		"stateText":  stateText,
		"severityText": func(s string) string {
			switch s {
			case string(domain.SeverityError):
				return "Error"
			case string(domain.SeverityWarning):
				return "Warning"
			}
			return "Note"
		},
		"methodText": func(m string) string {
			switch m {
			case "neighbours":
				return "from similar past issues"
			case "median":
				return "the team's median"
			case "insufficient":
				return "not enough signal"
			}
			return m
		},
		"phaseText": func(p string) string {
			switch p {
			case "fetch":
				return "reading issues from Jira"
			case "analyse":
				return "analysing issues"
			case "write":
				return "writing scores back to Jira"
			}
			return "working"
		},
	}
}

func stateText(st string) string {
	switch st {
	case "pass":
		return "Pass"
	case "warn":
		return "Warning"
	case "fail":
		return "Fail"
	case domain.LetterNotApplicable:
		return "Not applicable"
	}
	return st
}

// moscowSlug is a class name for CSS ("wont" for Won't).
func moscowSlug(m string) string {
	switch domain.Moscow(m) {
	case domain.MoscowMust:
		return "must"
	case domain.MoscowShould:
		return "should"
	case domain.MoscowCould:
		return "could"
	case domain.MoscowWont:
		return "wont"
	case domain.MoscowDone:
		return "done"
	}
	return "none"
}

func flagLabel(f string) string {
	switch f {
	case domain.FlagTooBig:
		return "too big"
	}
	return f
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
