package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/santhosh-tekuri/jsonschema/v6"

	backlogai "github.com/backlogai/backlogai"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
	"github.com/backlogai/backlogai/server/web"
)

const (
	appBase   = "https://app.example.com"
	jiraBase  = "https://acme.atlassian.net"
	clientKey = "jira:acme-client-key"
	appKey    = "backlogai"
)

// harness is the app's HTTP handler on a real SQLite store, plus a key
// server playing connect-install-keys.atlassian.com.
type harness struct {
	t        *testing.T
	h        http.Handler
	st       *store.Store
	key      *rsa.PrivateKey
	kid      string
	keyHits  atomic.Int64
	keysDown atomic.Bool
	logs     *bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	hs := &harness{t: t, kid: "kid-1", logs: &bytes.Buffer{}}
	var err error
	hs.key, err = rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&hs.key.PublicKey)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs.keyHits.Add(1)
		if hs.keysDown.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if r.URL.Path != "/"+hs.kid {
			http.NotFound(w, r)
			return
		}
		w.Write(pemKey)
	}))
	t.Cleanup(keys.Close)
	hs.st = storetest.Open(t, "sqlite", nil)
	cfg := &config.Config{BaseURL: appBase, AppKey: appKey, ConnectKeysURL: keys.URL,
		AllowedJiraHosts: []string{"*.atlassian.net"}, DataRetentionDays: 30}
	log := slog.New(slog.NewTextHandler(hs.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := web.New(web.Deps{
		Config:        cfg,
		Store:         hs.st,
		Auth:          &connect.JWTAuthenticator{Tenants: hs.st},
		LifecycleAuth: &connect.JWTAuthenticator{Tenants: hs.st, AllowDisabled: true},
		Install:       &connect.InstallVerifier{KeysURL: keys.URL, HTTP: keys.Client(), AllowedHosts: cfg.AllowedJiraHosts, BaseURL: appBase},
		Descriptor:    backlogai.DescriptorTemplate,
		Logger:        log,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs.h = srv.Handler()
	return hs
}

func (hs *harness) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, r)
	return w
}

func qshFor(t *testing.T, method, target string) string {
	u, _ := url.Parse(target)
	q, err := connect.QSHForURL(method, u, "")
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// installToken signs an RS256 install token as Atlassian does.
func (hs *harness) installToken(mut func(c *jwt.MapClaims, h map[string]any)) string {
	now := time.Now()
	c := jwt.MapClaims{"iss": clientKey, "aud": appBase, "iat": now.Unix(), "exp": now.Add(3 * time.Minute).Unix(),
		"qsh": qshFor(hs.t, "POST", "/installed")}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, &c)
	tok.Header["kid"] = hs.kid
	if mut != nil {
		mut(&c, tok.Header)
	}
	s, err := tok.SignedString(hs.key)
	if err != nil {
		hs.t.Fatal(err)
	}
	return s
}

func lifecycleBody(event, secret string) string {
	b, _ := json.Marshal(map[string]any{"key": appKey, "clientKey": clientKey, "sharedSecret": secret,
		"baseUrl": jiraBase, "displayUrl": jiraBase, "productType": "jira", "description": "Acme", "eventType": event})
	return string(b)
}

func (hs *harness) install(secret string, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/installed", strings.NewReader(lifecycleBody("installed", secret)))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "JWT "+token)
	}
	return hs.do(r)
}

// hsToken signs an HS256 token as Jira does for iframes and webhooks.
func hsToken(t *testing.T, secret, method, target, qsh string, exp time.Duration) string {
	if qsh == "" {
		qsh = qshFor(t, method, target)
	}
	now := time.Now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: clientKey, Subject: "557058:user-1", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(exp))},
		QSH: qsh}, secret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestInstallHappyPathAndReinstall(t *testing.T) {
	hs := newHarness(t)
	if w := hs.install("secret-one", hs.installToken(nil)); w.Code != http.StatusNoContent {
		t.Fatalf("install: %d %s", w.Code, w.Body)
	}
	ctx := context.Background()
	tn, err := hs.st.TenantByClientKey(ctx, clientKey)
	if err != nil || tn.SharedSecret != "secret-one" || tn.BaseURL != jiraBase {
		t.Fatalf("tenant %+v %v", tn, err)
	}
	page := "/glance?issueKey=SHOP-1&projectKey=SHOP"
	get := func(secret string) int {
		r := httptest.NewRequest("GET", page+"&jwt="+hsToken(t, secret, "GET", page, "", time.Minute), nil)
		return hs.do(r).Code
	}
	if c := get("secret-one"); c != 200 {
		t.Fatalf("glance with first secret: %d", c)
	}
	// A re-install (a newer token) with a new secret replaces the old one.
	if w := hs.install("secret-two", hs.installToken(later(1))); w.Code != http.StatusNoContent {
		t.Fatalf("re-install: %d %s", w.Code, w.Body)
	}
	if c := get("secret-one"); c != http.StatusUnauthorized {
		t.Errorf("old secret still accepted: %d", c)
	}
	if c := get("secret-two"); c != 200 {
		t.Errorf("new secret refused: %d", c)
	}
	if strings.Contains(hs.logs.String(), "secret-one") || strings.Contains(hs.logs.String(), "secret-two") {
		t.Error("shared secret found in logs")
	}
}

func TestInstallRefusals(t *testing.T) {
	cases := map[string]func(hs *harness) *httptest.ResponseRecorder{
		"unsigned": func(hs *harness) *httptest.ResponseRecorder { return hs.install("s", "") },
		"hs256": func(hs *harness) *httptest.ResponseRecorder {
			return hs.install("s", hsToken(hs.t, "s", "POST", "/installed", "", time.Minute))
		},
		"unknown kid": func(hs *harness) *httptest.ResponseRecorder {
			return hs.install("s", hs.installToken(func(c *jwt.MapClaims, h map[string]any) { h["kid"] = "other" }))
		},
		"key server down": func(hs *harness) *httptest.ResponseRecorder {
			hs.keysDown.Store(true)
			return hs.install("s", hs.installToken(nil))
		},
		"aud mismatch": func(hs *harness) *httptest.ResponseRecorder {
			return hs.install("s", hs.installToken(func(c *jwt.MapClaims, h map[string]any) { (*c)["aud"] = "https://evil.example.com" }))
		},
		"iss not clientKey": func(hs *harness) *httptest.ResponseRecorder {
			return hs.install("s", hs.installToken(func(c *jwt.MapClaims, h map[string]any) { (*c)["iss"] = "someone-else" }))
		},
		"expired": func(hs *harness) *httptest.ResponseRecorder {
			return hs.install("s", hs.installToken(func(c *jwt.MapClaims, h map[string]any) { (*c)["exp"] = time.Now().Add(-time.Hour).Unix() }))
		},
		"wrong qsh": func(hs *harness) *httptest.ResponseRecorder {
			return hs.install("s", hs.installToken(func(c *jwt.MapClaims, h map[string]any) { (*c)["qsh"] = qshFor(hs.t, "POST", "/uninstalled") }))
		},
		"impostor key": func(hs *harness) *httptest.ResponseRecorder {
			other, _ := rsa.GenerateKey(rand.Reader, 2048)
			hs.key = other
			return hs.install("s", hs.installToken(nil))
		},
		"alg none": func(hs *harness) *httptest.ResponseRecorder {
			c := jwt.MapClaims{"iss": clientKey, "aud": appBase, "exp": time.Now().Add(time.Minute).Unix(), "qsh": qshFor(hs.t, "POST", "/installed")}
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, c)
			tok.Header["kid"] = hs.kid
			s, _ := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			return hs.install("s", s)
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			hs := newHarness(t)
			w := run(hs)
			if name == "key server down" && w.Code == http.StatusServiceUnavailable {
				// An outage, not a bad token: refused all the same.
			} else if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", w.Code, w.Body)
			}
			if _, err := hs.st.TenantByClientKey(context.Background(), clientKey); err == nil {
				t.Error("tenant saved despite refusal")
			}
		})
	}
	t.Run("disallowed host", func(t *testing.T) {
		hs := newHarness(t)
		body := strings.Replace(lifecycleBody("installed", "s"), jiraBase, "https://evil.example.com", 1)
		r := httptest.NewRequest("POST", "/installed", strings.NewReader(body))
		r.Header.Set("Authorization", "JWT "+hs.installToken(nil))
		if w := hs.do(r); w.Code != http.StatusUnauthorized && w.Code != http.StatusBadRequest {
			t.Fatalf("status %d", w.Code)
		}
		if hs.keyHits.Load() != 0 {
			t.Error("key fetched for a disallowed host")
		}
	})
	t.Run("payload for another app", func(t *testing.T) {
		hs := newHarness(t)
		body := strings.Replace(lifecycleBody("installed", "s"), `"key":"backlogai"`, `"key":"other-app"`, 1)
		r := httptest.NewRequest("POST", "/installed", strings.NewReader(body))
		r.Header.Set("Authorization", "JWT "+hs.installToken(nil))
		if w := hs.do(r); w.Code != http.StatusBadRequest {
			t.Fatalf("status %d", w.Code)
		}
		if _, err := hs.st.TenantByClientKey(context.Background(), clientKey); err == nil {
			t.Error("tenant saved for another app's payload")
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		hs := newHarness(t)
		r := httptest.NewRequest("POST", "/installed", strings.NewReader(`{"clientKey":`))
		w := hs.do(r)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"code":"bad_request"`) {
			t.Fatalf("status %d %s", w.Code, w.Body)
		}
	})
	t.Run("oversized body", func(t *testing.T) {
		hs := newHarness(t)
		r := httptest.NewRequest("POST", "/installed", strings.NewReader(`{"x":"`+strings.Repeat("a", 70<<10)+`"}`))
		if w := hs.do(r); w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", w.Code)
		}
	})
}

func installed(t *testing.T) *harness {
	hs := newHarness(t)
	if w := hs.install("the-secret", hs.installToken(nil)); w.Code != http.StatusNoContent {
		t.Fatalf("install: %d %s", w.Code, w.Body)
	}
	return hs
}

func TestIframeAuth(t *testing.T) {
	page := "/project?projectKey=SHOP&projectId=10000"
	cases := []struct {
		name  string
		setup func(hs *harness)
		token func(t *testing.T) string
		want  int
	}{
		{"valid", nil, func(t *testing.T) string { return hsToken(t, "the-secret", "GET", page, "", time.Minute) }, 200},
		{"wrong secret", nil, func(t *testing.T) string { return hsToken(t, "nope", "GET", page, "", time.Minute) }, 401},
		{"expired", nil, func(t *testing.T) string { return hsToken(t, "the-secret", "GET", page, "", -2*time.Minute) }, 401},
		{"qsh of another url", nil, func(t *testing.T) string {
			return hsToken(t, "the-secret", "GET", "/glance?issueKey=SHOP-1", "", time.Minute)
		}, 401},
		{"context-qsh on module url", nil, func(t *testing.T) string {
			return hsToken(t, "the-secret", "GET", page, connect.ContextQSH, time.Minute)
		}, 401},
		{"disabled tenant", func(hs *harness) { hs.st.SetTenantEnabled(context.Background(), clientKey, false) },
			func(t *testing.T) string { return hsToken(t, "the-secret", "GET", page, "", time.Minute) }, 401},
		{"uninstalled tenant", func(hs *harness) { hs.st.MarkUninstalled(context.Background(), clientKey, time.Hour) },
			func(t *testing.T) string { return hsToken(t, "the-secret", "GET", page, "", time.Minute) }, 401},
		{"no token", nil, func(t *testing.T) string { return "" }, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hs := installed(t)
			if tc.setup != nil {
				tc.setup(hs)
			}
			target := page
			if tok := tc.token(t); tok != "" {
				target += "&jwt=" + tok
			}
			w := hs.do(httptest.NewRequest("GET", target, nil))
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Error("iframe page cacheable")
			}
			if w.Header().Get("X-Frame-Options") != "" {
				t.Error("X-Frame-Options set on an iframe page")
			}
			csp := w.Header().Get("Content-Security-Policy")
			if tc.want == 200 {
				if csp != "frame-ancestors "+jiraBase {
					t.Errorf("CSP %q", csp)
				}
			} else {
				if !strings.Contains(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), "Authentication failed") {
					t.Errorf("error page: %s %s", w.Header().Get("Content-Type"), w.Body)
				}
				if strings.Contains(w.Body.String(), "connect:") {
					t.Error("internal error text shown to the user")
				}
			}
		})
	}
	t.Run("unknown tenant", func(t *testing.T) {
		hs := newHarness(t)
		w := hs.do(httptest.NewRequest("GET", page+"&jwt="+hsToken(t, "the-secret", "GET", page, "", time.Minute), nil))
		if w.Code != 401 {
			t.Fatalf("status %d", w.Code)
		}
	})
}

func TestAppAPIRequiresContextQSH(t *testing.T) {
	hs := installed(t)
	call := func(qsh string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/me", nil)
		r.Header.Set("Authorization", "JWT "+hsToken(t, "the-secret", "GET", "/api/me", qsh, time.Minute))
		return hs.do(r)
	}
	w := call(connect.ContextQSH)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"accountId":"557058:user-1"`) {
		t.Fatalf("context token: %d %s", w.Code, w.Body)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("API response cacheable")
	}
	if w := call(""); w.Code != 401 || !strings.Contains(w.Header().Get("Content-Type"), "application/json") {
		t.Errorf("canonical qsh on app API: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestWebhookAuth(t *testing.T) {
	hs := installed(t)
	body := `{"timestamp":1,"webhookEvent":"jira:issue_updated","issue":{"id":"1","key":"SHOP-1"}}`
	post := func(tok string) int {
		r := httptest.NewRequest("POST", "/webhooks/jira", strings.NewReader(body))
		if tok != "" {
			r.Header.Set("Authorization", "JWT "+tok)
		}
		r.Header.Set("X-Atlassian-Webhook-Identifier", "wh-1")
		return hs.do(r).Code
	}
	if c := post(hsToken(t, "the-secret", "POST", "/webhooks/jira", "", time.Minute)); c != http.StatusNoContent {
		t.Errorf("signed webhook: %d", c)
	}
	if c := post(""); c != 401 {
		t.Errorf("unsigned webhook: %d", c)
	}
	if c := post(hsToken(t, "the-secret", "GET", "/webhooks/jira", "", time.Minute)); c != 401 {
		t.Errorf("qsh for GET on a POST: %d", c)
	}
	if c := post(hsToken(t, "wrong", "POST", "/webhooks/jira", "", time.Minute)); c != 401 {
		t.Errorf("wrong secret: %d", c)
	}
}

func TestEnabledDisabledAndLateDisabled(t *testing.T) {
	hs := installed(t)
	ctx := context.Background()
	toggle := func(path, tok string) int {
		r := httptest.NewRequest("POST", path, strings.NewReader(lifecycleBody(strings.TrimPrefix(path, "/"), "")))
		if tok != "" {
			r.Header.Set("Authorization", "JWT "+tok)
		}
		return hs.do(r).Code
	}
	if c := toggle("/disabled", hsToken(t, "the-secret", "POST", "/disabled", "", time.Minute)); c != 204 {
		t.Fatalf("disabled: %d", c)
	}
	tn, _ := hs.st.TenantByClientKey(ctx, clientKey)
	if tn.State != domain.TenantDisabled {
		t.Fatalf("state %s", tn.State)
	}
	// enabled is accepted for a disabled tenant.
	if c := toggle("/enabled", hsToken(t, "the-secret", "POST", "/enabled", "", time.Minute)); c != 204 {
		t.Fatalf("enabled: %d", c)
	}
	if c := toggle("/enabled", ""); c != 401 {
		t.Errorf("unsigned enabled: %d", c)
	}
	// Uninstall (signed), then a late unsigned disabled: 204, no change.
	r := httptest.NewRequest("POST", "/uninstalled", strings.NewReader(lifecycleBody("uninstalled", "")))
	r.Header.Set("Authorization", "JWT "+hs.installToken(func(c *jwt.MapClaims, h map[string]any) { (*c)["qsh"] = qshFor(t, "POST", "/uninstalled") }))
	if w := hs.do(r); w.Code != 204 {
		t.Fatalf("uninstalled: %d %s", w.Code, w.Body)
	}
	if c := toggle("/disabled", ""); c != 204 {
		t.Errorf("late disabled: %d", c)
	}
	tn, _ = hs.st.TenantByClientKey(ctx, clientKey)
	if tn.State != domain.TenantUninstalled || tn.PurgeAfter == nil {
		t.Errorf("state %s purge %v", tn.State, tn.PurgeAfter)
	}
	// Uninstalling again (a new delivery, a newer token) is idempotent.
	r = httptest.NewRequest("POST", "/uninstalled", strings.NewReader(lifecycleBody("uninstalled", "")))
	r.Header.Set("Authorization", "JWT "+hs.installToken(func(c *jwt.MapClaims, h map[string]any) {
		(*c)["qsh"] = qshFor(t, "POST", "/uninstalled")
		later(1)(c, h)
	}))
	if w := hs.do(r); w.Code != 204 {
		t.Errorf("second uninstall: %d", w.Code)
	}
}

func TestDescriptorValidatesAgainstSchema(t *testing.T) {
	hs := newHarness(t)
	w := hs.do(httptest.NewRequest("GET", "/atlassian-connect.json", nil))
	if w.Code != 200 {
		t.Fatal(w.Code)
	}
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["baseUrl"] != appBase || doc["key"] != appKey {
		t.Errorf("baseUrl/key not from config: %v %v", doc["baseUrl"], doc["key"])
	}
	const schemaPath = "../../../shared/contracts/connect-descriptor.schema.json"
	raw, err := readFile(schemaPath)
	if err != nil {
		t.Fatalf("descriptor schema missing (need ../shared beside the checkout): %v", err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	// Connect descriptors use URLs relative to baseUrl ("/installed"), and
	// Atlassian's own validator accepts them for "uri": check them as
	// URI references, which still rejects malformed ones.
	c.RegisterFormat(&jsonschema.Format{Name: "uri", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		_, err := url.Parse(s)
		return err
	}})
	c.AssertFormat()
	if err := c.AddResource("descriptor.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("descriptor.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(w.Body.Bytes()))
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("descriptor invalid: %v", err)
	}
	// The schema must be able to fail: a descriptor without authentication.
	delete(doc, "authentication")
	bad, _ := json.Marshal(doc)
	inst, _ = jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if err := sch.Validate(inst); err == nil {
		t.Error("schema accepted a descriptor without authentication")
	}
	// Declared contract.
	mods := fmt.Sprint(doc["modules"])
	for _, want := range []string{"jiraIssueGlances", "jiraProjectPages", "jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "backlogScore", "backlogMoscow", "backlogQuality"} {
		if !strings.Contains(mods, want) {
			t.Errorf("descriptor lacks %s", want)
		}
	}
	// Acting as the person in Jira (user impersonation) needs ACT_AS_USER;
	// the schema knows the scope names, so a misspelt one fails.
	if scopes := fmt.Sprint(doc["scopes"]); !strings.Contains(scopes, "ACT_AS_USER") {
		t.Errorf("descriptor scopes %s lack ACT_AS_USER", scopes)
	}
	var withScope map[string]any
	json.Unmarshal(w.Body.Bytes(), &withScope)
	withScope["scopes"] = []string{"READ", "WRITE", "ACT-AS-USER"}
	bad, _ = json.Marshal(withScope)
	inst, _ = jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if err := sch.Validate(inst); err == nil {
		t.Error("schema accepted an unknown scope")
	}
}

func TestHealthAndErrors(t *testing.T) {
	hs := newHarness(t)
	if w := hs.do(httptest.NewRequest("GET", "/healthz", nil)); w.Code != 200 {
		t.Errorf("healthz %d", w.Code)
	}
	if w := hs.do(httptest.NewRequest("GET", "/readyz", nil)); w.Code != 200 {
		t.Errorf("readyz %d %s", w.Code, w.Body)
	}
	w := hs.do(httptest.NewRequest("GET", "/nope", nil))
	if w.Code != 404 || !strings.Contains(w.Body.String(), `"code":"not_found"`) {
		t.Errorf("404: %d %s", w.Code, w.Body)
	}
	if w.Header().Get("X-Request-Id") == "" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("missing base headers")
	}
	hs.st.Close()
	if w := hs.do(httptest.NewRequest("GET", "/readyz", nil)); w.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz with closed db: %d", w.Code)
	}
}

func readFile(p string) ([]byte, error) {
	f, err := openFile(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
