package connect

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// ErrRequestRefused is wrapped by every request SigningClient refuses to
// send or to follow.
var ErrRequestRefused = errors.New("connect: request refused")

// DefaultClientTimeout is the timeout of the http.Client SigningClient uses
// when it is given none.
const DefaultClientTimeout = 30 * time.Second

// MaxRedirects is how many same-site redirects SigningClient follows.
const MaxRedirects = 5

// SigningClient sends requests from the app to one tenant's Jira, each with
// its own "Authorization: JWT" token (iss = app key, exp = iat + 3 min, qsh
// over method, path relative to BaseURL's path, and query). It implements
// the Do method go-atlassian's common.HTTPClient expects, and is a thin
// signer: retries and rate limits belong to the caller.
//
// It refuses (an error wrapping ErrRequestRefused) a request whose scheme
// or host differ from BaseURL or whose path lies outside BaseURL's path, a
// GET or HEAD with a body, and any redirect that leaves the site. Redirects
// within the site (same scheme, host and port, under BaseURL's path) are
// followed up to MaxRedirects times and re-signed, since the qsh covers
// the URL. Any CheckRedirect of HTTP is replaced; its Transport, Jar and
// Timeout are kept. Any Authorization header of the request is replaced.
type SigningClient struct {
	// HTTP sends the requests; nil means a client with
	// DefaultClientTimeout.
	HTTP *http.Client
	// AppKey is the descriptor's key: the iss of every token.
	AppKey string
	// BaseURL is the tenant's Jira base URL (the lifecycle baseUrl).
	BaseURL string
	// Secret is the tenant's shared secret.
	Secret string
	// UserAgent, if set, replaces the request's User-Agent.
	UserAgent string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Do signs and sends req. req is not modified.
func (s *SigningClient) Do(req *http.Request) (*http.Response, error) {
	if s.AppKey == "" || s.Secret == "" {
		return nil, errors.New("connect: signing client: app key and secret are required")
	}
	base, err := parseSiteURL(s.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("connect: signing client: base URL: %w", err)
	}
	if req.URL == nil {
		return nil, fmt.Errorf("connect: signing client: request has no URL: %w", ErrRequestRefused)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if (method == http.MethodGet || method == http.MethodHead) && hasBody(req) {
		// Jira answers 403 to a GET with a body.
		return nil, fmt.Errorf("connect: signing client: %s with a body: %w", method, ErrRequestRefused)
	}
	if err := base.contains(req.URL); err != nil {
		return nil, fmt.Errorf("connect: signing client: %w", err)
	}

	out := req.Clone(req.Context())
	out.URL.RawQuery = sortRepeatedValues(out.URL.RawQuery)
	if err := s.sign(out, base); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: DefaultClientTimeout}
	if s.HTTP != nil {
		c := *s.HTTP
		client = &c
	}
	client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return fmt.Errorf("connect: signing client: more than %d redirects: %w", MaxRedirects, ErrRequestRefused)
		}
		if err := base.contains(next.URL); err != nil {
			return fmt.Errorf("connect: signing client: redirect: %w", err)
		}
		return s.sign(next, base)
	}
	resp, err := client.Do(out)
	if err != nil {
		// On a refused redirect http.Client also returns the previous
		// response, body closed; callers get the error alone.
		return nil, err
	}
	return resp, nil
}

// sign sets the token and User-Agent on r.
func (s *SigningClient) sign(r *http.Request, base *siteURL) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	tok, err := OutgoingToken(s.AppKey, s.Secret, method, r.URL, base.prefix, now())
	if err != nil {
		return fmt.Errorf("connect: signing client: %w", err)
	}
	r.Header.Set("Authorization", "JWT "+tok)
	if s.UserAgent != "" {
		r.Header.Set("User-Agent", s.UserAgent)
	}
	return nil
}

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.Body != nil && r.Body != http.NoBody)
}

// siteURL is a parsed tenant base URL.
type siteURL struct {
	scheme, host, port string
	prefix             string // escaped path without trailing "/"
}

func parseSiteURL(raw string) (*siteURL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q is not an http(s) site URL", raw)
	}
	return &siteURL{
		scheme: scheme,
		host:   strings.ToLower(u.Hostname()),
		port:   portOrDefault(u),
		prefix: strings.TrimSuffix(u.EscapedPath(), "/"),
	}, nil
}

// contains refuses a URL outside the site: another scheme, host or port,
// user info, or a path outside the base path.
func (b *siteURL) contains(u *url.URL) error {
	if !strings.EqualFold(u.Scheme, b.scheme) || strings.ToLower(u.Hostname()) != b.host || portOrDefault(u) != b.port || u.User != nil {
		return fmt.Errorf("%s://%s is not the tenant's site: %w", u.Scheme, u.Host, ErrRequestRefused)
	}
	if p := u.EscapedPath(); b.prefix != "" && p != b.prefix && !strings.HasPrefix(p, b.prefix+"/") {
		return fmt.Errorf("path outside the site's base path: %w", ErrRequestRefused)
	}
	return nil
}

func portOrDefault(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return defaultPort(strings.ToLower(u.Scheme))
}

// sortRepeatedValues puts the values of each repeated query parameter in
// the order Jira's qsh uses, keeping every part's encoding and the slots
// the parameter occupied. A query it cannot decode is returned unchanged
// (signing then fails on it).
func sortRepeatedValues(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	values := make([]string, len(parts))
	slots := map[string][]int{}
	for i, p := range parts {
		if p == "" {
			continue
		}
		name, value, _ := strings.Cut(p, "=")
		n, err := url.QueryUnescape(name)
		if err != nil {
			return raw
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return raw
		}
		values[i] = v
		slots[n] = append(slots[n], i)
	}
	for _, idx := range slots {
		if len(idx) < 2 {
			continue
		}
		sorted := append([]int(nil), idx...)
		sort.SliceStable(sorted, func(a, b int) bool { return lessUTF16(values[sorted[a]], values[sorted[b]]) })
		moved := make([]string, len(idx))
		for k, from := range sorted {
			moved[k] = parts[from]
		}
		for k, to := range idx {
			parts[to] = moved[k]
		}
	}
	return strings.Join(parts, "&")
}
