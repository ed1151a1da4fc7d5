package mcpserver_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/mcpserver"
	"github.com/backlogai/backlogai/server/tools"
)

type allow struct{}

func (allow) Require(context.Context, *domain.Tenant, string, access.Project, ...access.Permission) error {
	return nil
}

type whoIn struct {
	tools.ProjectArg
}

type whoOut struct {
	AccountID string `json:"accountId"`
	Project   string `json:"project"`
}

// bearer adds a token to every request of the SDK client.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func start(t *testing.T, opts mcpserver.Options) (string, *[]tools.AuditEntry) {
	t.Helper()
	var mu sync.Mutex
	var audit []tools.AuditEntry
	reg := tools.NewRegistry(allow{}, tools.Options{Audit: func(_ context.Context, e tools.AuditEntry) {
		mu.Lock()
		audit = append(audit, e)
		mu.Unlock()
	}})
	reg.Add(tools.New(tools.Spec{Name: "whoami", Description: "Says who calls.", ReadOnly: true},
		func(_ context.Context, c tools.Caller, in whoIn) (whoOut, error) {
			return whoOut{AccountID: c.AccountID, Project: in.Project}, nil
		}))
	authn := func(_ context.Context, token string) (tools.Caller, time.Time, error) {
		if token != "good" && token != "other" {
			return tools.Caller{}, time.Time{}, mcpserver.ErrInvalidToken
		}
		id := int64(1)
		if token == "other" {
			id = 2
		}
		return tools.Caller{Tenant: &domain.Tenant{ID: 7}, AccountID: "acc-" + token, Projects: []string{"SHOP"}, TokenID: id},
			time.Now().Add(time.Hour), nil
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(mcpserver.Handler(mcpserver.NewServer(reg, opts.Logger), authn, opts))
	t.Cleanup(srv.Close)
	return srv.URL, &audit
}

func post(t *testing.T, url, token, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// The Go SDK's own client calls a tool as the token's person.
func TestSDKClientCallsAsTokenOwner(t *testing.T) {
	url, audit := start(t, mcpserver.Options{})
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url,
		HTTPClient: &http.Client{Transport: bearer{"good", http.DefaultTransport}}, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	lt, err := cs.ListTools(context.Background(), nil)
	if err != nil || len(lt.Tools) != 1 || !lt.Tools[0].Annotations.ReadOnlyHint || lt.Tools[0].OutputSchema == nil {
		t.Fatalf("tools = %+v, %v", lt, err)
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "whoami", Arguments: map[string]any{"project": "SHOP"}})
	if err != nil || res.IsError {
		t.Fatalf("call: %+v %v", res, err)
	}
	var got whoOut
	b, _ := json.Marshal(res.StructuredContent)
	json.Unmarshal(b, &got)
	if got != (whoOut{AccountID: "acc-good", Project: "SHOP"}) {
		t.Fatalf("got %+v", got)
	}
	res, err = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "whoami", Arguments: map[string]any{"project": "SHOP", "x": 1}})
	if err != nil || !res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "invalid_argument") {
		t.Fatalf("bad arguments: %+v %v", res, err)
	}
	if len(*audit) != 2 || (*audit)[0].Result != "ok" || (*audit)[1].Result != "invalid_argument" {
		t.Fatalf("audit = %+v", *audit)
	}
}

func TestHTTPRefusals(t *testing.T) {
	url, audit := start(t, mcpserver.Options{Rate: 0.01, Burst: 5})
	call := func(project string) string {
		return `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami","arguments":{"project":"` + project + `"}}}`
	}
	cases := []struct {
		name, token, body string
		want              int
	}{
		{"no token", "", initialize, 401},
		{"unknown token", "bad", initialize, 401},
		{"good token", "good", initialize, 200},
		{"out of scope", "good", call("OPS"), 403},
		{"out of scope in a batch", "good", `[` + call("SHOP") + `,` + call("OPS") + `]`, 403},
		{"out of scope resource", "good", `{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"backlogai://projects/OPS/health"}}`, 403},
		{"fifth request: the burst's last", "good", initialize, 200},
		{"over the rate", "good", initialize, 429},
		{"another token has its own bucket", "other", initialize, 200},
	}
	for _, c := range cases {
		resp := post(t, url, c.token, c.body)
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
		}
		if c.want == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: no WWW-Authenticate", c.name)
		}
		if c.want == 429 && resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", c.name)
		}
	}
	if len(*audit) != 0 {
		t.Errorf("refused requests reached the registry: %+v", *audit)
	}
}
