package jiraemu

import (
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/connect"
)

func TestJWTVerifiedAsJiraDoes(t *testing.T) {
	s := newSite(t, Options{})
	path := "/rest/api/3/issue/SHOP-1?fields=summary&expand=names"
	u := mustURL(t, s.srv.URL+path)
	qsh, _ := connect.QSHForURL("GET", u, "")
	now := time.Now()
	sign := func(iss, q, secret string, exp time.Time) string {
		tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{
			Issuer: iss, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp)}, QSH: q}, secret)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	otherQSH, _ := connect.QSH("GET", "/rest/api/3/issue/SHOP-2", "", "")
	hs384, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, connect.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: DefaultAppKey, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, QSH: qsh}).SignedString([]byte(testSecret))
	cases := []struct {
		name   string
		header string
		query  string
		want   int
	}{
		{"valid", "JWT " + sign(DefaultAppKey, qsh, testSecret, now.Add(3*time.Minute)), "", 200},
		{"valid in query", "", sign(DefaultAppKey, qsh, testSecret, now.Add(3*time.Minute)), 200},
		{"iss is the clientKey", "JWT " + sign(DefaultClientKey, qsh, testSecret, now.Add(3*time.Minute)), "", 401},
		{"qsh of another request", "JWT " + sign(DefaultAppKey, otherQSH, testSecret, now.Add(3*time.Minute)), "", 401},
		{"context-qsh", "JWT " + sign(DefaultAppKey, connect.ContextQSH, testSecret, now.Add(3*time.Minute)), "", 401},
		{"expired", "JWT " + sign(DefaultAppKey, qsh, testSecret, now.Add(-time.Minute)), "", 401},
		{"wrong secret", "JWT " + sign(DefaultAppKey, qsh, "another-secret", now.Add(3*time.Minute)), "", 401},
		{"HS384", "JWT " + hs384, "", 401},
		{"no token", "", "", 401},
		{"bearer scheme", "Bearer " + sign(DefaultAppKey, qsh, testSecret, now.Add(3*time.Minute)), "", 401},
		{"two different tokens", "JWT " + sign(DefaultAppKey, qsh, testSecret, now.Add(3*time.Minute)), sign(DefaultAppKey, qsh, testSecret, now.Add(2*time.Minute)), 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := s.srv.URL + path
			if c.query != "" {
				target += "&jwt=" + c.query
			}
			req, _ := http.NewRequest("GET", target, nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			st, h, b := s.send(req)
			if st != c.want {
				t.Fatalf("status %d, want %d: %s", st, c.want, b)
			}
			if st == 401 && h.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestJWTRefusedWhenNotInstalled(t *testing.T) {
	e := New(Options{})
	srv := newSiteServer(t, e)
	u := mustURL(t, srv+"/rest/api/3/field")
	tok, _ := connect.OutgoingToken(DefaultAppKey, testSecret, "GET", u, "", time.Now())
	req, _ := http.NewRequest("GET", u.String(), nil)
	req.Header.Set("Authorization", "JWT "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("not installed: %d, want 401", resp.StatusCode)
	}
}

// TestSitePathPrefix checks qsh relative to a site with a context path.
func TestSitePathPrefix(t *testing.T) {
	e := New(Options{SharedSecret: testSecret})
	srv := newSiteServer(t, e)
	e.SetBaseURL(srv + "/jira")
	u := mustURL(t, srv+"/jira/rest/api/3/issue/SHOP-1?fields=summary")
	tok, _ := connect.OutgoingToken(DefaultAppKey, testSecret, "GET", u, "/jira", time.Now())
	req, _ := http.NewRequest("GET", u.String(), nil)
	req.Header.Set("Authorization", "JWT "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("context path request: %d", resp.StatusCode)
	}
}
