package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/mcpserver"
	"github.com/backlogai/backlogai/server/tools"
)

// Personal access tokens for AI assistants, and the MCP endpoint they open.
const (
	// TokenPrefix marks BacklogAI tokens, so that secret scanners and
	// people recognise a leaked one.
	TokenPrefix = "bai_pat_"
	// Expiry bounds, in days.
	tokenDefaultDays = 90
	tokenMaxDays     = 365
	tokenMaxProjects = 20
	// Each token's MCP requests: a sustained rate and a burst (an
	// assistant fires a few calls at once, then reads).
	mcpTokenRate  = 10
	mcpTokenBurst = 60
	mcpAuditLimit = 200
	// Audited tool calls are kept this long; old rows are pruned every
	// mcpPruneEvery audited calls of a replica.
	mcpAuditKeep  = 90 * 24 * time.Hour
	mcpPruneEvery = 1000
)

// mcpRoutes registers the token API, the MCP audit log and /mcp.
func (s *Server) mcpRoutes(e *echo.Echo, api *echo.Group) {
	if s.Backlog == nil {
		return
	}
	api.POST("/tokens", s.appAPI(s.createToken))
	api.GET("/tokens", s.appAPI(s.listTokens))
	api.DELETE("/tokens/:token", s.appAPI(s.revokeToken))
	api.GET("/projects/:project/mcp-audit", s.appAPI(s.mcpAudit))

	reg := s.ToolRegistry()
	ta := &tokenAuth{s: s, touched: map[int64]time.Time{}}
	h := mcpserver.Handler(mcpserver.NewServer(reg, s.Logger), ta.authenticate,
		mcpserver.Options{Rate: rate.Limit(mcpTokenRate), Burst: mcpTokenBurst, Logger: s.Logger, Now: s.Now})
	e.Any("/mcp", echo.WrapHandler(h), noStore)
}

// ToolRegistry builds the registry of assistant tools over this server's
// services. MCP (/mcp) and Rovo actions (/forge/actions) each build one.
func (s *Server) ToolRegistry() *tools.Registry {
	var checker tools.Authorizer
	if s.Access != nil {
		checker = s.Access
	}
	a := &auditor{s: s}
	reg := tools.NewRegistry(checker, tools.Options{Now: s.Now, Audit: a.record})
	tools.Register(reg, tools.Services{Store: s.Store, Backlog: s.Backlog, JiraClients: s.JiraClients, Models: s.Models, Generator: s.Generator, Now: s.Now,
		ValidateStrategy: validateStrategy, Health: s.healthSummary})
	return reg
}

// healthSummary is the Health tab's summary (the same insight.Rows and
// insight.HealthOf) as the JSON object the get_health tool answers.
func (s *Server) healthSummary(ctx context.Context, t *domain.Tenant, project string) (map[string]any, error) {
	h, err := s.rows.Health(ctx, s.Store.Tenant(t), project, s.Now())
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("health summary: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("health summary: %w", err)
	}
	return m, nil
}

// auditor writes the tool-call audit log and prunes it now and then.
type auditor struct {
	s     *Server
	calls atomic.Int64
}

// record stores a tool call (never its arguments). A failed write is
// logged, not fatal: the call itself already happened.
func (a *auditor) record(ctx context.Context, e tools.AuditEntry) {
	s := a.s
	if e.Caller.Tenant == nil {
		return
	}
	if a.calls.Add(1)%mcpPruneEvery == 0 {
		if n, err := s.Store.Tenant(e.Caller.Tenant).PruneToolCalls(context.WithoutCancel(ctx), s.Now().Add(-mcpAuditKeep)); err != nil {
			s.Logger.Warn("mcp audit prune failed", "err", err)
		} else if n > 0 {
			s.Logger.Info("mcp audit pruned", "tenant_id", e.Caller.Tenant.ID, "rows", n)
		}
	}
	name := e.Tool
	if len(name) > 64 {
		name = name[:64]
	}
	err := s.Store.Tenant(e.Caller.Tenant).AddToolCall(context.WithoutCancel(ctx), domain.ToolCall{TokenID: e.Caller.TokenID,
		AccountID: e.Caller.AccountID, Project: e.Project, Tool: name, Result: e.Result, DurationMS: int(e.Duration.Milliseconds()), At: e.At})
	if err != nil {
		s.Logger.Warn("mcp audit write failed", "tool", name, "err", err)
	}
	s.Logger.Info("tool call", "tenant_id", e.Caller.Tenant.ID, "token_id", e.Caller.TokenID, "tool", name,
		"project", e.Project, "result", e.Result, "dur_ms", e.Duration.Milliseconds())
}

// tokenAuth resolves MCP bearer tokens, recording last use without a
// database write on every call.
type tokenAuth struct {
	s       *Server
	mu      sync.Mutex
	touched map[int64]time.Time // token id -> last use recorded by this replica
}

func (ta *tokenAuth) authenticate(ctx context.Context, token string) (tools.Caller, time.Time, error) {
	return ta.s.authenticateToken(ctx, token, ta.touch)
}

// touch reports whether last use should be written now (once a minute
// per token and replica).
func (ta *tokenAuth) touch(id int64, now time.Time) bool {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	if last, ok := ta.touched[id]; ok && now.Sub(last) < time.Minute {
		return false
	}
	if len(ta.touched) > 100000 {
		clear(ta.touched)
	}
	ta.touched[id] = now
	return true
}

// authenticateToken resolves an MCP bearer token to its person; touch
// (nil: always) says whether to record the use.
func (s *Server) authenticateToken(ctx context.Context, token string, touch func(id int64, now time.Time) bool) (tools.Caller, time.Time, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 128 {
		return tools.Caller{}, time.Time{}, mcpserver.ErrInvalidToken
	}
	now := s.Now()
	t, err := s.Store.AccessTokenByValue(ctx, token)
	if errors.Is(err, domain.ErrNotFound) {
		return tools.Caller{}, time.Time{}, mcpserver.ErrInvalidToken
	}
	if err != nil {
		return tools.Caller{}, time.Time{}, err
	}
	if !t.Active(now) {
		return tools.Caller{}, time.Time{}, mcpserver.ErrInvalidToken
	}
	tenant, err := s.Store.TenantByID(ctx, t.TenantID)
	if errors.Is(err, domain.ErrNotFound) {
		return tools.Caller{}, time.Time{}, mcpserver.ErrInvalidToken
	}
	if err != nil {
		return tools.Caller{}, time.Time{}, err
	}
	if !tenant.Active() {
		return tools.Caller{}, time.Time{}, mcpserver.ErrInvalidToken
	}
	if touch == nil || touch(t.ID, now) {
		if err := s.Store.Tenant(tenant).TouchAccessToken(ctx, t.ID, now); err != nil {
			s.Logger.Warn("token last-used not recorded", "err", err)
		}
	}
	return tools.Caller{Tenant: tenant, AccountID: t.AccountID, Projects: t.Projects, TokenID: t.ID}, t.ExpiresAt, nil
}

type createTokenRequest struct {
	Name          string   `json:"name"`
	Projects      []string `json:"projects"`
	ExpiresInDays int      `json:"expiresInDays"`
	// ExpiresInSeconds, instead of days, makes a short-lived token (one
	// assistant session, one CI job).
	ExpiresInSeconds int `json:"expiresInSeconds"`
}

type createTokenResponse struct {
	Token string `json:"token"` // shown once
	*domain.AccessToken
}

// createToken makes a personal access token for the signed-in person,
// scoped to projects they can browse in Jira (default: the page's).
func (s *Server) createToken(c echo.Context) error {
	id := identity(c)
	if id == nil || id.AccountID == "" {
		return &APIError{Status: http.StatusForbidden, Code: "anonymous", Message: "Sign in to Jira to create a token."}
	}
	var req createTokenRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len(req.Name) > 100 {
		return BadRequest("name is required (at most 100 characters)")
	}
	if len(req.Projects) == 0 {
		pk, err := pageProject(c)
		if err != nil {
			return BadRequest("projects is required: the project keys the token may reach")
		}
		req.Projects = []string{pk}
	}
	if len(req.Projects) > tokenMaxProjects {
		return BadRequest("projects: at most 20 projects per token")
	}
	seen := map[string]bool{}
	projects := make([]string, 0, len(req.Projects))
	for _, p := range req.Projects {
		p = strings.TrimSpace(p)
		if !tools.ValidProjectKey(p) {
			return BadRequest("projects: " + p + " is not a Jira project key")
		}
		if !seen[p] {
			seen[p] = true
			projects = append(projects, p)
		}
	}
	life := time.Duration(req.ExpiresInDays) * 24 * time.Hour
	switch {
	case req.ExpiresInDays != 0 && req.ExpiresInSeconds != 0:
		return BadRequest("give expiresInDays or expiresInSeconds, not both")
	case req.ExpiresInSeconds != 0:
		if req.ExpiresInSeconds < 1 || req.ExpiresInSeconds > tokenMaxDays*24*3600 {
			return BadRequest("expiresInSeconds must be between 1 and 31536000 (365 days)")
		}
		life = time.Duration(req.ExpiresInSeconds) * time.Second
	case req.ExpiresInDays == 0:
		life = tokenDefaultDays * 24 * time.Hour
	case req.ExpiresInDays < 1 || req.ExpiresInDays > tokenMaxDays:
		return BadRequest("expiresInDays must be between 1 and 365")
	}
	// A token reaches only projects its person can see in Jira.
	for _, p := range projects {
		if err := s.requirePermission(c, p, access.BrowseProjects); err != nil {
			return err
		}
	}
	token, err := newToken()
	if err != nil {
		return err
	}
	expires := s.Now().Add(life)
	t, err := s.Store.Tenant(id.Tenant).CreateAccessToken(c.Request().Context(), id.AccountID, req.Name, token, projects, expires)
	if err != nil {
		return err
	}
	s.log(c).Info("access token created", "token_id", t.ID, "projects", projects)
	return c.JSON(http.StatusCreated, createTokenResponse{Token: token, AccessToken: t})
}

// newToken is the prefix and 256 random bits.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Server) listTokens(c echo.Context) error {
	id := identity(c)
	if id == nil || id.AccountID == "" {
		return c.JSON(http.StatusOK, map[string]any{"tokens": []any{}})
	}
	ts, err := s.Store.Tenant(id.Tenant).AccessTokens(c.Request().Context(), id.AccountID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": ts})
}

func (s *Server) revokeToken(c echo.Context) error {
	tid, err := idParam(c, "token")
	if err != nil {
		return err
	}
	id := identity(c)
	if id == nil || id.AccountID == "" {
		return &APIError{Status: http.StatusForbidden, Code: "anonymous", Message: "Sign in to Jira to revoke a token."}
	}
	if err := s.Store.Tenant(id.Tenant).RevokeAccessToken(c.Request().Context(), id.AccountID, tid); err != nil {
		return err
	}
	s.log(c).Info("access token revoked", "token_id", tid)
	return c.NoContent(http.StatusNoContent)
}

// mcpAudit shows the project's tool calls to its administrators.
func (s *Server) mcpAudit(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	if err := s.requirePermission(c, key, access.AdministerProjects); err != nil {
		return err
	}
	calls, err := s.Store.Tenant(identity(c).Tenant).ToolCalls(c.Request().Context(), key, mcpAuditLimit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"calls": calls})
}
