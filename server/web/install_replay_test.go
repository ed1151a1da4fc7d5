package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/connect"
)

// later moves a token's iat (and exp) on by n seconds: a newer delivery.
func later(n int64) func(c *jwt.MapClaims, h map[string]any) {
	return func(c *jwt.MapClaims, h map[string]any) {
		(*c)["iat"] = (*c)["iat"].(int64) + n
		(*c)["exp"] = (*c)["exp"].(int64) + n
	}
}

// at issues a token n seconds after a moment 100 s ago (within its
// 3-minute lifetime).
func at(n int64) func(c *jwt.MapClaims, h map[string]any) { return later(n - 100) }

// TestInstallReplay is issue 11's reproduction: the same signed-install
// token re-posted within its lifetime with a different sharedSecret is
// refused; the old secret still authenticates, the new one does not.
// A token older than the last accepted one is refused too.
func TestInstallReplay(t *testing.T) {
	hs := newHarness(t)
	tok := hs.installToken(at(0))
	if w := hs.install("secret-one", tok); w.Code != http.StatusNoContent {
		t.Fatalf("install: %d %s", w.Code, w.Body)
	}
	page := "/glance?issueKey=SHOP-1&projectKey=SHOP"
	get := func(secret string) int {
		r := httptest.NewRequest("GET", page+"&jwt="+hsToken(t, secret, "GET", page, "", time.Minute), nil)
		return hs.do(r).Code
	}
	w := hs.install("attacker-secret", tok)
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"code":"install_replayed"`) ||
		!strings.Contains(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("replayed install: %d %s", w.Code, w.Body)
	}
	if c := get("secret-one"); c != http.StatusOK {
		t.Errorf("old secret after the replay: %d", c)
	}
	if c := get("attacker-secret"); c != http.StatusUnauthorized {
		t.Errorf("replayed secret authenticates: %d", c)
	}

	// A genuine re-install (newer iat) is accepted; then a token issued
	// between the two, never seen before, is refused as older.
	if w := hs.install("secret-two", hs.installToken(at(50))); w.Code != http.StatusNoContent {
		t.Fatalf("re-install: %d %s", w.Code, w.Body)
	}
	if w := hs.install("secret-older", hs.installToken(at(25))); w.Code != http.StatusUnauthorized {
		t.Fatalf("older token: %d %s", w.Code, w.Body)
	}
	if c := get("secret-two"); c != http.StatusOK {
		t.Errorf("current secret: %d", c)
	}
	tn, _ := hs.st.TenantByClientKey(context.Background(), clientKey)
	if tn.SharedSecret != "secret-two" {
		t.Errorf("secret %q", tn.SharedSecret)
	}

	// An uninstall token replayed after a re-install does not stop it.
	un := hs.installToken(func(c *jwt.MapClaims, h map[string]any) {
		(*c)["qsh"] = qshFor(t, "POST", "/uninstalled")
		at(60)(c, h)
	})
	uninstall := func() int {
		r := httptest.NewRequest("POST", "/uninstalled", strings.NewReader(lifecycleBody("uninstalled", "")))
		r.Header.Set("Authorization", "JWT "+un)
		return hs.do(r).Code
	}
	if c := uninstall(); c != http.StatusNoContent {
		t.Fatalf("uninstall: %d", c)
	}
	if w := hs.install("secret-three", hs.installToken(at(70))); w.Code != http.StatusNoContent {
		t.Fatalf("install after uninstall: %d %s", w.Code, w.Body)
	}
	if c := uninstall(); c != http.StatusUnauthorized {
		t.Errorf("replayed uninstall: %d", c)
	}
	if c := get("secret-three"); c != http.StatusOK {
		t.Errorf("tenant stopped by a replayed uninstall: %d", c)
	}
}

// TestInstallSiteURLs: baseUrl and displayUrl must be https URLs of an
// allowed host; the refusal names the field and comes before any key
// fetch.
func TestInstallSiteURLs(t *testing.T) {
	cases := []struct {
		name, field, value string
		ok                 bool
	}{
		{"javascript displayUrl", "displayUrl", "javascript:alert(1)//", false},
		{"javascript baseUrl", "baseUrl", "javascript:alert(1)//", false},
		{"http displayUrl", "displayUrl", "http://acme.atlassian.net", false},
		{"displayUrl of another host", "displayUrl", "https://evil.example.com", false},
		{"displayUrl with credentials", "displayUrl", "https://user:pw@acme.atlassian.net", false},
		{"displayUrl with a fragment", "displayUrl", "https://acme.atlassian.net/#x", false},
		{"empty displayUrl", "displayUrl", "", true},
		{"allowed displayUrl", "displayUrl", "https://other.atlassian.net", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t)
			body := strings.Replace(lifecycleBody("installed", "s"), `"`+tc.field+`":"`+jiraBase+`"`, `"`+tc.field+`":"`+tc.value+`"`, 1)
			r := httptest.NewRequest("POST", "/installed", strings.NewReader(body))
			r.Header.Set("Authorization", "JWT "+hs.installToken(nil))
			w := hs.do(r)
			if tc.ok {
				if w.Code != http.StatusNoContent {
					t.Fatalf("status %d %s", w.Code, w.Body)
				}
				return
			}
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), tc.field+" must be an https URL") {
				t.Fatalf("status %d %s", w.Code, w.Body)
			}
			if hs.keyHits.Load() != 0 {
				t.Error("key fetched for a refused URL")
			}
			if _, err := hs.st.TenantByClientKey(context.Background(), clientKey); err == nil {
				t.Error("tenant saved")
			}
		})
	}
}

// TestInstallSiteURLsHTTPOnlyWhenAllowed: plain http passes only where
// the allow-list names it with http:// (as the sandbox does).
func TestInstallSiteURLsHTTPOnlyWhenAllowed(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		url      string
		ok       bool
	}{
		{[]string{"*.atlassian.net"}, "http://acme.atlassian.net", false},
		{[]string{"http://127.0.0.1:*"}, "http://127.0.0.1:8080", true},
		{[]string{"http://127.0.0.1:*"}, "https://127.0.0.1:8080", false},
		{[]string{"*.atlassian.net"}, "https://acme.atlassian.net", true},
	} {
		v := verifierWith(tc.patterns)
		err := v.CheckSiteURLs(tc.url, tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("%v %s: %v", tc.patterns, tc.url, err)
		}
	}
}

func verifierWith(patterns []string) *connect.InstallVerifier {
	return &connect.InstallVerifier{AllowedHosts: patterns, BaseURL: appBase}
}
