package connect

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"
)

func BenchmarkAuthenticateIframe(b *testing.B) {
	const rel = "/glance?issueKey=KAN-1&projectKey=KAN&xdm_e=https%3A%2F%2Facme.atlassian.net&cp="
	u, _ := url.Parse(rel)
	qsh, err := QSH("GET", u.EscapedPath(), u.RawQuery, "")
	if err != nil {
		b.Fatal(err)
	}
	tok, err := SignHS256(iframeClaims(acmeKey, qsh), acmeSecret)
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", appBase+rel+"&jwt="+tok, nil)
	a := &JWTAuthenticator{Tenants: testTenants(), BasePath: "/backlogai", Now: clock}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(ctx, r, QSHCanonical); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInstallVerifyCachedKey(b *testing.B) {
	good := rsaKeys()[0]
	ks := newKeyServer(b)
	ks.set(goodKid, publicPEM(b, &good.PublicKey))
	v := newVerifier(ks)
	tok := rs256(b, installClaims(b, installed), goodKid, good)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, installRequest(installed, tok), acmeKey, acmeSite); err != nil {
			b.Fatal(err)
		}
	}
	if ks.total() != 1 {
		b.Fatalf("key fetched %d times", ks.total())
	}
}

func BenchmarkOutgoingToken(b *testing.B) {
	u, _ := url.Parse(jiraBase + "/rest/api/3/search/jql?jql=project%20%3D%20KAN&fields=summary&fields=status&maxResults=50")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OutgoingToken(appKey, jiraSecret, "GET", u, "/jira", testNow); err != nil {
			b.Fatal(err)
		}
	}
}
