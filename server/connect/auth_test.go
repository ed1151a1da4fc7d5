package connect

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/domain"
)

// testNow is the fixed clock of these tests.
var testNow = time.Unix(1_800_000_000, 0)

func clock() time.Time { return testNow }

// tenantMap is an in-memory TenantLookup with the store's error contract.
type tenantMap map[string]*domain.Tenant

func (m tenantMap) TenantByClientKey(_ context.Context, key string) (*domain.Tenant, error) {
	t, ok := m[key]
	if !ok {
		return nil, fmt.Errorf("store: tenant %q: %w", key, domain.ErrNotFound)
	}
	return t, nil
}

// reason returns the AuthError reason of err, failing if err is not one.
func reason(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *AuthError", err)
	}
	if !errors.Is(err, domain.ErrUnauthorized) {
		t.Fatalf("error %v does not wrap domain.ErrUnauthorized", err)
	}
	return ae.Reason
}

// rsaKeys are generated once per test binary: RSA generation is slow.
var rsaKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ks[i] = k
	}
	return ks
})

const (
	appBase     = "https://app.example.com/backlogai"
	acmeKey     = "jira:acme-client-key"
	acmeSecret  = "acme-shared-secret-0123456789abcdef"
	otherSecret = "some-other-secret-0123456789abcdef"
)

func testTenants() tenantMap {
	return tenantMap{
		acmeKey:          {ClientKey: acmeKey, BaseURL: "https://acme.atlassian.net", SharedSecret: acmeSecret, State: domain.TenantEnabled},
		"jira:installed": {ClientKey: "jira:installed", SharedSecret: acmeSecret, State: domain.TenantInstalled},
		"jira:disabled":  {ClientKey: "jira:disabled", SharedSecret: acmeSecret, State: domain.TenantDisabled},
		"jira:uninstall": {ClientKey: "jira:uninstall", SharedSecret: acmeSecret, State: domain.TenantUninstalled},
		"jira:no-secret": {ClientKey: "jira:no-secret", SharedSecret: "", State: domain.TenantEnabled},
	}
}

// jiraQSH computes a qsh the way Jira does for the app: over the path
// relative to the app's base URL (so without our prefix logic).
func jiraQSH(t testing.TB, method, relPathAndQuery string) string {
	t.Helper()
	u, err := url.Parse(relPathAndQuery)
	if err != nil {
		t.Fatal(err)
	}
	q, err := QSH(method, u.EscapedPath(), u.RawQuery, "")
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func signWith(t *testing.T, m jwt.SigningMethod, c Claims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func hs256(t *testing.T, c Claims, secret string) string {
	t.Helper()
	return signWith(t, jwt.SigningMethodHS256, c, []byte(secret))
}

// iframeClaims are the claims Jira puts on a glance iframe URL.
func iframeClaims(iss, qsh string) Claims {
	return Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    iss,
			Subject:   "557058:f00d-user",
			IssuedAt:  jwt.NewNumericDate(testNow.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(testNow.Add(14 * time.Minute)),
		},
		QSH:     qsh,
		Context: json.RawMessage(`{"jira":{"issue":{"key":"KAN-1"}}}`),
	}
}

func TestJWTAuthenticatorIframe(t *testing.T) {
	const rel = "/glance?issueKey=KAN-1&projectKey=KAN&xdm_e=https%3A%2F%2Facme.atlassian.net&cp="
	glanceURL := appBase + rel
	qsh := jiraQSH(t, "GET", rel)
	otherQSH := jiraQSH(t, "GET", "/project-page?projectKey=KAN")
	valid := hs256(t, iframeClaims(acmeKey, qsh), acmeSecret)
	withClaims := func(edit func(*Claims)) string {
		c := iframeClaims(acmeKey, qsh)
		edit(&c)
		return hs256(t, c, acmeSecret)
	}
	inQuery := func(tok string) func() *http.Request {
		return func() *http.Request { return httptest.NewRequest("GET", glanceURL+"&jwt="+url.QueryEscape(tok), nil) }
	}
	rsaKey := rsaKeys()[0]

	cases := []struct {
		name    string
		req     func() *http.Request
		mode    QSHMode
		tenants tenantMap
		want    string // AuthError reason, "" for success
	}{
		{name: "valid token in query", req: inQuery(valid)},
		{name: "valid token in header", req: func() *http.Request {
			r := httptest.NewRequest("GET", glanceURL, nil)
			r.Header.Set("Authorization", "JWT "+valid)
			return r
		}},
		{name: "same token in query and header", req: func() *http.Request {
			r := inQuery(valid)()
			r.Header.Set("Authorization", "JWT "+valid)
			return r
		}},
		{name: "two different tokens", want: reasonTwoTokens, req: func() *http.Request {
			r := inQuery(valid)()
			r.Header.Set("Authorization", "JWT "+withClaims(func(c *Claims) { c.Subject = "someone-else" }))
			return r
		}},
		{name: "two different query tokens", want: reasonTwoTokens, req: func() *http.Request {
			return httptest.NewRequest("GET", glanceURL+"&jwt="+valid+"&jwt="+withClaims(func(c *Claims) { c.Subject = "x" }), nil)
		}},
		{name: "no token", want: reasonNoToken, req: func() *http.Request { return httptest.NewRequest("GET", glanceURL, nil) }},
		{name: "bearer header is not a Connect token", want: reasonNoToken, req: func() *http.Request {
			r := httptest.NewRequest("GET", glanceURL, nil)
			r.Header.Set("Authorization", "Bearer "+valid)
			return r
		}},
		{name: "malformed token", want: reasonMalformed, req: inQuery("not.a.token")},
		{name: "token too large", want: reasonTokenTooLarge, req: inQuery(strings.Repeat("a", MaxTokenBytes+1))},
		{name: "wrong secret", want: reasonSignature, req: inQuery(hs256(t, iframeClaims(acmeKey, qsh), otherSecret))},
		{name: "expired", want: reasonExpired, req: inQuery(withClaims(func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(testNow.Add(-time.Minute)) }))},
		{name: "expired within leeway", req: inQuery(withClaims(func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(testNow.Add(-20 * time.Second)) }))},
		{name: "no exp", want: reasonNoExp, req: inQuery(withClaims(func(c *Claims) { c.ExpiresAt = nil }))},
		{name: "nbf in the future", want: reasonNotYetValid, req: inQuery(withClaims(func(c *Claims) { c.NotBefore = jwt.NewNumericDate(testNow.Add(time.Minute)) }))},
		{name: "nbf within leeway", req: inQuery(withClaims(func(c *Claims) { c.NotBefore = jwt.NewNumericDate(testNow.Add(20 * time.Second)) }))},
		{name: "iat in the future", want: reasonIssuedInFuture, req: inQuery(withClaims(func(c *Claims) { c.IssuedAt = jwt.NewNumericDate(testNow.Add(time.Minute)) }))},
		{name: "qsh of another URL", want: reasonWrongQSH, req: inQuery(hs256(t, iframeClaims(acmeKey, otherQSH), acmeSecret))},
		{name: "query tampered after signing", want: reasonWrongQSH, req: func() *http.Request {
			return httptest.NewRequest("GET", strings.Replace(glanceURL, "KAN-1", "KAN-2", 1)+"&jwt="+valid, nil)
		}},
		{name: "no qsh", want: reasonNoQSH, req: inQuery(hs256(t, iframeClaims(acmeKey, ""), acmeSecret))},
		{name: "context-qsh on a module URL", want: reasonContextQSH, req: inQuery(hs256(t, iframeClaims(acmeKey, ContextQSH), acmeSecret))},
		{name: "canonical qsh in context mode", mode: QSHContext, want: reasonNeedContextQSH, req: inQuery(valid)},
		{name: "context-qsh in context mode", mode: QSHContext, req: inQuery(hs256(t, iframeClaims(acmeKey, ContextQSH), acmeSecret))},
		{name: "tenant from aud[0]", req: inQuery(withClaims(func(c *Claims) {
			c.Issuer = "something-else"
			c.Audience = jwt.ClaimStrings{acmeKey}
		}))},
		{name: "no issuer", want: reasonNoIssuer, req: inQuery(withClaims(func(c *Claims) { c.Issuer = "" }))},
		{name: "unknown tenant", want: reasonUnknownTenant, req: inQuery(hs256(t, iframeClaims("jira:nobody", qsh), acmeSecret))},
		{name: "installed tenant", req: inQuery(hs256(t, iframeClaims("jira:installed", qsh), acmeSecret))},
		{name: "disabled tenant", want: reasonInactive, req: inQuery(hs256(t, iframeClaims("jira:disabled", qsh), acmeSecret))},
		{name: "uninstalled tenant", want: reasonInactive, req: inQuery(hs256(t, iframeClaims("jira:uninstall", qsh), acmeSecret))},
		{name: "tenant without secret", want: reasonNoSecret, req: inQuery(hs256(t, iframeClaims("jira:no-secret", qsh), "x"))},
		{name: "alg none", want: reasonAlg, req: inQuery(signWith(t, jwt.SigningMethodNone, iframeClaims(acmeKey, qsh), jwt.UnsafeAllowNoneSignatureType))},
		{name: "alg HS512", want: reasonAlg, req: inQuery(signWith(t, jwt.SigningMethodHS512, iframeClaims(acmeKey, qsh), []byte(acmeSecret)))},
		{name: "alg RS256", want: reasonAlg, req: inQuery(signWith(t, jwt.SigningMethodRS256, iframeClaims(acmeKey, qsh), rsaKey))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tenants := tc.tenants
			if tenants == nil {
				tenants = testTenants()
			}
			a := &JWTAuthenticator{Tenants: tenants, BasePath: "/backlogai", Now: clock}
			id, err := a.Authenticate(context.Background(), tc.req(), tc.mode)
			if got := reason(t, err); got != tc.want {
				t.Fatalf("reason %q, want %q (err %v)", got, tc.want, err)
			}
			if tc.want != "" {
				if id != nil {
					t.Error("identity returned with an error")
				}
				for _, secret := range []string{acmeSecret, otherSecret, valid} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error text leaks a secret or token: %v", err)
					}
				}
				return
			}
			if id.Tenant == nil || id.Tenant.SharedSecret != acmeSecret {
				t.Errorf("tenant %+v", id.Tenant)
			}
			if id.TokenKind != TokenKindConnectJWT {
				t.Errorf("token kind %q", id.TokenKind)
			}
			if id.AccountID != "557058:f00d-user" {
				t.Errorf("account %q", id.AccountID)
			}
			if string(id.Context) != `{"jira":{"issue":{"key":"KAN-1"}}}` {
				t.Errorf("context %s", id.Context)
			}
		})
	}
}

// A webhook is a POST whose qsh covers method, path and query, not the body.
func TestJWTAuthenticatorWebhook(t *testing.T) {
	const rel = "/webhooks/issue-updated?issueKey=KAN-7&projectKey=KAN&user_id=admin"
	claims := iframeClaims(acmeKey, jiraQSH(t, "POST", rel))
	claims.Subject, claims.Context = "", nil
	tok := hs256(t, claims, acmeSecret)
	a := &JWTAuthenticator{Tenants: testTenants(), BasePath: "/backlogai/", Now: clock}
	cases := []struct {
		name, method, target, body, want string
	}{
		{"valid", "POST", appBase + rel, `{"webhookEvent":"jira:issue_updated"}`, ""},
		{"other body, same qsh", "POST", appBase + rel, `{"webhookEvent":"jira:issue_deleted"}`, ""},
		{"query params reordered", "POST", appBase + "/webhooks/issue-updated?user_id=admin&projectKey=KAN&issueKey=KAN-7", `{}`, ""},
		{"other method", "PUT", appBase + rel, `{}`, reasonWrongQSH},
		{"query param changed", "POST", appBase + "/webhooks/issue-updated?issueKey=KAN-8&projectKey=KAN&user_id=admin", `{}`, reasonWrongQSH},
		{"query param dropped", "POST", appBase + "/webhooks/issue-updated?issueKey=KAN-7&projectKey=KAN", `{}`, reasonWrongQSH},
		{"other path", "POST", appBase + "/webhooks/issue-created?issueKey=KAN-7&projectKey=KAN&user_id=admin", `{}`, reasonWrongQSH},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			r.Header.Set("Authorization", "JWT "+tok)
			id, err := a.Authenticate(context.Background(), r, QSHCanonical)
			if got := reason(t, err); got != tc.want {
				t.Fatalf("reason %q, want %q (err %v)", got, tc.want, err)
			}
			if err == nil && (id.Tenant.ClientKey != acmeKey || id.AccountID != "") {
				t.Errorf("identity %+v", id)
			}
		})
	}
}

// The enabled/disabled callbacks reach disabled tenants; uninstalled ones
// stay refused.
func TestJWTAuthenticatorAllowDisabled(t *testing.T) {
	qsh := jiraQSH(t, "POST", "/enabled")
	a := &JWTAuthenticator{Tenants: testTenants(), BasePath: "/backlogai", AllowDisabled: true, Now: clock}
	for key, want := range map[string]string{
		"jira:disabled":  "",
		acmeKey:          "",
		"jira:uninstall": reasonInactive,
	} {
		r := httptest.NewRequest("POST", appBase+"/enabled", strings.NewReader(`{}`))
		r.Header.Set("Authorization", "JWT "+hs256(t, iframeClaims(key, qsh), acmeSecret))
		_, err := a.Authenticate(context.Background(), r, QSHCanonical)
		if got := reason(t, err); got != want {
			t.Errorf("%s: reason %q, want %q", key, got, want)
		}
	}
}

type brokenStore struct{ err error }

func (b brokenStore) TenantByClientKey(context.Context, string) (*domain.Tenant, error) {
	return nil, b.err
}

// A store outage is not an authentication failure: it must not turn into
// a 401 that tells Jira the token is bad.
func TestJWTAuthenticatorStoreError(t *testing.T) {
	down := errors.New("database is down")
	a := &JWTAuthenticator{Tenants: brokenStore{down}, Now: clock}
	r := httptest.NewRequest("GET", "https://app.example.com/glance", nil)
	r.Header.Set("Authorization", "JWT "+hs256(t, iframeClaims(acmeKey, jiraQSH(t, "GET", "/glance")), acmeSecret))
	_, err := a.Authenticate(context.Background(), r, QSHCanonical)
	if !errors.Is(err, down) || errors.Is(err, domain.ErrUnauthorized) {
		t.Fatalf("err = %v; want the store error, not ErrUnauthorized", err)
	}
}

// ParseHS256 must refuse an empty secret: HMAC would accept a token signed
// with "".
func TestParseHS256EmptySecret(t *testing.T) {
	tok := signWith(t, jwt.SigningMethodHS256, iframeClaims(acmeKey, "x"), []byte{})
	_, err := ParseHS256(tok, func(string) (string, error) { return "", nil }, clock)
	if err == nil {
		t.Fatal("token signed with an empty secret verified")
	}
}

func TestQSHModeString(t *testing.T) {
	for m, want := range map[QSHMode]string{QSHCanonical: "canonical", QSHContext: "context", QSHMode(7): "QSHMode(7)"} {
		if got := m.String(); got != want {
			t.Errorf("%d: %q, want %q", int(m), got, want)
		}
	}
}
