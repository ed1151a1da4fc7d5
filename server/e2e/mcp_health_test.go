package e2e_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/jiraemu"
)

// TestMCPHealthIsTheHealthTab: an assistant's get_health answers exactly
// what the Health tab shows (one insight.HealthOf over one row read model).
func TestMCPHealthIsTheHealthTab(t *testing.T) {
	e := startGenEnv(t, nil)
	activate(t, e)
	viewer, _ := e.mcpSession(t, jiraemu.DemoViewerID)
	txt, isErr := callText(t, viewer, "get_health", map[string]any{"project": "SHOP"})
	if isErr {
		t.Fatalf("get_health: %s", txt)
	}
	var tool struct {
		Project string         `json:"project"`
		Health  map[string]any `json:"health"`
	}
	if err := json.Unmarshal([]byte(txt), &tool); err != nil {
		t.Fatalf("get_health answer: %v\n%.300s", err, txt)
	}
	c, raw := e.apiAs(jiraemu.DemoViewerID, "GET", "/api/projects/SHOP/health", nil)
	if c != http.StatusOK {
		t.Fatalf("health tab: %d %s", c, raw)
	}
	var tab map[string]any
	if err := json.Unmarshal(raw, &tab); err != nil {
		t.Fatal(err)
	}
	if tool.Project != "SHOP" || tab["open"] == float64(0) {
		t.Fatalf("project %q, %v open issues", tool.Project, tab["open"])
	}
	if d := cmp.Diff(tab, tool.Health); d != "" {
		t.Errorf("get_health differs from the Health tab (-tab +tool):\n%s", d)
	}
}
