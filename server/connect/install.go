package connect

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/domain"
)

// DefaultInstallKeysURL is Atlassian's production server of the public keys
// that sign install and uninstall callbacks.
const DefaultInstallKeysURL = "https://connect-install-keys.atlassian.com"

// DefaultKeyFetchTimeout bounds one public key download.
const DefaultKeyFetchTimeout = 5 * time.Second

// InstallLeeway is the clock skew tolerated on signed-install tokens.
// Atlassian signs them right before calling, so it is small.
const InstallLeeway = 10 * time.Second

// MaxKeyBytes bounds a public key response (an RSA-4096 PEM is < 1 KiB).
const MaxKeyBytes = 16 << 10

// MinRSABits is the smallest install key size accepted.
const MinRSABits = 2048

// maxCachedKeys bounds the kid cache; rotation only ever adds kids, so a
// full cache is simply emptied.
const maxCachedKeys = 64

// DefaultAllowedHosts returns the base URL patterns of Jira Cloud sites,
// used when InstallVerifier.AllowedHosts is empty.
func DefaultAllowedHosts() []string {
	return []string{"*.atlassian.net", "*.jira.com"}
}

// InstallVerifier verifies the RS256 "signed install" tokens Atlassian puts
// on the installed and uninstalled lifecycle callbacks. Use it through a
// pointer and do not change its fields after the first Verify: it caches
// public keys by kid and its compiled allow-list. It is safe for
// concurrent use.
type InstallVerifier struct {
	// KeysURL is the key server; a key is fetched from KeysURL + "/" + kid.
	// Empty means DefaultInstallKeysURL.
	KeysURL string
	// HTTP fetches keys; nil means a client with FetchTimeout as timeout.
	HTTP *http.Client
	// AllowedHosts are the patterns a lifecycle baseUrl must match (see
	// ValidateHostPatterns); empty means DefaultAllowedHosts().
	AllowedHosts []string
	// BaseURL is the app's BASE_URL: the aud the token must carry, and its
	// path is removed from the request path for the qsh.
	BaseURL string
	// FetchTimeout bounds one key download; zero means
	// DefaultKeyFetchTimeout.
	FetchTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	compileOnce sync.Once
	patterns    []hostPattern
	patternsErr error

	mu       sync.Mutex
	keys     map[string]*rsa.PublicKey
	inflight map[string]*keyCall
}

type keyCall struct {
	done chan struct{}
	key  *rsa.PublicKey
	err  error
}

// Verify checks a signed install or uninstall request. clientKey and
// baseURL are the body's fields (see ParseLifecycle). The checks run in
// this order: the body names a clientKey and an allowed baseUrl; the
// request carries "Authorization: JWT"; alg is exactly RS256; kid is a
// plain token; the kid's public key (fetched or cached) verifies the
// signature; aud is our BASE_URL; exp (required), nbf and iat hold within
// InstallLeeway; qsh is the canonical hash of this request; iss is
// clientKey.
//
// Refusals return an *AuthError (wrapping domain.ErrUnauthorized). When
// the key server cannot be reached, is too slow or answers 5xx, the error
// wraps domain.ErrUnavailable instead: Jira may retry the install. A
// misconfigured verifier returns a plain error.
func (v *InstallVerifier) Verify(ctx context.Context, r *http.Request, clientKey, baseURL string) (*Claims, error) {
	if v.BaseURL == "" {
		return nil, errors.New("connect: install: verifier has no BaseURL")
	}
	if clientKey == "" {
		return nil, unauthorized("lifecycle body has no clientKey")
	}
	if baseURL == "" {
		return nil, unauthorized("lifecycle body has no baseUrl")
	}
	patterns, err := v.compiled()
	if err != nil {
		return nil, fmt.Errorf("connect: install: allowed hosts: %w", err)
	}
	if !hostAllowed(patterns, baseURL) {
		return nil, unauthorized("baseUrl host not allowed")
	}

	if !hasJWTHeader(r) {
		return nil, unauthorized("unsigned install")
	}
	token, err := RequestToken(r)
	if err != nil {
		return nil, err
	}
	unverified, _, err := jwt.NewParser().ParseUnverified(token, &Claims{})
	if err != nil {
		return nil, unauthorized(reasonMalformed)
	}
	if alg, _ := unverified.Header["alg"].(string); alg != "RS256" {
		return nil, unauthorized(reasonAlg)
	}
	kid, _ := unverified.Header["kid"].(string)
	if !plainKid(kid) {
		return nil, unauthorized("kid is not a plain token")
	}

	key, err := v.publicKey(ctx, kid)
	if err != nil {
		return nil, err
	}
	var c Claims
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation()).
		ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return key, nil })
	if err != nil {
		return nil, classifyJWTError(err)
	}

	if !audienceIs(c.Audience, v.BaseURL) {
		return nil, unauthorized("aud is not our base URL")
	}
	if err := checkTimes(&c, v.now(), InstallLeeway); err != nil {
		return nil, err
	}
	prefix, err := BasePath(v.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("connect: install: BaseURL: %w", err)
	}
	want, err := QSH(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, prefix)
	if err != nil {
		return nil, unauthorized(reasonBadRequestURL)
	}
	if c.QSH == "" {
		return nil, unauthorized(reasonNoQSH)
	}
	if subtle.ConstantTimeCompare([]byte(c.QSH), []byte(want)) != 1 {
		return nil, unauthorized(reasonWrongQSH)
	}
	if c.Issuer != clientKey {
		return nil, unauthorized("iss is not the body's clientKey")
	}
	return &c, nil
}

// CheckSiteURLs checks a lifecycle body's site URLs before anything else:
// baseUrl (required) and displayUrl (optional; it becomes the links shown
// to people) must be absolute https URLs, without user info, query or
// fragment, whose host the allow-list accepts; http only where a pattern
// says http:// explicitly. The error wraps domain.ErrInvalid and names
// the field.
func (v *InstallVerifier) CheckSiteURLs(baseURL, displayURL string) error {
	patterns, err := v.compiled()
	if err != nil {
		return fmt.Errorf("connect: install: allowed hosts: %w", err)
	}
	for _, f := range []struct{ name, val string }{{"baseUrl", baseURL}, {"displayUrl", displayURL}} {
		if f.val == "" && f.name == "displayUrl" {
			continue
		}
		if !hostAllowed(patterns, f.val) {
			return fmt.Errorf("%s must be an https URL of an allowed Jira host: %w", f.name, domain.ErrInvalid)
		}
	}
	return nil
}

// InstallTokenID identifies the verified signed-install token of r for
// replay checks: the hex SHA-256 of the token and its iat. A token
// without iat is refused, since it cannot be ordered after the last one.
func InstallTokenID(r *http.Request, c *Claims) (string, time.Time, error) {
	if c == nil || c.IssuedAt == nil {
		return "", time.Time{}, unauthorized("install token has no iat")
	}
	token, err := RequestToken(r)
	if err != nil {
		return "", time.Time{}, err
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:]), c.IssuedAt.Time, nil
}

func (v *InstallVerifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *InstallVerifier) compiled() ([]hostPattern, error) {
	v.compileOnce.Do(func() {
		src := v.AllowedHosts
		if len(src) == 0 {
			src = DefaultAllowedHosts()
		}
		v.patterns, v.patternsErr = parseHostPatterns(src)
	})
	return v.patterns, v.patternsErr
}

// publicKey returns the key for kid from the cache, or fetches it. Only
// successes are cached; concurrent requests for one kid share one fetch.
func (v *InstallVerifier) publicKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	if k, ok := v.keys[kid]; ok {
		v.mu.Unlock()
		return k, nil
	}
	if call, ok := v.inflight[kid]; ok {
		v.mu.Unlock()
		select {
		case <-call.done:
			return call.key, call.err
		case <-ctx.Done():
			return nil, fmt.Errorf("connect: install key: %w: %w", domain.ErrUnavailable, ctx.Err())
		}
	}
	call := &keyCall{done: make(chan struct{})}
	if v.inflight == nil {
		v.inflight = map[string]*keyCall{}
	}
	v.inflight[kid] = call
	v.mu.Unlock()

	defer func() {
		v.mu.Lock()
		delete(v.inflight, kid)
		if call.err == nil {
			if v.keys == nil || len(v.keys) >= maxCachedKeys {
				v.keys = map[string]*rsa.PublicKey{}
			}
			v.keys[kid] = call.key
		}
		v.mu.Unlock()
		close(call.done)
	}()
	// Preset so that waiters see a failure should fetchKey panic.
	call.err = errors.New("connect: install key: fetch did not finish")
	// The fetch outlives this caller's cancellation so that the callers
	// waiting on it are not failed by one impatient client; the timeout
	// still bounds it.
	call.key, call.err = v.fetchKey(context.WithoutCancel(ctx), kid)
	return call.key, call.err
}

func (v *InstallVerifier) fetchKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	timeout := v.FetchTimeout
	if timeout <= 0 {
		timeout = DefaultKeyFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := v.HTTP
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	base := v.KeysURL
	if base == "" {
		base = DefaultInstallKeysURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/"+url.PathEscape(kid), nil)
	if err != nil {
		return nil, fmt.Errorf("connect: install key: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		// url.Error names the key URL (public) and the cause.
		return nil, fmt.Errorf("connect: install key: %w: %w", domain.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return nil, unauthorized("unknown kid")
	default:
		return nil, fmt.Errorf("connect: install key: key server answered %d: %w", resp.StatusCode, domain.ErrUnavailable)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxKeyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("connect: install key: read: %w: %w", domain.ErrUnavailable, err)
	}
	if len(body) > MaxKeyBytes {
		return nil, fmt.Errorf("connect: install key: larger than %d bytes: %w", MaxKeyBytes, domain.ErrUnavailable)
	}
	key, err := jwt.ParseRSAPublicKeyFromPEM(body)
	if err != nil {
		return nil, fmt.Errorf("connect: install key: not an RSA public key PEM: %w", domain.ErrUnavailable)
	}
	if key.N.BitLen() < MinRSABits {
		return nil, unauthorized("install key too small")
	}
	return key, nil
}

// hasJWTHeader reports whether r has an "Authorization: JWT …" header.
func hasJWTHeader(r *http.Request) bool {
	for _, h := range r.Header.Values("Authorization") {
		scheme, _, ok := strings.Cut(strings.TrimSpace(h), " ")
		if ok && strings.EqualFold(scheme, "JWT") {
			return true
		}
	}
	return false
}

// plainKid accepts [A-Za-z0-9._-]{1,128} without "..", nor a leading dot,
// so a kid can never walk the key server's path.
func plainKid(kid string) bool {
	if kid == "" || len(kid) > 128 || kid[0] == '.' || strings.Contains(kid, "..") {
		return false
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// audienceIs reports whether one of aud equals baseURL, both without
// trailing slashes.
func audienceIs(aud jwt.ClaimStrings, baseURL string) bool {
	want := strings.TrimRight(baseURL, "/")
	for _, a := range aud {
		if a != "" && strings.TrimRight(a, "/") == want {
			return true
		}
	}
	return false
}

// checkTimes requires exp and checks exp, nbf and iat within leeway.
func checkTimes(c *Claims, now time.Time, leeway time.Duration) error {
	switch {
	case c.ExpiresAt == nil:
		return unauthorized(reasonNoExp)
	case now.After(c.ExpiresAt.Add(leeway)):
		return unauthorized(reasonExpired)
	case c.NotBefore != nil && now.Add(leeway).Before(c.NotBefore.Time):
		return unauthorized(reasonNotYetValid)
	case c.IssuedAt != nil && now.Add(leeway).Before(c.IssuedAt.Time):
		return unauthorized(reasonIssuedInFuture)
	}
	return nil
}

// BasePath returns the escaped path of a base URL ("" for none): what
// JWTAuthenticator.BasePath wants for the app's BASE_URL.
func BasePath(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	return u.EscapedPath(), nil
}

// hostPattern is one compiled allow-list entry.
type hostPattern struct {
	scheme string // "https" or "http"
	host   string // lower case; "*." prefix matches exactly one label
	port   string // "" default port only, "*" any, else that port
}

// ValidateHostPatterns checks base URL allow-list patterns; call it on the
// configuration at start-up. The syntax is
//
//	[scheme "://"] host [":" port]
//
// scheme is "https" (the default when omitted) or "http", and a pattern
// only matches its own scheme, so plain http must be allowed explicitly.
// host is an exact host name or IP address ("[::1]" for IPv6), or "*."
// followed by a domain: "*" stands for exactly one DNS label, so
// "*.atlassian.net" matches "acme.atlassian.net" but neither
// "atlassian.net" nor "a.b.atlassian.net". Without a port only the
// scheme's default port matches; ":8080" matches that port and ":*" any.
// Examples: "*.atlassian.net", "*.jira.com", "jira.example.com:8443",
// "http://localhost:*", "http://127.0.0.1:2990".
func ValidateHostPatterns(patterns []string) error {
	_, err := parseHostPatterns(patterns)
	return err
}

func parseHostPatterns(src []string) ([]hostPattern, error) {
	out := make([]hostPattern, 0, len(src))
	for _, s := range src {
		p, err := parseHostPattern(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func parseHostPattern(s string) (hostPattern, error) {
	bad := func(why string) (hostPattern, error) {
		return hostPattern{}, fmt.Errorf("connect: host pattern %q: %s", s, why)
	}
	rest := strings.ToLower(strings.TrimSpace(s))
	p := hostPattern{scheme: "https"}
	if scheme, after, ok := strings.Cut(rest, "://"); ok {
		if scheme != "https" && scheme != "http" {
			return bad("scheme must be https or http")
		}
		p.scheme, rest = scheme, after
	}
	if strings.ContainsAny(rest, "/?#@ ") {
		return bad("only scheme, host and port are allowed")
	}
	host, hasPort := rest, false
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 {
			return bad("unclosed [")
		}
		host = rest[1:end]
		if net.ParseIP(host) == nil {
			return bad("bad IPv6 address")
		}
		switch tail := rest[end+1:]; {
		case tail == "":
		case strings.HasPrefix(tail, ":"):
			p.port, hasPort = tail[1:], true
		default:
			return bad("junk after ]")
		}
	} else {
		host, p.port, hasPort = strings.Cut(rest, ":")
		name := strings.TrimPrefix(host, "*.")
		if name == "" || strings.Contains(name, "*") || !validHostName(name) {
			return bad("host must be a name, an address or *.domain")
		}
	}
	if hasPort && p.port != "*" {
		n, err := strconv.Atoi(p.port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p.port {
			return bad("port must be 1-65535 or *")
		}
	}
	p.host = host
	return p, nil
}

func validHostName(h string) bool {
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// hostAllowed reports whether raw is an absolute URL without user info,
// query or fragment whose scheme, host and port match one pattern.
func hostAllowed(patterns []hostPattern, raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if strings.HasSuffix(u.Host, ":") { // "host:" with an empty port
		return false
	}
	for _, p := range patterns {
		if p.scheme != scheme || !p.matchHost(host) {
			continue
		}
		switch {
		case p.port == "*", p.port == port:
			return true
		case p.port == "" && port == defaultPort(scheme):
			return true
		}
	}
	return false
}

func (p hostPattern) matchHost(host string) bool {
	suffix, wild := strings.CutPrefix(p.host, "*.")
	if !wild {
		return host == p.host
	}
	label, ok := strings.CutSuffix(host, "."+suffix)
	return ok && label != "" && !strings.Contains(label, ".")
}

func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}

// MaxLifecycleBytes bounds a lifecycle callback body.
const MaxLifecycleBytes = 64 << 10

// LifecyclePayload is the JSON body of the installed, uninstalled, enabled
// and disabled callbacks.
type LifecyclePayload struct {
	Key          string `json:"key"`
	ClientKey    string `json:"clientKey"`
	SharedSecret string `json:"sharedSecret"` // installed only
	// BaseURL is the site's URL for API calls.
	BaseURL string `json:"baseUrl"`
	// DisplayURL is the site's custom domain, for links shown to people.
	DisplayURL     string `json:"displayUrl"`
	ProductType    string `json:"productType"`
	Description    string `json:"description"`
	EventType      string `json:"eventType"`
	ServerVersion  string `json:"serverVersion"`
	PluginsVersion string `json:"pluginsVersion"`
	OAuthClientID  string `json:"oauthClientId"`
	// InstallationID is sent for Connect-on-Forge installations only.
	InstallationID string `json:"installationId"`
}

// ParseLifecycle reads a lifecycle body of at most MaxLifecycleBytes: one
// JSON object, fields of the right types, nothing after it. Unknown fields
// are ignored (Atlassian adds fields over time). Errors wrap
// domain.ErrInvalid and never quote the body, which holds the secret.
func ParseLifecycle(r io.Reader) (*LifecyclePayload, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxLifecycleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("connect: lifecycle body: read: %w", err)
	}
	if len(raw) > MaxLifecycleBytes {
		return nil, fmt.Errorf("connect: lifecycle body: larger than %d bytes: %w", MaxLifecycleBytes, domain.ErrInvalid)
	}
	if !bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("{")) {
		return nil, fmt.Errorf("connect: lifecycle body: not a JSON object: %w", domain.ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var p LifecyclePayload
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("connect: lifecycle body: %s: %w", jsonProblem(err), domain.ErrInvalid)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("connect: lifecycle body: data after the JSON object: %w", domain.ErrInvalid)
	}
	return &p, nil
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return "not a JSON object"
}
