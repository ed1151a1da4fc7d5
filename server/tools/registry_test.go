package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/tools"
)

// grants answers permission checks from a fixed table, as Jira would.
type grants map[string][]access.Permission // accountID -> permissions on every project

func (g grants) Require(_ context.Context, _ *domain.Tenant, accountID string, p access.Project, perms ...access.Permission) error {
	for _, want := range perms {
		ok := false
		for _, have := range g[accountID] {
			ok = ok || have == want
		}
		if !ok {
			return &access.DeniedError{Permission: want, Project: p.Key}
		}
	}
	return nil
}

type echoIn struct {
	tools.IssueArg
	Text    string `json:"text" jsonschema:"what to echo"`
	Confirm bool   `json:"confirm,omitempty"`
}

type echoOut struct {
	Key  string `json:"key"`
	Text string `json:"text"`
}

func testRegistry(audit *[]tools.AuditEntry) *tools.Registry {
	r := tools.NewRegistry(grants{"reader": {access.BrowseProjects}, "editor": {access.BrowseProjects, access.EditIssues}},
		tools.Options{Audit: func(_ context.Context, e tools.AuditEntry) { *audit = append(*audit, e) }})
	r.Add(
		tools.New(tools.Spec{Name: "read_echo", ReadOnly: true}, func(_ context.Context, _ tools.Caller, in echoIn) (echoOut, error) {
			return echoOut{Key: in.Issue, Text: in.Text}, nil
		}),
		tools.New(tools.Spec{Name: "write_echo", Permissions: []access.Permission{access.EditIssues}},
			func(_ context.Context, _ tools.Caller, in echoIn) (echoOut, error) {
				if !in.Confirm {
					return echoOut{}, tools.ConfirmationRequired("echo")
				}
				return echoOut{}, domain.ErrConflict
			}),
	)
	return r
}

func TestRegistryCall(t *testing.T) {
	tenant := &domain.Tenant{ID: 1}
	caller := func(account string, projects ...string) tools.Caller {
		return tools.Caller{Tenant: tenant, AccountID: account, Projects: projects, TokenID: 9}
	}
	// A Forge invocation has no project scope: Jira's permissions decide.
	unscoped := func(account string) tools.Caller {
		return tools.Caller{Tenant: tenant, AccountID: account, Unscoped: true, TokenID: 9}
	}
	cases := []struct {
		name   string
		caller tools.Caller
		tool   string
		args   string
		status int    // 0: success
		code   string // error code, or "ok"
		text   string // echoed text on success
	}{
		{"read ok", caller("reader", "SHOP"), "read_echo", `{"issue":"SHOP-1","text":"hi"}`, 0, "ok", "hi"},
		{"unknown tool", caller("reader", "SHOP"), "nope", `{}`, 404, "unknown_tool", ""},
		{"missing required field", caller("reader", "SHOP"), "read_echo", `{"issue":"SHOP-1"}`, 400, "invalid_argument", ""},
		{"unknown field", caller("reader", "SHOP"), "read_echo", `{"issue":"SHOP-1","text":"x","extra":1}`, 400, "invalid_argument", ""},
		{"wrong type", caller("reader", "SHOP"), "read_echo", `{"issue":"SHOP-1","text":5}`, 400, "invalid_argument", ""},
		{"not JSON", caller("reader", "SHOP"), "read_echo", `{`, 400, "invalid_argument", ""},
		{"bad issue key", caller("reader", "SHOP"), "read_echo", `{"issue":"SHOP","text":"x"}`, 400, "invalid_argument", ""},
		{"out of scope", caller("reader", "OPS"), "read_echo", `{"issue":"SHOP-1","text":"x"}`, 403, "out_of_scope", ""},
		{"no person", caller("", "SHOP"), "read_echo", `{"issue":"SHOP-1","text":"x"}`, 401, "unauthenticated", ""},
		{"no browse permission", caller("stranger", "SHOP"), "read_echo", `{"issue":"SHOP-1","text":"x"}`, 403, "permission_denied", ""},
		{"write without edit", caller("reader", "SHOP"), "write_echo", `{"issue":"SHOP-1","text":"x","confirm":true}`, 403, "permission_denied", ""},
		{"write unconfirmed", caller("editor", "SHOP"), "write_echo", `{"issue":"SHOP-1","text":"x"}`, 400, "confirmation_required", ""},
		{"service error mapped", caller("editor", "SHOP"), "write_echo", `{"issue":"SHOP-1","text":"x","confirm":true}`, 409, "conflict", ""},
		{"unscoped read", unscoped("reader"), "read_echo", `{"issue":"SHOP-1","text":"hi"}`, 0, "ok", "hi"},
		{"unscoped without browse", unscoped("stranger"), "read_echo", `{"issue":"SHOP-1","text":"x"}`, 403, "permission_denied", ""},
		{"unscoped write without edit", unscoped("reader"), "write_echo", `{"issue":"SHOP-1","text":"x","confirm":true}`, 403, "permission_denied", ""},
		{"unscoped without person", unscoped(""), "read_echo", `{"issue":"SHOP-1","text":"x"}`, 401, "unauthenticated", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var audit []tools.AuditEntry
			r := testRegistry(&audit)
			out, err := r.Call(context.Background(), c.caller, c.tool, json.RawMessage(c.args))
			if c.status == 0 {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if got := out.(echoOut); got.Text != c.text || got.Key != "SHOP-1" {
					t.Fatalf("out = %+v", got)
				}
			} else {
				var e *tools.Error
				if !errors.As(err, &e) || e.Status != c.status || e.Code != c.code || e.Message == "" {
					t.Fatalf("err = %#v, want %d %s", err, c.status, c.code)
				}
			}
			if len(audit) != 1 || audit[0].Result != c.code || audit[0].Tool != c.tool || audit[0].Caller.TokenID != 9 {
				t.Fatalf("audit = %+v, want one entry with result %s", audit, c.code)
			}
		})
	}
}

func TestPermissionMessageNamesPermission(t *testing.T) {
	var audit []tools.AuditEntry
	r := testRegistry(&audit)
	_, err := r.Call(context.Background(), tools.Caller{Tenant: &domain.Tenant{ID: 1}, AccountID: "reader", Projects: []string{"SHOP"}},
		"write_echo", json.RawMessage(`{"issue":"SHOP-1","text":"x","confirm":true}`))
	if err == nil || !strings.Contains(tools.ErrorOf(err).Message, "Edit issues") {
		t.Fatalf("err = %v", err)
	}
}

func TestNilAuthorizerRefusesEverything(t *testing.T) {
	var checker *access.Checker
	r := tools.NewRegistry(checker, tools.Options{})
	r.Add(tools.New(tools.Spec{Name: "read_echo", ReadOnly: true}, func(_ context.Context, _ tools.Caller, in echoIn) (echoOut, error) {
		return echoOut{}, nil
	}))
	_, err := r.Call(context.Background(), tools.Caller{Tenant: &domain.Tenant{ID: 1}, AccountID: "a", Projects: []string{"SHOP"}},
		"read_echo", json.RawMessage(`{"issue":"SHOP-1","text":"x"}`))
	if e := tools.ErrorOf(err); e == nil || e.Status != http.StatusServiceUnavailable {
		t.Fatalf("err = %v", err)
	}
}

func TestErrorOf(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{nil, 0, ""},
		{domain.ErrNotFound, 404, "not_found"},
		{&access.UnavailableError{Err: errors.New("x")}, 503, "permission_check_unavailable"},
		{&generate.InputError{Msg: "objective is required"}, 400, "invalid_argument"},
		{domain.ErrBudget, 402, "budget_exhausted"},
		{errors.New("boom"), 500, "internal"},
	}
	for _, c := range cases {
		e := tools.ErrorOf(c.err)
		if c.err == nil {
			if e != nil {
				t.Errorf("ErrorOf(nil) = %v", e)
			}
			continue
		}
		if e.Status != c.status || e.Code != c.code {
			t.Errorf("ErrorOf(%v) = %d %s, want %d %s", c.err, e.Status, e.Code, c.status, c.code)
		}
	}
}

// The BacklogAI tools: every tool has a description and object schemas,
// reads are marked read-only, writes name a write permission, and every
// write that changes Jira content asks for confirm.
func TestBacklogAITools(t *testing.T) {
	r := tools.NewRegistry(grants{}, tools.Options{})
	tools.Register(r, tools.Services{Generator: &generate.Service{}})
	want := []string{"list_backlog", "explain_issue", "check_story", "find_duplicates", "estimate_story", "get_strategy",
		"update_strategy", "get_health", "link_duplicate", "override_priority", "draft_stories", "get_draft_run",
		"create_drafts", "propose_improvement", "apply_improvement", "propose_split", "apply_split"}
	got := map[string]*tools.Tool{}
	for _, tl := range r.Tools() {
		got[tl.Name] = tl
	}
	if len(got) != len(want) {
		t.Errorf("%d tools, want %d", len(got), len(want))
	}
	for _, name := range want {
		tl, ok := got[name]
		if !ok {
			t.Errorf("missing tool %s", name)
			continue
		}
		if len(tl.Description) < 40 || tl.InputSchema.Type != "object" || tl.OutputSchema.Type != "object" {
			t.Errorf("%s: weak description or schema", name)
		}
		if _, ok := tl.InputSchema.Properties["project"]; !ok {
			if _, ok := tl.InputSchema.Properties["issue"]; !ok {
				t.Errorf("%s: input names neither project nor issue", name)
			}
		}
		isRead := len(tl.Permissions) == 1 && tl.Permissions[0] == access.BrowseProjects
		if tl.ReadOnly != isRead {
			t.Errorf("%s: readOnly %v but permissions %v", name, tl.ReadOnly, tl.Permissions)
		}
	}
	for _, name := range []string{"create_drafts", "apply_improvement", "apply_split"} {
		if !contains(got[name].InputSchema.Required, "confirm") {
			t.Errorf("%s: confirm is not required", name)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Bad arguments are refused with a message that names the field.
func TestInvalidArgumentsNameTheField(t *testing.T) {
	var audit []tools.AuditEntry
	r := testRegistry(&audit)
	c := tools.Caller{Tenant: &domain.Tenant{ID: 1}, AccountID: "reader", Projects: []string{"SHOP"}}
	for args, field := range map[string]string{
		`{"issue":"SHOP-1"}`:                      `"text"`,
		`{"issue":"SHOP-1","text":5}`:             "/properties/text",
		`{"issue":"SHOP-1","text":"x","extra":1}`: `"extra"`,
		`{"issue":"nope","text":"x"}`:             "issue",
	} {
		_, err := r.Call(context.Background(), c, "read_echo", json.RawMessage(args))
		if e := tools.ErrorOf(err); e == nil || e.Code != "invalid_argument" || !strings.Contains(e.Message, field) {
			t.Errorf("%s: %v, want a message naming %s", args, err, field)
		}
	}
}
