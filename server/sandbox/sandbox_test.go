package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	backlogai "github.com/backlogai/backlogai"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/sandbox"
	"github.com/backlogai/backlogai/server/store/storetest"
	"github.com/backlogai/backlogai/server/web"
)

const (
	appKey  = "backlogai"
	appBase = "https://app.example.com"
)

// sandboxEnv is the app (sandbox mode, real SQLite store) and the emulated
// Jira with the demo project, both on real loopback servers, after a
// signed install: what `backlogai sandbox` runs, minus the workers.
type sandboxEnv struct {
	t   *testing.T
	emu *jiraemu.Emulator
	app string // app base URL
	h   http.Handler
}

func newSandboxEnv(t *testing.T) *sandboxEnv {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	emu := jiraemu.New(jiraemu.Options{AppKey: appKey, ClientKey: "sandbox-client-key", RebaseTimes: true, Logger: quiet,
		WebhookRetryDelays: []time.Duration{}})
	emuSrv := httptest.NewServer(emu.Handler())
	t.Cleanup(func() { emuSrv.Close(); emu.Close() })
	emu.SetBaseURL(emuSrv.URL)

	appSrv := httptest.NewUnstartedServer(nil)
	appURL := "http://" + appSrv.Listener.Addr().String()
	st := storetest.Open(t, "sqlite", nil)
	cfg := &config.Config{BaseURL: appURL, AppKey: appKey, ConnectKeysURL: emu.KeysURL(), Driver: "sqlite",
		AllowedJiraHosts: []string{emuSrv.URL}, DataRetentionDays: 30, Sandbox: true}
	srv, err := web.New(web.Deps{
		Config:        cfg,
		Store:         st,
		Auth:          &connect.JWTAuthenticator{Tenants: st},
		LifecycleAuth: &connect.JWTAuthenticator{Tenants: st, AllowDisabled: true},
		Install:       &connect.InstallVerifier{KeysURL: emu.KeysURL(), HTTP: emuSrv.Client(), AllowedHosts: cfg.AllowedJiraHosts, BaseURL: appURL},
		Mount:         []func(*echo.Echo){sandbox.New(sandbox.Options{Config: cfg, Host: emu, Logger: quiet}).Mount},
		Descriptor:    backlogai.DescriptorTemplate,
		Logger:        quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	appSrv.Config.Handler = srv.Handler()
	appSrv.Start()
	t.Cleanup(appSrv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := emu.Install(ctx, appURL); err != nil {
		t.Fatalf("signed install: %v", err)
	}
	return &sandboxEnv{t: t, emu: emu, app: appURL, h: srv.Handler()}
}

// get fetches a URL over loopback, as a browser on this machine would.
func (e *sandboxEnv) get(target string) (int, http.Header, string) {
	e.t.Helper()
	return e.do(http.MethodGet, target, "", nil)
}

func (e *sandboxEnv) do(method, target, body string, hdr map[string]string) (int, http.Header, string) {
	e.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = e.app + target
	}
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestSandboxRoutesAbsentOutsideSandboxMode(t *testing.T) {
	emu := jiraemu.New(jiraemu.Options{SharedSecret: "s", Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { emu.Close() })
	cases := []struct {
		name    string
		sandbox bool
		host    sandbox.Host
	}{
		{"no sandbox host, mode off", false, nil},
		{"sandbox host but mode off", false, emu},
		{"mode on but no sandbox host", true, nil},
	}
	paths := []string{"/sandbox", "/sandbox/issue/SHOP-1", "/sandbox/ap-shim.js", "/sandbox/api/context-token?project=SHOP",
		"/sandbox/api/issues/SHOP-1"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.Open(t, "sqlite", nil)
			cfg := &config.Config{BaseURL: appBase, AppKey: appKey, ConnectKeysURL: "https://keys.example.com",
				AllowedJiraHosts: []string{"*.atlassian.net"}, DataRetentionDays: 30, Sandbox: tc.sandbox}
			srv, err := web.New(web.Deps{
				Config: cfg,
				Store:  st, Auth: &connect.JWTAuthenticator{Tenants: st}, LifecycleAuth: &connect.JWTAuthenticator{Tenants: st},
				Install:    &connect.InstallVerifier{KeysURL: "https://keys.example.com", AllowedHosts: []string{"*.atlassian.net"}, BaseURL: appBase},
				Mount:      []func(*echo.Echo){sandbox.New(sandbox.Options{Config: cfg, Host: tc.host}).Mount},
				Descriptor: backlogai.DescriptorTemplate, Logger: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range paths {
				r := httptest.NewRequest(http.MethodGet, p, nil)
				r.RemoteAddr = "127.0.0.1:40000"
				r.Host = "localhost:8080"
				w := httptest.NewRecorder()
				srv.Handler().ServeHTTP(w, r)
				if w.Code != http.StatusNotFound {
					t.Errorf("GET %s: status %d, want 404", p, w.Code)
				}
				if strings.Contains(w.Body.String(), "eyJ") {
					t.Errorf("GET %s: answered with a token", p)
				}
			}
		})
	}
}

func TestSandboxAnswersOnlyOnLoopback(t *testing.T) {
	e := newSandboxEnv(t)
	appHost := strings.TrimPrefix(e.app, "http://")
	cases := []struct {
		name   string
		remote string
		host   string
		xff    string
		want   int
	}{
		{"loopback v4", "127.0.0.1:50000", appHost, "", 200},
		{"loopback v6 and localhost", "[::1]:50000", "localhost:1234", "", 200},
		{"other loopback address", "127.0.0.2:50000", "127.0.0.1:9", "", 200},
		{"private network peer", "192.168.1.20:50000", appHost, "", 403},
		{"public peer", "203.0.113.9:50000", appHost, "", 403},
		{"public peer claiming loopback in X-Forwarded-For", "203.0.113.9:50000", appHost, "127.0.0.1", 403},
		{"loopback peer, foreign Host (DNS rebinding)", "127.0.0.1:50000", "attacker.example:80", "", 403},
		{"loopback peer, foreign Host with loopback XFF", "127.0.0.1:50000", "attacker.example", "127.0.0.1", 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range []string{"/sandbox/api/context-token?project=SHOP", "/sandbox/ap-shim.js"} {
				r := httptest.NewRequest(http.MethodGet, p, nil)
				r.RemoteAddr = tc.remote
				r.Host = tc.host
				if tc.xff != "" {
					r.Header.Set("X-Forwarded-For", tc.xff)
					r.Header.Set("X-Real-Ip", tc.xff)
				}
				w := httptest.NewRecorder()
				e.h.ServeHTTP(w, r)
				if w.Code != tc.want {
					t.Fatalf("GET %s: status %d, want %d: %s", p, w.Code, tc.want, w.Body)
				}
				if tc.want == 403 && strings.Contains(w.Body.String(), "token") && strings.Contains(w.Body.String(), "eyJ") {
					t.Fatalf("refused request got a token: %s", w.Body)
				}
			}
		})
	}
}

func TestSandboxContextToken(t *testing.T) {
	e := newSandboxEnv(t)
	lead := "712020:5f1c2e9a-8b44-4b7e-9d1a-3c6f0a2b7e11" // the demo project's lead
	type jiraCtx struct {
		Jira struct {
			Project struct{ Key, ID string } `json:"project"`
			Issue   *struct{ Key string }    `json:"issue"`
		} `json:"jira"`
	}
	cases := []struct {
		query     string
		want      int
		wantIssue string
	}{
		{"project=SHOP", 200, ""},
		{"project=SHOP&issue=SHOP-12", 200, "SHOP-12"},
		{"issue=SHOP-3", 200, "SHOP-3"},
		{"project=SHOP&issue=OTHER-1", 400, ""},
		{"project=no%20such", 400, ""},
		{"", 400, ""},
		{"project=NOPE", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			code, hdr, body := e.get("/sandbox/api/context-token?" + tc.query)
			if code != tc.want {
				t.Fatalf("status %d, want %d: %s", code, tc.want, body)
			}
			if code != 200 {
				return
			}
			if hdr.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", hdr.Get("Cache-Control"))
			}
			var out struct {
				Token     string `json:"token"`
				ExpiresAt string `json:"expiresAt"`
			}
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Fatal(err)
			}
			claims, err := connect.ParseHS256(out.Token, func(string) (string, error) { return e.emu.SharedSecret(), nil }, nil)
			if err != nil {
				t.Fatalf("token does not verify with the shared secret: %v", err)
			}
			if claims.Issuer != e.emu.ClientKey() || claims.Subject != lead || claims.QSH != connect.ContextQSH {
				t.Errorf("claims iss=%q sub=%q qsh=%q", claims.Issuer, claims.Subject, claims.QSH)
			}
			if ttl := claims.ExpiresAt.Sub(claims.IssuedAt.Time); ttl != 15*time.Minute {
				t.Errorf("lifetime %v, want 15m", ttl)
			}
			var jc jiraCtx
			if err := json.Unmarshal(claims.Context, &jc); err != nil {
				t.Fatal(err)
			}
			if jc.Jira.Project.Key != "SHOP" || jc.Jira.Project.ID != "10000" {
				t.Errorf("project context %+v", jc.Jira.Project)
			}
			gotIssue := ""
			if jc.Jira.Issue != nil {
				gotIssue = jc.Jira.Issue.Key
			}
			if gotIssue != tc.wantIssue {
				t.Errorf("issue context %q, want %q", gotIssue, tc.wantIssue)
			}
			// The app's own API accepts it, exactly as a token from Jira.
			code, _, me := e.do(http.MethodGet, "/api/me", "", map[string]string{"Authorization": "JWT " + out.Token})
			if code != 200 || !strings.Contains(me, lead) {
				t.Errorf("/api/me with the sandbox token: %d %s", code, me)
			}
		})
	}
}

var iframeSrc = regexp.MustCompile(`<iframe[^>]*?\s(?:data-)?src="([^"]+)"`)

func TestSandboxShellEmbedsSignedModulePages(t *testing.T) {
	e := newSandboxEnv(t)
	cases := []struct {
		page, module string
	}{
		{"/sandbox", "/project?"},
		{"/sandbox/issue/SHOP-5?glance=open", "/glance?"},
	}
	for _, tc := range cases {
		t.Run(tc.page, func(t *testing.T) {
			code, hdr, body := e.get(tc.page)
			if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
				t.Fatalf("status %d %s: %s", code, hdr.Get("Content-Type"), body)
			}
			for _, want := range []string{`aria-label="Project"`, "BacklogAI", "/sandbox/shell.js", "ShopFlow"} {
				if !strings.Contains(body, want) {
					t.Errorf("shell lacks %q", want)
				}
			}
			m := iframeSrc.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no iframe in %s", body)
			}
			src := strings.ReplaceAll(m[1], "&amp;", "&")
			if !strings.HasPrefix(src, e.app+tc.module) || !strings.Contains(src, "jwt=") {
				t.Fatalf("iframe src %q is not a signed %s URL of the app", src, tc.module)
			}
			code, hdr, page := e.get(src)
			if code != 200 {
				t.Fatalf("the app refused the signed URL: %d %s", code, page)
			}
			csp := hdr.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors") || !strings.Contains(csp, e.app) || !strings.Contains(csp, e.emu.BaseURL()) {
				t.Errorf("module page CSP %q does not let the shell (%s) and the site frame it", csp, e.app)
			}
		})
	}
	t.Run("a refused module page stays unframeable", func(t *testing.T) {
		_, hdr, _ := e.get("/project?projectKey=SHOP&projectId=10000&jwt=bad")
		if csp := hdr.Get("Content-Security-Policy"); csp != "frame-ancestors 'none'" {
			t.Errorf("CSP %q", csp)
		}
	})
	t.Run("shell is sent to the canonical origin", func(t *testing.T) {
		port := e.app[strings.LastIndex(e.app, ":")+1:]
		code, hdr, _ := e.get("http://localhost:" + port + "/sandbox?view=issues")
		if code != http.StatusFound || hdr.Get("Location") != e.app+"/sandbox?view=issues" {
			t.Errorf("status %d location %q", code, hdr.Get("Location"))
		}
	})
	t.Run("the shim is served", func(t *testing.T) {
		code, hdr, body := e.get("/sandbox/ap-shim.js")
		if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/javascript") {
			t.Fatalf("status %d %s", code, hdr.Get("Content-Type"))
		}
		for _, api := range []string{"getToken", "getContext", "sizeToParent", "initializeTheming", "flag", "navigator", "events"} {
			if !strings.Contains(body, api) {
				t.Errorf("shim lacks %s", api)
			}
		}
	})
}

func TestSandboxIssueList(t *testing.T) {
	e := newSandboxEnv(t)
	code, _, body := e.get("/sandbox?view=issues")
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	rows := strings.Count(body, `class="issue-summary"`)
	if rows != 50 {
		t.Errorf("first page has %d issues, want 50", rows)
	}
	if !strings.Contains(body, "Next page") {
		t.Error("no next page link on a project of more than 50 issues")
	}
	// The filter searches summaries through JQL.
	code, _, body = e.get("/sandbox?view=issues&q=" + url.QueryEscape("checkout"))
	if code != 200 {
		t.Fatalf("filtered: status %d", code)
	}
	n := strings.Count(body, `class="issue-summary"`)
	if n == 0 || n >= rows {
		t.Errorf("filter kept %d issues", n)
	}
	code, _, body = e.get("/sandbox?view=issues&q=" + url.QueryEscape(`zzqx "no such`))
	if code != 200 || !strings.Contains(body, "No issues found") {
		t.Errorf("empty result: %d", code)
	}
}

func TestSandboxEditSummarySendsWebhook(t *testing.T) {
	e := newSandboxEnv(t)
	shellJSON := map[string]string{"Content-Type": "application/json", "X-Sandbox-Shell": "1"}
	cases := []struct {
		name string
		body string
		hdr  map[string]string
		want int
	}{
		{"no shell header (cross-site form)", `{"summary":"x"}`, map[string]string{"Content-Type": "application/json"}, 403},
		{"form encoded", `summary=x`, map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Sandbox-Shell": "1"}, 403},
		{"empty summary", `{"summary":"  "}`, shellJSON, 400},
		{"two lines", `{"summary":"a\nb"}`, shellJSON, 400},
		{"not json", `{`, shellJSON, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, body := e.do(http.MethodPut, "/sandbox/api/issues/SHOP-7", tc.body, tc.hdr); code != tc.want {
				t.Fatalf("status %d, want %d: %s", code, tc.want, body)
			}
		})
	}
	if n := len(e.emu.Deliveries()); n != 0 {
		t.Fatalf("%d webhooks after refused edits", n)
	}

	summary := "As a shopper, I want to save my cart so that I can finish later"
	if code, _, body := e.do(http.MethodPut, "/sandbox/api/issues/SHOP-7", `{"summary":"`+summary+`"}`, shellJSON); code != 204 {
		t.Fatalf("edit: %d %s", code, body)
	}
	code, _, body := e.get("/sandbox/api/issues/SHOP-7")
	if code != 200 {
		t.Fatalf("status: %d %s", code, body)
	}
	var st struct {
		Key, Summary string
		Glance       struct{ Label, Stamp string }
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(struct{ Key, Summary string }{"SHOP-7", summary}, struct{ Key, Summary string }{st.Key, st.Summary}); diff != "" {
		t.Errorf("issue after edit (-want +got):\n%s", diff)
	}
	if st.Glance.Label == "" || st.Glance.Stamp == "" {
		t.Errorf("glance %+v", st.Glance)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.emu.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, d := range e.emu.Deliveries() {
		if d.Event == "jira:issue_updated" && d.Delivered {
			found = true
		}
	}
	if !found {
		t.Errorf("no delivered jira:issue_updated webhook in %+v", e.emu.Deliveries())
	}
	code, _, page := e.get("/sandbox/issue/SHOP-7")
	if code != 200 || !strings.Contains(page, "save my cart") {
		t.Errorf("issue view after edit: %d", code)
	}
}

// TestSandboxUserSwitcher: the shell offers the site's demo users; the one
// chosen with ?as= is remembered and signs the page, its tokens and its
// edits, so the app sees that person's rights. Unknown accounts fall back
// to the project lead.
func TestSandboxUserSwitcher(t *testing.T) {
	e := newSandboxEnv(t)
	code, hdr, body := e.get("/sandbox?project=SHOP&as=" + url.QueryEscape(jiraemu.DemoViewerID))
	if code != 200 {
		t.Fatalf("shell: %d", code)
	}
	for _, u := range jiraemu.DemoUsers {
		if !strings.Contains(body, `value="`+u.AccountID+`"`) {
			t.Errorf("switcher lacks %s", u.DisplayName)
		}
	}
	if !strings.Contains(body, `Signed in as Vera Lindqvist`) || !strings.Contains(body, `data-user="`+jiraemu.DemoViewerID+`"`) {
		t.Error("the shell does not act as the chosen viewer")
	}
	var cookie string
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == "backlogai-sandbox-user" {
			cookie = c.Name + "=" + c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("cookie %+v", c)
			}
		}
	}
	if cookie == "" {
		t.Fatal("the choice is not remembered")
	}
	subject := func(hdr map[string]string) string {
		t.Helper()
		code, _, body := e.do(http.MethodGet, "/sandbox/api/context-token?project=SHOP", "", hdr)
		var out struct{ Token string }
		if err := json.Unmarshal([]byte(body), &out); code != 200 || err != nil {
			t.Fatalf("context token: %d %s", code, body)
		}
		claims, err := connect.ParseHS256(out.Token, func(string) (string, error) { return e.emu.SharedSecret(), nil }, nil)
		if err != nil {
			t.Fatal(err)
		}
		return claims.Subject
	}
	if got := subject(map[string]string{"Cookie": cookie}); got != jiraemu.DemoViewerID {
		t.Errorf("token subject with the cookie: %q", got)
	}
	lead := "712020:5f1c2e9a-8b44-4b7e-9d1a-3c6f0a2b7e11"
	for _, hdr := range []map[string]string{nil, {"Cookie": "backlogai-sandbox-user=557058:not-on-this-site"}} {
		if got := subject(hdr); got != lead {
			t.Errorf("token subject with %v: %q, want the lead", hdr, got)
		}
	}
}

// TestIssueViewShowsDueDate: the issue view lists the due date, as Jira's
// does, so an "Overdue" reason in the glance can be checked against it;
// an issue without one has no such row.
func TestIssueViewShowsDueDate(t *testing.T) {
	e := newSandboxEnv(t)
	code, _, page := e.get("/sandbox/issue/SHOP-64")
	if code != 200 || !regexp.MustCompile(`<dt>Due date</dt><dd>\d{4}-\d{2}-\d{2}</dd>`).MatchString(page) {
		t.Errorf("SHOP-64 view (%d) has no due date row", code)
	}
	if _, _, page := e.get("/sandbox/issue/SHOP-1"); strings.Contains(page, "<dt>Due date</dt>") {
		t.Error("SHOP-1 has no due date but shows the row")
	}
}
