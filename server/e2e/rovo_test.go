package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/jiraemu"
)

// checkRovoActions calls every Rovo action as Forge does (a FIT naming
// the action module, the app's system token and the person's user token)
// on a Forge-installed site whose SHOP project is scanned. Each action is
// served by its tool of the shared registry, with the tool's validation,
// the person's Jira permissions and the audit log; answers are compared
// with the app's own API.
func checkRovoActions(t *testing.T, e *env, fh *jiraemu.ForgeHost) {
	t.Helper()
	ctx := context.Background()
	const pm = "557058:pm"
	page := map[string]any{"project": map[string]any{"key": "SHOP", "id": "10000"}}
	action := func(module, account string, body any, out any) (int, string) {
		t.Helper()
		code, raw, err := fh.Invoke(ctx, http.MethodPost, "/forge/actions", module, account, nil, body)
		if err != nil {
			t.Fatal(err)
		}
		if out != nil && code == http.StatusOK {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatalf("%s: %v: %.300s", module, err, raw)
			}
		}
		return code, string(raw)
	}
	apiGet := func(account, path string, out any) {
		t.Helper()
		code, raw, err := fh.Invoke(ctx, http.MethodGet, path, "project", account, page, nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("GET %s: %d %v %.300s", path, code, err, raw)
		}
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	type row struct {
		Key    string `json:"key"`
		Moscow string `json:"moscow"`
	}

	// rank-backlog is list_backlog: the backlog page's rows.
	var ranked struct {
		Rows  []row `json:"rows"`
		Total int   `json:"total"`
	}
	if c, body := action("rank-backlog", pm, map[string]any{"project": "SHOP", "limit": 5}, &ranked); c != 200 || len(ranked.Rows) != 5 {
		t.Fatalf("rank-backlog: %d %.300s", c, body)
	}
	var ref struct {
		Rows  []row `json:"rows"`
		Total int   `json:"total"`
	}
	apiGet(pm, "/api/projects/SHOP/backlog?limit=5", &ref)
	if ranked.Total != ref.Total || len(ref.Rows) != 5 {
		t.Fatalf("rank-backlog total %d, backlog API %d", ranked.Total, ref.Total)
	}
	for i := range ref.Rows {
		if ranked.Rows[i] != ref.Rows[i] {
			t.Fatalf("rank-backlog row %d = %+v, backlog API %+v", i, ranked.Rows[i], ref.Rows[i])
		}
	}
	top := ranked.Rows[0].Key

	// explain-score is explain_issue: the issue API's analysis.
	var explained struct {
		Analysed bool              `json:"analysed"`
		Score    float64           `json:"score"`
		Pillars  []json.RawMessage `json:"pillars"`
		WhyNow   string            `json:"whyNow"`
	}
	if c, body := action("explain-score", pm, map[string]any{"issue": top}, &explained); c != 200 || !explained.Analysed || len(explained.Pillars) != 5 || explained.WhyNow == "" {
		t.Fatalf("explain-score: %d %.300s", c, body)
	}
	var issue struct {
		Issue struct {
			Summary string `json:"summary"`
		} `json:"issue"`
		Analysis struct {
			Score struct {
				Total float64 `json:"total"`
			} `json:"score"`
		} `json:"analysis"`
	}
	apiGet(pm, "/api/issues/"+top, &issue)
	if explained.Score != issue.Analysis.Score.Total {
		t.Fatalf("explain-score score %v, issue API %v", explained.Score, issue.Analysis.Score.Total)
	}

	// check-story, find-duplicates and estimate-story analyse a text.
	weak := map[string]any{"project": "SHOP", "summary": "Save the cart for later", "description": "Users lose their cart."}
	var checked struct {
		Quality  int `json:"quality"`
		Findings []struct {
			Fix string `json:"fix"`
		} `json:"findings"`
	}
	if c, body := action("check-story", pm, weak, &checked); c != 200 || checked.Quality < 0 || checked.Quality >= 100 || len(checked.Findings) == 0 || checked.Findings[0].Fix == "" {
		t.Fatalf("check-story: %d %.300s", c, body)
	}
	var dups struct {
		Duplicates []struct {
			Key string `json:"key"`
		} `json:"duplicates"`
	}
	if c, body := action("find-duplicates", pm, map[string]any{"project": "SHOP", "summary": issue.Issue.Summary}, &dups); c != 200 ||
		len(dups.Duplicates) == 0 || dups.Duplicates[0].Key != top {
		t.Fatalf("find-duplicates of %s's summary: %d %.300s", top, c, body)
	}
	var est struct {
		Estimate struct {
			Points *float64 `json:"points"`
			Method string   `json:"method"`
		} `json:"estimate"`
	}
	if c, body := action("estimate-story", pm, weak, &est); c != 200 || est.Estimate.Points == nil || est.Estimate.Method == "" {
		t.Fatalf("estimate-story: %d %.300s", c, body)
	}

	// draft-stories is draft_stories: drafts saved in BacklogAI, none
	// created in Jira.
	draft := map[string]any{"project": "SHOP", "context": "An online shop for outdoor gear; many carts are abandoned at the shipping step.",
		"objective": "Let merchants export orders and email invoices", "persona": "store owner",
		"metrics": "orders exported per week from 0 to 500", "count": 2}
	var run struct {
		RunID int64 `json:"runId"`
		Done  bool  `json:"done"`
		Run   struct {
			Drafts []struct {
				ID         int64  `json:"id"`
				CreatedKey string `json:"createdKey"`
			} `json:"drafts"`
		} `json:"run"`
	}
	if c, body := action("draft-stories", pm, draft, &run); c != 200 || !run.Done || len(run.Run.Drafts) == 0 || run.Run.Drafts[0].CreatedKey != "" {
		t.Fatalf("draft-stories: %d %.500s", c, body)
	}

	// Inputs may come under "payload", beside Rovo's context object.
	if c, body := action("explain-score", pm, map[string]any{"payload": map[string]any{"issue": top,
		"context": map[string]any{"cloudId": "c1", "moduleKey": "explain-score"}}}, nil); c != 200 {
		t.Fatalf("explain-score with payload and context: %d %.300s", c, body)
	}

	// The person's Jira permissions decide: a viewer reads but cannot
	// draft (Create issues); someone outside the project reads nothing.
	if c, body := action("rank-backlog", jiraemu.DemoViewerID, map[string]any{"project": "SHOP"}, nil); c != 200 {
		t.Fatalf("rank-backlog as a viewer: %d %.300s", c, body)
	}
	if c, body := action("draft-stories", jiraemu.DemoViewerID, draft, nil); c != http.StatusForbidden ||
		!strings.Contains(body, "permission_denied") || !strings.Contains(body, "Create issues") {
		t.Fatalf("draft-stories as a viewer: %d %s, want 403 naming Create issues", c, body)
	}
	const outsider = "557058:outsider"
	e.emu.AddUser(outsider, "Outsider")
	e.emu.SetProjectRole("SHOP", outsider, jiraemu.RoleNone)
	if c, body := action("explain-score", outsider, map[string]any{"issue": top}, nil); c != http.StatusForbidden || !strings.Contains(body, "Browse projects") {
		t.Fatalf("explain-score outside the project: %d %s, want 403 naming Browse projects", c, body)
	}

	// Bad inputs are refused by the tool's input schema, naming the field.
	for _, bad := range []struct {
		module string
		inputs map[string]any
		field  string
	}{
		{"rank-backlog", map[string]any{}, "project"},
		{"rank-backlog", map[string]any{"project": "SHOP", "limit": "ten"}, "limit"},
		{"rank-backlog", map[string]any{"project": "SHOP", "colour": "red"}, "colour"},
		{"rank-backlog", map[string]any{"project": "SHOP", "moscow": "Maybe"}, "moscow"},
		{"check-story", map[string]any{"project": "SHOP"}, "summary"},
		{"explain-score", map[string]any{"issue": "nonsense"}, "issue"},
	} {
		c, body := action(bad.module, pm, bad.inputs, nil)
		if c != http.StatusBadRequest || !strings.Contains(body, "invalid_argument") || !strings.Contains(body, bad.field) {
			t.Errorf("%s %v: %d %s, want 400 naming %s", bad.module, bad.inputs, c, body, bad.field)
		}
	}
	if c, body := action("delete-everything", pm, map[string]any{}, nil); c != http.StatusNotFound {
		t.Errorf("unknown action: %d %s, want 404", c, body)
	}

	// Rovo's calls are in the same audit log as MCP's.
	var audit struct {
		Calls []struct {
			Tool      string `json:"tool"`
			Result    string `json:"result"`
			AccountID string `json:"accountId"`
		} `json:"calls"`
	}
	apiGet(jiraemu.DemoProjectAdminID, "/api/projects/SHOP/mcp-audit", &audit)
	var sawOK, sawDenied bool
	for _, c := range audit.Calls {
		sawOK = sawOK || c.Tool == "draft_stories" && c.Result == "ok" && c.AccountID == pm
		sawDenied = sawDenied || c.Tool == "draft_stories" && c.Result == "permission_denied" && c.AccountID == jiraemu.DemoViewerID
	}
	if !sawOK || !sawDenied {
		t.Errorf("audit log lacks the Rovo draft-stories calls: %+v", audit.Calls)
	}
}
