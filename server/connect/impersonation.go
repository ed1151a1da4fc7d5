package connect

// User impersonation ("act as the user") for Connect apps: the OAuth 2.0
// JWT Bearer token authorization grant (RFC 7523), as Atlassian describes
// it in "User impersonation for Connect apps",
// https://developer.atlassian.com/cloud/jira/platform/user-impersonation-for-connect-apps/
// (formerly .../oauth-2-jwt-bearer-token-authorization-grant-type/):
//
//   - the install payload carries oauthClientId beside the shared secret;
//   - the app signs an assertion with HS256 and the shared secret, with
//     iss = urn:atlassian:connect:clientid:{oauthClientId},
//     sub = urn:atlassian:connect:useraccountid:{accountId},
//     tnt = the site's baseUrl, aud = the authorization server,
//     iat, and exp (at most 60 s later);
//   - it POSTs grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer,
//     assertion and scope (upper case, space separated) form-encoded to
//     {authorization server}/oauth2/token;
//   - the answer is {access_token, expires_in, token_type: "Bearer"}, and
//     the app calls the site's REST API (its baseUrl) with
//     "Authorization: Bearer {access_token}".
//
// The endpoint path, the 60 s assertion lifetime and the scope format are
// also what Atlassian's own libraries use (atlassian-oauth2 for Node;
// atlassian-connect-express's HostClient.asUserByAccountId sends the
// Bearer token to the install's baseUrl, not to api.atlassian.com). The app
// needs the ACT_AS_USER scope in its descriptor.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/retry"
)

// DefaultAuthServerURL is Atlassian's authorization server: the aud of
// every assertion; tokens come from its /oauth2/token.
const DefaultAuthServerURL = "https://oauth-2-authorization-server.services.atlassian.com"

// GrantTypeJWTBearer is the grant_type of the exchange (RFC 7523 §2.1).
const GrantTypeJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Prefixes of the assertion's iss and sub.
const (
	ClientIDPrefix      = "urn:atlassian:connect:clientid:"
	UserAccountIDPrefix = "urn:atlassian:connect:useraccountid:"
)

// AssertionTTL is the assertion's lifetime; Atlassian accepts at most 60 s.
const AssertionTTL = 60 * time.Second

// Defaults of Impersonator fields left zero.
const (
	DefaultTokenCacheSize = 10000
	// DefaultRefreshMargin: a cached token is exchanged again this long
	// before it expires, so a call never starts with a token about to lapse.
	DefaultRefreshMargin = 60 * time.Second
	exchangeTimeout      = 15 * time.Second
	maxTokenResponse     = 64 << 10
)

// DefaultImpersonationScopes are the scopes asked for: what a person's
// edits and creations need, no more.
var DefaultImpersonationScopes = []string{"READ", "WRITE"}

// ErrExchange is wrapped by every failed token exchange.
var ErrExchange = errors.New("connect: user token exchange failed")

// AssertionClaims are the claims of the JWT-bearer assertion. Tenant is
// Atlassian's "tnt" claim.
type AssertionClaims struct {
	jwt.RegisteredClaims
	Tenant string `json:"tnt"`
}

// Token is an access token that acts as one user. It formats and logs as
// "[redacted]" so that it cannot reach a log by accident; only
// Authorization reveals it.
type Token struct {
	access    string
	ExpiresAt time.Time
}

// Authorization is the value of the Authorization header.
func (t Token) Authorization() string { return "Bearer " + t.access }

// String hides the token.
func (t Token) String() string { return "[redacted]" }

// GoString hides the token from %#v.
func (t Token) GoString() string { return "connect.Token{[redacted]}" }

// LogValue hides the token from slog.
func (t Token) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// ExchangeError is a refusal of the authorization server. It unwraps to
// ErrExchange and to the domain error of its status: ErrForbidden for 400,
// 401 and 403 (bad assertion, unknown client, a user the app may not act
// as: the person gets "no permission", not "sign in again"),
// ErrRateLimited for 429, ErrUnavailable for 5xx.
type ExchangeError struct {
	Status      int
	Code        string // OAuth "error", e.g. invalid_grant
	Description string // OAuth "error_description"
	RetryAfter  time.Duration
}

func (e *ExchangeError) Error() string {
	msg := fmt.Sprintf("connect: user token exchange: %d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += " (" + e.Description + ")"
	}
	return msg
}

// Unwrap returns ErrExchange and the domain error of the status.
func (e *ExchangeError) Unwrap() []error {
	errs := []error{ErrExchange}
	switch {
	case e.Status == http.StatusBadRequest || e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		errs = append(errs, domain.ErrForbidden)
	case e.Status == http.StatusTooManyRequests:
		errs = append(errs, domain.ErrRateLimited)
	case e.Status >= 500:
		errs = append(errs, domain.ErrUnavailable)
	}
	return errs
}

// Impersonator exchanges JWT-bearer assertions for user access tokens and
// caches them per (tenant, account) until shortly before they expire.
// Concurrent callers for the same pair share one exchange. Tokens live
// only in this process's memory: never logged, never stored.
type Impersonator struct {
	// AuthServerURL is the authorization server (aud of the assertions;
	// tokens are asked of AuthServerURL + "/oauth2/token"). Empty means
	// DefaultAuthServerURL. It comes from configuration, never from a
	// tenant, and requests go nowhere else: redirects are refused.
	AuthServerURL string
	// HTTP sends the exchanges; nil means a client with a 15 s timeout.
	HTTP *http.Client
	// Scopes asked for; nil means DefaultImpersonationScopes.
	Scopes []string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxEntries bounds the cache (default DefaultTokenCacheSize).
	MaxEntries int
	// RefreshMargin (default 60 s) is how long before expiry a token is
	// replaced.
	RefreshMargin time.Duration
	Logger        *slog.Logger

	mu      sync.Mutex
	cache   map[tokenKey]cachedToken
	flights map[tokenKey]*flight
}

type tokenKey struct{ clientKey, accountID string }

type cachedToken struct {
	install   string // hash of the install the token was made for
	tok       Token
	refreshAt time.Time
}

type flight struct {
	install string
	done    chan struct{}
	tok     Token
	err     error
}

func (im *Impersonator) now() time.Time {
	if im.Now != nil {
		return im.Now()
	}
	return time.Now()
}

func (im *Impersonator) base() string {
	if im.AuthServerURL != "" {
		return strings.TrimSuffix(im.AuthServerURL, "/")
	}
	return DefaultAuthServerURL
}

func (im *Impersonator) margin() time.Duration {
	if im.RefreshMargin > 0 {
		return im.RefreshMargin
	}
	return DefaultRefreshMargin
}

// installHash identifies what a token was made for: a re-install with a
// new secret or client id drops the old tokens.
func installHash(t *domain.Tenant) string {
	sum := sha256.Sum256([]byte(t.BaseURL + "\x00" + t.OAuthClientID + "\x00" + t.SharedSecret))
	return hex.EncodeToString(sum[:8])
}

// Token returns an access token acting as accountID on the tenant's site,
// from the cache when it is valid for longer than the refresh margin.
func (im *Impersonator) Token(ctx context.Context, t *domain.Tenant, accountID string) (Token, error) {
	if err := checkImpersonation(t, accountID); err != nil {
		return Token{}, err
	}
	key := tokenKey{t.ClientKey, accountID}
	hash := installHash(t)
	im.mu.Lock()
	if c, ok := im.cache[key]; ok && c.install == hash && im.now().Before(c.refreshAt) {
		im.mu.Unlock()
		return c.tok, nil
	}
	f, ok := im.flights[key]
	if !ok || f.install != hash {
		f = &flight{install: hash, done: make(chan struct{})}
		if im.flights == nil {
			im.flights = map[tokenKey]*flight{}
		}
		im.flights[key] = f
		// The exchange outlives a caller that gives up: others may wait on it.
		go im.run(context.WithoutCancel(ctx), key, f, t, accountID)
	}
	im.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return Token{}, fmt.Errorf("connect: user token: %w", ctx.Err())
	}
}

// Forget drops the cached token of (tenant, account), for example after
// Jira refused it with 401.
func (im *Impersonator) Forget(clientKey, accountID string) {
	im.mu.Lock()
	delete(im.cache, tokenKey{clientKey, accountID})
	im.mu.Unlock()
}

func (im *Impersonator) run(ctx context.Context, key tokenKey, f *flight, t *domain.Tenant, accountID string) {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	start := im.now()
	f.tok, f.err = im.exchange(ctx, t, accountID)
	im.mu.Lock()
	if f.err == nil {
		// A token shorter-lived than twice the margin is kept for half its life.
		m := min(im.margin(), f.tok.ExpiresAt.Sub(start)/2)
		im.storeLocked(key, cachedToken{install: f.install, tok: f.tok, refreshAt: f.tok.ExpiresAt.Add(-m)})
	}
	if im.flights[key] == f {
		delete(im.flights, key)
	}
	im.mu.Unlock()
	close(f.done)
	if f.err != nil && im.Logger != nil {
		im.Logger.Warn("user token exchange failed", "tenant_id", t.ID, "err", f.err)
	}
}

// storeLocked caches a token; when full it drops expired entries, then
// the one expiring first.
func (im *Impersonator) storeLocked(key tokenKey, c cachedToken) {
	if im.cache == nil {
		im.cache = map[tokenKey]cachedToken{}
	}
	limit := im.MaxEntries
	if limit <= 0 {
		limit = DefaultTokenCacheSize
	}
	if _, ok := im.cache[key]; !ok && len(im.cache) >= limit {
		now := im.now()
		for k, v := range im.cache {
			if !now.Before(v.tok.ExpiresAt) {
				delete(im.cache, k)
			}
		}
		for len(im.cache) >= limit {
			var victim tokenKey
			var first time.Time
			for k, v := range im.cache {
				if first.IsZero() || v.tok.ExpiresAt.Before(first) {
					victim, first = k, v.tok.ExpiresAt
				}
			}
			delete(im.cache, victim)
		}
	}
	im.cache[key] = c
}

// Len is the number of cached tokens.
func (im *Impersonator) Len() int {
	im.mu.Lock()
	defer im.mu.Unlock()
	return len(im.cache)
}

func checkImpersonation(t *domain.Tenant, accountID string) error {
	switch {
	case t == nil:
		return fmt.Errorf("connect: user token: no tenant: %w", domain.ErrInvalid)
	case accountID == "":
		return fmt.Errorf("connect: user token: accountId is required (an anonymous viewer cannot act in Jira): %w", domain.ErrUnauthorized)
	case len(accountID) > 128 || strings.ContainsAny(accountID, " \t\r\n"):
		return fmt.Errorf("connect: user token: accountId is malformed: %w", domain.ErrInvalid)
	case t.OAuthClientID == "":
		return fmt.Errorf("connect: user token: the install has no oauthClientId (reinstall the app): %w", domain.ErrUnavailable)
	case t.SharedSecret == "":
		return fmt.Errorf("connect: user token: the install has no sharedSecret: %w", domain.ErrUnavailable)
	case t.BaseURL == "":
		return fmt.Errorf("connect: user token: the install has no baseUrl: %w", domain.ErrUnavailable)
	}
	return nil
}

// Assertion signs the JWT-bearer assertion for accountID on the tenant's
// site, issued at now.
func Assertion(t *domain.Tenant, accountID, audience string, now time.Time) (string, error) {
	c := AssertionClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    ClientIDPrefix + t.OAuthClientID,
			Subject:   UserAccountIDPrefix + accountID,
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(AssertionTTL)),
		},
		Tenant: t.BaseURL,
	}
	// A single audience is a string, as Atlassian's own libraries send it.
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	signed, err := tok.SignedString([]byte(t.SharedSecret))
	if err != nil {
		return "", fmt.Errorf("connect: sign assertion: %w", err)
	}
	return signed, nil
}

type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	ExpiresIn   json.Number     `json:"expires_in"`
	TokenType   string          `json:"token_type"`
	Error       string          `json:"error"`
	Description string          `json:"error_description"`
	Scope       json.RawMessage `json:"scope,omitempty"`
}

func (im *Impersonator) exchange(ctx context.Context, t *domain.Tenant, accountID string) (Token, error) {
	now := im.now()
	assertion, err := Assertion(t, accountID, im.base(), now)
	if err != nil {
		return Token{}, err
	}
	scopes := im.Scopes
	if scopes == nil {
		scopes = DefaultImpersonationScopes
	}
	up := make([]string, len(scopes))
	for i, s := range scopes {
		up[i] = strings.ToUpper(s)
	}
	form := url.Values{
		"grant_type": {GrantTypeJWTBearer},
		"assertion":  {assertion},
		"scope":      {strings.Join(up, " ")},
	}
	tokenURL := im.base() + "/oauth2/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, fmt.Errorf("connect: user token exchange: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	client := &http.Client{Timeout: exchangeTimeout}
	if im.HTTP != nil {
		c := *im.HTTP
		client = &c
	}
	// The token endpoint is the only destination: the assertion must not
	// be carried anywhere else.
	client.CheckRedirect = func(*http.Request, []*http.Request) error {
		return fmt.Errorf("connect: user token exchange: redirect refused: %w", ErrRequestRefused)
	}
	resp, err := client.Do(req)
	if err != nil {
		// url.Error names the URL only, never the form.
		return Token{}, fmt.Errorf("connect: user token exchange: %w: %w", ErrExchange, errors.Join(err, domain.ErrUnavailable))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return Token{}, fmt.Errorf("connect: user token exchange: read: %w: %w", ErrExchange, domain.ErrUnavailable)
	}
	var tr tokenResponse
	isJSON := false
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" || strings.HasSuffix(mt, "+json") {
		isJSON = json.Unmarshal(body, &tr) == nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		wait, _ := retry.ParseAfter(resp.Header.Get("Retry-After"), now)
		e := &ExchangeError{Status: resp.StatusCode, RetryAfter: wait}
		if isJSON {
			e.Code, e.Description = clip(tr.Error, 64), clip(tr.Description, 256)
		}
		return Token{}, e
	}
	if !isJSON || tr.AccessToken == "" {
		return Token{}, fmt.Errorf("connect: user token exchange: answer without access_token: %w: %w", ErrExchange, domain.ErrUnavailable)
	}
	if !strings.EqualFold(tr.TokenType, "bearer") {
		return Token{}, fmt.Errorf("connect: user token exchange: token_type %q is not Bearer: %w", clip(tr.TokenType, 32), ErrExchange)
	}
	secs, err := tr.ExpiresIn.Int64()
	if err != nil || secs <= 0 {
		return Token{}, fmt.Errorf("connect: user token exchange: expires_in %q is not a positive number of seconds: %w", clip(tr.ExpiresIn.String(), 32), ErrExchange)
	}
	return Token{access: tr.AccessToken, ExpiresAt: now.Add(time.Duration(secs) * time.Second)}, nil
}

func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) > n {
		return s[:n]
	}
	return s
}

// UserClient sends requests to one tenant's Jira as one user, with
// "Authorization: Bearer" and a token from Tokens. Like SigningClient it
// implements go-atlassian's Do, refuses requests and redirects that leave
// the tenant's site and a GET or HEAD with a body, and replaces any
// Authorization header. A 401 from Jira drops the cached token and the
// request is sent once more with a fresh one.
type UserClient struct {
	// HTTP sends the requests; nil means a client with
	// DefaultClientTimeout.
	HTTP      *http.Client
	Tokens    *Impersonator
	Tenant    *domain.Tenant
	AccountID string
	// UserAgent, if set, replaces the request's User-Agent.
	UserAgent string
}

// Do authorises and sends req as the user. req is not modified.
func (u *UserClient) Do(req *http.Request) (*http.Response, error) {
	if u.Tokens == nil || u.Tenant == nil {
		return nil, errors.New("connect: user client: token source and tenant are required")
	}
	base, err := parseSiteURL(u.Tenant.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("connect: user client: base URL: %w", err)
	}
	if req.URL == nil {
		return nil, fmt.Errorf("connect: user client: request has no URL: %w", ErrRequestRefused)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if (method == http.MethodGet || method == http.MethodHead) && hasBody(req) {
		return nil, fmt.Errorf("connect: user client: %s with a body: %w", method, ErrRequestRefused)
	}
	if err := base.contains(req.URL); err != nil {
		return nil, fmt.Errorf("connect: user client: %w", err)
	}
	tok, err := u.Tokens.Token(req.Context(), u.Tenant, u.AccountID)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	u.authorize(out, tok)
	client := &http.Client{Timeout: DefaultClientTimeout}
	if u.HTTP != nil {
		c := *u.HTTP
		client = &c
	}
	client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return fmt.Errorf("connect: user client: more than %d redirects: %w", MaxRedirects, ErrRequestRefused)
		}
		if err := base.contains(next.URL); err != nil {
			return fmt.Errorf("connect: user client: redirect: %w", err)
		}
		u.authorize(next, tok)
		return nil
	}
	resp, err := client.Do(out)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return resp, nil
	}
	// The token was refused (revoked, or expired early): drop it and try
	// once more with a fresh one. A 401 means Jira did nothing, so the
	// retry cannot apply a write twice.
	u.Tokens.Forget(u.Tenant.ClientKey, u.AccountID)
	retry := req.Clone(req.Context())
	if hasBody(req) {
		if req.GetBody == nil {
			return resp, nil
		}
		body, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		retry.Body = body
	}
	fresh, err := u.Tokens.Token(req.Context(), u.Tenant, u.AccountID)
	if err != nil {
		return resp, nil
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	u.authorize(retry, fresh)
	tok = fresh
	resp, err = client.Do(retry)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		u.Tokens.Forget(u.Tenant.ClientKey, u.AccountID)
	}
	return resp, nil
}

func (u *UserClient) authorize(r *http.Request, tok Token) {
	r.Header.Set("Authorization", tok.Authorization())
	if u.UserAgent != "" {
		r.Header.Set("User-Agent", u.UserAgent)
	}
}
