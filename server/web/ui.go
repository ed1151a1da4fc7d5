package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/frontend"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/lru"
	"github.com/backlogai/backlogai/server/store"
)

// SandboxHost is what the /sandbox shell needs from the emulated Jira.
type SandboxHost interface {
	// SignedIframeURL is the URL Jira would load for one of our modules.
	SignedIframeURL(path string, query url.Values, accountID string) (string, error)
	ClientKey() string
	SharedSecret() string
	BaseURL() string
}

// Script URLs of Atlassian's Connect library and the sandbox's shim.
const (
	allJSURL     = "https://connect-cdn.atl-paas.net/all.js"
	sandboxAPURL = "/sandbox/ap-shim.js"
)

// ui serves the module pages, their static files and the UI-only API. It
// keeps a small in-memory view of each project's rows for the health
// charts and instant re-ranking.
type ui struct {
	s      *Server
	assets *frontend.Assets
	rows   rowCache
	pages  pageCache
}

// uiRoutes registers the pages, static files and UI-only API endpoints.
func (s *Server) uiRoutes(e *echo.Echo, api *echo.Group) {
	u := &ui{s: s, rows: rowCache{max: maxCachedProjects}, pages: pageCache{max: 20000}}
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
	s.rollUp = u.rollUpEpics
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
}

// static serves /static/<name> and /static/<hash>/<name> from the
// embedded files only: the path is looked up by name in a fixed table,
// so nothing outside it (templates, the repository) can be reached.
func (u *ui) static(c echo.Context) error {
	rest := c.Param("*")
	if dec, err := url.PathUnescape(rest); err == nil {
		rest = dec
	}
	hash, name, hashed := strings.Cut(rest, "/")
	if !hashed {
		name, hash = hash, ""
	}
	f, ok := u.assets.File(name)
	if !ok || strings.Contains(name, "/") || strings.Contains(name, "..") {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	etag := `"` + f.Hash + `"`
	h.Set("ETag", etag)
	h.Set("Vary", "Accept-Encoding")
	if hashed && hash == f.Hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// A plain or outdated URL (a page from before a deploy): serve the
		// current file, but make the browser revalidate.
		h.Set("Cache-Control", "no-cache")
	}
	if match := c.Request().Header.Get("If-None-Match"); match == etag {
		return c.NoContent(http.StatusNotModified)
	}
	body := f.Body
	if strings.Contains(c.Request().Header.Get("Accept-Encoding"), "gzip") {
		body = f.Gzip
		h.Set("Content-Encoding", "gzip")
	}
	if c.Request().Method == http.MethodHead {
		h.Set("Content-Type", f.ContentType)
		return c.NoContent(http.StatusOK)
	}
	return c.Blob(http.StatusOK, f.ContentType, body)
}

// favicon answers the browser's automatic /favicon.ico request with the
// app icon, so that the logs carry no 404 for every page a person opens.
func (u *ui) favicon(c echo.Context) error {
	f, ok := u.assets.File("icon.svg")
	if !ok {
		return c.NoContent(http.StatusNoContent)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	if c.Request().Method == http.MethodHead {
		c.Response().Header().Set("Content-Type", f.ContentType)
		return c.NoContent(http.StatusOK)
	}
	return c.Blob(http.StatusOK, f.ContentType, f.Body)
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

// progress is the project's scan progress, or nil when it never ran.
func (u *ui) progress(ctx context.Context, t *domain.Tenant, project string) *backlog.Progress {
	if u.s.Backlog != nil {
		if p, err := u.s.Backlog.ScanProgress(ctx, t, project); err == nil {
			return p
		}
		return nil
	}
	sc, err := u.s.Store.Tenant(t).Scan(ctx, project)
	if err != nil {
		return nil
	}
	return &backlog.Progress{State: sc.State, Phase: sc.Phase, Done: sc.Done, Total: sc.Total, Written: sc.Written,
		Error: sc.Error, StartedAt: sc.StartedAt.UTC().Format(time.RFC3339)}
}

// maxCachedProjects bounds the row cache; a 10k-issue project's rows take
// a few MB.
const maxCachedProjects = 16

// rowCache keeps each recently used project's rows in memory and brings
// them up to date with a delta query on every use, so several replicas
// may serve the same project.
type rowCache struct {
	max      int
	mu       sync.Mutex
	projects *lru.Cache[rowKey, *projectRows]
}

type rowKey struct {
	tenant  int64
	project string
}

type projectRows struct {
	mu   sync.Mutex
	rows map[string]*store.ProjectRow
	// at is the AnalysedAt of every row held, by row id, tombstones
	// included, so a delta skips what did not change.
	at     map[int64]time.Time
	seen   time.Time
	loaded bool
}

// rowOverlap is how far before the newest change seen a delta looks:
// replicas' clocks and commits are not strictly ordered.
const rowOverlap = 5 * time.Second

// with calls fn with the project's current rows (analysed or not, no
// tombstones) while holding the project's lock; fn must not keep them.
func (rc *rowCache) with(ctx context.Context, ts *store.TenantStore, project string, fn func(rows map[string]*store.ProjectRow) error) error {
	key := rowKey{ts.TenantID(), project}
	rc.mu.Lock()
	if rc.projects == nil {
		rc.projects = lru.New[rowKey, *projectRows](rc.max)
	}
	p, ok := rc.projects.Get(key, time.Time{})
	if !ok {
		p = &projectRows{rows: map[string]*store.ProjectRow{}, at: map[int64]time.Time{}}
		rc.projects.Put(key, p, time.Time{})
	}
	rc.mu.Unlock()

	p.mu.Lock()
	defer p.mu.Unlock()
	since := time.Time{}
	var known func(int64, time.Time) bool
	if p.loaded {
		since = p.seen.Add(-rowOverlap)
		known = func(id int64, at time.Time) bool {
			held, ok := p.at[id]
			return ok && held.Equal(at)
		}
	}
	latest := p.seen
	err := ts.ProjectRows(ctx, project, since, known, func(page []store.ProjectRow) error {
		for i := range page {
			r := page[i]
			if r.Deleted {
				delete(p.rows, r.Key)
			} else {
				p.rows[r.Key] = &r
			}
			p.at[r.ID] = r.AnalysedAt
			if r.AnalysedAt.After(latest) {
				latest = r.AnalysedAt
			}
		}
		return nil
	})
	if err != nil {
		// Applying part of a delta is harmless (so is applying it twice),
		// but the position must not move past it.
		return err
	}
	p.seen, p.loaded = latest, true
	return fn(p.rows)
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
