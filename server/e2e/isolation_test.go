package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/cli"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/jiraemu"
)

// Route categories of the isolation test. Every route the server registers
// must be listed in isolationCases, or the test fails: a new route cannot
// land without an isolation case.
const (
	routePublic    = "public"    // no tenant data at all
	routeLifecycle = "lifecycle" // Connect lifecycle callbacks
	routePage      = "page"      // Jira-signed iframe pages (tenant from the token)
	routeWebhook   = "webhook"   // Jira-signed webhooks
	routeAPI       = "api"       // the app's API (context token)
	routeSandbox   = "sandbox"   // sandbox shell, never registered in production
	routeToken     = "token"     // MCP: a personal access token (never a context token)
)

var isolationCases = map[string]string{
	"GET /healthz": routePublic, "GET /readyz": routePublic, "GET /atlassian-connect.json": routePublic, "HEAD /atlassian-connect.json": routePublic,
	"GET /static/*": routePublic, "HEAD /static/*": routePublic, "GET /favicon.ico": routePublic, "HEAD /favicon.ico": routePublic,
	"POST /installed": routeLifecycle, "POST /uninstalled": routeLifecycle, "POST /enabled": routeLifecycle, "POST /disabled": routeLifecycle,
	"GET /glance": routePage, "GET /project": routePage,
	"POST /webhooks/jira":                       routeWebhook,
	"GET /api/me":                               routeAPI,
	"POST /api/tokens":                          routeAPI,
	"GET /api/projects/:project/permissions":    routeAPI,
	"DELETE /api/projects/:project/views/:id":   routeAPI,
	"GET /api/issues/:issue/history":            routeAPI,
	"GET /api/projects/:project/backlog/export": routeAPI,
	"GET /api/projects/:project/rank/last":      routeAPI,
	"GET /api/projects/:project/rank/preview":   routeAPI,
	"GET /api/projects/:project/trend":          routeAPI,
	"GET /api/projects/:project/value-effort":   routeAPI,
	"GET /api/projects/:project/views":          routeAPI,
	"POST /api/projects/:project/rank/apply":    routeAPI,
	"POST /api/projects/:project/rank/undo":     routeAPI,
	"POST /api/projects/:project/views":         routeAPI,
	"PUT /api/issues/:issue/inputs":             routeAPI,
	"GET /api/tokens":                           routeAPI,
	"DELETE /api/tokens/:token":                 routeAPI,
	"GET /api/projects/:project/mcp-audit":      routeAPI,
	"GET /mcp":                                  routeToken, "POST /mcp": routeToken, "PUT /mcp": routeToken, "DELETE /mcp": routeToken,
	"PATCH /mcp": routeToken, "HEAD /mcp": routeToken, "OPTIONS /mcp": routeToken, "CONNECT /mcp": routeToken,
	"TRACE /mcp": routeToken, "PROPFIND /mcp": routeToken, "REPORT /mcp": routeToken,
	"GET /api/projects/:project/status":         routeAPI,
	"POST /api/projects/:project/activate":      routeAPI,
	"POST /api/projects/:project/rescan":        routeAPI,
	"GET /api/projects/:project/backlog":        routeAPI,
	"GET /api/projects/:project/strategy":       routeAPI,
	"PUT /api/projects/:project/strategy":       routeAPI,
	"GET /api/projects/:project/fields":         routeAPI,
	"GET /api/projects/:project/health":         routeAPI,
	"POST /api/projects/:project/rerank":        routeAPI,
	"GET /api/projects/:project/settings":       routeAPI,
	"PUT /api/projects/:project/settings":       routeAPI,
	"POST /api/projects/:project/generate":      routeAPI,
	"GET /api/projects/:project/drafts":         routeAPI,
	"POST /api/projects/:project/drafts/create": routeAPI,
	"GET /api/generation-runs/:run":             routeAPI,
	"PUT /api/drafts/:draft":                    routeAPI,
	"GET /api/issues/:issue":                    routeAPI,
	"GET /api/issues/:issue/panel":              routeAPI,
	"PUT /api/issues/:issue/override":           routeAPI,
	"DELETE /api/issues/:issue/override":        routeAPI,
	"POST /api/issues/:issue/link-duplicate":    routeAPI,
	"POST /api/issues/:issue/improve":           routeAPI,
	"POST /api/issues/:issue/improve/apply":     routeAPI,
	"POST /api/issues/:issue/split":             routeAPI,
	"POST /api/issues/:issue/split/apply":       routeAPI,
	"GET /api/issues/:issue/version":            routeAPI,
	"POST /api/issues/:issue/answer":            routeAPI,
	"POST /api/projects/:project/settings/test": routeAPI,
	"GET /sandbox":                              routeSandbox, "GET /sandbox/ap-shim.js": routeSandbox, "GET /sandbox/api/context-token": routeSandbox,
	"GET /sandbox/api/issues/:key": routeSandbox, "PUT /sandbox/api/issues/:key": routeSandbox,
	"GET /sandbox/issue/:key": routeSandbox, "GET /sandbox/shell.css": routeSandbox, "GET /sandbox/shell.js": routeSandbox,
	// The sandbox as a Forge host (server/sandbox/forge.go).
	"GET /sandbox/forge/ui/:resource/": routeSandbox, "GET /sandbox/forge/ui/:resource/:file": routeSandbox,
	"POST /sandbox/api/forge/invoke": routeSandbox,
	// Custom UI pages, registered with Forge Remote on (tenant from the FIT).
	"GET /api/forge/pages/glance": routeAPI, "GET /api/forge/pages/project": routeAPI,

	"POST /api/projects/:project/drafts/discard": routeAPI, "POST /api/projects/:project/drafts/restore": routeAPI,
}

// bodies are request bodies that get past validation for the routes that
// change data (the point is that they change nothing of the other tenant).
var bodies = map[string]any{
	"PUT /api/issues/:issue/override":           map[string]string{"moscow": "Won't", "reason": "A was here"},
	"PUT /api/projects/:project/strategy":       map[string]any{"vision": "A was here", "weights": []float64{1, 1, 1, 1, 1}},
	"POST /api/projects/:project/rerank":        map[string]any{"weights": []float64{5, 1, 1, 1, 1}},
	"POST /api/issues/:issue/link-duplicate":    map[string]string{"other": "SHOP-3"},
	"POST /api/issues/:issue/improve/apply":     map[string]string{"summary": "A was here", "description": "A was here"},
	"POST /api/issues/:issue/split/apply":       map[string]any{"stories": []map[string]string{{"summary": "A was here"}, {"summary": "A was here too"}}},
	"POST /api/projects/:project/generate":      map[string]any{"context": "A was here", "objective": "A was here", "count": 1},
	"POST /api/projects/:project/drafts/create": map[string]any{"ids": []string{}},
	"PUT /api/drafts/:draft":                    map[string]any{"title": "A was here"},
	"PUT /api/projects/:project/settings":       map[string]any{"retentionDays": 7},
	"POST /api/issues/:issue/answer":            map[string]string{"findingId": "missing_acceptance_criteria", "answer": "A was here"},
	"POST /api/projects/:project/settings/test": map[string]any{"target": "llm", "llm": map[string]string{"provider": "inherit"}},

	"POST /api/projects/:project/drafts/discard": map[string]any{"ids": []int64{1, 2, 3}},
	"POST /api/projects/:project/drafts/restore": map[string]any{"ids": []int64{1, 2, 3}},
}

const marker = "B-ONLY-7f3a"

// TestTenantIsolationEveryRoute: with the same project and issue keys on
// two sites, every route called with tenant A's credentials neither shows
// nor changes tenant B's data; a disabled or uninstalled A gets nothing.
func TestTenantIsolationEveryRoute(t *testing.T) {
	o := envOptions{}
	cfg := testConfig(t, &o)
	appL, _ := net.Listen("tcp", "127.0.0.1:0")
	appURL := "http://" + appL.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mkEmu := func(client string) *jiraemu.Emulator {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		emu := jiraemu.New(jiraemu.Options{BaseURL: "http://" + l.Addr().String(), AppKey: "backlogai", ClientKey: client, AppBaseURL: appURL, RebaseTimes: true})
		go emu.Serve(ctx, l)
		return emu
	}
	emuA, emuB := mkEmu("jira:tenant-a"), mkEmu("jira:tenant-b")
	// The tokens' user administers SHOP on both sites, so A's writes pass
	// the permission checks and reach the tenant scoping under test.
	emuA.SetProjectAdmins("SHOP", "557058:pm")
	emuB.SetProjectAdmins("SHOP", "557058:pm")
	// One install-key server for every site, as Atlassian runs it.
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, emu := range []*jiraemu.Emulator{emuA, emuB} {
			resp, err := http.Get(emu.KeysURL() + r.URL.Path)
			if err == nil && resp.StatusCode == 200 {
				defer resp.Body.Close()
				io.Copy(w, resp.Body)
				return
			}
			if resp != nil {
				resp.Body.Close()
			}
		}
		http.NotFound(w, r)
	}))
	defer keys.Close()
	cfg.BaseURL = appURL
	cfg.ConnectKeysURL = keys.URL
	cfg.AllowedJiraHosts = []string{emuA.BaseURL(), emuB.BaseURL()}
	app, err := cli.Start(ctx, cfg, logger(), cli.StartOptions{Listener: appL, NoReconcile: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close(context.Background()) })
	if err := emuA.Install(ctx, appURL); err != nil {
		t.Fatal(err)
	}
	if err := emuB.Install(ctx, appURL); err != nil {
		t.Fatal(err)
	}
	a := &env{t: t, emu: emuA, app: appURL}
	b := &env{t: t, emu: emuB, app: appURL}

	// Salt B's data with a marker everywhere a route could show it.
	for i := 1; i <= 5; i++ {
		emuB.UserUpdate(fmt.Sprintf("SHOP-%d", i), map[string]any{"summary": fmt.Sprintf("%s summary %d", marker, i)}, "")
	}
	emuB.WaitWebhooks(ctx)
	activate(t, a)
	activate(t, b)
	if c := b.api("PUT", "/api/issues/SHOP-2/override", map[string]string{"moscow": "Must", "reason": marker + " reason"}, nil); c != 200 {
		t.Fatalf("B override: %d", c)
	}
	st := map[string]any{"vision": marker + " vision", "weights": []float64{1, 2, 3, 4, 5}}
	if c := b.api("PUT", "/api/projects/SHOP/strategy", st, nil); c != 200 {
		t.Fatalf("B strategy: %d", c)
	}
	bDraft, bRun := b.someDraft(t)

	// Every route must have a case.
	var routes []string
	for _, r := range app.Server.Echo().Routes() {
		if r.Method == "echo_route_not_found" {
			continue
		}
		key := r.Method + " " + r.Path
		if _, ok := isolationCases[key]; !ok {
			t.Errorf("route %s has no isolation case: add it to isolationCases", key)
		}
		routes = append(routes, key)
	}

	probe := func(who *env, route string) (int, string) {
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer(":project", "SHOP", ":issue", "SHOP-1", ":draft", bDraft, ":run", bRun, ":key", "SHOP-1", ":token", "1", ":id", "1", "*", "app.css").Replace(path)
		var rd io.Reader
		if body, ok := bodies[route]; ok {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		} else if method == "POST" || method == "PUT" {
			rd = strings.NewReader("{}")
		}
		target := appURL + path
		req, _ := http.NewRequest(method, target, rd)
		req.Header.Set("Content-Type", "application/json")
		switch isolationCases[route] {
		case routeAPI:
			req.Header.Set("Authorization", "JWT "+who.contextToken("SHOP", "SHOP-1"))
		case routePage:
			u, _ := who.emu.SignedIframeURL(path, url.Values{"issueKey": {"SHOP-1"}, "projectKey": {"SHOP"}, "projectId": {"10000"}}, "557058:a")
			req, _ = http.NewRequest(method, u, nil)
		case routeToken:
			// A's context token is not a personal access token.
			req.Header.Set("Authorization", "Bearer "+who.contextToken("SHOP", "SHOP-1"))
		case routeWebhook:
			raw := webhookBody("SHOP-1", time.Now().UnixMilli())
			req, _ = http.NewRequest(method, target, bytes.NewReader(raw))
			req.Header.Set("Authorization", "JWT "+who.webhookToken())
		case routeLifecycle:
			// A's own token trying to act on B: the body names B.
			body, _ := json.Marshal(map[string]string{"key": "backlogai", "clientKey": emuB.ClientKey(), "baseUrl": emuB.BaseURL()})
			req, _ = http.NewRequest(method, target, bytes.NewReader(body))
			u, _ := url.Parse(target)
			req.Header.Set("Authorization", "JWT "+who.signedFor("POST", u))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", route, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}

	for _, route := range routes {
		if isolationCases[route] == routeSandbox {
			continue // not registered outside the sandbox; checked to be absent below
		}
		code, body := probe(a, route)
		if strings.Contains(body, marker) {
			t.Errorf("%s with tenant A's credentials shows tenant B's data (status %d)", route, code)
		}
		if isolationCases[route] == routeLifecycle && route != "POST /installed" && route != "POST /uninstalled" && code < 300 {
			// enabled/disabled with A's token naming B must not succeed.
			t.Errorf("%s: A's token acted on B (status %d)", route, code)
		}
		if isolationCases[route] == routeToken && code != 401 && code != 405 {
			t.Errorf("%s with a context token instead of a personal token: %d, want 401", route, code)
		}
		if strings.HasPrefix(route, "GET /api/generation-runs") || strings.HasPrefix(route, "PUT /api/drafts") {
			if code != 404 && code != 403 {
				t.Errorf("%s on B's id with A's token: %d, want 403/404", route, code)
			}
		}
	}
	for r, cat := range isolationCases {
		if cat == routeSandbox {
			for _, reg := range routes {
				if reg == r {
					t.Errorf("sandbox route %s registered outside sandbox mode", r)
				}
			}
		}
	}

	// B's data is exactly as B left it.
	var d struct {
		Issue    struct{ Summary string } `json:"issue"`
		Analysis struct {
			Score struct {
				Override *struct{ Reason string } `json:"override"`
			} `json:"score"`
		} `json:"analysis"`
	}
	b.api("GET", "/api/issues/SHOP-2", nil, &d)
	if !strings.Contains(d.Issue.Summary, marker) || d.Analysis.Score.Override == nil || !strings.Contains(d.Analysis.Score.Override.Reason, marker) {
		t.Errorf("B's SHOP-2 changed: %+v", d)
	}
	var bs struct{ Vision string }
	b.api("GET", "/api/projects/SHOP/strategy", nil, &bs)
	if !strings.Contains(bs.Vision, marker) {
		t.Errorf("B's strategy changed: %q", bs.Vision)
	}
	raw, _ := emuB.IssueProperty("SHOP-1", "backlogai")
	if strings.Contains(string(raw), "A was here") {
		t.Error("A's write reached B's Jira")
	}

	// A disabled, then uninstalled, tenant gets nothing from the API.
	for _, step := range []func(context.Context) error{emuA.Disable, emuA.Uninstall} {
		secret := emuA.SharedSecret()
		if err := step(ctx); err != nil {
			t.Fatal(err)
		}
		a.secret = secret
		for _, route := range routes {
			if isolationCases[route] != routeAPI {
				continue
			}
			if code, _ := probe(a, route); code != http.StatusUnauthorized {
				t.Errorf("%s for an inactive tenant: %d, want 401", route, code)
			}
		}
	}
}

// someDraft makes B generate one (deterministic) draft and returns its id
// and its run id, for A to try to reach.
func (e *env) someDraft(t *testing.T) (draft, run string) {
	var started struct {
		RunID any `json:"runId"`
	}
	// The objective names a capability, so that rules write a draft.
	form := map[string]any{"context": marker + " context", "objective": "Let shoppers keep " + marker + " lists", "count": 1, "research": false}
	if c := e.api("POST", "/api/projects/SHOP/generate", form, &started); c != http.StatusAccepted {
		t.Fatalf("B generate: %d", c)
	}
	run = fmt.Sprint(started.RunID)
	var r struct {
		State  string `json:"state"`
		Drafts []struct {
			ID any `json:"id"`
		} `json:"drafts"`
	}
	waitUntil(t, 30*time.Second, "B's draft", func() bool {
		e.api("GET", "/api/generation-runs/"+run, nil, &r)
		return r.State == "done" && len(r.Drafts) > 0
	})
	return fmt.Sprint(r.Drafts[0].ID), run
}

// signedFor signs a request as Jira does (iss = clientKey, qsh of it).
func (e *env) signedFor(method string, u *url.URL) string {
	qsh, _ := connect.QSHForURL(method, u, "")
	now := time.Now()
	tok, _ := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: e.emu.ClientKey(),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute))}, QSH: qsh}, e.sharedSecret())
	return tok
}
