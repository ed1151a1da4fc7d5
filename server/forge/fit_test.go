package forge

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
)

const testAppID = "6f1c2d3e-0000-4000-8000-00000000abcd"

var (
	keyOnce sync.Once
	keyA    *rsa.PrivateKey
	keyB    *rsa.PrivateKey
)

func testKeys(t *testing.T) (*rsa.PrivateKey, *rsa.PrivateKey) {
	keyOnce.Do(func() {
		var err error
		if keyA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if keyB, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return keyA, keyB
}

// jwksServer serves the keys in *published (kid → key) and counts fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetches atomic.Int32
}

func newJWKS(t *testing.T, keys map[string]*rsa.PublicKey) *jwksServer {
	j := &jwksServer{keys: keys}
	j.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.fetches.Add(1)
		j.mu.Lock()
		defer j.mu.Unlock()
		var doc struct {
			Keys []JWK `json:"keys"`
		}
		for kid, k := range j.keys {
			doc.Keys = append(doc.Keys, PublicJWK(kid, k))
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(j.Close)
	return j
}

func (j *jwksServer) publish(kid string, k *rsa.PublicKey) {
	j.mu.Lock()
	j.keys[kid] = k
	j.mu.Unlock()
}

type fakeInstallations struct {
	tenants map[string]*domain.Tenant
	mu      sync.Mutex
	saved   map[string]string
}

func (f *fakeInstallations) TenantByForgeInstallation(_ context.Context, id string) (*domain.Tenant, error) {
	if t, ok := f.tenants[id]; ok {
		return t, nil
	}
	return nil, domain.ErrNotFound
}

func (f *fakeInstallations) SaveForgeSystemToken(_ context.Context, id, tok string, _ time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.saved == nil {
		f.saved = map[string]string{}
	}
	f.saved[id] = tok
	return true, nil
}

func baseClaims(now time.Time) *fitClaims {
	c := &fitClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: Issuer, Audience: jwt.ClaimStrings{AppARI(testAppID)},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute)),
	}, Principal: "acc-1",
		Context: json.RawMessage(`{"cloudId":"cloud-1","siteUrl":"https://acme.atlassian.net","moduleKey":"glance","extension":{"issue":{"key":"SHOP-1"}}}`)}
	c.App.ID = AppARI(testAppID)
	c.App.InstallationID = "ari:cloud:ecosystem::installation/inst-1"
	c.App.APIBaseURL = "https://api.atlassian.com/ex/jira/cloud-1"
	c.App.Module.Key = "glance"
	return c
}

func sign(t *testing.T, key *rsa.PrivateKey, kid string, c *fitClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsignedJWT builds a token with the given header (alg none, or anything).
func unsignedJWT(header map[string]any, c *fitClaims, sig string) string {
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "." + sig
}

func TestVerifyFIT(t *testing.T) {
	a, b := testKeys(t)
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	jwks := newJWKS(t, map[string]*rsa.PublicKey{"kid-a": &a.PublicKey})
	tenant := &domain.Tenant{ID: 7, ClientKey: "forge:inst-1", State: domain.TenantInstalled}
	inst := &fakeInstallations{tenants: map[string]*domain.Tenant{"ari:cloud:ecosystem::installation/inst-1": tenant}}
	auth := &Authenticator{
		Verifier:      &Verifier{AppID: testAppID, Keys: &KeySet{URL: jwks.URL, Now: func() time.Time { return now }}, Now: func() time.Time { return now }},
		Installations: inst, UserTokens: &UserTokens{Now: func() time.Time { return now }},
	}

	hs256 := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, baseClaims(now))
		tok.Header["kid"] = "kid-a"
		s, _ := tok.SignedString([]byte("guessable"))
		return s
	}
	tampered := func() string {
		// Swap the payload for one naming another site; the signature
		// still belongs to the original.
		good := sign(t, a, "kid-a", baseClaims(now))
		parts := strings.Split(good, ".")
		c := baseClaims(now)
		c.Context = json.RawMessage(`{"cloudId":"cloud-evil","siteUrl":"https://evil.atlassian.net"}`)
		p, _ := json.Marshal(c)
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(p) + "." + parts[2]
	}
	with := func(f func(c *fitClaims)) string {
		c := baseClaims(now)
		f(c)
		return sign(t, a, "kid-a", c)
	}

	cases := []struct {
		name   string
		token  string
		reason string // "" = accepted
	}{
		{"valid", sign(t, a, "kid-a", baseClaims(now)), ""},
		{"within leeway after exp", with(func(c *fitClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-10 * time.Second)) }), ""},
		{"wrong issuer", with(func(c *fitClaims) { c.Issuer = "connect" }), "wrong issuer"},
		{"wrong audience", with(func(c *fitClaims) { c.Audience = jwt.ClaimStrings{AppARI("other-app")} }), "wrong audience"},
		{"app.id not this app", with(func(c *fitClaims) { c.App.ID = AppARI("other-app") }), "app.id is not this app"},
		{"algorithm HS256", hs256(), "algorithm not allowed"},
		{"algorithm none", unsignedJWT(map[string]any{"alg": "none", "kid": "kid-a"}, baseClaims(now), ""), "algorithm not allowed"},
		{"unknown kid", sign(t, b, "kid-unknown", baseClaims(now)), "unknown kid"},
		{"known kid, other key", sign(t, b, "kid-a", baseClaims(now)), "bad signature"},
		{"expired", with(func(c *fitClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-2 * time.Minute)) }), "token expired"},
		{"no exp", with(func(c *fitClaims) { c.ExpiresAt = nil }), "required claim missing"},
		{"not yet valid", with(func(c *fitClaims) { c.NotBefore = jwt.NewNumericDate(now.Add(2 * time.Minute)) }), "token not valid yet"},
		{"unknown installation", with(func(c *fitClaims) { c.App.InstallationID = "ari:cloud:ecosystem::installation/nope" }), "unknown installation"},
		{"no installation", with(func(c *fitClaims) { c.App.InstallationID = "" }), "no app.installationId"},
		{"plain http api base", with(func(c *fitClaims) { c.App.APIBaseURL = "http://api.atlassian.com" }), "not https"},
		{"tampered context", tampered(), "bad signature"},
		{"malformed", "abc.def", "malformed token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/forge/events/issue", nil)
			r.Header.Set("Authorization", "Bearer "+tc.token)
			id, err := auth.Authenticate(context.Background(), r, connect.QSHContext)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if id.Tenant != tenant || id.AccountID != "acc-1" || id.TokenKind != TokenKindFIT {
					t.Fatalf("identity = %+v", id)
				}
				return
			}
			if !errors.Is(err, domain.ErrUnauthorized) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("err = %v, want unauthorized %q", err, tc.reason)
			}
		})
	}
}

func TestVerifyReadsInvocationContext(t *testing.T) {
	a, _ := testKeys(t)
	jwks := newJWKS(t, map[string]*rsa.PublicKey{"k": &a.PublicKey})
	v := &Verifier{AppID: AppARI(testAppID), Keys: &KeySet{URL: jwks.URL}}
	tok, err := Mint(a, "k", Token{AppID: testAppID, InstallationID: "inst-1", APIBaseURL: "https://api.atlassian.com/ex/jira/c1/",
		CloudID: "c1", SiteURL: "https://acme.atlassian.net/", ModuleKey: "project", AccountID: "acc-9",
		Extension: map[string]any{"project": map[string]any{"key": "SHOP"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set(HeaderSystemToken, "sys-token")
	r.Header.Set(HeaderUserToken, "user-token")
	inv, err := v.Verify(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	want := Invocation{AppID: AppARI(testAppID), InstallationID: "inst-1", APIBaseURL: "https://api.atlassian.com/ex/jira/c1",
		CloudID: "c1", SiteURL: "https://acme.atlassian.net", ModuleKey: "project", AccountID: "acc-9",
		SystemToken: "sys-token", UserToken: "user-token"}
	got := *inv
	got.Context, got.Expires, got.EnvironmentType, got.EnvironmentID, got.ModuleType = nil, time.Time{}, "", "", ""
	if got.AppID != want.AppID || got.InstallationID != want.InstallationID || got.APIBaseURL != want.APIBaseURL ||
		got.CloudID != want.CloudID || got.SiteURL != want.SiteURL || got.ModuleKey != want.ModuleKey ||
		got.AccountID != want.AccountID || got.SystemToken != want.SystemToken || got.UserToken != want.UserToken {
		t.Fatalf("invocation = %+v\nwant %+v", got, want)
	}
	if !strings.Contains(string(inv.Context), `"SHOP"`) {
		t.Fatalf("context lost the extension: %s", inv.Context)
	}
}

// A new kid refetches the JWKS (key rotation), but unknown kids cannot make
// us fetch more than once per MinRefresh.
func TestKeySetRotation(t *testing.T) {
	a, b := testKeys(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jwks := newJWKS(t, map[string]*rsa.PublicKey{"old": &a.PublicKey})
	ks := &KeySet{URL: jwks.URL, MinRefresh: 30 * time.Second, Now: func() time.Time { return now }}
	ctx := context.Background()
	if _, err := ks.Key(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Key(ctx, "old"); err != nil || jwks.fetches.Load() != 1 {
		t.Fatalf("cached key refetched: %d fetches, %v", jwks.fetches.Load(), err)
	}
	// Unknown kid right after a fetch: refused without another fetch.
	if _, err := ks.Key(ctx, "new"); !errors.Is(err, domain.ErrUnauthorized) || jwks.fetches.Load() != 1 {
		t.Fatalf("unknown kid: %v after %d fetches", err, jwks.fetches.Load())
	}
	// Atlassian rotates; past MinRefresh the new kid is fetched.
	jwks.publish("new", &b.PublicKey)
	now = now.Add(31 * time.Second)
	k, err := ks.Key(ctx, "new")
	if err != nil || k.N.Cmp(b.PublicKey.N) != 0 || jwks.fetches.Load() != 2 {
		t.Fatalf("rotated kid: %v after %d fetches", err, jwks.fetches.Load())
	}
	// Key server down: known keys keep working.
	jwks.Close()
	now = now.Add(2 * time.Hour)
	if _, err := ks.Key(ctx, "old"); err != nil {
		t.Fatalf("known key while key server down: %v", err)
	}
}

func TestHostAuthChoosesByScheme(t *testing.T) {
	var got string
	mk := func(name string) connect.Authenticator {
		return authFunc(func() { got = name })
	}
	h := HostAuth{Connect: mk("connect"), Forge: mk("forge")}
	for _, c := range []struct {
		header, query, want string
	}{
		{"Bearer x.y.z", "", "forge"},
		{"JWT x.y.z", "", "connect"},
		{"", "?jwt=x.y.z", "connect"},
		{"Bearer x.y.z", "?jwt=x.y.z", "connect"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/api/me"+c.query, nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		h.Authenticate(context.Background(), r, connect.QSHContext)
		if got != c.want {
			t.Errorf("%q %q → %s, want %s", c.header, c.query, got, c.want)
		}
	}
}

type authFunc func()

func (f authFunc) Authenticate(context.Context, *http.Request, connect.QSHMode) (*connect.Identity, error) {
	f()
	return nil, nil
}

func TestRememberStoresSystemTokenOncePerRenewal(t *testing.T) {
	now := time.Now()
	mk := func(exp time.Time) string {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(exp)}).SignedString([]byte("x"))
		return s
	}
	inst := &fakeInstallations{}
	a := &Authenticator{Installations: inst, UserTokens: &UserTokens{}}
	tn := &domain.Tenant{ID: 1}
	t1 := mk(now.Add(time.Hour))
	a.Remember(context.Background(), tn, &Invocation{InstallationID: "i", SystemToken: t1, UserToken: mk(now.Add(time.Hour)), AccountID: "acc"})
	a.Remember(context.Background(), tn, &Invocation{InstallationID: "i", SystemToken: mk(now.Add(time.Hour + time.Second))})
	if inst.saved["i"] != t1 {
		t.Fatal("a token living one second longer replaced the stored one")
	}
	t2 := mk(now.Add(2 * time.Hour))
	a.Remember(context.Background(), tn, &Invocation{InstallationID: "i", SystemToken: t2})
	if inst.saved["i"] != t2 {
		t.Fatal("renewed token not stored")
	}
	if _, ok := a.UserTokens.Get(1, "acc"); !ok {
		t.Fatal("user token not kept")
	}
}

func TestConnectContextFromForgeExtension(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"cloudId":"c","extension":{"project":{"key":"SHOP","id":"10000"},"issue":{"key":"SHOP-1","id":10001}}}`,
			`{"jira":{"issue":{"key":"SHOP-1","id":"10001"},"project":{"key":"SHOP","id":"10000"}}}`},
		{`{"cloudId":"c"}`, `{"jira":{}}`},
		{`not json`, `{"jira":{}}`},
	} {
		if got := string(ConnectContext(json.RawMessage(c.in))); got != c.want {
			t.Errorf("%s → %s, want %s", c.in, got, c.want)
		}
	}
}
