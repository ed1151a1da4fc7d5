// Package netguard keeps outgoing requests to URLs that tenants configure
// (an OpenAI-compatible base URL, a search endpoint) from reaching the
// app's own network: a server-side request forgery guard. It checks the
// URL up front and, because DNS can change between that check and the
// connection, checks every address again when dialling.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// ErrBlocked is returned for a URL or address the policy refuses.
var ErrBlocked = errors.New("netguard: destination not allowed")

// Policy says what outgoing destinations are allowed.
type Policy struct {
	// AllowPrivate permits loopback, private, link-local and other
	// non-public addresses (local development and the sandbox only).
	AllowPrivate bool
	// AllowHTTP permits plain http (otherwise https only).
	AllowHTTP bool
}

// CheckURL validates a URL before it is stored or used.
func (p Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: not a URL", ErrBlocked)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowHTTP:
	default:
		return fmt.Errorf("%w: scheme %q (use https)", ErrBlocked, u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("%w: credentials in the URL", ErrBlocked)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%w: no host", ErrBlocked)
	}
	if p.AllowPrivate {
		return nil
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") ||
		strings.HasSuffix(strings.ToLower(host), ".internal") || strings.HasSuffix(strings.ToLower(host), ".local") {
		return fmt.Errorf("%w: host %q is local", ErrBlocked, host)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !public(ip) {
		return fmt.Errorf("%w: address %s is not public", ErrBlocked, ip)
	}
	return nil
}

// guardian classifies addresses with code.dny.dev/ssrf's list, generated
// from IANA's special-purpose registries: every IPv4 special-purpose range,
// and any IPv6 address outside global unicast (2000::/3) or in a special
// range inside it (Teredo, ORCHID, 6to4, documentation…). Ports are the
// URL rules' business, not the address's.
var guardian = ssrf.New(ssrf.WithAnyPort())

// public reports whether ip is a globally routable unicast address. An
// IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
func public(ip netip.Addr) bool {
	return ip.IsValid() && guardian.SafeAddr(ip.Unmap()) == nil
}

// Client returns an HTTP client whose every connection, redirects
// included, is checked against the policy.
func (p Policy) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.control}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would hide the real destination from the check
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("netguard: too many redirects")
		}
		return p.CheckURL(req.URL.String())
	}}
}

// control runs after DNS resolution, on the address actually dialled.
func (p Policy) control(network, address string, _ syscall.RawConn) error {
	if p.AllowPrivate {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBlocked, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !public(ip) {
		return fmt.Errorf("%w: address %s is not public", ErrBlocked, host)
	}
	return nil
}

// DialContext is the guarded dialer, for clients that build their own
// transport.
func (p Policy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second, Control: p.control}
	return d.DialContext(ctx, network, addr)
}
