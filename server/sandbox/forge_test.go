package sandbox_test

import (
	"context"
	"encoding/json"
	"html"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	forgeui "github.com/backlogai/backlogai/forge/ui"
	"github.com/backlogai/backlogai/frontend"
	"github.com/backlogai/backlogai/server/cli"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/store/storetest"
)

const demoLead = "712020:5f1c2e9a-8b44-4b7e-9d1a-3c6f0a2b7e11"

// forgeEnv is `backlogai sandbox`: the app with Forge Remote on, the
// emulated site as Connect and Forge host, after the signed install.
type forgeEnv struct {
	*sandboxEnv
	sb *cli.Sandbox
}

func newForgeEnv(t *testing.T) *forgeEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{AppKey: appKey, DataRetentionDays: 30, EncryptionKey: storetest.Key, Driver: "sqlite",
		DSN: filepath.Join(t.TempDir(), "app.db") + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"}
	sb, err := cli.StartSandbox(context.Background(), cli.SandboxOptions{Config: cfg, Logger: slog.New(slog.DiscardHandler),
		AppListener: ln, Forge: true, Start: cli.StartOptions{NoReconcile: true}})
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		sb.Close(ctx)
	})
	if sb.Forge == nil {
		t.Fatal("sandbox started without its Forge host")
	}
	return &forgeEnv{sandboxEnv: &sandboxEnv{t: t, emu: sb.Emu, app: sb.App.URL, h: sb.App.Server.Handler()}, sb: sb}
}

// frameOf returns the src and the decoded data-context of the shell's iframe.
func frameOf(t *testing.T, page string) (string, string, map[string]any) {
	t.Helper()
	m := iframeSrc.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no iframe in %s", page)
	}
	host := ""
	if i := strings.Index(page, `data-host="`); i >= 0 {
		host = page[i+len(`data-host="`):]
		host = host[:strings.Index(host, `"`)]
	}
	var ctx map[string]any
	if i := strings.Index(page, `data-context="`); i >= 0 {
		raw := page[i+len(`data-context="`):]
		raw = html.UnescapeString(raw[:strings.Index(raw, `"`)])
		if err := json.Unmarshal([]byte(raw), &ctx); err != nil {
			t.Fatalf("data-context: %v: %s", err, raw)
		}
	}
	return html.UnescapeString(m[1]), host, ctx
}

// TestSandboxForgeShell: ?host=forge makes the shell embed the Custom UI
// resources with the Forge extension context, remembered for the next
// pages; ?host=connect goes back to signed Connect URLs.
func TestSandboxForgeShell(t *testing.T) {
	e := newForgeEnv(t)
	code, hdr, body := e.get("/sandbox?host=forge")
	if code != 200 {
		t.Fatalf("shell: %d %s", code, body)
	}
	src, host, ctx := frameOf(t, body)
	if src != "/sandbox/forge/ui/project/" || host != "forge" {
		t.Fatalf("project frame %q host %q", src, host)
	}
	ext, _ := ctx["extension"].(map[string]any)
	project, _ := ext["project"].(map[string]any)
	if ext["type"] != "jira:projectPage" || project["key"] != "SHOP" || project["id"] != "10000" || ctx["accountId"] != demoLead || ctx["moduleKey"] != "project" {
		t.Errorf("project context %v", ctx)
	}
	if !strings.Contains(body, `aria-label="App host"`) {
		t.Error("no host switch")
	}
	var cookie string
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == "backlogai-sandbox-host" && c.Value == "forge" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatal("the host choice is not remembered")
	}
	code, _, body = e.do(http.MethodGet, "/sandbox/issue/SHOP-5?glance=open", "", map[string]string{"Cookie": cookie})
	if code != 200 {
		t.Fatalf("issue view: %d", code)
	}
	src, host, ctx = frameOf(t, body)
	ext, _ = ctx["extension"].(map[string]any)
	issue, _ := ext["issue"].(map[string]any)
	if src != "/sandbox/forge/ui/glance/" || host != "forge" || ext["type"] != "jira:issueGlance" || issue["key"] != "SHOP-5" || issue["id"] == "" {
		t.Errorf("glance frame %q host %q context %v", src, host, ctx)
	}
	_, _, body = e.do(http.MethodGet, "/sandbox?host=connect", "", map[string]string{"Cookie": cookie})
	if src, host, _ := frameOf(t, body); !strings.HasPrefix(src, e.app+"/project?") || host != "connect" {
		t.Errorf("back on Connect: frame %q host %q", src, host)
	}
}

// TestSandboxForgeResources: the Custom UI resources are the forge/ui
// sources and the pages' own static files, with the bridge shim as
// bridge.js, under a Forge-like CSP that lets no page code reach the
// network except through the bridge.
func TestSandboxForgeResources(t *testing.T) {
	e := newForgeEnv(t)
	for _, res := range []string{"glance", "project"} {
		want := map[string][]byte{}
		for _, f := range []string{"index.html", "loader.js"} {
			want[f], _ = fs.ReadFile(forgeui.Src, "src/"+f)
		}
		for _, f := range []string{"host.js", "common.js", "app.css", res + ".js"} {
			want[f], _ = fs.ReadFile(frontend.Static(), f)
		}
		for f, body := range want {
			path := "/sandbox/forge/ui/" + res + "/" + f
			if f == "index.html" {
				path = "/sandbox/forge/ui/" + res + "/"
			}
			code, hdr, got := e.get(path)
			if code != 200 || got != string(body) || len(body) == 0 {
				t.Errorf("GET %s: %d, %d bytes, want the %d bytes of %s", path, code, len(got), len(body), f)
				continue
			}
			csp := hdr.Get("Content-Security-Policy")
			if !strings.Contains(csp, "connect-src 'none'") || !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "frame-ancestors "+e.app) {
				t.Errorf("GET %s: CSP %q", path, csp)
			}
		}
		code, _, shim := e.get("/sandbox/forge/ui/" + res + "/bridge.js")
		if code != 200 || !strings.Contains(shim, "window.__forgeBridge = {") || !strings.Contains(shim, "requestRemote") {
			t.Errorf("bridge.js is not the shim: %d", code)
		}
	}
	for _, p := range []string{"/sandbox/forge/ui/admin/", "/sandbox/forge/ui/glance/..%2Fshell.js", "/sandbox/forge/ui/glance/.hidden",
		"/sandbox/forge/ui/glance/templates%2Fglance.html", "/sandbox/forge/ui/glance/nope.js"} {
		if code, _, _ := e.get(p); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
	}
}

// TestSandboxForgeInvoke: the shell's requestRemote reaches the app
// through the emulated Forge (a FIT for the acting person and the frame's
// context, with the system and user tokens); the remote serves the pages
// to Custom UI only for the context the FIT names.
func TestSandboxForgeInvoke(t *testing.T) {
	e := newForgeEnv(t)
	shell := map[string]string{"Content-Type": "application/json", "X-Sandbox-Shell": "1"}
	invoke := func(body string, hdr map[string]string) (int, int, string) {
		t.Helper()
		code, _, raw := e.do(http.MethodPost, "/sandbox/api/forge/invoke", body, hdr)
		if code != 200 {
			return code, 0, raw
		}
		var out struct {
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    string            `json:"body"`
		}
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			t.Fatal(err)
		}
		return code, out.Status, out.Body
	}
	cases := []struct {
		name, body string
		hdr        map[string]string
		code       int // of the sandbox
		status     int // of the remote
		contains   string
	}{
		{"project page", `{"module":"project","project":"SHOP","method":"GET","path":"/api/forge/pages/project?projectKey=SHOP&projectId=10000"}`,
			shell, 200, 200, `data-page="project"`},
		{"glance", `{"module":"glance","project":"SHOP","issue":"SHOP-5","issueId":"10005","method":"GET","path":"/api/forge/pages/glance?issueKey=SHOP-5&projectKey=SHOP"}`,
			shell, 200, 200, `data-page="glance"`},
		{"who the FIT names", `{"module":"project","project":"SHOP","method":"GET","path":"/api/me"}`, shell, 200, 200, demoLead},
		{"a write with a body", `{"module":"project","project":"SHOP","method":"PUT","path":"/api/issues/SHOP-5/override","body":"{\"moscow\":\"Must\"}"}`,
			shell, 200, 400, "reason"},
		{"another issue's glance", `{"module":"glance","project":"SHOP","issue":"SHOP-5","method":"GET","path":"/api/forge/pages/glance?issueKey=SHOP-6&projectKey=SHOP"}`,
			shell, 200, 403, "not opened for that issue"},
		{"another project's page", `{"module":"project","project":"SHOP","method":"GET","path":"/api/forge/pages/project?projectKey=OPS"}`,
			shell, 200, 403, "not opened for that project"},
		{"outside the API", `{"module":"project","project":"SHOP","method":"GET","path":"/forge/lifecycle"}`, shell, 400, 0, ""},
		{"unknown module", `{"module":"admin","project":"SHOP","method":"GET","path":"/api/me"}`, shell, 400, 0, ""},
		{"glance without an issue", `{"module":"glance","project":"SHOP","method":"GET","path":"/api/me"}`, shell, 400, 0, ""},
		{"body not JSON text", `{"module":"project","project":"SHOP","method":"POST","path":"/api/me","body":"{"}`, shell, 400, 0, ""},
		{"not from the shell", `{"module":"project","project":"SHOP","method":"GET","path":"/api/me"}`,
			map[string]string{"Content-Type": "application/json"}, 403, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, status, body := invoke(tc.body, tc.hdr)
			if code != tc.code || status != tc.status || !strings.Contains(body, tc.contains) {
				t.Fatalf("sandbox %d remote %d, want %d %d containing %q: %.300s", code, status, tc.code, tc.status, tc.contains, body)
			}
		})
	}
	if n := e.sb.Forge.Calls("/api/me"); n != 1 {
		t.Errorf("the emulated Forge invoked /api/me %d times, want 1", n)
	}
}
