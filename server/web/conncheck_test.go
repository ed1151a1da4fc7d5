package web_test

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestConnectionEndpoint: Test connection makes one real call with the
// unsaved form and reports the exact failure; only the scope's admins may
// run it, and bad input names the field.
func TestConnectionEndpoint(t *testing.T) {
	e := newSettingsEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/v1"
	l.Close()
	type result struct {
		OK      bool   `json:"ok"`
		Kind    string `json:"kind"`
		Message string `json:"message"`
		Status  int    `json:"status"`
	}
	tests := []struct {
		name, account, path string
		body                map[string]any
		code                int
		kind, words         string
	}{
		{"refused", shopAdmin, "/api/projects/SHOP/settings/test",
			map[string]any{"target": "llm", "llm": map[string]any{"provider": "compatible", "baseUrl": closed, "model": "m"}},
			http.StatusOK, "refused", "Connection refused"},
		{"inherit reaches the app's LLM with the app's key", shopAdmin, "/api/projects/SHOP/settings/test",
			map[string]any{"target": "llm", "llm": map[string]any{"provider": "inherit"}}, http.StatusOK, "bad_answer", "HTTP 400"},
		{"none", shopAdmin, "/api/projects/SHOP/settings/test",
			map[string]any{"target": "llm", "llm": map[string]any{"provider": "none"}}, http.StatusOK, "none", "nothing to test"},
		{"research without key", shopAdmin, "/api/projects/SHOP/settings/test",
			map[string]any{"target": "research", "research": map[string]any{"provider": "serpapi"}}, http.StatusOK, "auth", "No SerpAPI key"},
		{"bad target", shopAdmin, "/api/projects/SHOP/settings/test", map[string]any{"target": "jira"}, http.StatusBadRequest, "", "target"},
		{"bad base URL", shopAdmin, "/api/projects/SHOP/settings/test",
			map[string]any{"target": "llm", "llm": map[string]any{"provider": "compatible", "baseUrl": "ftp://x"}}, http.StatusBadRequest, "", "llm.baseUrl"},
		{"another project's admin", synAdmin, "/api/projects/SHOP/settings/test",
			map[string]any{"target": "llm", "llm": map[string]any{"provider": "inherit"}}, http.StatusForbidden, "", "administrators of this project"},
		{"site scope needs a site admin", shopAdmin, "/api/projects/SHOP/settings/test?scope=site",
			map[string]any{"target": "llm", "llm": map[string]any{"provider": "inherit"}}, http.StatusForbidden, "", "site administrators"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.appLLM.calls.Load()
			code, body := e.call(tc.account, "POST", tc.path, "SHOP", tc.body)
			if code != tc.code || !strings.Contains(body, tc.words) {
				t.Fatalf("%d %s, want %d with %q", code, body, tc.code, tc.words)
			}
			if tc.kind == "" {
				return
			}
			var r result
			if err := json.Unmarshal([]byte(body), &r); err != nil || r.Kind != tc.kind || r.OK {
				t.Fatalf("result %+v (%v), want kind %s", r, err, tc.kind)
			}
			if strings.HasPrefix(tc.name, "inherit") {
				if e.appLLM.calls.Load() != before+1 || e.appLLM.keys.Load() != "Bearer sk-app" {
					t.Errorf("app LLM calls %d→%d, key %v", before, e.appLLM.calls.Load(), e.appLLM.keys.Load())
				}
			}
		})
	}
}

// TestAnswerEndpoint: an answer to a finding's question comes back as
// the improve preview (nothing written); a stale finding is a 409, an
// empty or too long answer a 400 naming the field.
func TestAnswerEndpoint(t *testing.T) {
	e := newSettingsEnv(t)
	none := map[string]any{"llm": map[string]any{"provider": "none"}}
	if code, body := e.call(shopAdmin, "PUT", "/api/projects/SHOP/settings", "SHOP", none); code != http.StatusOK {
		t.Fatalf("settings: %d %s", code, body)
	}
	tests := []struct {
		name      string
		body      map[string]any
		code      int
		words     string
		wantInDif string
	}{
		{"criteria", map[string]any{"findingId": "missing_acceptance_criteria", "answer": "the report shows both variants"}, http.StatusOK,
			`"mode":"deterministic"`, "Acceptance criteria"},
		{"stale finding", map[string]any{"findingId": "vague_term:summary:1-5", "answer": "x"}, http.StatusConflict, "finding_gone", ""},
		{"empty answer", map[string]any{"findingId": "missing_acceptance_criteria", "answer": "  "}, http.StatusBadRequest, "Answer: write an answer first", ""},
		{"long answer", map[string]any{"findingId": "missing_acceptance_criteria", "answer": strings.Repeat("a", 1001)}, http.StatusBadRequest,
			"Answer: at most 1,000 characters (this one has 1,001)", ""},
		{"no finding", map[string]any{"answer": "x"}, http.StatusBadRequest, "findingId", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.call(shopAdmin, "POST", "/api/issues/SHOP-20/answer", "SHOP", tc.body)
			if code != tc.code || !strings.Contains(body, tc.words) {
				t.Fatalf("%d %s, want %d with %q", code, body, tc.code, tc.words)
			}
			if tc.wantInDif == "" {
				return
			}
			var imp struct {
				Description string
				Diff        struct{ Description []struct{ Op, Text string } }
			}
			json.Unmarshal([]byte(body), &imp)
			inserted := ""
			for _, op := range imp.Diff.Description {
				if op.Op == "insert" {
					inserted += op.Text
				}
			}
			if !strings.Contains(inserted, tc.wantInDif) || !strings.Contains(imp.Description, "The report shows both variants") {
				t.Errorf("diff inserts %q; description %q", inserted, imp.Description)
			}
		})
	}
}
