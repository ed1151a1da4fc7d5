package jiraemu

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/backlogai/backlogai/server/forge"
)

// The Forge host role: FITs the app can verify against the host's JWKS,
// tokens the site's REST API accepts until they expire, and triggers
// retried with a retryContext while the remote fails.
func TestForgeHostRole(t *testing.T) {
	s := newSite(t, Options{})
	fh, err := NewForgeHost("8d2a4c10-3f6e-4b7a-9c21-5e0f1a2b3c4d")
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(fh.JWKSHandler())
	defer jwks.Close()
	verifier := &forge.Verifier{AppID: fh.AppID, Keys: &forge.KeySet{URL: jwks.URL}, AllowHTTPAPI: true}

	var mu sync.Mutex
	var invs []*forge.Invocation
	var bodies []map[string]any
	failures := 2
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inv, err := verifier.Verify(r.Context(), r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var b map[string]any
		raw, _ := io.ReadAll(r.Body)
		json.Unmarshal(raw, &b)
		mu.Lock()
		defer mu.Unlock()
		invs, bodies = append(invs, inv), append(bodies, b)
		if r.URL.Path == "/forge/events/issue" && failures > 0 {
			failures--
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer remote.Close()
	fh.Attach(s.emu, remote.URL)
	ctx := context.Background()

	code, _, err := fh.Invoke(ctx, http.MethodGet, "/api/me", "project", lead, map[string]any{"project": map[string]any{"key": "SHOP"}}, nil)
	if err != nil || code != 200 {
		t.Fatalf("invoke: %d %v", code, err)
	}
	inv := invs[0]
	if inv.InstallationID != fh.InstallationID || inv.SiteURL != s.srv.URL || inv.APIBaseURL != s.srv.URL || inv.AccountID != lead ||
		inv.SystemToken == "" || inv.UserToken == "" || inv.ModuleKey != "project" {
		t.Fatalf("invocation = %+v", inv)
	}

	// The site's REST API takes both tokens as Bearer tokens.
	get := func(tok string) int {
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/rest/api/3/project/SHOP", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		c, _, _ := s.send(req)
		return c
	}
	if c := get(inv.SystemToken); c != 200 {
		t.Fatalf("system token: %d", c)
	}
	if c := get(inv.UserToken); c != 200 {
		t.Fatalf("user token: %d", c)
	}
	if c := get("not-a-token"); c != 401 {
		t.Fatalf("unknown token: %d", c)
	}
	fh.ExpireTokens()
	if c := get(inv.SystemToken); c != 401 {
		t.Fatalf("expired system token: %d", c)
	}

	// A trigger the remote fails twice is retried with a retryContext.
	if code, err := fh.IssueEvent(ctx, "avi:jira:updated:issue", "SHOP-1"); err != nil || code != 200 {
		t.Fatalf("event: %d %v", code, err)
	}
	events := bodies[1:]
	if len(events) != 3 {
		t.Fatalf("%d deliveries, want 3 (two failures, then success)", len(events))
	}
	issue, _ := events[0]["issue"].(map[string]any)
	if events[0]["eventType"] != "avi:jira:updated:issue" || issue["key"] != "SHOP-1" || events[0]["retryContext"] != nil {
		t.Fatalf("first delivery = %v", events[0])
	}
	if rc, _ := events[2]["retryContext"].(map[string]any); rc["retryCount"] != float64(2) {
		t.Fatalf("third delivery retryContext = %v", events[2]["retryContext"])
	}
	if invs[1].AccountID != "" {
		t.Fatalf("trigger FIT has a principal: %q", invs[1].AccountID)
	}
}
