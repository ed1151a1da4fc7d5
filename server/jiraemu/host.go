package jiraemu

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/connect"
)

// IframeTTL is the lifetime of the tokens in signed iframe URLs.
const IframeTTL = 15 * time.Minute

// hostState is the emulator's signing keys for signed installs.
type hostState struct {
	mu   sync.Mutex
	keys map[string]*rsa.PrivateKey // by kid; rotated keys stay served
	kid  string
}

// installKey returns the current signing key, generating one on first use.
func (e *Emulator) installKey() (string, *rsa.PrivateKey, error) {
	h := &e.host
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.kid != "" {
		return h.kid, h.keys[h.kid], nil
	}
	return e.newKeyLocked()
}

func (e *Emulator) newKeyLocked() (string, *rsa.PrivateKey, error) {
	h := &e.host
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", nil, fmt.Errorf("jiraemu: generate install key: %w", err)
	}
	if h.keys == nil {
		h.keys = map[string]*rsa.PrivateKey{}
	}
	h.kid = randomUUID()
	h.keys[h.kid] = k
	return h.kid, k, nil
}

// RotateInstallKey switches signed installs to a new key with a new kid;
// the old public key stays served, as Atlassian does.
func (e *Emulator) RotateInstallKey() (kid string, err error) {
	e.host.mu.Lock()
	defer e.host.mu.Unlock()
	kid, _, err = e.newKeyLocked()
	return kid, err
}

// KeysURL is what the app's CONNECT_KEYS_URL should be: the public key of
// kid is served at KeysURL()+"/"+kid.
func (e *Emulator) KeysURL() string { return e.BaseURL() + "/connect-keys" }

func (e *Emulator) handleConnectKey(w http.ResponseWriter, r *http.Request) {
	e.host.mu.Lock()
	k := e.host.keys[r.PathValue("kid")]
	e.host.mu.Unlock()
	if k == nil {
		e.count("GET /connect-keys/{kid}", http.StatusNotFound)
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	e.count("GET /connect-keys/{kid}", http.StatusOK)
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_ = pem.Encode(w, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func randomUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func newSharedSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Lifecycle is the install payload Jira posts to the app's lifecycle URLs.
type Lifecycle struct {
	Key            string `json:"key"`
	ClientKey      string `json:"clientKey"`
	SharedSecret   string `json:"sharedSecret,omitempty"`
	ServerVersion  string `json:"serverVersion"`
	PluginsVersion string `json:"pluginsVersion"`
	BaseURL        string `json:"baseUrl"`
	DisplayURL     string `json:"displayUrl"`
	ProductType    string `json:"productType"`
	Description    string `json:"description"`
	EventType      string `json:"eventType"`
	OAuthClientID  string `json:"oauthClientId"`
}

// appConfig is what the emulator knows of the installed app: from Options,
// then from its descriptor when Install can fetch it.
type appConfig struct {
	baseURL   string
	lifecycle map[string]string // event → path
	scopes    []string          // from the descriptor; nil when none was read
}

func (e *Emulator) appBaseURL() string {
	e.authMu.RLock()
	defer e.authMu.RUnlock()
	return strings.TrimSuffix(e.app.baseURL, "/")
}

func (e *Emulator) lifecyclePath(event string) string {
	e.authMu.RLock()
	defer e.authMu.RUnlock()
	if p, ok := e.app.lifecycle[event]; ok && p != "" {
		return p
	}
	return "/" + event
}

// descriptor is the part of atlassian-connect.json the host reads.
type descriptor struct {
	Key       string            `json:"key"`
	BaseURL   string            `json:"baseUrl"`
	Lifecycle map[string]string `json:"lifecycle"`
	Scopes    []string          `json:"scopes"`
	Modules   struct {
		Webhooks         []Webhook `json:"webhooks"`
		EntityProperties []struct {
			EntityType        string `json:"entityType"`
			KeyConfigurations []struct {
				PropertyKey string `json:"propertyKey"`
				Extractions []struct {
					ObjectName string `json:"objectName"`
					Type       string `json:"type"`
					Alias      string `json:"alias"`
				} `json:"extractions"`
			} `json:"keyConfigurations"`
		} `json:"jiraEntityProperties"`
	} `json:"modules"`
}

// loadDescriptor fetches <app>/atlassian-connect.json as Jira does when an
// app is installed from its descriptor URL, and adopts its key, lifecycle
// paths, webhooks and entity property aliases. A missing descriptor (404)
// leaves the Options in force.
func (e *Emulator) loadDescriptor(ctx context.Context, appBase string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, appBase+"/atlassian-connect.json", nil)
	if err != nil {
		return fmt.Errorf("jiraemu: descriptor request: %w", err)
	}
	resp, err := e.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("jiraemu: fetch descriptor: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("jiraemu: fetch descriptor: status %d", resp.StatusCode)
	}
	var d descriptor
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return fmt.Errorf("jiraemu: parse descriptor: %w", err)
	}
	var aliases []Alias
	for _, ep := range d.Modules.EntityProperties {
		if ep.EntityType != "" && ep.EntityType != "issue" {
			continue
		}
		for _, kc := range ep.KeyConfigurations {
			for _, x := range kc.Extractions {
				if x.Alias != "" {
					aliases = append(aliases, Alias{PropertyKey: kc.PropertyKey, Path: x.ObjectName, Type: x.Type, Alias: x.Alias})
				}
			}
		}
	}
	e.authMu.Lock()
	if d.Key != "" && d.Key != e.appKey {
		e.log.Info("adopting app key from descriptor", "key", d.Key)
		e.appKey = d.Key
	}
	if d.Lifecycle != nil {
		e.app.lifecycle = d.Lifecycle
	}
	e.app.scopes = append([]string{}, d.Scopes...)
	e.authMu.Unlock()
	if d.Modules.Webhooks != nil {
		e.SetWebhooks(d.Modules.Webhooks)
	}
	if len(aliases) > 0 {
		e.mu.Lock()
		e.aliases = aliases
		for _, is := range e.st.issues {
			e.refreshAliases(is)
		}
		e.st.propVersion++
		e.mu.Unlock()
	}
	return nil
}

// Install performs a signed install against the app at appBaseURL (""
// for Options.AppBaseURL): it reads the app's descriptor if served, then
// POSTs the installed lifecycle payload with a fresh sharedSecret, signed
// RS256 (kid header; iss = clientKey, aud = the app's baseUrl, qsh of
// POST /installed). The new secret authenticates API calls from then on,
// including during the callback; it is dropped if the app does not answer
// 2xx.
func (e *Emulator) Install(ctx context.Context, appBaseURL string) error {
	if appBaseURL != "" {
		e.authMu.Lock()
		e.app.baseURL = appBaseURL
		e.authMu.Unlock()
	}
	app := e.appBaseURL()
	if app == "" {
		return errors.New("jiraemu: install: no app base URL")
	}
	site := e.BaseURL()
	if site == "" {
		return errors.New("jiraemu: install: the site base URL is not set (SetBaseURL)")
	}
	if err := e.loadDescriptor(ctx, app); err != nil {
		return err
	}
	secret := newSharedSecret()
	e.authMu.Lock()
	prevSecret, prevInstalled := e.secret, e.installed
	e.secret, e.installed = secret, true
	e.authMu.Unlock()
	err := e.postLifecycle(ctx, "installed", secret, true)
	if err != nil {
		e.authMu.Lock()
		e.secret, e.installed = prevSecret, prevInstalled
		e.authMu.Unlock()
		return err
	}
	e.log.Info("app installed", "app", app, "clientKey", e.opts.ClientKey)
	return nil
}

// Uninstall posts the signed uninstalled lifecycle event; from then on the
// app's API calls are refused, whatever the app answered.
func (e *Emulator) Uninstall(ctx context.Context) error {
	err := e.postLifecycle(ctx, "uninstalled", "", true)
	e.authMu.Lock()
	e.installed = false
	e.authMu.Unlock()
	return err
}

// Enable posts the enabled lifecycle event (HS256, as Jira signs it).
func (e *Emulator) Enable(ctx context.Context) error {
	return e.postLifecycle(ctx, "enabled", "", false)
}

// Disable posts the disabled lifecycle event (HS256).
func (e *Emulator) Disable(ctx context.Context) error {
	return e.postLifecycle(ctx, "disabled", "", false)
}

func (e *Emulator) lifecyclePayload(event, secret string) Lifecycle {
	site := e.BaseURL()
	return Lifecycle{Key: e.AppKey(), ClientKey: e.opts.ClientKey, SharedSecret: secret, ServerVersion: "100287",
		PluginsVersion: "1001.0.0-SNAPSHOT", BaseURL: site, DisplayURL: site, ProductType: "jira",
		Description: "Atlassian JIRA at " + site, EventType: event, OAuthClientID: e.OAuthClientID()}
}

func (e *Emulator) postLifecycle(ctx context.Context, event, secret string, rs256 bool) error {
	app := e.appBaseURL()
	if app == "" {
		return fmt.Errorf("jiraemu: %s: no app base URL", event)
	}
	target, err := url.Parse(app + e.lifecyclePath(event))
	if err != nil {
		return fmt.Errorf("jiraemu: %s url: %w", event, err)
	}
	body, _ := json.Marshal(e.lifecyclePayload(event, secret))
	appURL, _ := url.Parse(app)
	qsh, err := connect.QSHForURL(http.MethodPost, target, appURL.EscapedPath())
	if err != nil {
		return fmt.Errorf("jiraemu: %s qsh: %w", event, err)
	}
	now := e.now()
	claims := connect.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: e.opts.ClientKey, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(3 * time.Minute)),
	}, QSH: qsh}
	var token string
	if rs256 {
		kid, key, err := e.installKey()
		if err != nil {
			return err
		}
		claims.Audience = jwt.ClaimStrings{app}
		t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		t.Header["kid"] = kid
		if token, err = t.SignedString(key); err != nil {
			return fmt.Errorf("jiraemu: sign %s: %w", event, err)
		}
	} else {
		s := e.SharedSecret()
		if s == "" {
			return fmt.Errorf("jiraemu: %s: app not installed", event)
		}
		if token, err = connect.SignHS256(claims, s); err != nil {
			return fmt.Errorf("jiraemu: sign %s: %w", event, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("jiraemu: %s request: %w", event, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "JWT "+token)
	req.Header.Set("User-Agent", "Atlassian Connect/1001.0.0-SNAPSHOT")
	resp, err := e.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("jiraemu: post %s: %w", event, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("jiraemu: post %s: app answered %d", event, resp.StatusCode)
	}
	return nil
}

// SignedIframeURL builds the URL Jira would load in an iframe for the app
// page at path (relative to the app's base URL): query plus the parameters
// Jira adds (xdm_e, xdm_c, cp, lic, cv), and a jwt signed HS256 with the
// shared secret: iss = clientKey, sub = accountID, qsh over GET path and
// query, exp in IframeTTL, a context claim with the user.
func (e *Emulator) SignedIframeURL(path string, query url.Values, accountID string) (string, error) {
	app := e.appBaseURL()
	if app == "" {
		return "", errors.New("jiraemu: iframe url: no app base URL")
	}
	secret := e.SharedSecret()
	if secret == "" {
		return "", errors.New("jiraemu: iframe url: app not installed")
	}
	u, err := url.Parse(app + path)
	if err != nil {
		return "", fmt.Errorf("jiraemu: iframe url: %w", err)
	}
	q := url.Values{}
	for k, vs := range u.Query() {
		q[k] = append(q[k], vs...)
	}
	for k, vs := range query {
		q[k] = append(q[k], vs...)
	}
	defaults := map[string]string{"xdm_e": e.BaseURL(), "xdm_c": "channel-" + strings.ReplaceAll(path, "/", "_"),
		"cp": "", "xdm_deprecated_addon_key_do_not_use": e.AppKey(), "lic": "none", "cv": "1001.0.0-SNAPSHOT"}
	for k, v := range defaults {
		if _, ok := q[k]; !ok {
			q.Set(k, v)
		}
	}
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	appURL, _ := url.Parse(app)
	qsh, err := connect.QSHForURL(http.MethodGet, u, appURL.EscapedPath())
	if err != nil {
		return "", fmt.Errorf("jiraemu: iframe qsh: %w", err)
	}
	ctxClaim, _ := json.Marshal(map[string]any{"user": map[string]string{"accountId": accountID}})
	now := e.now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: e.opts.ClientKey, Subject: accountID, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(IframeTTL)),
	}, QSH: qsh, Context: ctxClaim}, secret)
	if err != nil {
		return "", err
	}
	u.RawQuery += "&jwt=" + tok
	return u.String(), nil
}
