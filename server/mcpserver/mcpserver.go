// Package mcpserver is the MCP transport of the tool registry
// (server/tools): it serves the registry's tools, two resources (a
// project's strategy and health summary) and two prompts over the
// official Go SDK's streamable HTTP transport, authenticated by personal
// access tokens.
//
// HTTP is where a token is checked: a missing, unknown, expired or revoked
// token gets 401, a token over its rate limit 429 with Retry-After, and a
// tools/call or resources/read for a project outside the token's scope
// 403. The registry then checks the person's Jira permissions, runs the
// tool and audits the call.
package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/time/rate"

	"github.com/backlogai/backlogai/server/tools"
)

// Version is reported to clients in the initialize result.
const Version = "1.0.0"

// NewServer builds the MCP server over the registry. It is shared by all
// callers: who is calling comes with each request (see Handler).
func NewServer(reg *tools.Registry, logger *slog.Logger) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "backlogai", Title: "BacklogAI", Version: Version}, &mcp.ServerOptions{
		Logger: logger,
		Instructions: "BacklogAI scores, ranks and checks a Jira backlog. Start with list_backlog or explain_issue; " +
			"check_story, find_duplicates and estimate_story analyse a text without writing. Tools that change Jira " +
			"act as the token's owner with their Jira permissions; those that need confirm: true must be confirmed by " +
			"the person first.",
	})
	for _, t := range reg.Tools() {
		destructive := t.Destructive
		open := false
		s.AddTool(&mcp.Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: t.InputSchema, OutputSchema: t.OutputSchema,
			Annotations: &mcp.ToolAnnotations{Title: t.Title, ReadOnlyHint: t.ReadOnly, DestructiveHint: &destructive, OpenWorldHint: &open}},
			toolHandler(reg, t.Name))
	}
	for _, r := range resources {
		s.AddResourceTemplate(&mcp.ResourceTemplate{Name: r.name, Title: r.title, Description: r.description,
			MIMEType: "application/json", URITemplate: "backlogai://projects/{project}/" + r.name}, resourceHandler(reg, r))
	}
	for _, p := range prompts {
		s.AddPrompt(p.prompt, p.handler)
	}
	return s
}

func toolHandler(reg *tools.Registry, name string) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		out, err := reg.Call(ctx, callerOf(req.Extra), name, req.Params.Arguments)
		if err != nil {
			e := tools.ErrorOf(err)
			// A tool error is a result the model can read and act on, not
			// a protocol error.
			return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: e.Code + ": " + e.Message}}}, nil
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, fmt.Errorf("mcpserver: %s result: %w", name, err)
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}, StructuredContent: json.RawMessage(b)}, nil
	}
}

type resource struct {
	name, title, description, tool string
}

var resources = []resource{
	{"strategy", "Strategy", "The project's prioritisation strategy (vision, objectives, pillar weights, MoSCoW settings).", "get_strategy"},
	{"health", "Backlog health", "The project's backlog health summary (score histogram, MoSCoW counts, INVEST pass rates, duplicates, stale issues).", "get_health"},
}

// resourceURI parses backlogai://projects/KEY/NAME.
func resourceURI(uri string) (project, name string, ok bool) {
	rest, found := strings.CutPrefix(uri, "backlogai://projects/")
	if !found {
		return "", "", false
	}
	project, name, ok = strings.Cut(rest, "/")
	return project, name, ok && tools.ValidProjectKey(project)
}

func resourceHandler(reg *tools.Registry, r resource) mcp.ResourceHandler {
	return func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		project, name, ok := resourceURI(req.Params.URI)
		if !ok || name != r.name {
			return nil, mcp.ResourceNotFoundError(req.Params.URI)
		}
		args, _ := json.Marshal(map[string]string{"project": project})
		out, err := reg.Call(ctx, callerOf(req.Extra), r.tool, args)
		if err != nil {
			e := tools.ErrorOf(err)
			return nil, fmt.Errorf("%s: %s", e.Code, e.Message)
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, err
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "application/json", Text: string(b)}}}, nil
	}
}

type prompt struct {
	prompt  *mcp.Prompt
	handler mcp.PromptHandler
}

var prompts = []prompt{
	{&mcp.Prompt{Name: "groom_backlog", Title: "Groom this backlog",
		Description: "Review the ranked backlog: weak stories, duplicates, stale and too-big issues, with fixes to propose.",
		Arguments:   []*mcp.PromptArgument{{Name: "project", Description: "Jira project key, for example SHOP", Required: true}}},
		func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			p := req.Params.Arguments["project"]
			if !tools.ValidProjectKey(p) {
				return nil, errors.New("project: a Jira project key is required")
			}
			return userPrompt("Groom the backlog of project "+p, "Groom the Jira backlog of project "+p+" with BacklogAI. "+
				"1. Read get_health for "+p+" and list_backlog (the top 25). "+
				"2. For the weakest high-ranked stories (quality below 70) call explain_issue and summarise the findings with their fixes. "+
				"3. List likely duplicates (list_backlog with flag duplicate) and the issues flagged too_big or stale. "+
				"4. Propose concrete actions: improvements (propose_improvement), splits (propose_split), duplicate links. "+
				"Change nothing in Jira until I confirm each change."), nil
		}},
	{&mcp.Prompt{Name: "write_stories", Title: "Write stories for an objective",
		Description: "Draft INVEST-ready stories for an objective, check them and create the ones you choose.",
		Arguments: []*mcp.PromptArgument{{Name: "project", Description: "Jira project key", Required: true},
			{Name: "objective", Description: "what the stories should achieve", Required: true}}},
		func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			p, obj := req.Params.Arguments["project"], strings.TrimSpace(req.Params.Arguments["objective"])
			if !tools.ValidProjectKey(p) || obj == "" {
				return nil, errors.New("project and objective are required")
			}
			return userPrompt("Write stories for an objective in "+p, "Write user stories for project "+p+" for this objective: "+obj+". "+
				"1. Read get_strategy for "+p+" to align with the vision and objectives. "+
				"2. Ask me for the product context if you do not have it, then call draft_stories. "+
				"3. Show each draft with its quality, estimate and any duplicates (find_duplicates). "+
				"4. Create only the drafts I choose, with create_drafts and confirm: true after I said yes."), nil
		}},
}

func userPrompt(desc, text string) *mcp.GetPromptResult {
	return &mcp.GetPromptResult{Description: desc, Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: text}}}}
}

// callerOf returns the caller the HTTP layer attached to the request.
func callerOf(extra *mcp.RequestExtra) tools.Caller {
	if extra == nil || extra.TokenInfo == nil {
		return tools.Caller{}
	}
	c, _ := extra.TokenInfo.Extra[callerKey].(tools.Caller)
	return c
}

const callerKey = "backlogai.caller"

// ErrInvalidToken is returned by an Authenticate func for a token that is
// unknown, expired or revoked (401).
var ErrInvalidToken = auth.ErrInvalidToken

// Authenticate resolves a bearer token to its caller and expiry.
type Authenticate func(ctx context.Context, token string) (tools.Caller, time.Time, error)

// Options configure Handler.
type Options struct {
	// Rate and Burst limit each token's requests (token bucket).
	Rate   rate.Limit
	Burst  int
	Logger *slog.Logger
	Now    func() time.Time
}

// MaxBody bounds a request body (tool arguments are small).
const MaxBody = 1 << 20

// Handler serves MCP over streamable HTTP (stateless: every request
// carries its token, so any replica can answer it).
func Handler(s *mcp.Server, authn Authenticate, o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	stream := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{
		Stateless: true, JSONResponse: true, Logger: o.Logger, MaxRequestBodyBytes: MaxBody,
		// Requests carry a bearer token, never a cookie: a rebinding
		// page has nothing to send. Behind a tunnel the Host is public
		// while the listener is loopback, which the check would refuse.
		DisableLocalhostProtection: true,
	})
	h := &handler{authn: authn, opts: o, limiters: map[int64]*limiterEntry{}}
	// The SDK hands TokenInfo to tool handlers; RequireBearerToken is the
	// way to attach it, with a verifier that reads what h resolved.
	h.next = auth.RequireBearerToken(func(ctx context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
		v, ok := r.Context().Value(resolvedKey{}).(resolved)
		if !ok {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{UserID: strconv.FormatInt(v.caller.Tenant.ID, 10) + ":" + v.caller.AccountID,
			Expiration: v.expires, Extra: map[string]any{callerKey: v.caller}}, nil
	}, nil)(stream)
	return h
}

type resolvedKey struct{}

type resolved struct {
	caller  tools.Caller
	expires time.Time
}

type handler struct {
	authn Authenticate
	opts  Options
	next  http.Handler

	mu       sync.Mutex
	limiters map[int64]*limiterEntry
}

type limiterEntry struct {
	l    *rate.Limiter
	used time.Time
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := bearer(r)
	if !ok {
		unauthorized(w, "missing bearer token: send Authorization: Bearer <personal access token>")
		return
	}
	caller, expires, err := h.authn(r.Context(), token)
	if errors.Is(err, auth.ErrInvalidToken) {
		unauthorized(w, "invalid, expired or revoked token")
		return
	}
	if err != nil {
		h.opts.Logger.Error("mcp: token check failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "token check unavailable, try again shortly")
		return
	}
	if wait, ok := h.allow(caller.TokenID); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeError(w, http.StatusTooManyRequests, "rate limit of this token exceeded")
		return
	}
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		for _, p := range projectsOf(body) {
			if tools.ValidProjectKey(p) && !caller.Allows(p) {
				writeError(w, http.StatusForbidden, "this token is not allowed to reach project "+p)
				return
			}
		}
	}
	ctx := context.WithValue(r.Context(), resolvedKey{}, resolved{caller: caller, expires: expires})
	h.next.ServeHTTP(w, r.WithContext(ctx))
}

// allow takes a token from the token's bucket, or says how long to wait.
func (h *handler) allow(tokenID int64) (time.Duration, bool) {
	if h.opts.Rate <= 0 {
		return 0, true
	}
	now := h.opts.Now()
	h.mu.Lock()
	e := h.limiters[tokenID]
	if e == nil {
		if len(h.limiters) > 10000 { // forget idle tokens
			for id, old := range h.limiters {
				if now.Sub(old.used) > time.Minute {
					delete(h.limiters, id)
				}
			}
		}
		e = &limiterEntry{l: rate.NewLimiter(h.opts.Rate, h.opts.Burst)}
		h.limiters[tokenID] = e
	}
	e.used = now
	h.mu.Unlock()
	res := e.l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return max(d, time.Second), false
	}
	return 0, true
}

func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="backlogai", error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, msg)
}

// writeError answers with a JSON-RPC error body, which MCP clients show.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// Writing can only fail when the client is gone.
	_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": -32001, "message": msg, "data": map[string]int{"status": status}}})
}

// projectsOf returns the projects a JSON-RPC message (or batch) names in
// tools/call arguments or resources/read URIs; the registry checks the
// same again, this only turns scope errors into HTTP 403.
func projectsOf(body []byte) []string {
	var msgs []json.RawMessage
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if json.Unmarshal(trimmed, &msgs) != nil {
			return nil
		}
	} else {
		msgs = []json.RawMessage{trimmed}
	}
	var out []string
	for _, m := range msgs {
		var msg struct {
			Method string `json:"method"`
			Params struct {
				Arguments json.RawMessage `json:"arguments"`
				URI       string          `json:"uri"`
			} `json:"params"`
		}
		if json.Unmarshal(m, &msg) != nil {
			continue
		}
		switch msg.Method {
		case "tools/call":
			var a struct {
				Project string `json:"project"`
				Issue   string `json:"issue"`
			}
			if json.Unmarshal(msg.Params.Arguments, &a) != nil {
				continue
			}
			if a.Project != "" {
				out = append(out, a.Project)
			}
			if p := tools.ProjectOfIssue(a.Issue); p != "" {
				out = append(out, p)
			}
		case "resources/read":
			if p, _, ok := resourceURI(msg.Params.URI); ok {
				out = append(out, p)
			}
		}
	}
	return out
}
