package jiraemu

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/forge"
)

// ForgeHost plays Forge for the app's remote: it publishes a JWKS, mints
// Forge Invocation Tokens, calls the remote's endpoints as triggers,
// lifecycle events and Custom UI's bridge (invokeRemote) would, and hands
// out app system and user tokens that the emulator's REST API accepts as
// Bearer tokens. API calls go to the emulator itself (its base URL stands
// for https://api.atlassian.com/ex/jira/<cloudId>).
type ForgeHost struct {
	AppID          string // UUID
	InstallationID string
	// TokenTTL is the life of system and user tokens (default 15 min).
	TokenTTL time.Duration
	HTTP     *http.Client

	key *rsa.PrivateKey
	kid string

	mu        sync.Mutex
	emu       *Emulator
	remoteURL string
	tokens    map[string]forgeToken
	// Calls counts remote invocations by path.
	calls map[string]int
}

type forgeToken struct {
	account *user // nil: the app (system token)
	expires time.Time
}

// NewForgeHost makes a Forge host with a fresh signing key.
func NewForgeHost(appID string) (*ForgeHost, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("jiraemu: forge key: %w", err)
	}
	return &ForgeHost{AppID: appID, InstallationID: "ari:cloud:ecosystem::installation/" + randomUUID(), key: k,
		kid: "forge-" + randomUUID()[:8], tokens: map[string]forgeToken{}, calls: map[string]int{}}, nil
}

// JWKSHandler serves the host's public keys (FORGE_JWKS_URL).
func (f *ForgeHost) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"keys": []forge.JWK{forge.PublicJWK(f.kid, &f.key.PublicKey)}})
	})
}

// ForgeJWKSPath is where the emulator publishes the keys of its attached
// Forge host (FORGE_JWKS_URL = base URL + this path), as Forge's CDN does
// at https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json.
const ForgeJWKSPath = "/.well-known/jwks.json"

// handleForgeJWKS serves the attached Forge host's keys (404 without one).
func (e *Emulator) handleForgeJWKS(w http.ResponseWriter, r *http.Request) {
	e.authMu.RLock()
	f := e.forge
	e.authMu.RUnlock()
	if f == nil {
		http.NotFound(w, r)
		return
	}
	f.JWKSHandler().ServeHTTP(w, r)
}

// Attach binds the host to a site (the emulator) and the app's remote
// base URL; the site then accepts the host's tokens.
func (f *ForgeHost) Attach(e *Emulator, remoteURL string) {
	f.mu.Lock()
	f.emu, f.remoteURL = e, strings.TrimRight(remoteURL, "/")
	f.mu.Unlock()
	e.authMu.Lock()
	e.forge = f
	e.authMu.Unlock()
}

// Calls returns how often a remote path was invoked.
func (f *ForgeHost) Calls(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func (f *ForgeHost) ttl() time.Duration {
	if f.TokenTTL > 0 {
		return f.TokenTTL
	}
	return 15 * time.Minute
}

// token mints an opaque bearer token the site accepts (a JWT, since the
// app reads its exp like Atlassian's).
func (f *ForgeHost) token(account *user) string {
	exp := f.emu.now().Add(f.ttl())
	b := make([]byte, 16)
	rand.Read(b)
	s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(exp),
		ID: fmt.Sprintf("%x", b)}).SignedString(b)
	f.mu.Lock()
	f.tokens[s] = forgeToken{account: account, expires: exp}
	f.mu.Unlock()
	return s
}

// bearer resolves a token of this host: ok false if it is not one.
func (f *ForgeHost) bearer(tok string) (account *user, ok bool, err error) {
	f.mu.Lock()
	t, ok := f.tokens[tok]
	f.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	if !f.emu.now().Before(t.expires) {
		return nil, true, errf(http.StatusUnauthorized, "Failed to authenticate: the Forge token has expired.")
	}
	if t.account == nil {
		return f.emu.appUser, true, nil
	}
	return t.account, true, nil
}

// ExpireTokens makes every token handed out so far invalid (tests of
// token refresh).
func (f *ForgeHost) ExpireTokens() {
	f.mu.Lock()
	for k, t := range f.tokens {
		t.expires = time.Time{}
		f.tokens[k] = t
	}
	f.mu.Unlock()
}

// FIT mints a Forge Invocation Token for module with the person (""
// for triggers) and extension context.
func (f *ForgeHost) FIT(module, accountID string, extension map[string]any) (string, error) {
	e := f.emu
	return forge.Mint(f.key, f.kid, forge.Token{AppID: f.AppID, InstallationID: f.InstallationID, APIBaseURL: e.BaseURL(),
		CloudID: e.opts.CloudID, SiteURL: e.BaseURL(), ModuleKey: module, AccountID: accountID, Extension: extension,
		IssuedAt: e.now()})
}

// Invoke calls the remote as Forge does: FIT, app system token, and the
// person's token when accountID is set (endpoint auth.appUserToken).
func (f *ForgeHost) Invoke(ctx context.Context, method, path, module, accountID string, extension map[string]any, body any) (int, []byte, error) {
	f.mu.Lock()
	e, remote := f.emu, f.remoteURL
	f.calls[path]++
	f.mu.Unlock()
	if e == nil {
		return 0, nil, fmt.Errorf("jiraemu: forge host not attached")
	}
	fit, err := f.FIT(module, accountID, extension)
	if err != nil {
		return 0, nil, err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, remote+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+fit)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(forge.HeaderSystemToken, f.token(nil))
	if accountID != "" {
		e.mu.RLock()
		u := e.st.user(accountID)
		e.mu.RUnlock()
		if u != nil {
			req.Header.Set(forge.HeaderUserToken, f.token(u))
		}
	}
	hc := f.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 25 * time.Second} // Forge's UI invocation timeout
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, out, nil
}

// Install sends avi:forge:installed:app to the lifecycle endpoint.
func (f *ForgeHost) Install(ctx context.Context) error {
	return f.lifecycle(ctx, "avi:forge:installed:app")
}

// Uninstall sends avi:forge:uninstalled:app.
func (f *ForgeHost) Uninstall(ctx context.Context) error {
	return f.lifecycle(ctx, "avi:forge:uninstalled:app")
}

func (f *ForgeHost) lifecycle(ctx context.Context, event string) error {
	code, body, err := f.Invoke(ctx, http.MethodPost, "/forge/lifecycle", "app-lifecycle", "", nil,
		map[string]any{"eventType": event, "id": f.InstallationID, "app": map[string]any{"id": f.AppID}})
	if err != nil {
		return err
	}
	if code/100 != 2 {
		return fmt.Errorf("jiraemu: forge %s: status %d: %s", event, code, body)
	}
	return nil
}

// IssueEvent delivers an issue trigger (avi:jira:created|updated|deleted:issue)
// for key with Forge's payload shape, retrying like Forge (up to 4 times,
// with a retryContext) while the remote fails. It returns the last status.
func (f *ForgeHost) IssueEvent(ctx context.Context, eventType, key string) (int, error) {
	e := f.emu
	e.mu.RLock()
	is := e.st.issue(key)
	var payload map[string]any
	if is != nil {
		var hook map[string]any
		// The emulator's own webhook body always decodes.
		_ = json.Unmarshal(e.webhookBody(e.base(nil), "jira:issue_updated", "", is, nil, nil, nil), &hook)
		payload = map[string]any{"eventType": eventType, "issue": hook["issue"], "atlassianId": is.Project.Lead.AccountID}
	}
	e.mu.RUnlock()
	if payload == nil {
		return 0, fmt.Errorf("jiraemu: forge event: issue %s not found", key)
	}
	var code int
	for attempt := 0; attempt <= 4; attempt++ {
		if attempt > 0 {
			payload["retryContext"] = map[string]any{"retryCount": attempt, "retryReason": "FUNCTION_RETRY_REQUEST"}
		}
		c, body, err := f.Invoke(ctx, http.MethodPost, "/forge/events/issue", "issue-changed", "", nil, payload)
		code = c
		if err == nil && c/100 == 2 {
			return c, nil
		}
		e.log.Debug("forge event failed", "status", c, "body", string(body), "err", err)
	}
	return code, fmt.Errorf("jiraemu: forge event %s %s: status %d after retries", eventType, key, code)
}
