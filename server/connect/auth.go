package connect

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/domain"
)

// TokenKindConnectJWT is Identity.TokenKind for an HS256 token Jira signed
// with the tenant's shared secret. A Forge Invocation Token verifier would
// add its own kind.
const TokenKindConnectJWT = "connect-jwt"

// MaxTokenBytes bounds the size of a token we are willing to parse.
const MaxTokenBytes = 16 << 10

// Identity is who a request comes from once authenticated.
type Identity struct {
	Tenant *domain.Tenant
	// AccountID is the Atlassian accountId of the user (the sub claim);
	// empty for calls without a user, such as most webhooks and lifecycle
	// callbacks.
	AccountID string
	// Context is the token's context claim, as sent.
	Context json.RawMessage
	// TokenKind says which verifier produced the identity.
	TokenKind string
}

// QSHMode says which qsh claim an endpoint accepts.
type QSHMode int

const (
	// QSHCanonical: qsh must equal the canonical hash of this very request;
	// "context-qsh" is refused. For every URL declared in the descriptor
	// (glances, project pages, webhooks, lifecycle callbacks).
	QSHCanonical QSHMode = iota
	// QSHContext: qsh must be exactly "context-qsh". For the app's own API
	// endpoints called from its iframe with AP.context.getToken().
	QSHContext
)

// String names the mode for logs.
func (m QSHMode) String() string {
	switch m {
	case QSHCanonical:
		return "canonical"
	case QSHContext:
		return "context"
	}
	return fmt.Sprintf("QSHMode(%d)", int(m))
}

// Authenticator turns a request into an Identity. Handlers depend on this
// interface only, so other token kinds (a Forge Invocation Token) can be
// added behind it.
//
// Authentication failures return an error wrapping domain.ErrUnauthorized
// (an *AuthError whose Reason is safe to log). Other errors, such as a
// tenant store that is down, are returned wrapped as they are.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, mode QSHMode) (*Identity, error)
}

// TenantLookup finds a tenant by its Connect clientKey. It returns an error
// wrapping domain.ErrNotFound for an unknown clientKey.
type TenantLookup interface {
	TenantByClientKey(ctx context.Context, clientKey string) (*domain.Tenant, error)
}

// AuthError is an authentication failure. Reason is short, fixed text that
// never contains a token, a secret or a signature.
type AuthError struct {
	Reason string
}

func (e *AuthError) Error() string { return "connect: unauthorized: " + e.Reason }

// Unwrap makes errors.Is(err, domain.ErrUnauthorized) hold.
func (e *AuthError) Unwrap() error { return domain.ErrUnauthorized }

func unauthorized(reason string) error { return &AuthError{Reason: reason} }

// Reasons for refusing a request, shared with install.go.
const (
	reasonNoToken        = "no token"
	reasonTwoTokens      = "two different tokens"
	reasonTokenTooLarge  = "token too large"
	reasonMalformed      = "malformed token"
	reasonAlg            = "algorithm not allowed"
	reasonNoIssuer       = "token has no issuer"
	reasonUnknownTenant  = "unknown tenant"
	reasonNoSecret       = "tenant has no shared secret"
	reasonSignature      = "bad signature"
	reasonExpired        = "token expired"
	reasonNoExp          = "token has no exp"
	reasonNotYetValid    = "token not valid yet"
	reasonIssuedInFuture = "token issued in the future"
	reasonInvalidClaims  = "invalid claims"
	reasonInactive       = "tenant not active"
	reasonNoQSH          = "token has no qsh"
	reasonContextQSH     = "context-qsh not accepted here"
	reasonWrongQSH       = "qsh does not match request"
	reasonNeedContextQSH = "context-qsh required"
	reasonBadRequestURL  = "request URL cannot be canonicalised"
)

// JWTAuthenticator verifies the HS256 tokens Jira signs with a tenant's
// shared secret (iframes, webhooks, enabled/disabled callbacks, and calls
// from the app's own iframe JS). It is safe for concurrent use.
type JWTAuthenticator struct {
	Tenants TenantLookup
	// BasePath is the path of the app's BASE_URL ("" or "/" for none),
	// escaped as in a URL; it is removed from request paths before the qsh
	// is computed.
	BasePath string
	// AllowDisabled also accepts tenants in the disabled state. Set it only
	// on the instance guarding the enabled/disabled lifecycle callbacks
	// (Jira sends "enabled" to a disabled tenant). Uninstalled tenants are
	// always refused.
	AllowDisabled bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var _ Authenticator = (*JWTAuthenticator)(nil)

// Authenticate implements Authenticator.
func (a *JWTAuthenticator) Authenticate(ctx context.Context, r *http.Request, mode QSHMode) (*Identity, error) {
	token, err := RequestToken(r)
	if err != nil {
		return nil, err
	}
	if alg, err := tokenAlg(token); err != nil {
		return nil, err
	} else if alg != "HS256" {
		return nil, unauthorized(reasonAlg)
	}

	var tenant *domain.Tenant
	var lookupErr error // a store failure, not an auth failure
	secretFor := func(clientKey string) (string, error) {
		t, err := a.Tenants.TenantByClientKey(ctx, clientKey)
		if err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				return "", unauthorized(reasonUnknownTenant)
			}
			lookupErr = fmt.Errorf("connect: authenticate: tenant lookup: %w", err)
			return "", lookupErr
		}
		if t == nil {
			return "", unauthorized(reasonUnknownTenant)
		}
		if t.SharedSecret == "" {
			return "", unauthorized(reasonNoSecret)
		}
		tenant = t
		return t.SharedSecret, nil
	}
	claims, err := ParseHS256(token, secretFor, a.Now)
	if lookupErr != nil {
		return nil, lookupErr
	}
	if err != nil {
		return nil, classifyJWTError(err)
	}
	if tenant == nil { // cannot happen: ParseHS256 called secretFor
		return nil, unauthorized(reasonUnknownTenant)
	}
	// State is checked after the signature so that an unsigned request
	// cannot learn whether a tenant is disabled.
	if !tenant.Active() && !(a.AllowDisabled && tenant.State == domain.TenantDisabled) {
		return nil, unauthorized(reasonInactive)
	}
	if err := checkQSH(r, claims.QSH, mode, a.BasePath); err != nil {
		return nil, err
	}
	return &Identity{
		Tenant:    tenant,
		AccountID: claims.Subject,
		Context:   claims.Context,
		TokenKind: TokenKindConnectJWT,
	}, nil
}

// RequestToken returns the Connect JWT a request carries, from the query
// parameter "jwt" or an "Authorization: JWT <token>" header. A request that
// carries two different tokens is refused; the same token in both places is
// accepted. Authorization headers with another scheme are ignored.
func RequestToken(r *http.Request) (string, error) {
	found := r.URL.Query()["jwt"]
	for _, h := range r.Header.Values("Authorization") {
		scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
		if !ok || !strings.EqualFold(scheme, "JWT") {
			continue
		}
		found = append(found, strings.TrimSpace(rest))
	}
	if len(found) == 0 {
		return "", unauthorized(reasonNoToken)
	}
	for _, t := range found[1:] {
		if t != found[0] {
			return "", unauthorized(reasonTwoTokens)
		}
	}
	if found[0] == "" {
		return "", unauthorized(reasonNoToken)
	}
	if len(found[0]) > MaxTokenBytes {
		return "", unauthorized(reasonTokenTooLarge)
	}
	return found[0], nil
}

// tokenAlg reads the alg header without verifying anything, and without
// decoding the claims (ParseHS256 decodes them once).
func tokenAlg(token string) (string, error) {
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return "", unauthorized(reasonMalformed)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(head, "="))
	if err != nil {
		return "", unauthorized(reasonMalformed)
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", unauthorized(reasonMalformed)
	}
	return h.Alg, nil
}

// classifyJWTError maps a verification error to a fixed reason. An
// *AuthError (from secretFor) passes through.
func classifyJWTError(err error) error {
	var ae *AuthError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, jwt.ErrTokenMalformed):
		return unauthorized(reasonMalformed)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return unauthorized(reasonSignature)
	case errors.Is(err, jwt.ErrTokenExpired):
		return unauthorized(reasonExpired)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return unauthorized(reasonNoExp)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return unauthorized(reasonNotYetValid)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return unauthorized(reasonIssuedInFuture)
	case errors.Is(err, errNoIssuer):
		return unauthorized(reasonNoIssuer)
	}
	return unauthorized(reasonInvalidClaims)
}

// checkQSH compares the token's qsh with what mode requires for r.
func checkQSH(r *http.Request, got string, mode QSHMode, basePath string) error {
	switch {
	case got == "":
		return unauthorized(reasonNoQSH)
	case mode == QSHContext:
		if got != ContextQSH {
			return unauthorized(reasonNeedContextQSH)
		}
		return nil
	case mode != QSHCanonical:
		return unauthorized(reasonInvalidClaims)
	case got == ContextQSH:
		return unauthorized(reasonContextQSH)
	}
	want, err := QSH(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, basePath)
	if err != nil {
		return unauthorized(reasonBadRequestURL)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return unauthorized(reasonWrongQSH)
	}
	return nil
}
