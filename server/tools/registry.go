// Package tools is the one registry of BacklogAI's assistant tools, shared
// by every transport that exposes them: the MCP server (server/mcpserver)
// and Forge Rovo actions (POST /forge/actions, server/web/forge.go). A
// transport only translates; everything that makes a call safe happens
// here, once.
//
// # Registry API (for transports)
//
//	r := tools.NewRegistry(checker, tools.Options{Audit: ...})
//	tools.Register(r, tools.Services{...})   // the BacklogAI tools
//	for _, t := range r.Tools() { ... }       // t.Name, t.Title, t.Description,
//	                                          // t.InputSchema, t.OutputSchema,
//	                                          // t.ReadOnly, t.Destructive, t.Permissions
//	out, err := r.Call(ctx, caller, "explain_issue", json.RawMessage(`{"issue":"SHOP-1"}`))
//
// A Caller is the person acting: tenant, Jira accountID, the projects the
// credential may reach (a token's scope) and the credential's id for the
// audit log. Call, in order: finds the tool; decodes the arguments
// strictly (unknown fields are refused) and validates them against the
// input schema; takes the project from the arguments (every tool works on
// one project, named by "project" or by an issue key) and refuses it when
// it is outside the caller's scope; asks Jira, through access.Checker,
// whether the person holds the tool's permissions on that project (reads
// need Browse projects; writes the same permission as the web UI's route);
// runs the handler, which calls the same service methods as the web
// handlers; and records the call in the audit hook (never its arguments).
//
// Every failure is an *Error with a stable Code, an HTTP-like Status and a
// message for the person (ErrorOf maps any error). Transports show Message
// and may use Status (the Forge transport maps it to its own errors).
//
// Tools that change Jira or the app's data have ReadOnly false; those that
// need an explicit "confirm": true say so in their description and refuse
// without it (code confirmation_required).
package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/domain"
)

// Caller is the person on whose behalf a tool runs.
type Caller struct {
	Tenant    *domain.Tenant
	AccountID string
	// Projects are the project keys the credential may reach.
	Projects []string
	// Unscoped: the credential has no project scope of its own, so the
	// person's Jira permissions alone decide (a Forge invocation, whose
	// token Atlassian signed for the person, not a personal access token).
	Unscoped bool
	// TokenID identifies the credential in the audit log (0: none).
	TokenID int64
}

// Allows reports whether project is within the caller's scope.
func (c Caller) Allows(project string) bool {
	if c.Unscoped {
		return true
	}
	for _, p := range c.Projects {
		if p == project {
			return true
		}
	}
	return false
}

// Scoped is implemented by every tool input: the project it acts on.
type Scoped interface {
	ProjectKey() string
}

// Tool is one registered tool.
type Tool struct {
	Name        string
	Title       string
	Description string
	// InputSchema and OutputSchema are JSON Schemas (draft 2020-12)
	// inferred from the handler's Go types.
	InputSchema  *jsonschema.Schema
	OutputSchema *jsonschema.Schema
	// ReadOnly: the tool changes nothing in Jira or in the app's data.
	ReadOnly bool
	// Destructive: the tool may overwrite or replace existing content.
	Destructive bool
	// Permissions the person needs on the project (reads: Browse projects).
	Permissions []access.Permission

	input *jsonschema.Resolved
	call  func(ctx context.Context, a Authorizer, c Caller, raw json.RawMessage) (project string, out any, err error)
}

// Spec describes a tool for New.
type Spec struct {
	Name, Title, Description string
	ReadOnly, Destructive    bool
	// Permissions needed on the project; empty means read (Browse projects).
	Permissions []access.Permission
}

// New builds a tool from a typed handler. In's fields (json tags, with a
// "jsonschema" tag for the description) become the input schema; Out's
// the output schema. It panics on types that have no schema (a
// programming error caught by the registry's tests).
func New[In Scoped, Out any](s Spec, h func(ctx context.Context, c Caller, in In) (Out, error)) *Tool {
	opts := &jsonschema.ForOptions{IgnoreInvalidTypes: true}
	in, err := jsonschema.For[In](opts)
	if err != nil {
		panic(fmt.Sprintf("tools: %s input schema: %v", s.Name, err))
	}
	out, err := jsonschema.For[Out](opts)
	if err != nil {
		panic(fmt.Sprintf("tools: %s output schema: %v", s.Name, err))
	}
	if out.Type != "object" {
		panic(fmt.Sprintf("tools: %s output must be an object", s.Name))
	}
	resolved, err := in.Resolve(nil)
	if err != nil {
		panic(fmt.Sprintf("tools: %s input schema: %v", s.Name, err))
	}
	perms := s.Permissions
	if len(perms) == 0 {
		perms = []access.Permission{access.BrowseProjects}
	}
	t := &Tool{Name: s.Name, Title: s.Title, Description: s.Description, InputSchema: in, OutputSchema: out,
		ReadOnly: s.ReadOnly, Destructive: s.Destructive, Permissions: perms, input: resolved}
	t.call = func(ctx context.Context, a Authorizer, c Caller, raw json.RawMessage) (string, any, error) {
		var args In
		if err := t.decode(raw, &args); err != nil {
			return "", nil, err
		}
		project := args.ProjectKey()
		if err := Authorize(ctx, c, project); err != nil {
			return project, nil, err
		}
		if err := a.Require(ctx, c.Tenant, c.AccountID, access.Project{Key: project}, t.Permissions...); err != nil {
			return project, nil, err
		}
		out, err := h(ctx, c, args)
		return project, out, err
	}
	return t
}

// decode reads raw strictly into v after validating it against the
// input schema.
func (t *Tool) decode(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = json.RawMessage("{}")
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return Invalid("arguments are not valid JSON")
	}
	if err := t.input.Validate(generic); err != nil {
		return Invalid("arguments do not match the input schema: " + err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Invalid("arguments: " + err.Error())
	}
	return nil
}

// Authorize checks the caller and the project's place in its scope (the
// transport may call it before dispatch to answer with an HTTP status).
func Authorize(ctx context.Context, c Caller, project string) error {
	if c.Tenant == nil || c.AccountID == "" {
		return &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "No signed-in person: use a personal access token."}
	}
	if !ValidProjectKey(project) {
		return Invalid("project (or the issue key's project) is missing or not a Jira key")
	}
	if !c.Allows(project) {
		return &Error{Status: http.StatusForbidden, Code: "out_of_scope",
			Message: "This token is not allowed to reach project " + project + ". Create a token that includes it."}
	}
	return nil
}

// Authorizer is the permission check (access.Checker in production).
type Authorizer interface {
	Require(ctx context.Context, t *domain.Tenant, accountID string, p access.Project, perms ...access.Permission) error
}

// denyAll refuses everything when no checker is configured.
type denyAll struct{}

func (denyAll) Require(context.Context, *domain.Tenant, string, access.Project, ...access.Permission) error {
	return &access.UnavailableError{Err: errors.New("no permission checker configured")}
}

// AuditEntry is what the audit hook receives for each call.
type AuditEntry struct {
	Caller   Caller
	Tool     string
	Project  string
	Result   string // "ok" or the error code
	Duration time.Duration
	At       time.Time
}

// Options configure a Registry.
type Options struct {
	// Audit records each call (nil: none). It must not block for long.
	Audit func(ctx context.Context, e AuditEntry)
	Now   func() time.Time
}

// Registry holds the tools in registration order.
type Registry struct {
	access Authorizer
	opts   Options
	tools  []*Tool
	byName map[string]*Tool
}

// NewRegistry returns an empty registry whose calls are authorised by a.
func NewRegistry(a Authorizer, o Options) *Registry {
	if o.Now == nil {
		o.Now = time.Now
	}
	if a == nil || (reflect.ValueOf(a).Kind() == reflect.Pointer && reflect.ValueOf(a).IsNil()) {
		a = denyAll{}
	}
	return &Registry{access: a, opts: o, byName: map[string]*Tool{}}
}

// Add registers tools; a duplicate name panics (a programming error).
func (r *Registry) Add(ts ...*Tool) {
	for _, t := range ts {
		if _, dup := r.byName[t.Name]; dup {
			panic("tools: duplicate tool " + t.Name)
		}
		r.byName[t.Name] = t
		r.tools = append(r.tools, t)
	}
}

// Tools lists the registered tools in registration order.
func (r *Registry) Tools() []*Tool { return append([]*Tool(nil), r.tools...) }

// Tool returns a tool by name.
func (r *Registry) Tool(name string) (*Tool, bool) {
	t, ok := r.byName[name]
	return t, ok
}

// Call runs a tool as c. The error is always an *Error.
func (r *Registry) Call(ctx context.Context, c Caller, name string, args json.RawMessage) (any, error) {
	start := r.opts.Now()
	var project string
	var out any
	var err error
	if t, ok := r.byName[name]; ok {
		project, out, err = t.call(ctx, r.access, c, args)
	} else {
		err = &Error{Status: http.StatusNotFound, Code: "unknown_tool", Message: "There is no tool named " + name + "."}
	}
	e := ErrorOf(err)
	if r.opts.Audit != nil {
		res := "ok"
		if e != nil {
			res = e.Code
		}
		r.opts.Audit(ctx, AuditEntry{Caller: c, Tool: name, Project: project, Result: res, Duration: r.opts.Now().Sub(start), At: start})
	}
	if e != nil {
		return nil, e
	}
	return out, nil
}

// ValidProjectKey reports whether k looks like a Jira project key.
func ValidProjectKey(k string) bool {
	if k == "" || len(k) > 255 {
		return false
	}
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// ProjectOfIssue is the project part of an issue key ("" if it has none).
func ProjectOfIssue(key string) string {
	p, n, ok := strings.Cut(key, "-")
	if !ok || n == "" {
		return ""
	}
	return p
}
