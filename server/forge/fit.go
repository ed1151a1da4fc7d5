package forge

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/domain"
)

// Constants of the Forge Remote contract (see docs/forge.md for sources).
const (
	// Issuer is the iss claim of every Forge Invocation Token.
	Issuer = "forge/invocation-token"
	// DefaultJWKSURL publishes the keys Forge signs FITs with.
	DefaultJWKSURL = "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json"
	// AppARIPrefix + the app's UUID is the app ARI, the FIT's audience.
	AppARIPrefix = "ari:cloud:ecosystem::app/"
	// HeaderSystemToken carries the app system token (endpoint
	// auth.appSystemToken); HeaderUserToken the acting person's token
	// (auth.appUserToken).
	HeaderSystemToken = "x-forge-oauth-system"
	HeaderUserToken   = "x-forge-oauth-user"
	// TokenKindFIT is connect.Identity.TokenKind for a verified FIT.
	TokenKindFIT = "forge-fit"

	maxTokenBytes = 16 << 10
)

// AppARI returns the app ARI for an app id given either as a bare UUID or
// as a full ARI.
func AppARI(appID string) string {
	if strings.HasPrefix(appID, AppARIPrefix) {
		return appID
	}
	return AppARIPrefix + appID
}

// Invocation is what a verified FIT says about one call from Forge.
type Invocation struct {
	AppID           string // app.id, the app ARI
	InstallationID  string // app.installationId
	APIBaseURL      string // app.apiBaseUrl: where product API calls go
	EnvironmentType string // app.environment.type (DEVELOPMENT, STAGING, PRODUCTION)
	EnvironmentID   string // app.environment.id
	ModuleKey       string // app.module.key
	ModuleType      string // app.module.type
	CloudID         string // context.cloudId
	SiteURL         string // context.siteUrl
	// AccountID is the principal: the person who invoked, empty for
	// triggers and scheduled calls.
	AccountID string
	// Context is the context claim as sent (the Custom UI extension
	// context: project, issue, ...).
	Context json.RawMessage
	// SystemToken and UserToken are the bearer tokens from the
	// x-forge-oauth-system and x-forge-oauth-user headers ("" if absent).
	SystemToken string
	UserToken   string
	Expires     time.Time
}

// fitClaims are the claims read from a FIT.
type fitClaims struct {
	jwt.RegisteredClaims
	App struct {
		ID             string `json:"id"`
		InstallationID string `json:"installationId"`
		APIBaseURL     string `json:"apiBaseUrl"`
		Environment    struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"environment"`
		Module struct {
			Key  string `json:"key"`
			Type string `json:"type"`
		} `json:"module"`
	} `json:"app"`
	Context   json.RawMessage `json:"context"`
	Principal string          `json:"principal"`
}

// AuthError is a refused FIT; Reason is fixed text safe to log.
type AuthError struct{ Reason string }

func (e *AuthError) Error() string { return "forge: unauthorized: " + e.Reason }

// Unwrap makes errors.Is(err, domain.ErrUnauthorized) hold.
func (e *AuthError) Unwrap() error { return domain.ErrUnauthorized }

func unauthorized(reason string) error { return &AuthError{Reason: reason} }

// Verifier checks Forge Invocation Tokens. It is safe for concurrent use.
type Verifier struct {
	// AppID is FORGE_APP_ID: the app's UUID or ARI.
	AppID string
	Keys  *KeySet
	// Leeway tolerates clock skew on exp/nbf/iat (default 30 s).
	Leeway time.Duration
	// AllowHTTPAPI accepts an http:// apiBaseUrl (the local emulator only).
	AllowHTTPAPI bool
	Now          func() time.Time
}

// BearerToken returns the token of "Authorization: Bearer", or "".
func BearerToken(r *http.Request) string {
	for _, h := range r.Header.Values("Authorization") {
		scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// Verify checks the FIT of r and returns the invocation. Failures wrap
// domain.ErrUnauthorized; a key server that cannot be reached wraps
// domain.ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, r *http.Request) (*Invocation, error) {
	if v.AppID == "" || v.Keys == nil {
		return nil, fmt.Errorf("forge: verifier needs AppID and Keys: %w", domain.ErrUnavailable)
	}
	token := BearerToken(r)
	if token == "" {
		return nil, unauthorized("no bearer token")
	}
	if len(token) > maxTokenBytes {
		return nil, unauthorized("token too large")
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	leeway := v.Leeway
	if leeway == 0 {
		leeway = 30 * time.Second
	}
	// Pin the algorithm before anything else reads the token.
	unverified, _, err := jwt.NewParser().ParseUnverified(token, &fitClaims{})
	if err != nil {
		return nil, unauthorized("malformed token")
	}
	if alg, _ := unverified.Header["alg"].(string); alg != "RS256" {
		return nil, unauthorized("algorithm not allowed")
	}
	aud := AppARI(v.AppID)
	var keyErr error
	claims := &fitClaims{}
	_, err = jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, unauthorized("token has no kid")
		}
		k, err := v.Keys.Key(ctx, kid)
		if err != nil {
			keyErr = err
		}
		return k, err
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(Issuer), jwt.WithAudience(aud),
		jwt.WithLeeway(leeway), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(now))
	if err != nil {
		if keyErr != nil {
			var ae *AuthError
			if errors.As(keyErr, &ae) {
				return nil, keyErr
			}
			return nil, fmt.Errorf("forge: keys: %w", keyErr)
		}
		return nil, unauthorized(reasonFor(err))
	}
	if claims.App.ID != aud {
		return nil, unauthorized("app.id is not this app")
	}
	if claims.App.InstallationID == "" {
		return nil, unauthorized("token has no app.installationId")
	}
	if err := v.checkAPIBase(claims.App.APIBaseURL); err != nil {
		return nil, err
	}
	inv := &Invocation{
		AppID: claims.App.ID, InstallationID: claims.App.InstallationID, APIBaseURL: strings.TrimRight(claims.App.APIBaseURL, "/"),
		EnvironmentType: claims.App.Environment.Type, EnvironmentID: claims.App.Environment.ID,
		ModuleKey: claims.App.Module.Key, ModuleType: claims.App.Module.Type,
		AccountID: claims.Principal, Context: claims.Context,
		SystemToken: strings.TrimSpace(r.Header.Get(HeaderSystemToken)),
		UserToken:   strings.TrimSpace(r.Header.Get(HeaderUserToken)),
	}
	if claims.ExpiresAt != nil {
		inv.Expires = claims.ExpiresAt.Time
	}
	if len(claims.Context) > 0 {
		var c struct {
			CloudID   string `json:"cloudId"`
			SiteURL   string `json:"siteUrl"`
			ModuleKey string `json:"moduleKey"`
		}
		if err := json.Unmarshal(claims.Context, &c); err != nil {
			return nil, unauthorized("context claim is not an object")
		}
		inv.CloudID, inv.SiteURL = c.CloudID, strings.TrimRight(c.SiteURL, "/")
		if inv.ModuleKey == "" {
			inv.ModuleKey = c.ModuleKey
		}
	}
	return inv, nil
}

func (v *Verifier) checkAPIBase(s string) error {
	if s == "" {
		return unauthorized("token has no app.apiBaseUrl")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return unauthorized("app.apiBaseUrl is not a base URL")
	}
	if u.Scheme != "https" && !(v.AllowHTTPAPI && u.Scheme == "http") {
		return unauthorized("app.apiBaseUrl is not https")
	}
	return nil
}

func reasonFor(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "algorithm not allowed"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "required claim missing"
	}
	return "invalid token"
}

// KeySet is the cached JWKS. An unknown kid refetches the set (key
// rotation), at most once per MinRefresh so that forged kids cannot make
// us hammer the key server.
type KeySet struct {
	URL  string
	HTTP *http.Client
	// TTL is how long a fetched set is used (default 1 h).
	TTL time.Duration
	// MinRefresh is the least time between two fetches (default 30 s).
	MinRefresh time.Duration
	Now        func() time.Time

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

// Key returns the RSA key with that kid.
func (k *KeySet) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	ttl, minRefresh := k.TTL, k.MinRefresh
	if ttl == 0 {
		ttl = time.Hour
	}
	if minRefresh == 0 {
		minRefresh = 30 * time.Second
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	t := now()
	stale := k.keys == nil || t.Sub(k.fetched) > ttl
	if key, ok := k.keys[kid]; ok && !stale {
		return key, nil
	}
	if stale || t.Sub(k.fetched) >= minRefresh {
		keys, err := k.fetch(ctx)
		if err != nil {
			if key, ok := k.keys[kid]; ok {
				return key, nil // keep serving a known key while the server is down
			}
			return nil, err
		}
		k.keys, k.fetched = keys, t
	}
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	return nil, unauthorized("unknown kid")
}

func (k *KeySet) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	u := k.URL
	if u == "" {
		u = DefaultJWKSURL
	}
	hc := k.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("forge: jwks request: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("forge: jwks fetch: %w: %w", domain.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("forge: jwks fetch: status %d: %w", resp.StatusCode, domain.ErrUnavailable)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("forge: jwks read: %w", err)
	}
	return ParseJWKS(body)
}

// JWK is one RSA key of a JWKS document.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// ParseJWKS reads the RSA signing keys of a JWKS document; other keys are
// skipped.
func ParseJWKS(body []byte) (map[string]*rsa.PublicKey, error) {
	var doc struct {
		Keys []JWK `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("forge: jwks: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, j := range doc.Keys {
		if j.Kty != "RSA" || j.Kid == "" || (j.Use != "" && j.Use != "sig") || (j.Alg != "" && j.Alg != "RS256") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(strings.TrimRight(j.N, "="))
		e, err2 := base64.RawURLEncoding.DecodeString(strings.TrimRight(j.E, "="))
		if err1 != nil || err2 != nil || len(n) < 256 || len(e) == 0 || len(e) > 4 {
			continue // under 2048 bits or malformed
		}
		keys[j.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("forge: jwks has no usable RSA key: %w", domain.ErrUnavailable)
	}
	return keys, nil
}

// PublicJWK describes key as a JWK (for the emulator's JWKS).
func PublicJWK(kid string, key *rsa.PublicKey) JWK {
	return JWK{Kty: "RSA", Kid: kid, Use: "sig", Alg: "RS256",
		N: base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}
}
