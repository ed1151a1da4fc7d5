package connect

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
)

func publicPEM(t testing.TB, k *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// keyServer is a fake connect-install-keys server: GET /<kid> serves the
// PEM registered for kid, 404 otherwise. It counts requests per path.
type keyServer struct {
	*httptest.Server
	mu     sync.Mutex
	keys   map[string][]byte
	hits   map[string]int
	status int           // if set, answer this instead
	delay  time.Duration // wait before answering (or until the client leaves)
}

func newKeyServer(t testing.TB) *keyServer {
	ks := &keyServer{keys: map[string][]byte{}, hits: map[string]int{}}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.mu.Lock()
		ks.hits[r.URL.Path]++
		key, ok := ks.keys[strings.TrimPrefix(r.URL.Path, "/")]
		status, delay := ks.status, ks.delay
		ks.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case status != 0:
			w.WriteHeader(status)
		case !ok:
			http.NotFound(w, r)
		default:
			w.Header().Set("Content-Type", "application/x-pem-file")
			w.Write(key)
		}
	}))
	t.Cleanup(ks.Close)
	return ks
}

func (ks *keyServer) set(kid string, pem []byte) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.keys[kid] = pem
}

func (ks *keyServer) total() int {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	n := 0
	for _, v := range ks.hits {
		n += v
	}
	return n
}

func (ks *keyServer) configure(status int, delay time.Duration) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.status, ks.delay = status, delay
}

const (
	goodKid   = "0b1d5f1e-4b0a-4a8e-9d43-6ad0b6b9d1c2"
	acmeSite  = "https://acme.atlassian.net"
	installed = "/installed"
)

// installClaims are what Atlassian signs for POST <app>/installed.
func installClaims(t testing.TB, path string) Claims {
	return Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    acmeKey,
			Audience:  jwt.ClaimStrings{appBase},
			IssuedAt:  jwt.NewNumericDate(testNow.Add(-5 * time.Second)),
			ExpiresAt: jwt.NewNumericDate(testNow.Add(3 * time.Minute)),
		},
		QSH: jiraQSH(t, "POST", path),
	}
}

func rs256(t testing.TB, c Claims, kid string, key *rsa.PrivateKey) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func installRequest(path, token string) *http.Request {
	r := httptest.NewRequest("POST", appBase+path, strings.NewReader(`{}`))
	if token != "" {
		r.Header.Set("Authorization", "JWT "+token)
	}
	return r
}

func newVerifier(ks *keyServer) *InstallVerifier {
	return &InstallVerifier{
		KeysURL:      ks.URL + "/",
		HTTP:         ks.Client(),
		BaseURL:      appBase,
		FetchTimeout: 200 * time.Millisecond,
		Now:          clock,
	}
}

func TestInstallVerify(t *testing.T) {
	good, impostor := rsaKeys()[0], rsaKeys()[1]
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	valid := rs256(t, installClaims(t, installed), goodKid, good)
	edited := func(edit func(*Claims)) string {
		c := installClaims(t, installed)
		edit(&c)
		return rs256(t, c, goodKid, good)
	}

	cases := []struct {
		name       string
		path       string // default /installed
		token      string
		clientKey  string // default acmeKey
		baseURL    string // default acmeSite
		server     func(*keyServer)
		want       string // AuthError reason
		wantErr    error  // or an error it wraps, for non-auth failures
		wantFetch  int    // requests to the key server, -1: don't care
		wantClaims bool
	}{
		{name: "valid", token: valid, wantFetch: 1, wantClaims: true},
		{name: "valid uninstall", path: "/uninstalled", token: rs256(t, installClaims(t, "/uninstalled"), goodKid, good), wantFetch: 1, wantClaims: true},
		{name: "aud with trailing slash", token: edited(func(c *Claims) { c.Audience = jwt.ClaimStrings{appBase + "/"} }), wantFetch: 1, wantClaims: true},
		{name: "exp within leeway", token: edited(func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(testNow.Add(-5 * time.Second)) }), wantFetch: 1, wantClaims: true},
		{name: "body without clientKey", token: valid, clientKey: "-", want: "lifecycle body has no clientKey"},
		{name: "body without baseUrl", token: valid, baseURL: "-", want: "lifecycle body has no baseUrl"},
		{name: "disallowed host", token: valid, baseURL: "https://acme.evil.example", want: "baseUrl host not allowed"},
		{name: "lookalike host", token: valid, baseURL: "https://acme.atlassian.net.evil.example", want: "baseUrl host not allowed"},
		{name: "http site", token: valid, baseURL: "http://acme.atlassian.net", want: "baseUrl host not allowed"},
		{name: "unsigned", token: "", want: "unsigned install"},
		{name: "HS256 token", token: hs256(t, installClaims(t, installed), acmeSecret), want: reasonAlg},
		{name: "alg none", token: signWith(t, jwt.SigningMethodNone, installClaims(t, installed), jwt.UnsafeAllowNoneSignatureType), want: reasonAlg},
		{name: "no kid", token: rs256(t, installClaims(t, installed), "", good), want: "kid is not a plain token"},
		{name: "kid path traversal", token: rs256(t, installClaims(t, installed), "../x", good), want: "kid is not a plain token"},
		{name: "kid with slash", token: rs256(t, installClaims(t, installed), "a/b", good), want: "kid is not a plain token"},
		{name: "kid with escape", token: rs256(t, installClaims(t, installed), "%2e%2e", good), want: "kid is not a plain token"},
		{name: "kid dot", token: rs256(t, installClaims(t, installed), ".", good), want: "kid is not a plain token"},
		{name: "kid too long", token: rs256(t, installClaims(t, installed), strings.Repeat("k", 129), good), want: "kid is not a plain token"},
		{name: "unknown kid", token: rs256(t, installClaims(t, installed), "unknown-kid", good), want: "unknown kid", wantFetch: 1},
		{name: "key server error", token: valid, server: func(ks *keyServer) { ks.configure(http.StatusBadGateway, 0) }, wantErr: domain.ErrUnavailable, wantFetch: 1},
		{name: "key server down", token: valid, server: func(ks *keyServer) { ks.Close() }, wantErr: domain.ErrUnavailable, wantFetch: -1},
		{name: "key server slow", token: valid, server: func(ks *keyServer) { ks.configure(0, 5*time.Second) }, wantErr: domain.ErrUnavailable, wantFetch: 1},
		{name: "key not PEM", token: valid, server: func(ks *keyServer) { ks.set(goodKid, []byte("hello")) }, wantErr: domain.ErrUnavailable, wantFetch: 1},
		{name: "key response too large", token: valid, server: func(ks *keyServer) { ks.set(goodKid, make([]byte, MaxKeyBytes+1)) }, wantErr: domain.ErrUnavailable, wantFetch: 1},
		{name: "weak key", token: rs256(t, installClaims(t, installed), goodKid, weak), server: func(ks *keyServer) { ks.set(goodKid, publicPEM(t, &weak.PublicKey)) }, want: "install key too small", wantFetch: 1},
		{name: "impostor key", token: rs256(t, installClaims(t, installed), goodKid, impostor), want: reasonSignature, wantFetch: 1},
		{name: "aud mismatch", token: edited(func(c *Claims) { c.Audience = jwt.ClaimStrings{"https://other-app.example.com"} }), want: "aud is not our base URL", wantFetch: 1},
		{name: "no aud", token: edited(func(c *Claims) { c.Audience = nil }), want: "aud is not our base URL", wantFetch: 1},
		{name: "expired", token: edited(func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(testNow.Add(-time.Minute)) }), want: reasonExpired, wantFetch: 1},
		{name: "no exp", token: edited(func(c *Claims) { c.ExpiresAt = nil }), want: reasonNoExp, wantFetch: 1},
		{name: "iat in the future", token: edited(func(c *Claims) { c.IssuedAt = jwt.NewNumericDate(testNow.Add(time.Minute)) }), want: reasonIssuedInFuture, wantFetch: 1},
		{name: "wrong qsh", token: edited(func(c *Claims) { c.QSH = jiraQSH(t, "POST", "/uninstalled") }), want: reasonWrongQSH, wantFetch: 1},
		{name: "install token replayed on uninstall", path: "/uninstalled", token: valid, want: reasonWrongQSH, wantFetch: 1},
		{name: "context-qsh", token: edited(func(c *Claims) { c.QSH = ContextQSH }), want: reasonWrongQSH, wantFetch: 1},
		{name: "iss is not clientKey", token: valid, clientKey: "jira:someone-else", want: "iss is not the body's clientKey", wantFetch: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ks := newKeyServer(t)
			ks.set(goodKid, publicPEM(t, &good.PublicKey))
			if tc.server != nil {
				tc.server(ks)
			}
			path := tc.path
			if path == "" {
				path = installed
			}
			clientKey, baseURL := acmeKey, acmeSite
			switch tc.clientKey {
			case "-":
				clientKey = ""
			case "":
			default:
				clientKey = tc.clientKey
			}
			switch tc.baseURL {
			case "-":
				baseURL = ""
			case "":
			default:
				baseURL = tc.baseURL
			}
			v := newVerifier(ks)
			c, err := v.Verify(context.Background(), installRequest(path, tc.token), clientKey, baseURL)
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) || errors.Is(err, domain.ErrUnauthorized) {
					t.Fatalf("err = %v, want one wrapping %v", err, tc.wantErr)
				}
			default:
				if got := reason(t, err); got != tc.want {
					t.Fatalf("reason %q, want %q (err %v)", got, tc.want, err)
				}
			}
			if tc.wantFetch >= 0 && ks.total() != tc.wantFetch {
				t.Errorf("key server saw %d requests, want %d", ks.total(), tc.wantFetch)
			}
			if tc.wantClaims != (c != nil) {
				t.Fatalf("claims %+v, want claims: %v", c, tc.wantClaims)
			}
			if c != nil && c.Issuer != acmeKey {
				t.Errorf("iss %q", c.Issuer)
			}
			if err != nil && tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

// The qsh of a signed install is the documented constant for POST
// /installed, whatever our base path.
func TestInstallQSHConstant(t *testing.T) {
	c := installClaims(t, installed)
	if c.QSH != "4a2e1de8ca74e6cafe8862d332fa3ac7a8e51e692bc6d798ea4dfedc14948bf4" {
		t.Fatalf("qsh for POST /installed = %s", c.QSH)
	}
}

func TestInstallKeyCache(t *testing.T) {
	good := rsaKeys()[0]
	ks := newKeyServer(t)
	ks.set(goodKid, publicPEM(t, &good.PublicKey))
	v := newVerifier(ks)
	verify := func(kid string) error {
		_, err := v.Verify(context.Background(), installRequest(installed, rs256(t, installClaims(t, installed), kid, good)), acmeKey, acmeSite)
		return err
	}

	// A failure is not cached: the next install fetches again.
	ks.configure(http.StatusServiceUnavailable, 0)
	if err := verify(goodKid); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("with the key server failing: %v", err)
	}
	ks.configure(0, 0)
	for i := range 3 {
		if err := verify(goodKid); err != nil {
			t.Fatalf("verify %d: %v", i, err)
		}
	}
	if n := ks.total(); n != 2 {
		t.Errorf("key server saw %d requests, want 2 (one failure, then one cached success)", n)
	}

	// Rotation brings a new kid: fetched once.
	const newKid = "rotated-kid-2"
	ks.set(newKid, publicPEM(t, &good.PublicKey))
	if err := verify(newKid); err != nil {
		t.Fatal(err)
	}
	if err := verify(newKid); err != nil {
		t.Fatal(err)
	}
	if n := ks.total(); n != 3 {
		t.Errorf("key server saw %d requests, want 3", n)
	}
}

// Concurrent installs with one uncached kid share one key download.
func TestInstallKeyFetchDedupe(t *testing.T) {
	good := rsaKeys()[0]
	ks := newKeyServer(t)
	ks.set(goodKid, publicPEM(t, &good.PublicKey))
	ks.configure(0, 100*time.Millisecond)
	v := newVerifier(ks)
	v.FetchTimeout = 5 * time.Second
	token := rs256(t, installClaims(t, installed), goodKid, good)

	const n = 8
	var wg sync.WaitGroup
	var failures atomic.Int32
	for range n {
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), installRequest(installed, token), acmeKey, acmeSite); err != nil {
				failures.Add(1)
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if f := failures.Load(); f != 0 {
		t.Fatalf("%d of %d concurrent verifications failed", f, n)
	}
	if got := ks.total(); got != 1 {
		t.Errorf("key server saw %d requests for %d concurrent installs, want 1", got, n)
	}
}

func TestVerifierMisconfigured(t *testing.T) {
	ks := newKeyServer(t)
	tok := rs256(t, installClaims(t, installed), goodKid, rsaKeys()[0])
	for name, v := range map[string]*InstallVerifier{
		"no base URL":       {KeysURL: ks.URL, Now: clock},
		"bad allowed hosts": {KeysURL: ks.URL, BaseURL: appBase, AllowedHosts: []string{"https://*.x/"}, Now: clock},
	} {
		_, err := v.Verify(context.Background(), installRequest(installed, tok), acmeKey, acmeSite)
		if err == nil || errors.Is(err, domain.ErrUnauthorized) {
			t.Errorf("%s: err = %v, want a configuration error", name, err)
		}
	}
	if ks.total() != 0 {
		t.Error("a misconfigured verifier fetched a key")
	}
}

func TestHostPatterns(t *testing.T) {
	cases := []struct {
		patterns []string
		url      string
		want     bool
	}{
		{nil, "https://acme.atlassian.net", true},
		{nil, "https://acme.atlassian.net/", true},
		{nil, "https://ACME.Atlassian.NET", true},
		{nil, "https://acme.atlassian.net:443", true},
		{nil, "https://acme.jira.com", true},
		{nil, "https://atlassian.net", false},
		{nil, "https://a.b.atlassian.net", false},
		{nil, "https://acme.atlassian.net.", false},
		{nil, "https://acme.atlassian.net:8443", false},
		{nil, "https://acme.atlassian.net:", false},
		{nil, "http://acme.atlassian.net", false},
		{nil, "https://evilatlassian.net", false},
		{nil, "https://user@acme.atlassian.net", false},
		{nil, "https://acme.atlassian.net?x=1", false},
		{nil, "https://acme.atlassian.net#x", false},
		{nil, "acme.atlassian.net", false},
		{nil, "//acme.atlassian.net", false},
		{nil, "javascript:alert(1)", false},
		{[]string{"http://localhost:*"}, "http://localhost:2990/jira", true},
		{[]string{"http://localhost:*"}, "http://localhost", true},
		{[]string{"http://localhost:*"}, "https://localhost:2990", false},
		{[]string{"localhost:8443"}, "https://localhost:8443", true},
		{[]string{"localhost:8443"}, "https://localhost:8444", false},
		{[]string{"localhost:8443"}, "http://localhost:8443", false},
		{[]string{"http://127.0.0.1:2990"}, "http://127.0.0.1:2990", true},
		{[]string{"http://[::1]:*"}, "http://[::1]:8080", true},
		{[]string{"jira.example.com"}, "https://jira.example.com", true},
		{[]string{"jira.example.com"}, "https://x.jira.example.com", false},
	}
	for _, tc := range cases {
		ps, err := parseHostPatterns(orDefault(tc.patterns))
		if err != nil {
			t.Fatal(err)
		}
		if got := hostAllowed(ps, tc.url); got != tc.want {
			t.Errorf("%v allows %q = %v, want %v", tc.patterns, tc.url, got, tc.want)
		}
	}

	for _, bad := range []string{"", "*", "*.", "ftp://x.com", "a.*.com", "x.com/", "x.com:0", "x.com:99999", "x.com:", "x.com:08", "u@x.com", "[::1", "[nope]:80", "x y.com", "*x.com"} {
		if err := ValidateHostPatterns([]string{bad}); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
	if err := ValidateHostPatterns(append(DefaultAllowedHosts(), "http://localhost:*", "[::1]:8443")); err != nil {
		t.Errorf("valid patterns refused: %v", err)
	}
}

func orDefault(p []string) []string {
	if p == nil {
		return DefaultAllowedHosts()
	}
	return p
}

func TestParseLifecycle(t *testing.T) {
	full := `{
		"key": "backlogai", "clientKey": "jira:1234", "sharedSecret": "s3cr3t-value",
		"baseUrl": "https://acme.atlassian.net", "displayUrl": "https://jira.acme.com",
		"productType": "jira", "description": "Atlassian JIRA at https://acme.atlassian.net",
		"eventType": "installed", "serverVersion": "100235", "pluginsVersion": "1001.0.0-SNAPSHOT",
		"oauthClientId": "oauth-xyz", "installationId": "ari:cloud:ecosystem::installation/1",
		"serviceEntitlementNumber": "SEN-1"
	}`
	p, err := ParseLifecycle(strings.NewReader(full))
	if err != nil {
		t.Fatal(err)
	}
	want := &LifecyclePayload{
		Key: "backlogai", ClientKey: "jira:1234", SharedSecret: "s3cr3t-value",
		BaseURL: "https://acme.atlassian.net", DisplayURL: "https://jira.acme.com",
		ProductType: "jira", Description: "Atlassian JIRA at https://acme.atlassian.net",
		EventType: "installed", ServerVersion: "100235", PluginsVersion: "1001.0.0-SNAPSHOT",
		OAuthClientID: "oauth-xyz", InstallationID: "ari:cloud:ecosystem::installation/1",
	}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}

	for name, body := range map[string]string{
		"empty":         "",
		"not an object": `["clientKey"]`,
		"null":          "null",
		"syntax":        `{"clientKey": "jira:1", "sharedSecret": "s3cr3t-value",}`,
		"wrong type":    `{"clientKey": 12, "sharedSecret": "s3cr3t-value"}`,
		"trailing data": `{"clientKey": "a", "sharedSecret": "s3cr3t-value"} {"clientKey": "b"}`,
		"truncated":     `{"clientKey": "a", "sharedSecret": "s3cr3t-value"`,
		"too large":     `{"description": "` + strings.Repeat("x", MaxLifecycleBytes) + `"}`,
	} {
		_, err := ParseLifecycle(strings.NewReader(body))
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: error quotes the body: %v", name, err)
		}
	}
}
