package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/cli"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// env is a running sandbox: the real app on a real database, the emulated
// Jira, and a signed install between them.
type env struct {
	t   testing.TB
	sb  *cli.Sandbox
	emu *jiraemu.Emulator
	app string
	cfg *config.Config
	// secret overrides the emulator's (it forgets it on uninstall).
	secret string
	// project is the page's project for API tokens (default SHOP).
	project string
}

type envOptions struct {
	driver   string
	dsn      string // reuse a database (restart tests)
	fixtures []*jiraemu.Fixture
	start    cli.StartOptions
}

func testConfig(t testing.TB, o *envOptions) *config.Config {
	cfg := &config.Config{AppKey: "backlogai", DataRetentionDays: 30, LogLevel: slog.LevelWarn, EncryptionKey: storetest.Key, JobWorkers: 2}
	switch o.driver {
	case "", "sqlite":
		cfg.Driver = "sqlite"
		if o.dsn == "" {
			o.dsn = filepath.Join(t.TempDir(), "app.db") + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
		}
	case "mysql":
		cfg.Driver = "mysql"
		if o.dsn == "" {
			o.dsn = storetest.MySQLDatabase(t)
		}
	}
	cfg.DSN = o.dsn
	return cfg
}

func logger() *slog.Logger {
	if os.Getenv("E2E_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func startEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	cfg := testConfig(t, &o)
	sb, err := cli.StartSandbox(context.Background(), cli.SandboxOptions{Config: cfg, Logger: logger(), Fixtures: o.fixtures, Start: o.start})
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	e := &env{t: t, sb: sb, emu: sb.Emu, app: sb.App.URL, cfg: cfg}
	t.Cleanup(func() { e.close() })
	return e
}

func (e *env) close() {
	if e.sb != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e.sb.Close(ctx)
		e.sb = nil
	}
}

// contextToken is what AP.context.getToken() yields on the project page.
func (e *env) contextToken(project, issue string) string {
	jc := map[string]any{"project": map[string]string{"key": project, "id": "10000"}}
	if issue != "" {
		jc["issue"] = map[string]string{"key": issue}
	}
	ctxJSON, _ := json.Marshal(map[string]any{"jira": jc})
	// Writes act as this person (user impersonation): the site must know
	// the account.
	e.emu.AddUser("557058:pm", "Product manager")
	now := time.Now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: e.emu.ClientKey(), Subject: "557058:pm", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute))},
		QSH: connect.ContextQSH, Context: ctxJSON}, e.sharedSecret())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// api calls the app's own API as the project page's JS would.
func (e *env) api(method, path string, body any, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.app+path, rd)
	project := e.project
	if project == "" {
		project = "SHOP"
	}
	req.Header.Set("Authorization", "JWT "+e.contextToken(project, ""))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

type status struct {
	Active bool `json:"active"`
	Scan   *struct {
		State   string `json:"state"`
		Phase   string `json:"phase"`
		Done    int    `json:"done"`
		Total   int    `json:"total"`
		Written int    `json:"written"`
		Error   string `json:"error"`
	} `json:"scan"`
}

func (e *env) status() status {
	var s status
	if c := e.api("GET", "/api/projects/SHOP/status", nil, &s); c != 200 {
		e.t.Fatalf("status: %d", c)
	}
	return s
}

func (e *env) waitScan(timeout time.Duration) status {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := e.status()
		if s.Scan != nil && s.Scan.State == "done" {
			return s
		}
		if s.Scan != nil && s.Scan.State == "failed" {
			e.t.Fatalf("scan failed: %s", s.Scan.Error)
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("scan not done after %v: %+v", timeout, s.Scan)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

type property struct {
	Score   int    `json:"score"`
	Moscow  string `json:"moscow"`
	Quality int    `json:"quality"`
	Version string `json:"version"`
}

func (e *env) property(key string) (property, bool) {
	raw, ok := e.emu.IssueProperty(key, "backlogai")
	if !ok {
		return property{}, false
	}
	var p property
	if err := json.Unmarshal(raw, &p); err != nil {
		e.t.Fatalf("property of %s: %v", key, err)
	}
	return p, true
}

func (e *env) requests(endpoint string) int {
	return e.emu.Stats().ByEndpoint[endpoint].Requests
}

func listenOn(t testing.TB, addr string) net.Listener {
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if l, err = net.Listen("tcp", addr); err == nil {
			return l
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("listen %s: %v", addr, err)
	return nil
}

// withSandboxURLs points a config at the sandbox's emulator.
func withSandboxURLs(cfg *config.Config, e *env) *config.Config {
	c := *cfg
	u, _ := url.Parse(e.emu.BaseURL())
	c.BaseURL = e.app
	c.ConnectKeysURL = e.emu.BaseURL() + "/connect-keys"
	c.AllowedJiraHosts = []string{"http://" + u.Host}
	return &c
}

func (e *env) sharedSecret() string {
	if e.secret != "" {
		return e.secret
	}
	return e.emu.SharedSecret()
}

// goodStory returns an analysed open story with a high quality score.
func (e *env) goodStory() string {
	var page struct {
		Rows []struct {
			Key     string `json:"key"`
			Quality int    `json:"quality"`
		} `json:"rows"`
	}
	e.api("GET", "/api/projects/SHOP/backlog?type=story&sort=quality&limit=1", nil, &page)
	if len(page.Rows) == 0 || page.Rows[0].Quality < 60 {
		e.t.Fatalf("no good story in the demo project: %+v", page.Rows)
	}
	return page.Rows[0].Key
}
