package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/cli"
	"github.com/backlogai/backlogai/server/forge"
	"github.com/backlogai/backlogai/server/jiraemu"
)

const forgeAppID = "8d2a4c10-3f6e-4b7a-9c21-5e0f1a2b3c4d"

// startForgeEnv starts the sandbox with Forge Remote on and attaches the
// emulator's Forge host to the app.
func startForgeEnv(t *testing.T) (*env, *jiraemu.ForgeHost) {
	t.Helper()
	fh, err := jiraemu.NewForgeHost(forgeAppID)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(fh.JWKSHandler())
	t.Cleanup(jwks.Close)
	o := envOptions{}
	cfg := testConfig(t, &o)
	cfg.ForgeAppID = forgeAppID
	cfg.ForgeJWKSURL = jwks.URL
	sb, err := cli.StartSandbox(context.Background(), cli.SandboxOptions{Config: cfg, Logger: logger()})
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	e := &env{t: t, sb: sb, emu: sb.Emu, app: sb.App.URL, cfg: cfg}
	t.Cleanup(func() { e.close() })
	fh.Attach(e.emu, e.app)
	e.emu.AddUser("557058:pm", "Product manager")
	return e, fh
}

// TestForgeInstallTriggerScore: a site on Connect installs the Forge app,
// removes the Connect app, and keeps working through Forge alone: the
// project page's calls (bridge, FIT + user token), the scan (system token
// against the API base URL), and an issue trigger whose re-score is
// written back and visible through the entity property.
func TestForgeInstallTriggerScore(t *testing.T) {
	e, fh := startForgeEnv(t)
	ctx := context.Background()
	if err := fh.Install(ctx); err != nil {
		t.Fatal(err)
	}
	// Migration: the Connect app goes; the tenant (and its data) stays.
	if err := e.emu.Uninstall(ctx); err != nil {
		t.Fatal(err)
	}
	page := map[string]any{"project": map[string]any{"key": "SHOP", "id": "10000"}}
	invoke := func(method, path string, out any) int {
		t.Helper()
		code, body, err := fh.Invoke(ctx, method, path, "project", "557058:pm", page, nil)
		if err != nil {
			t.Fatal(err)
		}
		if out != nil && code < 300 {
			if err := json.Unmarshal(body, out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, body)
			}
		}
		if code >= 300 {
			t.Logf("%s %s: %d %s", method, path, code, body)
		}
		return code
	}
	if c := invoke(http.MethodPost, "/api/projects/SHOP/activate", nil); c/100 != 2 {
		t.Fatalf("activate through Forge: %d", c)
	}
	waitUntil(t, 90*time.Second, "scan through Forge", func() bool {
		var s status
		if invoke(http.MethodGet, "/api/projects/SHOP/status", &s) != 200 {
			return false
		}
		if s.Scan != nil && s.Scan.State == "failed" {
			t.Fatalf("scan failed: %s", s.Scan.Error)
		}
		return s.Scan != nil && s.Scan.State == "done"
	})
	// A FIT for this installation signed with a key Forge never published
	// is refused.
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	fit, _ := forge.Mint(otherKey, "kid-other", forge.Token{AppID: forgeAppID, InstallationID: fh.InstallationID,
		APIBaseURL: e.emu.BaseURL(), SiteURL: e.emu.BaseURL(), ModuleKey: "project", AccountID: "557058:pm", Extension: page})
	req, _ := http.NewRequest(http.MethodGet, e.app+"/api/projects/SHOP/status", nil)
	req.Header.Set("Authorization", "Bearer "+fit)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("FIT signed by another key: %d, want 401", resp.StatusCode)
	}

	// Pick an analysed issue, make its story vague in Jira, and deliver
	// the Forge trigger (no Connect webhook goes out any more).
	var key string
	var before property
	for i := 1; i <= 60 && key == ""; i++ {
		k := "SHOP-" + strconv.Itoa(i)
		if p, ok := e.property(k); ok && p.Quality >= 50 {
			key, before = k, p
		}
	}
	if key == "" {
		t.Fatal("no analysed issue with a property after the Forge scan")
	}
	if err := e.emu.UserUpdate(key, map[string]any{"summary": "Make it fast and easy, etc.", "description": nil}, ""); err != nil {
		t.Fatal(err)
	}
	if code, err := fh.IssueEvent(ctx, "avi:jira:updated:issue", key); err != nil || code != 200 {
		t.Fatalf("trigger: %d %v", code, err)
	}
	waitUntil(t, 60*time.Second, "re-score written through Forge", func() bool {
		p, ok := e.property(key)
		return ok && p.Quality < before.Quality
	})
	after, _ := e.property(key)
	t.Logf("%s quality %d → %d, score %d → %d (%s)", key, before.Quality, after.Quality, before.Score, after.Score, after.Moscow)

	// Forge retries a delivery it thinks failed (same event, plus a
	// retryContext): the intake records it once.
	post := func(ev map[string]any) (int, string, string) {
		t.Helper()
		fit, err := fh.FIT("issue-changed", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(ev)
		req, _ := http.NewRequest(http.MethodPost, e.app+"/forge/events/issue", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+fit)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-BacklogAI-Webhook"), string(body)
	}
	ev := map[string]any{"eventType": "avi:jira:updated:issue", "issue": map[string]any{"id": "1", "key": key,
		"fields": map[string]any{"project": map[string]any{"key": "SHOP"}}}, "atlassianId": "557058:pm"}
	if c, res, body := post(ev); c != 200 || res != "queued" {
		t.Fatalf("first delivery: %d %q %s", c, res, body)
	}
	ev["retryContext"] = map[string]any{"retryCount": 1, "retryReason": "FUNCTION_RETRY_REQUEST"}
	if c, res, body := post(ev); c != 200 || res != "duplicate" {
		t.Fatalf("retry: %d %q %s, want duplicate", c, res, body)
	}
	// Bad input gets a clear error naming the field.
	if c, _, body := post(map[string]any{"eventType": "avi:jira:viewed:issue"}); c != 400 || !strings.Contains(body, "eventType") {
		t.Fatalf("unknown event: %d %s", c, body)
	}

	// Rovo actions: each served by its tool of the shared registry.
	checkRovoActions(t, e, fh)
}
