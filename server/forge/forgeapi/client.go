// Package forgeapi makes the app's Jira calls for tenants on Forge: with
// the app system token or the person's token, through the installation's
// API base URL. (Apart from package forge so that the emulator, which
// mints FITs, does not import the Jira client.)
package forgeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/forge"
	"github.com/backlogai/backlogai/server/jira"
)

// InstallationStore reads a tenant's Forge installation.
type InstallationStore interface {
	ForgeInstallationOfTenant(ctx context.Context, tenantID int64) (*domain.ForgeInstallation, error)
}

// Clients gives Jira transports for tenants on Forge: the app system token
// for background work (the latest one stored per installation, so a long
// scan keeps working after the token of the invocation that started it
// expired) and the person's token for their edits. It implements
// jiraclients.HostClients.
type Clients struct {
	Store      InstallationStore
	HTTP       *http.Client
	UserTokens *forge.UserTokens
	Now        func() time.Time
	// CacheTTL bounds how long an installation row is reused (default 20 s).
	CacheTTL time.Duration

	mu    sync.Mutex
	cache map[int64]cachedInstallation
}

type cachedInstallation struct {
	in  *domain.ForgeInstallation // nil: tenant not on Forge
	at  time.Time
	err error
}

func (c *Clients) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// installation returns the tenant's Forge installation (nil when on
// Connect only), cached briefly: every Jira call asks for its token.
func (c *Clients) installation(ctx context.Context, tenantID int64) (*domain.ForgeInstallation, error) {
	ttl := c.CacheTTL
	if ttl == 0 {
		ttl = 20 * time.Second
	}
	now := c.now()
	c.mu.Lock()
	if e, ok := c.cache[tenantID]; ok && now.Sub(e.at) < ttl {
		c.mu.Unlock()
		return e.in, e.err
	}
	c.mu.Unlock()
	in, err := c.Store.ForgeInstallationOfTenant(ctx, tenantID)
	if errors.Is(err, domain.ErrNotFound) {
		in, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.cache == nil {
		c.cache = map[int64]cachedInstallation{}
	}
	c.cache[tenantID] = cachedInstallation{in: in, at: now}
	c.mu.Unlock()
	return in, nil
}

// Forget drops the cached installation of a tenant (after a new token or
// an uninstall).
func (c *Clients) Forget(tenantID int64) {
	c.mu.Lock()
	delete(c.cache, tenantID)
	c.mu.Unlock()
}

// AppDoer implements jiraclients.HostClients. A tenant with a live Forge
// installation calls Jira through the API base URL with the system token;
// a site still on Connect (shared secret, no usable Forge token) keeps its
// signed Connect calls.
func (c *Clients) AppDoer(t *domain.Tenant) (jira.Doer, string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in, err := c.installation(ctx, t.ID)
	if err != nil || in == nil {
		return nil, "", false
	}
	if t.SharedSecret != "" && (in.SystemToken == "" || !in.SystemTokenExpires.After(c.now())) {
		return nil, "", false
	}
	tenantID := t.ID
	return &BearerClient{HTTP: c.HTTP, BaseURL: in.APIBaseURL, Token: func(ctx context.Context) (string, error) {
		in, err := c.installation(ctx, tenantID)
		if err != nil {
			return "", err
		}
		if in == nil {
			return "", fmt.Errorf("forge: tenant %d has no Forge installation: %w", tenantID, domain.ErrUnavailable)
		}
		if in.SystemToken == "" || !in.SystemTokenExpires.After(c.now().Add(30*time.Second)) {
			c.Forget(tenantID) // a newer token may have been stored by another replica
			return "", fmt.Errorf("forge: installation %s has no valid system token until Forge's next invocation: %w",
				in.InstallationID, domain.ErrUnavailable)
		}
		return in.SystemToken, nil
	}}, in.APIBaseURL, true
}

// UserDoer implements jiraclients.HostClients: the person's own token from
// the invocation (x-forge-oauth-user), so Jira checks their permissions
// and names them in the history.
func (c *Clients) UserDoer(ctx context.Context, t *domain.Tenant, accountID string) (jira.Doer, string, bool, error) {
	in, err := c.installation(ctx, t.ID)
	if err != nil {
		return nil, "", false, err
	}
	if in == nil {
		return nil, "", false, nil
	}
	tok, ok := "", false
	if c.UserTokens != nil {
		tok, ok = c.UserTokens.Get(t.ID, accountID)
	}
	if !ok {
		if t.SharedSecret != "" {
			return nil, "", false, nil // still on Connect too: impersonation works
		}
		return nil, "", true, fmt.Errorf("forge: no user token of this person (the call must come from Forge with %s): %w",
			forge.HeaderUserToken, domain.ErrUnauthorized)
	}
	return &BearerClient{HTTP: c.HTTP, BaseURL: in.APIBaseURL, Token: func(context.Context) (string, error) { return tok, nil }},
		in.APIBaseURL, true, nil
}

// BearerClient sends Jira requests with a Forge bearer token, only to its
// API base URL.
type BearerClient struct {
	HTTP    *http.Client
	BaseURL string
	Token   func(ctx context.Context) (string, error)
}

// Do implements jira.Doer.
func (b *BearerClient) Do(req *http.Request) (*http.Response, error) {
	base, err := url.Parse(b.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("forge: api base url: %w", err)
	}
	if req.URL == nil || req.URL.Scheme != base.Scheme || req.URL.Host != base.Host ||
		!strings.HasPrefix(req.URL.Path, strings.TrimRight(base.Path, "/")+"/") {
		return nil, fmt.Errorf("forge: refusing a request outside the API base URL: %w", domain.ErrForbidden)
	}
	tok, err := b.Token(req.Context())
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("User-Agent", "BacklogAI/1.0 (+https://github.com/backlogai/backlogai)")
	hc := b.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	// The token must not follow a redirect to another host.
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return noRedirect.Do(r)
}
