package connect

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Leeway tolerated on exp/nbf/iat for tokens from Jira.
const Leeway = 30 * time.Second

// errNoIssuer: the token names no tenant (neither aud nor iss).
var errNoIssuer = errors.New("connect: token has no issuer")

// OutgoingTTL is the lifetime of tokens the app signs for calls to Jira.
const OutgoingTTL = 3 * time.Minute

// Claims are the claims of a Connect JWT.
type Claims struct {
	jwt.RegisteredClaims
	QSH     string          `json:"qsh"`
	Context json.RawMessage `json:"context,omitempty"`
}

// SignHS256 signs claims with a shared secret.
func SignHS256(c Claims, secret string) (string, error) {
	if secret == "" {
		return "", errors.New("connect: empty shared secret")
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("connect: sign: %w", err)
	}
	return s, nil
}

// OutgoingToken builds the token for an app → Jira request: iss is the app
// key (not the clientKey), qsh covers method, path relative to the site's
// base path, and query.
func OutgoingToken(appKey, secret, method string, u *url.URL, basePath string, now time.Time) (string, error) {
	qsh, err := QSHForURL(method, u, basePath)
	if err != nil {
		return "", err
	}
	return SignHS256(Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    appKey,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(OutgoingTTL)),
		},
		QSH: qsh,
	}, secret)
}

// Issuer returns the tenant a token claims to come from, without verifying
// anything: aud[0] when present, else iss. Use it only to pick the secret.
func Issuer(token string) (string, error) {
	var c Claims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		return "", fmt.Errorf("connect: malformed token: %w", err)
	}
	if t := issuerOf(&c); t != "" {
		return t, nil
	}
	return "", errNoIssuer
}

// issuerOf is the tenant claims name: aud[0] when present, else iss.
func issuerOf(c *Claims) string {
	if len(c.Audience) > 0 && c.Audience[0] != "" {
		return c.Audience[0]
	}
	return c.Issuer
}

// ParseHS256 verifies an HS256 token: alg pinned to HS256, signature with the
// secret secretFor returns for the token's tenant, exp/nbf with Leeway.
// It does not check qsh; callers compare Claims.QSH with what they expect.
// now may be nil for the wall clock.
func ParseHS256(token string, secretFor func(tenant string) (string, error), now func() time.Time) (*Claims, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithLeeway(Leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	}
	if now != nil {
		opts = append(opts, jwt.WithTimeFunc(now))
	}
	// One decode of the token: the key function picks the secret from the
	// claims decoded (not yet verified) by the same parse. Its own errors
	// are returned as they are, not as jwt's "unverifiable".
	var c Claims
	var keyErr error
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) {
		tenant := issuerOf(&c)
		if tenant == "" {
			keyErr = errNoIssuer
			return nil, keyErr
		}
		secret, err := secretFor(tenant)
		if err != nil {
			keyErr = fmt.Errorf("connect: secret for %q: %w", tenant, err)
			return nil, keyErr
		}
		if secret == "" {
			// HMAC accepts an empty key: a token signed with "" would verify.
			keyErr = fmt.Errorf("connect: empty shared secret for %q", tenant)
			return nil, keyErr
		}
		return []byte(secret), nil
	}, opts...)
	if keyErr != nil {
		return nil, keyErr
	}
	if err != nil {
		if errors.Is(err, jwt.ErrTokenMalformed) {
			return nil, fmt.Errorf("connect: malformed token: %w", err)
		}
		return nil, fmt.Errorf("connect: verify token: %w", err)
	}
	return &c, nil
}
