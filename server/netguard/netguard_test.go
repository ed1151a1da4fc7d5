package netguard

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestPublicAddresses: every range of issue 11 finding 8, the usual
// private and special ranges, and public addresses that must pass.
func TestPublicAddresses(t *testing.T) {
	for _, c := range []struct {
		ip     string
		public bool
		what   string
	}{
		// Issue 11, finding 8.
		{"64:ff9b:1::a00:1", false, "local-use NAT64 64:ff9b:1::/48"},
		{"2001::1", false, "Teredo 2001::/32"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false, "Teredo wrapping an address"},
		{"2001:20::1", false, "ORCHIDv2 2001:20::/28"},
		{"2001:2f:ffff::1", false, "ORCHIDv2, end of range"},
		{"192.88.99.1", false, "6to4 relay anycast 192.88.99.0/24"},
		{"100::1", false, "discard-only 100::/64"},
		{"fec0::1", false, "site-local fec0::/10"},
		{"::127.0.0.1", false, "IPv4-compatible ::/96"},
		{"::a00:1", false, "IPv4-compatible ::/96 (10.0.0.1)"},
		// The usual suspects.
		{"127.0.0.1", false, "loopback"},
		{"::1", false, "IPv6 loopback"},
		{"10.1.2.3", false, "RFC 1918"},
		{"172.16.0.1", false, "RFC 1918"},
		{"192.168.1.1", false, "RFC 1918"},
		{"169.254.169.254", false, "link-local, cloud metadata"},
		{"fe80::1", false, "IPv6 link-local"},
		{"fe80::1%eth0", false, "IPv6 link-local with a zone"},
		{"fd00:ec2::254", false, "unique local (AWS metadata over IPv6)"},
		{"100.64.0.1", false, "carrier-grade NAT"},
		{"0.0.0.0", false, "unspecified"},
		{"::", false, "IPv6 unspecified"},
		{"224.0.0.1", false, "multicast"},
		{"ff02::1", false, "IPv6 multicast"},
		{"255.255.255.255", false, "broadcast"},
		{"192.0.2.1", false, "documentation"},
		{"2001:db8::1", false, "IPv6 documentation"},
		{"198.18.0.1", false, "benchmarking"},
		{"2002:7f00:1::1", false, "6to4 wrapping 127.0.0.1"},
		{"64:ff9b::7f00:1", false, "NAT64 wrapping 127.0.0.1"},
		{"::ffff:127.0.0.1", false, "IPv4-mapped loopback"},
		{"::ffff:10.0.0.1", false, "IPv4-mapped private"},
		// Public addresses pass.
		{"8.8.8.8", true, "Google DNS"},
		{"1.1.1.1", true, "Cloudflare DNS"},
		{"104.18.32.7", true, "a CDN address"},
		{"::ffff:8.8.8.8", true, "IPv4-mapped public"},
		{"2606:4700:4700::1111", true, "Cloudflare DNS over IPv6"},
		{"2001:4860:4860::8888", true, "Google DNS over IPv6"},
		{"2a00:1450:4001:80b::200e", true, "a public IPv6 host"},
	} {
		t.Run(c.what+" "+c.ip, func(t *testing.T) {
			ip := netip.MustParseAddr(c.ip)
			if got := public(ip); got != c.public {
				t.Errorf("public(%s) = %v, want %v", ip, got, c.public)
			}
			// The URL check and the dial-time check agree.
			host := c.ip
			if ip.Is6() {
				host = "[" + strings.ReplaceAll(c.ip, "%", "%25") + "]"
			}
			if err := (Policy{}).CheckURL("https://" + host + "/v1"); (err == nil) != c.public {
				t.Errorf("CheckURL(%s): %v", host, err)
			}
			if err := (Policy{}).control("tcp", net.JoinHostPort(c.ip, "443"), nil); (err == nil) != c.public {
				t.Errorf("control(%s): %v", c.ip, err)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	strict := Policy{}
	for _, bad := range []string{
		"http://api.openai.com/v1", "ftp://x", "https://localhost/v1", "https://127.0.0.1/", "https://10.0.0.5/",
		"https://169.254.169.254/latest/meta-data", "https://[::1]/", "https://[fd00::1]/", "https://192.168.1.1",
		"https://user:pw@api.example.com/", "https://0.0.0.0/", "https://100.64.1.1/", "https://[::ffff:127.0.0.1]/",
		"https://metadata.google.internal/", "https://printer.local/", "not a url", "https:///nohost",
	} {
		if err := strict.CheckURL(bad); !errors.Is(err, ErrBlocked) {
			t.Errorf("%s allowed: %v", bad, err)
		}
	}
	for _, good := range []string{"https://api.openai.com/v1", "https://serpapi.com", "https://8.8.8.8/", "https://llm.example.com:8443/v1"} {
		if err := strict.CheckURL(good); err != nil {
			t.Errorf("%s refused: %v", good, err)
		}
	}
	dev := Policy{AllowPrivate: true, AllowHTTP: true}
	if err := dev.CheckURL("http://127.0.0.1:11434/v1"); err != nil {
		t.Errorf("dev policy refused a local LLM: %v", err)
	}
}

// TestDialRefusesPrivateAddresses: even a URL that passed the check (or a
// hostname resolving to a private address) is refused at connect time.
func TestDialRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("internal")) }))
	defer srv.Close()
	_, err := Policy{AllowHTTP: true}.Client(5 * time.Second).Get(srv.URL)
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("loopback server reached: %v", err)
	}
	resp, err := Policy{AllowHTTP: true, AllowPrivate: true}.Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatalf("dev policy: %v", err)
	}
	resp.Body.Close()
}

// TestRedirectToPrivateRefused: a public endpoint cannot bounce us inward.
func TestRedirectToPrivateRefused(t *testing.T) {
	p := Policy{AllowHTTP: true, AllowPrivate: true}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
	}))
	defer redirector.Close()
	c := p.Client(5 * time.Second)
	strictRedirects := Policy{AllowHTTP: true}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error { return strictRedirects.CheckURL(req.URL.String()) }
	if _, err := c.Get(redirector.URL); !errors.Is(err, ErrBlocked) {
		t.Fatalf("redirect to the metadata address followed: %v", err)
	}
}
