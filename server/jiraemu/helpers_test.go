package jiraemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/connect"
)

const testSecret = "test-shared-secret-0123456789"

// fakeClock is a settable clock for limits and relative dates.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testSite is an emulator behind an httptest server and a client that signs
// like the app does.
type testSite struct {
	t   *testing.T
	emu *Emulator
	srv *httptest.Server
	now func() time.Time
}

func newSite(t *testing.T, opts Options) *testSite {
	t.Helper()
	if opts.SharedSecret == "" {
		opts.SharedSecret = testSecret
	}
	e := New(opts)
	srv := httptest.NewServer(e.Handler())
	e.SetBaseURL(srv.URL)
	t.Cleanup(func() {
		srv.Close()
		e.Close()
	})
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &testSite{t: t, emu: e, srv: srv, now: now}
}

// synFixtures is a small synthetic project plus the demo.
func synFixtures(t *testing.T, n int) []*Fixture {
	t.Helper()
	demo, err := DemoFixture()
	if err != nil {
		t.Fatal(err)
	}
	return []*Fixture{demo, Generate(n, 7)}
}

// request builds a request signed with the app key and shared secret.
func (s *testSite) request(method, path string, body any) *http.Request {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		if raw, ok := body.(string); ok {
			rd = strings.NewReader(raw)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				s.t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	tok, err := connect.OutgoingToken(s.emu.AppKey(), testSecret, method, req.URL, "", s.now())
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "JWT "+tok)
	return req
}

// do sends a signed request and returns status, headers and body.
func (s *testSite) do(method, path string, body any) (int, http.Header, []byte) {
	s.t.Helper()
	return s.send(s.request(method, path, body))
}

func (s *testSite) send(req *http.Request) (int, http.Header, []byte) {
	s.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// must sends a signed request and fails unless the status is want; it
// decodes the body into out when out is not nil.
func (s *testSite) must(want int, method, path string, body, out any) []byte {
	s.t.Helper()
	st, _, b := s.do(method, path, body)
	if st != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, st, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

type errBody struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

type searchPage struct {
	Issues []struct {
		ID         string                     `json:"id"`
		Key        string                     `json:"key"`
		Fields     map[string]json.RawMessage `json:"fields"`
		Properties map[string]json.RawMessage `json:"properties"`
	} `json:"issues"`
	IsLast        bool              `json:"isLast"`
	NextPageToken string            `json:"nextPageToken"`
	Names         map[string]string `json:"names"`
}

// searchAll pages through a query and returns the keys in order and the
// number of pages.
func (s *testSite) searchAll(jql string, max int, fields []string) ([]string, int) {
	s.t.Helper()
	var keys []string
	token := ""
	pages := 0
	for {
		body := map[string]any{"jql": jql, "maxResults": max, "fields": fields}
		if token != "" {
			body["nextPageToken"] = token
		}
		var p searchPage
		raw := s.must(200, "POST", "/rest/api/3/search/jql", body, &p)
		pages++
		for _, is := range p.Issues {
			k := is.Key
			if k == "" {
				k = is.ID // id-only pages
			}
			keys = append(keys, k)
		}
		if p.IsLast {
			if bytes.Contains(raw, []byte("nextPageToken")) {
				s.t.Fatalf("last page carries nextPageToken: %s", raw[len(raw)-200:])
			}
			return keys, pages
		}
		if p.NextPageToken == "" {
			s.t.Fatal("page not last but no nextPageToken")
		}
		token = p.NextPageToken
		if pages > 10000 {
			s.t.Fatal("runaway paging")
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// newSiteServer serves e on an httptest server and returns its URL.
func newSiteServer(t *testing.T, e *Emulator) string {
	t.Helper()
	srv := httptest.NewServer(e.Handler())
	e.SetBaseURL(srv.URL)
	t.Cleanup(func() {
		srv.Close()
		e.Close()
	})
	return srv.URL
}
