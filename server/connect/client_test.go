package connect

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The interface go-atlassian v2's common.HTTPClient declares.
var _ interface {
	Do(*http.Request) (*http.Response, error)
} = (*SigningClient)(nil)

const (
	appKey     = "com.backlogai.app"
	jiraBase   = "https://x.atlassian.net/jira"
	jiraSecret = "tenant-shared-secret-0123456789"
)

// seen is what the fake Jira observed of one request.
type seen struct {
	Host, Method, Path, RawQuery, UserAgent, Body string
	QSH                                           string
	Verdict                                       string // "ok" or why Jira would answer 401
}

// fakeJira is a TLS server standing in for https://x.atlassian.net/jira
// (every host name is routed to it). It checks tokens as Jira does: the
// issuer is the app key, HS256 with the installation's secret, exp, and a
// qsh over the path relative to /jira.
type fakeJira struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []seen
}

func newFakeJira(t *testing.T) (*fakeJira, *http.Client) {
	f := &fakeJira{}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(f.srv.Certificate())
	addr := f.srv.Listener.Addr().String()
	client := &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
			// httptest's certificate is valid for example.com.
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"},
		},
	}
	return f, client
}

func (f *fakeJira) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s := seen{Host: r.Host, Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, UserAgent: r.UserAgent(), Body: string(body)}
	s.Verdict = func() string {
		scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || scheme != "JWT" {
			return "no JWT"
		}
		c, err := ParseHS256(tok, func(iss string) (string, error) {
			if iss != appKey {
				return "", errors.New("iss is not the app key")
			}
			return jiraSecret, nil
		}, func() time.Time { return testNow.Add(2 * time.Minute) })
		if err != nil {
			return err.Error()
		}
		s.QSH = c.QSH
		if c.ExpiresAt.Sub(c.IssuedAt.Time) != 3*time.Minute {
			return "lifetime is not 3 minutes"
		}
		want, err := QSH(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, "/jira")
		if err != nil || c.QSH != want {
			return "qsh mismatch"
		}
		return "ok"
	}()
	f.mu.Lock()
	f.seen = append(f.seen, s)
	f.mu.Unlock()

	switch {
	case s.Verdict != "ok":
		http.Error(w, s.Verdict, http.StatusUnauthorized)
	case r.URL.Path == "/jira/rest/api/3/moved":
		http.Redirect(w, r, "/jira/rest/api/3/myself?expand=groups", http.StatusFound)
	case r.URL.Path == "/jira/rest/api/3/away":
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	case r.URL.Path == "/jira/rest/api/3/loop":
		http.Redirect(w, r, "/jira/rest/api/3/loop", http.StatusFound)
	default:
		w.Write([]byte(`{"ok":true}`))
	}
}

func (f *fakeJira) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.seen...)
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestSigningClient(t *testing.T) {
	cases := []struct {
		name, method, url, body string
		// canonical is the request Jira hashes, written out by hand so the
		// test does not trust our canonicalizer; "" skips that check.
		canonical string
		wantQuery string // query on the wire, "" skips
		wantErr   error
		wantHits  int
	}{
		{
			name: "search with query params", method: "GET",
			url:       jiraBase + "/rest/api/3/search/jql?jql=project%20%3D%20KAN%20ORDER%20BY%20rank&fields=summary&fields=status&maxResults=50",
			canonical: "GET&/rest/api/3/search/jql&fields=status,summary&jql=project%20%3D%20KAN%20ORDER%20BY%20rank&maxResults=50",
			wantQuery: "jql=project%20%3D%20KAN%20ORDER%20BY%20rank&fields=status&fields=summary&maxResults=50",
			wantHits:  1,
		},
		{
			name: "POST with body", method: "POST", url: jiraBase + "/rest/api/3/issue/KAN-1/comment", body: `{"body":"hi"}`,
			canonical: "POST&/rest/api/3/issue/KAN-1/comment&", wantHits: 1,
		},
		{
			name: "PUT entity property", method: "PUT", url: jiraBase + "/rest/api/3/issue/KAN-1/properties/backlogai.score", body: `{"total":71}`,
			canonical: "PUT&/rest/api/3/issue/KAN-1/properties/backlogai.score&", wantHits: 1,
		},
		{name: "same-site redirect is re-signed", method: "GET", url: jiraBase + "/rest/api/3/moved", wantHits: 2},
		{name: "GET with body", method: "GET", url: jiraBase + "/rest/api/3/myself", body: "{}", wantErr: ErrRequestRefused},
		{name: "HEAD with body", method: "HEAD", url: jiraBase + "/rest/api/3/myself", body: "{}", wantErr: ErrRequestRefused},
		{name: "other host", method: "GET", url: "https://evil.example.com/jira/rest/api/3/myself", wantErr: ErrRequestRefused},
		{name: "other scheme", method: "GET", url: "http://x.atlassian.net/jira/rest/api/3/myself", wantErr: ErrRequestRefused},
		{name: "other port", method: "GET", url: "https://x.atlassian.net:8443/jira/rest/api/3/myself", wantErr: ErrRequestRefused},
		{name: "outside the base path", method: "GET", url: "https://x.atlassian.net/wiki/rest/api/content", wantErr: ErrRequestRefused},
		{name: "base path lookalike", method: "GET", url: "https://x.atlassian.net/jiraX/rest/api/3/myself", wantErr: ErrRequestRefused},
		{name: "user info", method: "GET", url: "https://u:p@x.atlassian.net/jira/rest/api/3/myself", wantErr: ErrRequestRefused},
		{name: "cross-host redirect", method: "GET", url: jiraBase + "/rest/api/3/away?to=https://evil.example.com/jira/rest/api/3/myself", wantErr: ErrRequestRefused, wantHits: 1},
		{name: "scheme downgrade redirect", method: "GET", url: jiraBase + "/rest/api/3/away?to=http://x.atlassian.net/jira/rest/api/3/myself", wantErr: ErrRequestRefused, wantHits: 1},
		{name: "redirect out of the base path", method: "GET", url: jiraBase + "/rest/api/3/away?to=/wiki/x", wantErr: ErrRequestRefused, wantHits: 1},
		{name: "redirect loop", method: "GET", url: jiraBase + "/rest/api/3/loop", wantErr: ErrRequestRefused, wantHits: MaxRedirects + 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jira, httpClient := newFakeJira(t)
			sc := &SigningClient{HTTP: httpClient, AppKey: appKey, BaseURL: jiraBase, Secret: jiraSecret, UserAgent: "BacklogAI/test", Now: clock}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequestWithContext(context.Background(), tc.method, tc.url, body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := sc.Do(req)
			if resp != nil {
				defer resp.Body.Close()
			}
			got := jira.requests()
			if len(got) != tc.wantHits {
				t.Fatalf("Jira saw %d requests, want %d: %+v", len(got), tc.wantHits, got)
			}
			if req.Header.Get("Authorization") != "" {
				t.Error("the caller's request was modified")
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || resp != nil {
					t.Fatalf("err = %v, resp = %v; want %v and no response", err, resp, tc.wantErr)
				}
				for _, s := range got {
					if s.Host != "x.atlassian.net" {
						t.Errorf("a request reached host %q", s.Host)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d; Jira saw %+v", resp.StatusCode, got)
			}
			for _, s := range got {
				if s.Verdict != "ok" || s.UserAgent != "BacklogAI/test" || s.Host != "x.atlassian.net" {
					t.Errorf("Jira saw %+v", s)
				}
			}
			last := got[len(got)-1]
			if tc.canonical != "" && last.QSH != sha(tc.canonical) {
				t.Errorf("qsh %s, want sha256(%q)", last.QSH, tc.canonical)
			}
			if tc.wantQuery != "" && last.RawQuery != tc.wantQuery {
				t.Errorf("query on the wire %q, want %q", last.RawQuery, tc.wantQuery)
			}
			if last.Body != tc.body {
				t.Errorf("body %q, want %q", last.Body, tc.body)
			}
		})
	}
}

func TestSigningClientMisconfigured(t *testing.T) {
	req := httptestRequest(t, jiraBase+"/rest/api/3/myself")
	for name, sc := range map[string]*SigningClient{
		"no app key":   {BaseURL: jiraBase, Secret: jiraSecret},
		"no secret":    {BaseURL: jiraBase, AppKey: appKey},
		"bad base URL": {BaseURL: "ftp://x.atlassian.net", AppKey: appKey, Secret: jiraSecret},
		"no base URL":  {AppKey: appKey, Secret: jiraSecret},
	} {
		if _, err := sc.Do(req); err == nil {
			t.Errorf("%s: request sent", name)
		}
	}
}

func httptestRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSortRepeatedValues(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"a=1", "a=1"},
		{"b=2&a=1", "b=2&a=1"},
		{"f=z&x=1&f=a&f=m", "f=a&x=1&f=m&f=z"},
		{"f=b+c&f=b%20a", "f=b%20a&f=b+c"},
		{"a=%zz&a=1", "a=%zz&a=1"},
	}
	for _, c := range cases {
		if got := sortRepeatedValues(c.in); got != c.want {
			t.Errorf("sortRepeatedValues(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
