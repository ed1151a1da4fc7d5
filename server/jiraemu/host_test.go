package jiraemu

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/connect"
)

// tinyApp is a minimal Connect app that verifies what the host sends the
// way connect.md prescribes, with no code shared with the emulator's
// signing side beyond the qsh function.
type tinyApp struct {
	t        *testing.T
	srv      *httptest.Server
	keysURL  string
	appKey   string
	siteBase string

	mu          sync.Mutex
	secret      string
	clientKey   string
	installs    int
	uninstalls  int
	callbackAPI int // status of the API call made during the installed callback
	hooks       []receivedHook
	failOnce    map[string]bool // request URI → fail its first delivery
	errs        []string
}

type receivedHook struct {
	id, retry, path string
	body            map[string]any
}

func (a *tinyApp) fail(format string, args ...any) {
	a.mu.Lock()
	a.errs = append(a.errs, fmt.Sprintf(format, args...))
	a.mu.Unlock()
}

func newTinyApp(t *testing.T, appKey string, descriptor bool) *tinyApp {
	a := &tinyApp{t: t, appKey: appKey}
	mux := http.NewServeMux()
	if descriptor {
		mux.HandleFunc("GET /atlassian-connect.json", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"key": %q, "baseUrl": %q, "authentication": {"type": "jwt"},
				"lifecycle": {"installed": "/installed", "uninstalled": "/uninstalled"},
				"modules": {"webhooks": [
					{"event": "jira:issue_updated", "url": "/webhooks/issue?issueKey=${issue.key}"},
					{"event": "jira:issue_created", "url": "/webhooks/issue?issueKey=${issue.key}&event=created", "filter": "issuetype = Bug"}],
				"jiraEntityProperties": [{"key": "p", "name": {"value": "p"}, "entityType": "issue", "keyConfigurations": [
					{"propertyKey": "backlogai", "extractions": [{"objectName": "score", "type": "number", "alias": "backlogScore"}]}]}]}}`, appKey, a.srv.URL)
		})
	}
	mux.HandleFunc("POST /installed", func(w http.ResponseWriter, r *http.Request) { a.lifecycle(w, r, true) })
	mux.HandleFunc("POST /uninstalled", func(w http.ResponseWriter, r *http.Request) { a.lifecycle(w, r, false) })
	mux.HandleFunc("POST /webhooks/issue", a.webhook)
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

// verifyInstallToken checks a signed-install token as connect.md orders.
func (a *tinyApp) verifyInstallToken(r *http.Request, clientKey, path string) error {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "JWT ")
	if !ok {
		return errors.New("no JWT")
	}
	var claims connect.Claims
	parsed, err := jwt.ParseWithClaims(tok, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" || strings.ContainsAny(kid, "/.?#") {
			return nil, errors.New("bad kid")
		}
		resp, err := http.Get(a.keysURL + "/" + kid)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		block, _ := pem.Decode(raw)
		if block == nil || block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("no PEM public key at %s (status %d)", kid, resp.StatusCode)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("not RSA")
		}
		return rk, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(a.srv.URL), jwt.WithExpirationRequired(), jwt.WithIssuer(clientKey))
	if err != nil || !parsed.Valid {
		return fmt.Errorf("token: %v", err)
	}
	want, _ := connect.QSH("POST", path, "", "")
	if claims.QSH != want {
		return fmt.Errorf("qsh %s, want %s", claims.QSH, want)
	}
	return nil
}

func (a *tinyApp) lifecycle(w http.ResponseWriter, r *http.Request, installed bool) {
	var body Lifecycle
	json.NewDecoder(r.Body).Decode(&body)
	if err := a.verifyInstallToken(r, body.ClientKey, r.URL.Path); err != nil {
		a.fail("%s: %v", r.URL.Path, err)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	a.mu.Lock()
	if installed {
		a.installs++
		a.secret, a.clientKey, a.siteBase = body.SharedSecret, body.ClientKey, body.BaseURL
	} else {
		a.uninstalls++
	}
	a.mu.Unlock()
	if installed {
		// Apps often call Jira during the callback (tenant info, fields).
		a.mu.Lock()
		a.callbackAPI = a.callJira("GET", "/rest/api/3/field")
		a.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

// callJira calls the site as the app: iss = app key, the install's secret.
func (a *tinyApp) callJira(method, path string) int {
	u, _ := url.Parse(a.siteBase + path)
	tok, err := connect.OutgoingToken(a.appKey, a.secret, method, u, "", time.Now())
	if err != nil {
		return -1
	}
	req, _ := http.NewRequest(method, u.String(), nil)
	req.Header.Set("Authorization", "JWT "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (a *tinyApp) webhook(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "JWT ")
	claims, err := connect.ParseHS256(tok, func(tenant string) (string, error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if tenant != a.clientKey {
			return "", errors.New("unknown tenant")
		}
		return a.secret, nil
	}, nil)
	if err != nil {
		a.fail("webhook token: %v", err)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if want, _ := connect.QSH("POST", r.URL.EscapedPath(), r.URL.RawQuery, ""); claims.QSH != want || claims.Issuer != a.clientKey {
		a.fail("webhook qsh %s want %s, iss %s", claims.QSH, want, claims.Issuer)
	}
	var body map[string]any
	json.NewDecoder(r.Body).Decode(&body)
	a.mu.Lock()
	a.hooks = append(a.hooks, receivedHook{id: r.Header.Get("X-Atlassian-Webhook-Identifier"), retry: r.Header.Get("X-Atlassian-Webhook-Retry"),
		path: r.URL.RequestURI(), body: body})
	fail := a.failOnce[r.URL.RequestURI()]
	delete(a.failOnce, r.URL.RequestURI())
	a.mu.Unlock()
	if fail {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *tinyApp) checkNoErrors() {
	a.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.errs {
		a.t.Error("app: " + e)
	}
}

func newHostSite(t *testing.T, descriptor bool) (*Emulator, *tinyApp, string) {
	t.Helper()
	e := New(Options{WebhookRetryDelays: []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}})
	site := newSiteServer(t, e)
	app := newTinyApp(t, e.AppKey(), descriptor)
	app.keysURL = e.KeysURL()
	return e, app, site
}

func TestSignedInstallAndUninstall(t *testing.T) {
	e, app, site := newHostSite(t, false)
	app.siteBase = site
	app.secret = "guess"
	if st := app.callJira("GET", "/rest/api/3/field"); st != 401 {
		t.Fatalf("before install: %d", st)
	}
	ctx := context.Background()
	if err := e.Install(ctx, app.srv.URL); err != nil {
		t.Fatal(err)
	}
	app.checkNoErrors()
	if app.installs != 1 || app.callbackAPI != 200 {
		t.Fatalf("installs %d, API call during callback %d", app.installs, app.callbackAPI)
	}
	if app.secret == "" || app.secret != e.SharedSecret() || app.clientKey != e.ClientKey() {
		t.Errorf("app holds secret %q clientKey %q", app.secret, app.clientKey)
	}
	if st := app.callJira("GET", "/rest/api/3/project/SHOP"); st != 200 {
		t.Errorf("after install: %d", st)
	}
	// A re-install brings a fresh secret; the old one stops working.
	old := app.secret
	kid, err := e.RotateInstallKey()
	if err != nil || kid == "" {
		t.Fatal(err)
	}
	if err := e.Install(ctx, ""); err != nil {
		t.Fatal(err)
	}
	app.checkNoErrors()
	if app.secret == old {
		t.Error("re-install kept the shared secret")
	}
	app.mu.Lock()
	app.secret = old
	app.mu.Unlock()
	if st := app.callJira("GET", "/rest/api/3/field"); st != 401 {
		t.Errorf("old secret after re-install: %d", st)
	}
	app.mu.Lock()
	app.secret = e.SharedSecret()
	app.mu.Unlock()
	if err := e.Uninstall(ctx); err != nil {
		t.Fatal(err)
	}
	app.checkNoErrors()
	if app.uninstalls != 1 {
		t.Errorf("uninstalls %d", app.uninstalls)
	}
	if st := app.callJira("GET", "/rest/api/3/field"); st != 401 {
		t.Errorf("after uninstall: %d", st)
	}
}

func TestInstallRefusedByAppLeavesSiteUninstalled(t *testing.T) {
	e := New(Options{})
	newSiteServer(t, e)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/installed" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		http.NotFound(w, r)
	}))
	defer app.Close()
	if err := e.Install(context.Background(), app.URL); err == nil {
		t.Fatal("install succeeded although the app answered 401")
	}
	if e.SharedSecret() != "" {
		t.Error("secret kept after a failed install")
	}
}

func TestConnectKeysServed(t *testing.T) {
	e, _, site := newHostSite(t, false)
	kid, err := e.RotateInstallKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kid  string
		want int
	}{{kid, 200}, {"unknown-kid", 404}} {
		resp, err := http.Get(site + "/connect-keys/" + c.kid)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || c.want == 200 && !strings.HasPrefix(string(b), "-----BEGIN PUBLIC KEY-----") {
			t.Errorf("key %s: %d %q", c.kid, resp.StatusCode, b)
		}
	}
}

func TestWebhooksSignedAndRetried(t *testing.T) {
	e, app, _ := newHostSite(t, true)
	ctx := context.Background()
	if err := e.Install(ctx, app.srv.URL); err != nil {
		t.Fatal(err)
	}
	app.mu.Lock()
	app.failOnce = map[string]bool{"/webhooks/issue?issueKey=SHOP-5": true}
	app.mu.Unlock()
	// An edit through the API (as the app) fires jira:issue_updated.
	if st := callAsApp(t, e, app, "PUT", "/rest/api/3/issue/SHOP-5", `{"fields":{"summary":"Autocomplete the shipping address"}}`); st != 204 {
		t.Fatalf("edit: %d", st)
	}
	// A person's edit in Jira does too.
	if err := e.UserUpdate("SHOP-7", map[string]any{"status": map[string]string{"name": "In Progress"}}, ""); err != nil {
		t.Fatal(err)
	}
	// Creating a Story does not match the created webhook's filter (Bug).
	body := `{"fields":{"project":{"key":"SHOP"},"issuetype":{"name":"Story"},"summary":"Filtered out"}}`
	if st := callAsApp(t, e, app, "POST", "/rest/api/3/issue", body); st != 201 {
		t.Fatalf("create: %d", st)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := e.WaitWebhooks(wctx); err != nil {
		t.Fatal(err)
	}
	app.checkNoErrors()
	app.mu.Lock()
	hooks := append([]receivedHook(nil), app.hooks...)
	app.mu.Unlock()
	if len(hooks) != 3 {
		var paths []string
		for _, h := range hooks {
			paths = append(paths, h.path+" retry="+h.retry)
		}
		t.Fatalf("app received %d webhooks, want 3 (one retried): %v", len(hooks), paths)
	}
	var shop5 []receivedHook
	var shop7 int
	for _, h := range hooks {
		switch h.path {
		case "/webhooks/issue?issueKey=SHOP-5":
			shop5 = append(shop5, h)
		case "/webhooks/issue?issueKey=SHOP-7":
			shop7++
		}
	}
	if len(shop5) != 2 || shop7 != 1 {
		t.Fatalf("SHOP-5 deliveries %d (want 2: one retried), SHOP-7 %d", len(shop5), shop7)
	}
	first, retry := shop5[0], shop5[1]
	if first.body["issue"] == nil || first.id == "" {
		t.Fatalf("first delivery %+v", first)
	}
	if retry.id != first.id || retry.retry != "1" || first.retry != "" {
		t.Errorf("retry: ids %s/%s, retry headers %q/%q", first.id, retry.id, first.retry, retry.retry)
	}
	issue := first.body["issue"].(map[string]any)
	if first.body["webhookEvent"] != "jira:issue_updated" || first.body["issue_event_type_name"] != "issue_updated" ||
		issue["key"] != "SHOP-5" || first.path != "/webhooks/issue?issueKey=SHOP-5" {
		t.Errorf("body %v path %s", first.body, first.path)
	}
	if _, ok := first.body["timestamp"].(float64); !ok || first.body["user"] == nil || issue["fields"] == nil {
		t.Errorf("body lacks timestamp/user/fields: %v", first.body)
	}
	items := first.body["changelog"].(map[string]any)["items"].([]any)
	if it := items[0].(map[string]any); it["field"] != "summary" || it["toString"] != "Autocomplete the shipping address" {
		t.Errorf("changelog items %v", items)
	}
	ds := e.Deliveries()
	if len(ds) != 2 || ds[0].Attempts != 2 || !ds[0].Delivered || ds[0].LastStatus != 204 {
		t.Errorf("deliveries %+v", ds)
	}
	// Properties never fire issue webhooks, as in Jira.
	if st := callAsApp(t, e, app, "PUT", "/rest/api/3/issue/SHOP-5/properties/backlogai", `{"score":1}`); st != 201 {
		t.Fatalf("property: %d", st)
	}
	e.WaitWebhooks(wctx)
	if n := len(e.Deliveries()); n != 2 {
		t.Errorf("property write sent a webhook (%d deliveries)", n)
	}
}

// callAsApp calls the emulator signed as the installed app.
func callAsApp(t *testing.T, e *Emulator, app *tinyApp, method, path, body string) int {
	t.Helper()
	u := mustURL(t, e.BaseURL()+path)
	app.mu.Lock()
	secret := app.secret
	app.mu.Unlock()
	tok, err := connect.OutgoingToken(e.AppKey(), secret, method, u, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, u.String(), strings.NewReader(body))
	req.Header.Set("Authorization", "JWT "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestSignedIframeURL(t *testing.T) {
	e, app, _ := newHostSite(t, false)
	if err := e.Install(context.Background(), app.srv.URL); err != nil {
		t.Fatal(err)
	}
	raw, err := e.SignedIframeURL("/glance", url.Values{"issueKey": {"SHOP-7"}, "projectKey": {"SHOP"}}, "712020:someone")
	if err != nil {
		t.Fatal(err)
	}
	u := mustURL(t, raw)
	if u.Host != mustURL(t, app.srv.URL).Host || u.Path != "/glance" || u.Query().Get("issueKey") != "SHOP-7" || u.Query().Get("xdm_e") != e.BaseURL() {
		t.Fatalf("iframe url %s", raw)
	}
	claims, err := connect.ParseHS256(u.Query().Get("jwt"), func(tenant string) (string, error) {
		if tenant != e.ClientKey() {
			return "", errors.New("iss is not the clientKey")
		}
		return e.SharedSecret(), nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := connect.QSH("GET", u.EscapedPath(), u.RawQuery, "")
	if claims.QSH != want || claims.Subject != "712020:someone" || !strings.Contains(string(claims.Context), "712020:someone") {
		t.Errorf("claims %+v, want qsh %s", claims, want)
	}
	if ttl := claims.ExpiresAt.Sub(claims.IssuedAt.Time); ttl != IframeTTL {
		t.Errorf("ttl %v", ttl)
	}
}

func TestDescriptorAdopted(t *testing.T) {
	e := New(Options{AppKey: "some.other.key"})
	newSiteServer(t, e)
	app := newTinyApp(t, "com.example.real", true)
	app.keysURL = e.KeysURL()
	if err := e.Install(context.Background(), app.srv.URL); err != nil {
		t.Fatal(err)
	}
	app.checkNoErrors()
	if e.AppKey() != "com.example.real" || app.callbackAPI != 200 {
		t.Errorf("app key %s, callback API %d", e.AppKey(), app.callbackAPI)
	}
}
