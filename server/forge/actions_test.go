package forge_test

import (
	"slices"
	"testing"

	"github.com/backlogai/backlogai/server/forge"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/tools"
)

// Every Rovo action of manifest.yml is served by a registry tool, and its
// inputs are the tool's: same names and types, required exactly when the
// tool requires them, and every required tool input declared (Rovo cannot
// send what the manifest does not name). The agent and the MCP module list
// every action.
func TestManifestActionsMatchTools(t *testing.T) {
	mods := manifestDoc(t)["modules"].(map[string]any)
	reg := tools.NewRegistry(nil, tools.Options{})
	tools.Register(reg, tools.Services{Generator: &generate.Service{}})
	byKey := forge.ActionTools()
	var keys []string
	for _, a := range mods["action"].([]any) {
		act := a.(map[string]any)
		key := act["key"].(string)
		keys = append(keys, key)
		name, ok := byKey[key]
		if !ok {
			t.Errorf("action %s: no tool serves it (forge.ActionTools)", key)
			continue
		}
		tl, ok := reg.Tool(name)
		if !ok {
			t.Errorf("action %s: tool %s is not registered", key, name)
			continue
		}
		if act["endpoint"] != "actions" {
			t.Errorf("action %s: endpoint %v, want actions (POST /forge/actions)", key, act["endpoint"])
		}
		if verb := act["actionVerb"]; tl.ReadOnly != (verb == "GET") {
			t.Errorf("action %s: actionVerb %v but tool %s readOnly %v", key, verb, name, tl.ReadOnly)
		}
		inputs := act["inputs"].(map[string]any)
		for in, spec := range inputs {
			sp := spec.(map[string]any)
			prop, ok := tl.InputSchema.Properties[in]
			if !ok {
				t.Errorf("action %s: input %s is not an input of %s", key, in, name)
				continue
			}
			if sp["type"] != prop.Type {
				t.Errorf("action %s: input %s is %v, tool %s says %s", key, in, sp["type"], name, prop.Type)
			}
			req, _ := sp["required"].(bool)
			if want := slices.Contains(tl.InputSchema.Required, in); req != want {
				t.Errorf("action %s: input %s required %v, tool %s %v", key, in, req, name, want)
			}
		}
		for _, r := range tl.InputSchema.Required {
			if _, ok := inputs[r]; !ok {
				t.Errorf("action %s: tool %s requires %s, which the manifest does not declare", key, name, r)
			}
		}
	}
	for k := range byKey {
		if !slices.Contains(keys, k) {
			t.Errorf("forge.ActionTools maps %s, which manifest.yml does not declare", k)
		}
	}
	slices.Sort(keys)
	for _, m := range []struct{ module, list string }{{"rovo:agent", "actions"}, {"rovo:mcp", "tools"}} {
		var got []string
		for _, v := range mods[m.module].([]any)[0].(map[string]any)[m.list].([]any) {
			got = append(got, v.(string))
		}
		slices.Sort(got)
		if !slices.Equal(got, keys) {
			t.Errorf("%s %s = %v, want every action %v", m.module, m.list, got, keys)
		}
	}
}
