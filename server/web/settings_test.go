package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	backlogai "github.com/backlogai/backlogai"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/projectmodel"
	"github.com/backlogai/backlogai/server/store/storetest"
	"github.com/backlogai/backlogai/server/web"
)

// Accounts of the settings tests: each project's admin, a Jira site
// administrator and a plain user.
const (
	synAdmin  = "557058:syn-admin"
	shopAdmin = "557058:shop-admin"
	siteAdmin = "557058:site-admin"
	plainUser = "557058:user"
)

// settingsEnv is the app (with the generator) against an emulated site
// holding two projects, SHOP (id 10000) and SYN (id 20000), plus two LLM
// servers that count their calls: the app's own and an attacker's.
type settingsEnv struct {
	t        *testing.T
	h        http.Handler
	emu      *jiraemu.Emulator
	secret   string
	appLLM   *countingLLM
	attacker *countingLLM
}

type countingLLM struct {
	srv   *httptest.Server
	calls atomic.Int64
	keys  atomic.Value // last Authorization header
}

func newCountingLLM(t *testing.T) *countingLLM {
	c := &countingLLM{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.calls.Add(1)
		c.keys.Store(r.Header.Get("Authorization"))
		http.Error(w, `{"error":{"message":"no"}}`, http.StatusBadRequest)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func newSettingsEnv(t *testing.T) *settingsEnv {
	t.Helper()
	ctx := context.Background()
	secret := "settings-test-shared-secret-0123456789"
	demo, err := jiraemu.DemoFixture()
	if err != nil {
		t.Fatal(err)
	}
	emu := jiraemu.New(jiraemu.Options{AppKey: appKey, SharedSecret: secret, Fixtures: []*jiraemu.Fixture{demo, jiraemu.Generate(20, 1)},
		Logger: slog.New(slog.DiscardHandler)})
	jsrv := httptest.NewServer(emu.Handler())
	emu.SetBaseURL(jsrv.URL)
	t.Cleanup(func() { jsrv.Close(); emu.Close() })
	emu.SetProjectAdmins("SYN", synAdmin)
	emu.SetProjectAdmins("SHOP", shopAdmin)
	emu.SetProjectAdmins("*", siteAdmin)
	st := storetest.Open(t, "sqlite", nil)
	if _, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: emu.ClientKey(), BaseURL: jsrv.URL, SharedSecret: secret}); err != nil {
		t.Fatal(err)
	}
	e := &settingsEnv{t: t, emu: emu, secret: secret, appLLM: newCountingLLM(t), attacker: newCountingLLM(t)}
	clients := &jiraclients.Registry{AppKey: appKey, HTTP: jsrv.Client()}
	models := &projectmodel.Cache{Store: st}
	keeper := &backlog.Service{Store: st, AppKey: appKey, JiraClients: clients, Models: models}
	gen, err := generate.New(&generate.Service{Store: st, JiraClients: clients, Models: models, Backlog: keeper, Box: storetest.Box(t), Logger: slog.New(slog.DiscardHandler),
		LLMRetries: -1, LLMSleep: func(context.Context, time.Duration) error { return nil }, AllowInsecureURLs: true,
		Defaults: generate.Defaults{OpenAIKey: "sk-app", OpenAIBaseURL: e.appLLM.srv.URL + "/v1"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{BaseURL: appBase, AppKey: appKey, DataRetentionDays: 30, Driver: "sqlite"}
	srv, err := web.New(web.Deps{Config: cfg, Store: st, Auth: &connect.JWTAuthenticator{Tenants: st},
		LifecycleAuth: &connect.JWTAuthenticator{Tenants: st, AllowDisabled: true}, Backlog: keeper, JiraClients: clients, Models: models,
		Generator: gen, Descriptor: backlogai.DescriptorTemplate, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.h = srv.Handler()
	return e
}

// call requests the app API as account on the page of project (or of
// the issue, when path is an issue's).
func (e *settingsEnv) call(account, method, path, project string, body any) (int, string) {
	e.t.Helper()
	ids := map[string]string{"SHOP": "10000", "SYN": "20000"}
	jc := map[string]any{"project": map[string]string{"key": project, "id": ids[project]}}
	ctxJSON, _ := json.Marshal(map[string]any{"jira": jc})
	now := time.Now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: e.emu.ClientKey(), Subject: account,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, QSH: connect.ContextQSH, Context: ctxJSON}, e.secret)
	if err != nil {
		e.t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r := httptest.NewRequest(method, path, rd)
	r.Header.Set("Authorization", "JWT "+tok)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

type settingsJSON struct {
	LLM struct {
		Provider, BaseURL, Model, Source string
		KeySet, AppKey                   bool
	} `json:"llm"`
	Research struct {
		Provider, Source string
		KeySet           bool
	} `json:"research"`
	Budgets struct {
		LLMMonthlyUSD    float64 `json:"llmMonthlyUsd"`
		SearchesPerMonth int     `json:"searchesPerMonth"`
		LLMSource        string  `json:"llmSource"`
		SearchesSource   string  `json:"searchesSource"`
	} `json:"budgets"`
	RetentionDays   int    `json:"retentionDays"`
	RetentionSource string `json:"retentionSource"`
	IsAdmin         bool   `json:"isAdmin"`
	IsSiteAdmin     bool   `json:"isSiteAdmin"`
	Site            *struct {
		LLM struct {
			Provider, BaseURL, Model, Source string
			KeySet                           bool
		} `json:"llm"`
		Budgets struct {
			LLMMonthlyUSD    float64 `json:"llmMonthlyUsd"`
			SearchesPerMonth int     `json:"searchesPerMonth"`
			LLMSource        string  `json:"llmSource"`
		} `json:"budgets"`
		RetentionDays int `json:"retentionDays"`
	} `json:"site"`
}

func (e *settingsEnv) settings(account, project string) settingsJSON {
	e.t.Helper()
	code, body := e.call(account, "GET", "/api/projects/"+project+"/settings", project, nil)
	if code != http.StatusOK {
		e.t.Fatalf("GET %s settings as %s: %d %s", project, account, code, body)
	}
	var s settingsJSON
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// TestSettingsPerProjectReproduction is issue 11's reproduction: the admin
// of SYN saves an attacker's base URL, key and a 100,000 USD budget; SHOP's
// admin does not see them and SHOP's AI calls do not use them.
func TestSettingsPerProjectReproduction(t *testing.T) {
	e := newSettingsEnv(t)
	attack := map[string]any{"llm": map[string]any{"provider": "compatible", "baseUrl": "https://llm.attacker.example/v1", "model": "gpt-4o", "apiKey": "sk-attacker"},
		"research": map[string]any{"provider": "inherit"}, "budgets": map[string]any{"llmMonthlyUsd": 100000}}
	if code, body := e.call(synAdmin, "PUT", "/api/projects/SYN/settings", "SYN", attack); code != http.StatusOK {
		t.Fatalf("SYN admin saves: %d %s", code, body)
	}
	syn := e.settings(synAdmin, "SYN")
	if syn.LLM.BaseURL != "https://llm.attacker.example/v1" || !syn.LLM.KeySet || syn.LLM.Source != generate.SourceProject || syn.Budgets.LLMMonthlyUSD != 100000 {
		t.Fatalf("SYN's own view: %+v", syn)
	}
	code, body := e.call(shopAdmin, "GET", "/api/projects/SHOP/settings", "SHOP", nil)
	if code != http.StatusOK || strings.Contains(body, "attacker") || strings.Contains(body, "100000") {
		t.Fatalf("SHOP's admin sees SYN's settings: %d %s", code, body)
	}
	shop := e.settings(shopAdmin, "SHOP")
	if shop.LLM.Source != generate.SourceApp || !shop.LLM.AppKey || shop.LLM.KeySet || shop.Budgets.LLMMonthlyUSD != 10 || shop.Site != nil || shop.IsSiteAdmin {
		t.Errorf("SHOP's view: %+v", shop)
	}
	// SHOP's AI call goes to the app's LLM with the app's key; SYN's to
	// the URL its admin chose (a local server stands in for it).
	if code, body := e.call(plainUser, "POST", "/api/issues/SHOP-1/improve", "SHOP", nil); code == http.StatusOK || code == http.StatusPaymentRequired {
		t.Logf("improve: %d %s", code, body)
	}
	if e.appLLM.calls.Load() == 0 || e.appLLM.keys.Load() != "Bearer sk-app" {
		t.Errorf("SHOP's improve did not use the app's LLM: %d calls", e.appLLM.calls.Load())
	}
	attack["llm"].(map[string]any)["baseUrl"] = e.attacker.srv.URL + "/v1"
	if code, body := e.call(synAdmin, "PUT", "/api/projects/SYN/settings", "SYN", attack); code != http.StatusOK {
		t.Fatalf("SYN admin saves: %d %s", code, body)
	}
	e.call(plainUser, "POST", "/api/issues/SHOP-1/improve", "SHOP", nil)
	if n := e.attacker.calls.Load(); n != 0 {
		t.Fatalf("SHOP's improve reached SYN's endpoint %d times", n)
	}
	e.call(plainUser, "POST", "/api/issues/SYN-1/improve", "SYN", nil)
	if e.attacker.calls.Load() == 0 || e.attacker.keys.Load() != "Bearer sk-attacker" {
		t.Errorf("SYN's improve did not use SYN's settings")
	}
}

// TestSettingsSiteDefaultsAndRetentionForSiteAdminsOnly: a project admin
// who is not a site admin gets 403 on site defaults and on retention; a
// site admin's defaults are inherited by projects without their own.
func TestSettingsSiteDefaultsAndRetentionForSiteAdminsOnly(t *testing.T) {
	e := newSettingsEnv(t)
	site := map[string]any{"llm": map[string]any{"provider": "inherit"}, "research": map[string]any{"provider": "inherit"},
		"budgets": map[string]any{"llmMonthlyUsd": 25.5, "searchesPerMonth": 40}, "retentionDays": 60}
	for _, c := range []struct {
		who, path string
		body      any
		code      int
		want      string
	}{
		{shopAdmin, "/api/projects/SHOP/settings?scope=site", site, http.StatusForbidden, "not_site_admin"},
		{plainUser, "/api/projects/SHOP/settings?scope=site", site, http.StatusForbidden, "not_site_admin"},
		{shopAdmin, "/api/projects/SHOP/settings", map[string]any{"retentionDays": 7}, http.StatusForbidden, "retentionDays"},
		{plainUser, "/api/projects/SHOP/settings", map[string]any{}, http.StatusForbidden, "not_project_admin"},
		{shopAdmin, "/api/projects/SHOP/settings?scope=galaxy", site, http.StatusBadRequest, "scope"},
	} {
		if code, body := e.call(c.who, "PUT", c.path, "SHOP", c.body); code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s PUT %s: %d %s", c.who, c.path, code, body)
		}
	}
	if s := e.settings(siteAdmin, "SHOP"); s.RetentionDays != 90 || s.Budgets.LLMMonthlyUSD != 10 || s.Site == nil || !s.IsSiteAdmin {
		t.Fatalf("refused writes changed something: %+v", s)
	}
	// The site admin saves the defaults; SHOP inherits them, and a
	// retention equal to the current one is no change for SHOP's admin.
	if code, body := e.call(siteAdmin, "PUT", "/api/projects/SHOP/settings?scope=site", "SHOP", site); code != http.StatusOK {
		t.Fatalf("site admin: %d %s", code, body)
	}
	shop := e.settings(shopAdmin, "SHOP")
	if shop.Budgets.LLMMonthlyUSD != 25.5 || shop.Budgets.LLMSource != generate.SourceSite || shop.Budgets.SearchesPerMonth != 40 ||
		shop.RetentionDays != 60 || shop.RetentionSource != generate.SourceSite || shop.LLM.Source != generate.SourceApp || shop.Site != nil {
		t.Errorf("SHOP inherits: %+v", shop)
	}
	own := map[string]any{"llm": map[string]any{"provider": "none"}, "research": map[string]any{"provider": "none"},
		"budgets": map[string]any{"llmMonthlyUsd": 3}, "retentionDays": 60}
	if code, body := e.call(shopAdmin, "PUT", "/api/projects/SHOP/settings", "SHOP", own); code != http.StatusOK {
		t.Fatalf("SHOP admin: %d %s", code, body)
	}
	shop = e.settings(shopAdmin, "SHOP")
	if shop.Budgets.LLMMonthlyUSD != 3 || shop.Budgets.LLMSource != generate.SourceProject || shop.Budgets.SearchesPerMonth != 40 || shop.LLM.Provider != "none" {
		t.Errorf("SHOP's own over the site's: %+v", shop)
	}
	// The site view shows the defaults as entered, not SHOP's values.
	sa := e.settings(siteAdmin, "SHOP")
	if sa.Site == nil || sa.Site.Budgets.LLMMonthlyUSD != 25.5 || sa.Site.Budgets.SearchesPerMonth != 40 || sa.Site.RetentionDays != 60 || sa.Site.LLM.Source != generate.SourceApp {
		t.Errorf("site view: %+v", sa.Site)
	}
	// SYN, without settings of its own, inherits the site's too.
	if syn := e.settings(synAdmin, "SYN"); syn.Budgets.LLMMonthlyUSD != 25.5 || syn.LLM.Provider == "none" {
		t.Errorf("SYN: %+v", syn)
	}
}

// TestSettingsRefusalsNameTheField: bad values are refused with a 400
// that names the field, and nothing is stored.
func TestSettingsRefusalsNameTheField(t *testing.T) {
	e := newSettingsEnv(t)
	base := func() map[string]any {
		return map[string]any{"llm": map[string]any{"provider": "compatible", "baseUrl": "https://llm.example.com/v1", "model": "m"},
			"research": map[string]any{"provider": "none"}, "budgets": map[string]any{"llmMonthlyUsd": 1, "searchesPerMonth": 1}}
	}
	cases := []struct {
		name, field string
		mut         func(m map[string]any)
		site        bool
	}{
		{"provider", "llm.provider", func(m map[string]any) { m["llm"].(map[string]any)["provider"] = "claude" }, false},
		{"base URL scheme", "llm.baseUrl", func(m map[string]any) { m["llm"].(map[string]any)["baseUrl"] = "javascript:alert(1)//" }, false},
		{"base URL credentials", "llm.baseUrl", func(m map[string]any) { m["llm"].(map[string]any)["baseUrl"] = "https://u:p@llm.example.com" }, false},
		{"model length", "llm.model", func(m map[string]any) { m["llm"].(map[string]any)["model"] = strings.Repeat("m", 201) }, false},
		{"key without provider", "llm.apiKey", func(m map[string]any) { m["llm"] = map[string]any{"provider": "inherit", "apiKey": "sk"} }, false},
		{"research provider", "research.provider", func(m map[string]any) { m["research"] = map[string]any{"provider": "bing"} }, false},
		{"negative budget", "budgets.llmMonthlyUsd", func(m map[string]any) { m["budgets"].(map[string]any)["llmMonthlyUsd"] = -1 }, false},
		{"huge budget", "budgets.llmMonthlyUsd", func(m map[string]any) { m["budgets"].(map[string]any)["llmMonthlyUsd"] = 100000.01 }, false},
		{"fraction of a cent", "budgets.llmMonthlyUsd", func(m map[string]any) { m["budgets"].(map[string]any)["llmMonthlyUsd"] = 1.001 }, false},
		{"searches", "budgets.searchesPerMonth", func(m map[string]any) { m["budgets"].(map[string]any)["searchesPerMonth"] = -5 }, false},
		{"retention", "retentionDays", func(m map[string]any) { m["retentionDays"] = 99999 }, true},
		// 0 is refused, never silently replaced by the default (issue 13).
		{"retention 0", "retentionDays", func(m map[string]any) { m["retentionDays"] = 0 }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := base()
			c.mut(m)
			path := "/api/projects/SHOP/settings"
			if c.site {
				path += "?scope=site"
			}
			code, body := e.call(siteAdmin, "PUT", path, "SHOP", m)
			if code != http.StatusBadRequest || !strings.Contains(body, c.field) {
				t.Fatalf("%d %s", code, body)
			}
		})
	}
	if s := e.settings(siteAdmin, "SHOP"); s.LLM.Source != generate.SourceApp || s.Budgets.LLMSource != generate.SourceApp || s.Site.RetentionDays != 90 {
		t.Errorf("a refused save stored something: %+v", s)
	}
	// Good values are stored as entered.
	m := base()
	m["llm"].(map[string]any)["model"] = "llama-3.1-70b-instruct"
	m["budgets"] = map[string]any{"llmMonthlyUsd": 12.34, "searchesPerMonth": 7}
	if code, body := e.call(shopAdmin, "PUT", "/api/projects/SHOP/settings", "SHOP", m); code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	s := e.settings(shopAdmin, "SHOP")
	if s.LLM.BaseURL != "https://llm.example.com/v1" || s.LLM.Model != "llama-3.1-70b-instruct" || s.Budgets.LLMMonthlyUSD != 12.34 ||
		s.Budgets.SearchesPerMonth != 7 || s.Research.Provider != "none" || s.Research.Source != generate.SourceProject {
		t.Errorf("stored: %+v", s)
	}
}

// TestProjectRightsBeforeAClick: a page learns what the person may do
// (a viewer: nothing, with the reason), as the writes would decide.
func TestProjectRightsBeforeAClick(t *testing.T) {
	e := newSettingsEnv(t)
	type rights struct {
		Rights map[string]struct {
			Allowed bool   `json:"allowed"`
			Reason  string `json:"reason"`
		} `json:"rights"`
	}
	get := func(account string) rights {
		code, body := e.call(account, "GET", "/api/projects/SHOP/permissions", "SHOP", nil)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", account, code, body)
		}
		var r rights
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	v := get(jiraemu.DemoViewerID)
	for _, a := range []string{"edit", "create", "split", "link", "administer"} {
		if r, ok := v.Rights[a]; !ok || r.Allowed || !strings.Contains(r.Reason, "You need the Jira permission") {
			t.Errorf("viewer %s: %+v", a, r)
		}
	}
	if r := v.Rights["edit"]; !strings.Contains(r.Reason, "in project SHOP") {
		t.Errorf("viewer edit reason %q", r.Reason)
	}
	m := get(jiraemu.DemoMemberID)
	for a, want := range map[string]bool{"edit": true, "create": true, "split": true, "link": true, "administer": false} {
		if m.Rights[a].Allowed != want {
			t.Errorf("member %s: %+v, want allowed %v", a, m.Rights[a], want)
		}
	}
	// What the page was told is what a write decides.
	if code, _ := e.call(jiraemu.DemoViewerID, "POST", "/api/issues/SHOP-1/improve/apply", "SHOP", map[string]string{"summary": "x", "description": ""}); code != http.StatusForbidden {
		t.Errorf("viewer apply: %d, want 403", code)
	}
}
