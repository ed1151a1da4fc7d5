package connect

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/domain"
)

func TestCheckSiteURLs(t *testing.T) {
	v := &InstallVerifier{BaseURL: appBase}
	sandbox := &InstallVerifier{BaseURL: appBase, AllowedHosts: []string{"http://127.0.0.1:*"}}
	for _, tc := range []struct {
		name          string
		v             *InstallVerifier
		base, display string
		field         string // "" when accepted
	}{
		{"both https on the allow-list", v, "https://acme.atlassian.net", "https://acme.atlassian.net", ""},
		{"no displayUrl", v, "https://acme.atlassian.net", "", ""},
		{"displayUrl javascript", v, "https://acme.atlassian.net", "javascript:alert(1)//", "displayUrl"},
		{"displayUrl http", v, "https://acme.atlassian.net", "http://acme.atlassian.net", "displayUrl"},
		{"displayUrl other host", v, "https://acme.atlassian.net", "https://evil.example.com", "displayUrl"},
		{"displayUrl with user info", v, "https://acme.atlassian.net", "https://x@acme.atlassian.net", "displayUrl"},
		{"displayUrl data", v, "https://acme.atlassian.net", "data:text/html,<script>", "displayUrl"},
		{"baseUrl javascript", v, "javascript:alert(1)//", "https://acme.atlassian.net", "baseUrl"},
		{"baseUrl missing", v, "", "https://acme.atlassian.net", "baseUrl"},
		{"http where the list says http://", sandbox, "http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"https where the list says http://", sandbox, "https://127.0.0.1:8080", "", "baseUrl"},
	} {
		err := tc.v.CheckSiteURLs(tc.base, tc.display)
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && (!errors.Is(err, domain.ErrInvalid) || !strings.HasPrefix(err.Error(), tc.field+" must be an https URL")):
			t.Errorf("%s: %v, want a refusal naming %s", tc.name, err, tc.field)
		}
	}
}

func TestInstallTokenID(t *testing.T) {
	c := installClaims(t, "/installed")
	tokA := rs256(t, c, "kid", rsaKeys()[0])
	c2 := c
	c2.IssuedAt = jwt.NewNumericDate(c.IssuedAt.Add(time.Second))
	tokB := rs256(t, c2, "kid", rsaKeys()[0])
	ha, iat, err := InstallTokenID(installRequest("/installed", tokA), &c)
	if err != nil || len(ha) != 64 || !iat.Equal(c.IssuedAt.Time) {
		t.Fatalf("id %q %v %v", ha, iat, err)
	}
	if again, _, _ := InstallTokenID(installRequest("/installed", tokA), &c); again != ha {
		t.Error("the same token hashes differently")
	}
	if hb, _, _ := InstallTokenID(installRequest("/installed", tokB), &c2); hb == ha {
		t.Error("two tokens share a hash")
	}
	noIat := c
	noIat.IssuedAt = nil
	if _, _, err := InstallTokenID(installRequest("/installed", tokA), &noIat); !errors.Is(err, domain.ErrUnauthorized) {
		t.Errorf("no iat: %v", err)
	}
}
