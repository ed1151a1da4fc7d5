package connect

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

type vectorFile struct {
	Secret string `json:"secret"`
	Tests  []struct {
		Name         string `json:"name"`
		CanonicalURL string `json:"canonicalUrl"`
		SignedURL    string `json:"signedUrl"`
	} `json:"tests"`
}

// TestQSHVectors runs every vector Jira's own interoperability test produced.
func TestQSHVectors(t *testing.T) {
	raw, err := os.ReadFile("../../../shared/contracts/connect-jwt-signed-urls.json")
	if err != nil {
		t.Fatalf("qsh vectors missing (expected ../shared beside the checkout): %v", err)
	}
	var vf vectorFile
	if err := json.Unmarshal(raw, &vf); err != nil {
		t.Fatal(err)
	}
	if len(vf.Tests) == 0 {
		t.Fatal("no vectors")
	}
	for _, tc := range vf.Tests {
		t.Run(tc.Name, func(t *testing.T) {
			u, err := url.Parse(tc.SignedURL)
			if err != nil {
				t.Fatal(err)
			}
			got, err := CanonicalRequest("GET", u.EscapedPath(), u.RawQuery, "")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.CanonicalURL {
				t.Errorf("canonical:\n got %q\nwant %q", got, tc.CanonicalURL)
			}
			// The token in the URL carries the qsh Jira computed.
			tok := u.Query().Get("jwt")
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				t.Fatalf("bad token in vector")
			}
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			var claims struct {
				QSH string `json:"qsh"`
			}
			if err := json.Unmarshal(payload, &claims); err != nil {
				t.Fatal(err)
			}
			if h := HashCanonical(got); h != claims.QSH {
				t.Errorf("qsh %s, token says %s", h, claims.QSH)
			}
			// And the token verifies with the file's shared secret.
			if _, err := ParseHS256(tok, func(string) (string, error) { return vf.Secret, nil }, func() time.Time { return time.Unix(1466731100, 0) }); err != nil {
				t.Errorf("vector token does not verify: %v", err)
			}
		})
	}
}

func TestQSHExtraVectors(t *testing.T) {
	cases := []struct {
		method, path, query, prefix, want string
	}{
		{"GET", "/path", "", "", "799be84a7fa35570087163c0cd9af3abff7ac05c2c12ba0bb1d7eebc984b3ac2"},
		{"GET", "/", "", "", "c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239"},
		{"POST", "/installed", "", "", "4a2e1de8ca74e6cafe8862d332fa3ac7a8e51e692bc6d798ea4dfedc14948bf4"},
		{"post", "/app/installed", "", "/app", "4a2e1de8ca74e6cafe8862d332fa3ac7a8e51e692bc6d798ea4dfedc14948bf4"},
		{"GET", "", "", "", "c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239"},
		{"GET", "/path/", "", "", "799be84a7fa35570087163c0cd9af3abff7ac05c2c12ba0bb1d7eebc984b3ac2"},
	}
	for _, c := range cases {
		got, err := QSH(c.method, c.path, c.query, c.prefix)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("QSH(%s %s?%s prefix %q) = %s, want %s", c.method, c.path, c.query, c.prefix, got, c.want)
		}
	}
}

func TestCanonicalQueryRules(t *testing.T) {
	cases := []struct{ query, want string }{
		{"b=2&a=1", "a=1&b=2"},
		{"a=2&a=1", "a=1,2"},
		{"a=x+y", "a=x%20y"},
		{"a=*", "a=%2A"},
		{"a=", "a="},
		{"jwt=abc&z=1", "z=1"},
		{"k=%C3%A9", "k=%C3%A9"},
		// Values sort as Java and JavaScript strings do (UTF-16 code
		// units): U+1F600 (a surrogate pair) before U+FF21.
		{"v=%EF%BC%A1&v=%F0%9F%98%80&v=z", "v=z,%F0%9F%98%80,%EF%BC%A1"},
		{"v=b&v=a&v=", "v=,a,b"},
	}
	for _, c := range cases {
		got, err := canonicalQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", c.query, got, c.want)
		}
	}
	if _, err := canonicalQuery("a=%zz"); err == nil {
		t.Error("bad escape accepted")
	}
	if got := canonicalURI("/a&b", ""); got != "/a%26b" {
		t.Errorf("ampersand in path: %q", got)
	}
}
