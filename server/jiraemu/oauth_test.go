package jiraemu

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/connect"
)

const lead = "712020:5f1c2e9a-8b44-4b7e-9d1a-3c6f0a2b7e11" // SHOP's lead in the demo site

// signAssertion signs claims as an app would, with the test secret.
func signAssertion(t *testing.T, c connect.AssertionClaims, secret string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (s *testSite) validClaims() connect.AssertionClaims {
	now := s.now()
	return connect.AssertionClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: connect.ClientIDPrefix + s.emu.OAuthClientID(), Subject: connect.UserAccountIDPrefix + lead,
		Audience: jwt.ClaimStrings{s.emu.AuthServerURL()}, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
	}, Tenant: s.srv.URL}
}

func (s *testSite) postToken(contentType string, form url.Values) (int, http.Header, map[string]any) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", contentType)
	code, hdr, body := s.send(req)
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		s.t.Fatalf("token endpoint answered non-JSON %d: %s", code, body)
	}
	return code, hdr, out
}

func TestTokenEndpoint(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name   string
		ctype  string
		claims func(s *testSite, c *connect.AssertionClaims)
		secret string
		form   func(v url.Values)
		status int
		code   string
	}{
		{name: "valid", status: 200},
		{name: "JSON body", ctype: "application/json", status: 400, code: "invalid_request"},
		{name: "other grant type", form: func(v url.Values) { v.Set("grant_type", "client_credentials") }, status: 400, code: "unsupported_grant_type"},
		{name: "no assertion", form: func(v url.Values) { v.Del("assertion") }, status: 400, code: "invalid_request"},
		{name: "lower-case scope", form: func(v url.Values) { v.Set("scope", "read write") }, status: 400, code: "invalid_scope"},
		{name: "comma-separated scopes", form: func(v url.Values) { v.Set("scope", "READ,WRITE") }, status: 400, code: "invalid_scope"},
		{name: "bad secret", secret: "wrong", status: 400, code: "invalid_grant"},
		{name: "wrong client id", claims: func(_ *testSite, c *connect.AssertionClaims) { c.Issuer = connect.ClientIDPrefix + "other" }, status: 401, code: "invalid_client"},
		{name: "client key as issuer", claims: func(s *testSite, c *connect.AssertionClaims) { c.Issuer = s.emu.ClientKey() }, status: 401, code: "invalid_client"},
		{name: "expired", claims: func(s *testSite, c *connect.AssertionClaims) {
			c.IssuedAt, c.ExpiresAt = jwt.NewNumericDate(s.now().Add(-3*time.Minute)), jwt.NewNumericDate(s.now().Add(-2*time.Minute))
		}, status: 400, code: "invalid_grant"},
		{name: "lives longer than 60 s", claims: func(s *testSite, c *connect.AssertionClaims) {
			c.ExpiresAt = jwt.NewNumericDate(s.now().Add(5 * time.Minute))
		}, status: 400, code: "invalid_grant"},
		{name: "no iat", claims: func(_ *testSite, c *connect.AssertionClaims) { c.IssuedAt = nil }, status: 400, code: "invalid_grant"},
		{name: "other audience", claims: func(_ *testSite, c *connect.AssertionClaims) { c.Audience = jwt.ClaimStrings{"https://auth.example"} }, status: 400, code: "invalid_grant"},
		{name: "other site", claims: func(_ *testSite, c *connect.AssertionClaims) { c.Tenant = "https://other.atlassian.net" }, status: 400, code: "invalid_grant"},
		{name: "userkey subject", claims: func(_ *testSite, c *connect.AssertionClaims) { c.Subject = "urn:atlassian:connect:userkey:admin" }, status: 400, code: "invalid_grant"},
		{name: "unknown account", claims: func(_ *testSite, c *connect.AssertionClaims) {
			c.Subject = connect.UserAccountIDPrefix + "712020:nobody"
		}, status: 400, code: "invalid_grant"},
		{name: "the app's own user", claims: func(s *testSite, c *connect.AssertionClaims) {
			c.Subject = connect.UserAccountIDPrefix + s.emu.AppAccountID()
		}, status: 400, code: "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, Options{})
			c := s.validClaims()
			if tc.claims != nil {
				tc.claims(s, &c)
			}
			secret := testSecret
			if tc.secret != "" {
				secret = tc.secret
			}
			v := url.Values{"grant_type": {connect.GrantTypeJWTBearer}, "assertion": {signAssertion(t, c, secret)}, "scope": {"READ WRITE"}}
			if tc.form != nil {
				tc.form(v)
			}
			ct := form
			if tc.ctype != "" {
				ct = tc.ctype
			}
			status, hdr, out := s.postToken(ct, v)
			if status != tc.status {
				t.Fatalf("status %d (%v), want %d", status, out, tc.status)
			}
			if hdr.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", hdr.Get("Cache-Control"))
			}
			if tc.status != 200 {
				if out["error"] != tc.code || out["error_description"] == "" {
					t.Errorf("answer %v, want error %s with a description", out, tc.code)
				}
				if s.emu.UserTokensIssued() != 0 {
					t.Error("a token was issued")
				}
				return
			}
			tok, _ := out["access_token"].(string)
			if tok == "" || out["token_type"] != "Bearer" || out["expires_in"] != float64(900) || len(out) != 3 {
				t.Fatalf("answer %v, want access_token, expires_in 900, token_type Bearer", out)
			}
			// The token reads and writes as the user; the app's JWT is not needed.
			req, _ := http.NewRequest(http.MethodPut, s.srv.URL+"/rest/api/3/issue/SHOP-4", strings.NewReader(`{"fields":{"summary":"By the lead"}}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			if code, _, body := s.send(req); code != http.StatusNoContent {
				t.Fatalf("edit with the user token: %d %s", code, body)
			}
			if a := s.emu.ChangeAuthors("SHOP-4"); a[len(a)-1] != lead {
				t.Errorf("last change by %s, want %s", a[len(a)-1], lead)
			}
		})
	}
}

func TestTokenEndpointNeedsActAsUserScope(t *testing.T) {
	s := newSite(t, Options{})
	s.emu.authMu.Lock()
	s.emu.app.scopes = []string{"READ", "WRITE"} // a descriptor without ACT_AS_USER
	s.emu.authMu.Unlock()
	v := url.Values{"grant_type": {connect.GrantTypeJWTBearer}, "assertion": {signAssertion(t, s.validClaims(), testSecret)}, "scope": {"READ"}}
	if status, _, out := s.postToken("application/x-www-form-urlencoded", v); status != http.StatusForbidden || out["error"] != "unauthorized_client" {
		t.Errorf("status %d %v, want 403 unauthorized_client", status, out)
	}
}

func TestUserTokenOnTheRESTAPI(t *testing.T) {
	s := newSite(t, Options{})
	tok := s.emu.issueUserToken(s.emu.st.user(lead), []string{"READ", "WRITE"})
	call := func(method, path, body, auth string) int {
		var req *http.Request
		if body != "" {
			req, _ = http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req, _ = http.NewRequest(method, s.srv.URL+path, nil)
		}
		req.Header.Set("Authorization", auth)
		code, _, _ := s.send(req)
		return code
	}
	if c := call("GET", "/rest/api/3/issue/SHOP-1", "", "Bearer "+tok); c != 200 {
		t.Errorf("read: %d", c)
	}
	if c := call("GET", "/rest/api/3/issue/SHOP-1", "", "Bearer not-a-token"); c != 401 {
		t.Errorf("unknown token: %d, want 401", c)
	}
	if c := call("POST", "/rest/api/3/issue/SHOP-1/comment", `{"body":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"hi"}]}]}}`, "Bearer "+tok); c != 201 {
		t.Errorf("comment: %d", c)
	}
	if c := call("POST", "/rest/api/3/issueLink", `{"type":{"name":"Relates"},"inwardIssue":{"key":"SHOP-1"},"outwardIssue":{"key":"SHOP-2"}}`, "Bearer "+tok); c != 201 {
		t.Errorf("link: %d", c)
	}
	if a := s.emu.ChangeAuthors("SHOP-2"); a[len(a)-1] != lead {
		t.Errorf("link history by %s, want %s", a[len(a)-1], lead)
	}
	// Deleting needs the DELETE scope and DELETE_ISSUES.
	if c := call("DELETE", "/rest/api/3/issue/SHOP-9", "", "Bearer "+tok); c != 403 {
		t.Errorf("delete with a READ WRITE token: %d, want 403", c)
	}
	s.emu.SetUserPermissions(func(_, _, perm string) bool { return perm != "LINK_ISSUES" })
	if c := call("POST", "/rest/api/3/issueLink", `{"type":{"name":"Relates"},"inwardIssue":{"key":"SHOP-3"},"outwardIssue":{"key":"SHOP-4"}}`, "Bearer "+tok); c != 403 {
		t.Errorf("link without LINK_ISSUES: %d, want 403", c)
	}
	s.emu.SetUserPermissions(nil)
	if s.emu.UserTokenRequests() == 0 {
		t.Error("user-token requests were not counted")
	}
}
