package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/analysis/framework"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraemu"
)

// TestMappedFieldReachesTheScore: Strategy maps RICE reach to the site's
// Reach field after the scan; the rescore reads the field it had not
// fetched, the score's explanation names the field and its value, and a
// later edit of the field in Jira (a webhook naming only that custom
// field) re-scores the issue. An unknown field is refused, naming the
// input.
func TestMappedFieldReachesTheScore(t *testing.T) {
	e := startEnv(t, envOptions{})
	e.emu.SetProjectAdmins("SHOP", "557058:pm")
	if c := e.api("POST", "/api/projects/SHOP/activate", nil, nil); c != http.StatusAccepted {
		t.Fatalf("activate: %d", c)
	}
	e.waitScan(90 * time.Second)

	demo, err := jiraemu.DemoFixture()
	if err != nil {
		t.Fatal(err)
	}
	var key string
	var reach float64
	for _, is := range demo.Issues {
		if raw, ok := is.Custom[jiraemu.ReachField]; ok && is.Status != "Done" && is.Type == "Story" {
			key = is.Key
			_ = json.Unmarshal(raw, &reach)
			break
		}
	}
	if key == "" {
		t.Fatal("no open demo story has a Reach value")
	}

	var fields struct {
		Fields []struct{ ID, Name, Type string } `json:"fields"`
	}
	if c := e.api("GET", "/api/projects/SHOP/fields", nil, &fields); c != 200 {
		t.Fatalf("fields: %d", c)
	}
	found := false
	for _, f := range fields.Fields {
		found = found || (f.ID == jiraemu.ReachField && f.Name == "Reach" && f.Type == "number")
		if f.ID == "summary" || f.ID == "customfield_10020" {
			t.Errorf("field %s (%s) offered for mapping", f.ID, f.Name)
		}
	}
	if !found {
		t.Fatalf("the Reach field is not offered: %+v", fields.Fields)
	}

	st := domain.DefaultStrategy()
	st.Framework = &domain.FrameworkConfig{Name: framework.RICE, Fields: map[string]string{"reach": "customfield_99999"}}
	if c, body := e.apiText("PUT", "/api/projects/SHOP/strategy", st); c != 400 || !strings.Contains(body, "framework.fields.reach: customfield_99999 is not a field") {
		t.Fatalf("unknown field: %d %s, want 400 naming framework.fields.reach", c, body)
	}
	st.Framework.Fields["reach"] = "summary"
	if c, body := e.apiText("PUT", "/api/projects/SHOP/strategy", st); c != 400 || !strings.Contains(body, "framework.fields.reach: Summary (summary) holds string, not a number") {
		t.Fatalf("text field: %d %s, want 400", c, body)
	}
	st.Framework.Fields["reach"] = jiraemu.ReachField
	var saved domain.Strategy
	if c := e.api("PUT", "/api/projects/SHOP/strategy", st, &saved); c != 200 {
		t.Fatalf("save: %d", c)
	}
	if saved.Framework.FieldNames[jiraemu.ReachField] != "Reach" {
		t.Fatalf("saved field names %v", saved.Framework.FieldNames)
	}

	reachOf := func() (domain.FrameworkInput, string) {
		var d struct {
			Analysis *domain.Analysis `json:"analysis"`
		}
		if c, body := e.apiText("GET", "/api/issues/"+key, nil); c != 200 || json.Unmarshal([]byte(body), &d) != nil {
			t.Fatalf("issue %s: %d %.300s", key, c, body)
		}
		if d.Analysis == nil || d.Analysis.Score.Framework == nil {
			return domain.FrameworkInput{}, ""
		}
		fs := d.Analysis.Score.Framework
		for _, in := range fs.Inputs {
			if in.Name == "reach" {
				return in, framework.Explain(*fs)
			}
		}
		return domain.FrameworkInput{}, ""
	}
	var in domain.FrameworkInput
	var text string
	waitUntil(t, 60*time.Second, key+"'s reach read from the Reach field", func() bool {
		in, text = reachOf()
		return in.Source == "field"
	})
	if in.Value != reach || !strings.Contains(text, "is from Jira field Reach") {
		t.Fatalf("reach %v (%s), want %v from Jira field Reach", in.Value, text, reach)
	}

	// A webhook that names only the mapped custom field re-scores.
	if err := e.emu.UserUpdate(key, map[string]any{jiraemu.ReachField: reach + 12345}, ""); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 60*time.Second, key+"'s reach after the field's edit", func() bool {
		in, _ = reachOf()
		return in.Value == reach+12345
	})
}

// apiText is api with the answer's body as text, errors included.
func (e *env) apiText(method, path string, body any) (int, string) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.app+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "JWT "+e.contextToken("SHOP", ""))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}
