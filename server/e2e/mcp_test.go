package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/backlogai/backlogai/server/jiraemu"
)

// bearerRT adds a personal access token to every request of an MCP client.
type bearerRT struct{ token string }

func (b bearerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// mcpSession creates a token for subject through POST /api/tokens and
// connects the Go SDK's client with it.
func (e *env) mcpSession(t *testing.T, subject string) (*mcp.ClientSession, int64) {
	t.Helper()
	c, raw := e.apiAs(subject, "POST", "/api/tokens", map[string]any{"name": "e2e " + subject, "projects": []string{"SHOP"}})
	if c != http.StatusCreated {
		t.Fatalf("create token as %s: %d %s", subject, c, raw)
	}
	var tok struct {
		Token string `json:"token"`
		ID    int64  `json:"id"`
	}
	json.Unmarshal(raw, &tok)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil).Connect(context.Background(),
		&mcp.StreamableClientTransport{Endpoint: e.app + "/mcp", HTTPClient: &http.Client{Transport: bearerRT{tok.Token}}, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatalf("connect as %s: %v", subject, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs, tok.ID
}

func callText(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res.Content[0].(*mcp.TextContent).Text, res.IsError
}

// TestMCPActsAsThePerson: through MCP, a person can do exactly what they
// can do in Jira. A viewer reads but cannot apply an improvement (Jira
// unchanged); a member can; a revoked token is refused.
func TestMCPActsAsThePerson(t *testing.T) {
	e := startGenEnv(t, nil) // no LLM: deterministic
	activate(t, e)
	const victim = "SHOP-20"
	viewer, _ := e.mcpSession(t, jiraemu.DemoViewerID)
	member, memberToken := e.mcpSession(t, jiraemu.DemoMemberID)

	if txt, isErr := callText(t, viewer, "explain_issue", map[string]any{"issue": victim}); isErr || !strings.Contains(txt, `"key":"`+victim+`"`) {
		t.Fatalf("a viewer reads: %v %.200s", isErr, txt)
	}
	before, _ := e.jiraIssue(victim)
	apply := map[string]any{"issue": victim, "summary": "As a shopper, I want an MCP summary so that it shows", "description": "Changed over MCP.", "confirm": true}
	if txt, isErr := callText(t, viewer, "apply_improvement", apply); !isErr || !strings.HasPrefix(txt, "permission_denied") || !strings.Contains(txt, "Edit issues") {
		t.Fatalf("a viewer's apply_improvement: %v %s", isErr, txt)
	}
	if now, _ := e.jiraIssue(victim); now != before {
		t.Fatalf("%s changed by a viewer over MCP: %q -> %q", victim, before, now)
	}
	unconfirmed := map[string]any{"issue": victim, "summary": apply["summary"], "description": apply["description"], "confirm": false}
	if txt, isErr := callText(t, member, "apply_improvement", unconfirmed); !isErr || !strings.HasPrefix(txt, "confirmation_required") {
		t.Fatalf("apply without confirm: %v %s", isErr, txt)
	}
	if txt, isErr := callText(t, member, "apply_improvement", apply); isErr {
		t.Fatalf("a member's apply_improvement: %s", txt)
	}
	if now, _ := e.jiraIssue(victim); now != apply["summary"] {
		t.Fatalf("%s after the member's apply: %q", victim, now)
	}

	// Revoked: the next request is refused.
	if c, raw := e.apiAs(jiraemu.DemoMemberID, "DELETE", "/api/tokens/"+itoa(memberToken), nil); c != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", c, raw)
	}
	if _, err := member.CallTool(context.Background(), &mcp.CallToolParams{Name: "list_backlog", Arguments: map[string]any{"project": "SHOP"}}); err == nil {
		t.Fatal("a revoked token still works")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
