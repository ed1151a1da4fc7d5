// Package web is the HTTP surface of the app: the Connect descriptor,
// lifecycle callbacks, Jira-signed module pages and webhooks, and the app's
// own API called from its iframes. Handlers are methods on Server, grouped
// by the authentication they require, and return errors that one error
// handler maps to responses.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/forge"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/insight"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/projectmodel"
	"github.com/backlogai/backlogai/server/store"
)

// Body size limits per route group.
const (
	limitLifecycle = 64 << 10
	limitWebhook   = 2 << 20
	limitAPI       = 1 << 20
)

// InstallVerifier checks signed-install tokens on installed/uninstalled.
type InstallVerifier interface {
	Verify(ctx context.Context, r *http.Request, clientKey, baseURL string) (*connect.Claims, error)
	// CheckSiteURLs checks an install's baseUrl and displayUrl (errors
	// wrap domain.ErrInvalid and name the field).
	CheckSiteURLs(baseURL, displayURL string) error
}

// Hooks let other services react to lifecycle events without the web
// package knowing them (the job queue stops a tenant's work on uninstall).
type Hooks struct {
	OnUninstalled func(ctx context.Context, t *domain.Tenant)
}

// Deps are the Server's collaborators.
type Deps struct {
	Config *config.Config
	Store  *store.Store
	// Auth verifies Jira-signed requests to active tenants.
	Auth connect.Authenticator
	// LifecycleAuth verifies enabled/disabled callbacks (also accepts
	// disabled tenants).
	LifecycleAuth connect.Authenticator
	Install       InstallVerifier
	// Forge, when set, serves the Forge Remote endpoints under /forge
	// (Auth should then be a forge.HostAuth so /api accepts FITs too).
	Forge *forge.Authenticator
	// Backlog keeps projects analysed (webhooks, scans, results).
	Backlog *backlog.Service
	// JiraClients and Models (required with Backlog) are the Jira clients
	// and project models Backlog and Generator use too.
	JiraClients *jiraclients.Registry
	Models      *projectmodel.Cache
	// Generator drafts, improves and splits stories (generate.go, drafts.go, improve.go).
	Generator *generate.Service
	// Access checks the acting person's Jira permissions before writes
	// (default: a checker over JiraClients; nil without them refuses
	// every write).
	Access *access.Checker
	// Mount registers routes of packages outside web on the router after
	// the app's own (the /sandbox shell in sandbox mode).
	Mount []func(*echo.Echo)
	Hooks Hooks
	// Descriptor is the atlassian-connect.json template.
	Descriptor []byte
	Logger     *slog.Logger
	Now        func() time.Time
}

// Server is the app's HTTP server.
type Server struct {
	Deps
	e              *echo.Echo
	basePath       string
	descriptorJSON []byte
	http           *http.Server
	fairness       *fairness // nil: no per-tenant API limits
	// rows is the read model of projects' rows behind the Health tab, the
	// re-ranking preview, epic roll-ups and the get_health tool.
	rows *insight.Rows
}

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Backlog != nil && (d.JiraClients == nil || d.Models == nil) {
		return nil, fmt.Errorf("web: Backlog needs JiraClients and Models: %w", domain.ErrInvalid)
	}
	if d.Access == nil && d.JiraClients != nil {
		d.Access = &access.Checker{Clients: d.JiraClients.App, Now: d.Now}
	}
	u, err := url.Parse(d.Config.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("web: base url: %w", err)
	}
	desc, err := RenderDescriptor(d.Descriptor, d.Config.BaseURL, d.Config.AppKey)
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, e: echo.New(), basePath: u.EscapedPath(), descriptorJSON: desc, rows: insight.NewRows(insight.MaxCachedProjects)}
	s.fairness = newFairness(FairnessLimits{Concurrency: d.Config.APITenantConcurrency, Wait: fairWait,
		Rate: d.Config.APITenantRate, Burst: d.Config.APITenantBurst})
	s.e.HideBanner = true
	s.e.HidePort = true
	s.e.HTTPErrorHandler = s.handleError
	s.e.Use(s.requestID, s.recoverPanics, s.accessLog, s.baseHeaders)
	s.routes()
	return s, nil
}

// Echo exposes the router to feature packages registering routes.
func (s *Server) Echo() *echo.Echo { return s.e }

// Handler returns the root handler (for httptest).
func (s *Server) Handler() http.Handler { return s.e }

func (s *Server) routes() {
	e := s.e
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/atlassian-connect.json", s.descriptor)
	e.HEAD("/atlassian-connect.json", s.descriptor)

	lc := e.Group("", bodyLimit(limitLifecycle))
	lc.POST("/installed", s.installed)
	lc.POST("/uninstalled", s.uninstalled)
	lc.POST("/enabled", s.lifecycleToggle(true))
	lc.POST("/disabled", s.lifecycleToggle(false))

	// Module pages: Jira-signed iframe URLs, qsh of the URL itself.
	// (/glance and /project are registered by uiRoutes, in ui.go.)

	// Webhooks: Jira-signed, qsh over method+path+query.
	e.POST("/webhooks/jira", s.jiraSigned(s.webhookHandler), bodyLimit(limitWebhook))

	// The app's own API, called from our iframes with context-qsh tokens.
	api := e.Group("/api", bodyLimit(limitAPI), noStore)
	api.GET("/me", s.appAPI(s.me))
	if s.Backlog != nil {
		api.GET("/projects/:project/status", s.appAPI(s.projectStatus))
		api.POST("/projects/:project/activate", s.appAPI(s.activate))
		api.POST("/projects/:project/rescan", s.appAPI(s.rescan))
		api.GET("/projects/:project/backlog", s.appAPI(s.backlogPage))
		api.GET("/projects/:project/strategy", s.appAPI(s.getStrategy))
		api.PUT("/projects/:project/strategy", s.appAPI(s.putStrategy))
		api.GET("/projects/:project/fields", s.appAPI(s.projectFields))
		api.GET("/issues/:issue", s.appAPI(s.issueDetail))
		api.PUT("/issues/:issue/override", s.appAPI(s.setOverride))
		api.DELETE("/issues/:issue/override", s.appAPI(s.clearOverride))
		s.backlogToolRoutes(api)
	}
	s.uiRoutes(e, api)
	s.generateRoutes(api)
	s.mcpRoutes(e, api)
	if s.Forge != nil {
		s.forgeRoutes(e)
	}
	for _, m := range s.Mount {
		m(e)
	}
}

// Listen binds the port synchronously, so a busy port fails at start.
func (s *Server) Listen(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("web: listen %s: %w", addr, err)
	}
	return l, nil
}

// Serve serves on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.http = &http.Server{
		Handler:           s.e,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	err := s.http.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests and waits for in-flight ones.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.http == nil {
		return nil
	}
	return s.http.Shutdown(ctx)
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	if err := s.Store.Ready(c.Request().Context()); err != nil {
		s.Logger.Warn("not ready", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database not ready"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
