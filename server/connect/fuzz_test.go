package connect

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/domain"
)

// FuzzCanonicalRequest: the canonicalizer never panics, is deterministic,
// and its output has the METHOD&path&query shape with an escaped path.
func FuzzCanonicalRequest(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "a=2&a=1", "x=y+z&jwt=t", "k=%C3%A9", "a=%zz", "&&=&", "a=*&b=~"} {
		f.Add("GET", "/path/a&b/", s, "")
	}
	f.Add("post", "/app/installed", "", "/app")
	f.Fuzz(func(t *testing.T, method, path, query, prefix string) {
		c1, err1 := CanonicalRequest(method, path, query, prefix)
		c2, err2 := CanonicalRequest(method, path, query, prefix)
		if c1 != c2 || (err1 == nil) != (err2 == nil) {
			t.Fatal("not deterministic")
		}
		if err1 != nil {
			return
		}
		if !strings.HasPrefix(c1, strings.ToUpper(method)+"&/") {
			t.Fatalf("bad shape %q", c1)
		}
		uri := strings.TrimPrefix(c1, strings.ToUpper(method)+"&")
		if i := strings.Index(uri, "&"); i >= 0 && strings.Contains(uri[:i], "&") {
			t.Fatalf("unescaped & in uri %q", uri)
		}
		if strings.Contains(c1, "jwt=") && !strings.Contains(query, "jwt") {
			t.Fatalf("jwt appeared from nowhere: %q", c1)
		}
		if len(HashCanonical(c1)) != 64 {
			t.Fatal("hash length")
		}
	})
}

// FuzzParseHS256: arbitrary tokens never panic and never verify unless
// they are correctly signed with the tenant's secret.
func FuzzParseHS256(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	good, _ := SignHS256(Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "ck", ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, QSH: "x"}, "secret")
	f.Add(good)
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJjayJ9.")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := ParseHS256(tok, func(string) (string, error) { return "secret", nil }, func() time.Time { return now })
		if err == nil {
			// Only a token signed with the secret may pass: re-sign and
			// compare signatures.
			parts := strings.Split(tok, ".")
			if len(parts) != 3 || c == nil {
				t.Fatalf("accepted malformed token %q", tok)
			}
			if !verifyHMAC(parts[0]+"."+parts[1], parts[2], "secret") {
				t.Fatalf("accepted a token not signed with the secret: %q", tok)
			}
		}
	})
}

func verifyHMAC(signing, sig, secret string) bool {
	m := jwt.SigningMethodHS256
	raw, err := jwt.NewParser().DecodeSegment(sig)
	if err != nil {
		return false
	}
	return m.Verify(signing, raw, []byte(secret)) == nil
}

// FuzzAuthenticate: requests with arbitrary query strings and headers never
// panic the authenticator and never authenticate without a valid token.
func FuzzAuthenticate(f *testing.F) {
	f.Add("/glance?issueKey=SHOP-1", "JWT abc")
	f.Add("/p?jwt=a.b.c&jwt=d.e.f", "")
	f.Add("/%zz?jwt=", "JWT ")
	a := &JWTAuthenticator{Tenants: fixedTenants{}, Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
	f.Fuzz(func(t *testing.T, target, header string) {
		if _, err := url.ParseRequestURI(target); err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		r, err := http.NewRequest("GET", "http://app.example.com"+target, nil)
		if err != nil {
			return
		}
		if header != "" && !strings.ContainsAny(header, "\r\n\x00") {
			r.Header.Set("Authorization", header)
		}
		for _, mode := range []QSHMode{QSHCanonical, QSHContext} {
			if id, err := a.Authenticate(context.Background(), r, mode); err == nil || id != nil {
				t.Fatalf("authenticated %q %q", target, header)
			}
		}
	})
}

type fixedTenants struct{}

func (fixedTenants) TenantByClientKey(ctx context.Context, key string) (*domain.Tenant, error) {
	return &domain.Tenant{ClientKey: key, SharedSecret: "never-used-by-fuzz-tokens", State: domain.TenantEnabled}, nil
}

// FuzzParseLifecycle: any body is parsed or refused with ErrInvalid, never
// a panic, and the error never quotes the body (it may hold a secret).
func FuzzParseLifecycle(f *testing.F) {
	f.Add([]byte(`{"key":"backlogai","clientKey":"ck","sharedSecret":"s3cr3t-value","baseUrl":"https://a.atlassian.net"}`))
	f.Add([]byte(`{"clientKey":1}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParseLifecycle(bytes.NewReader(body))
		if err != nil {
			if p != nil {
				t.Fatal("payload and error")
			}
			if len(body) > 8 && strings.Contains(err.Error(), string(body)) {
				t.Fatalf("error quotes the body: %v", err)
			}
		}
	})
}
