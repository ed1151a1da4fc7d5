package connect_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraemu"
)

const (
	impSecret = "impersonation-test-secret-0123456789"
	// Accounts of the emulator's demo site.
	priya  = "712020:5f1c2e9a-8b44-4b7e-9d1a-3c6f0a2b7e11"
	marcus = "712020:0a9e4c3d-2f61-4a8b-b5c7-91d2e6f4a802"
	sofia  = "712020:c7d21b58-6e0f-4c93-8a4d-5b1e7f9c3a20"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type impSite struct {
	emu    *jiraemu.Emulator
	srv    *httptest.Server
	tenant *domain.Tenant
	clock  *clock
	im     *connect.Impersonator
}

// newImpSite serves the emulated site (and its authorization server) over
// real HTTP, with one clock shared by the app and the site.
func newImpSite(t *testing.T) *impSite {
	t.Helper()
	c := &clock{t: time.Now()}
	emu := jiraemu.New(jiraemu.Options{SharedSecret: impSecret, Now: c.Now})
	srv := httptest.NewServer(emu.Handler())
	emu.SetBaseURL(srv.URL)
	t.Cleanup(func() {
		srv.Close()
		emu.Close()
	})
	tenant := &domain.Tenant{ID: 7, ClientKey: emu.ClientKey(), BaseURL: srv.URL, OAuthClientID: emu.OAuthClientID(), SharedSecret: impSecret}
	im := &connect.Impersonator{AuthServerURL: emu.AuthServerURL(), HTTP: srv.Client(), Now: c.Now}
	return &impSite{emu: emu, srv: srv, tenant: tenant, clock: c, im: im}
}

func (s *impSite) do(t *testing.T, accountID, method, path, body string) *http.Response {
	t.Helper()
	uc := &connect.UserClient{HTTP: s.srv.Client(), Tokens: s.im, Tenant: s.tenant, AccountID: accountID}
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequest(method, s.srv.URL+path, rd)
		req.Header.Set("Content-Type", "application/json")
	} else {
		req, err = http.NewRequest(method, s.srv.URL+path, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := uc.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, accountID, err)
	}
	resp.Body.Close()
	return resp
}

func TestImpersonationEditIsAuthoredByTheUser(t *testing.T) {
	s := newImpSite(t)
	before := len(s.emu.ChangeAuthors("SHOP-1"))
	resp := s.do(t, priya, http.MethodPut, "/rest/api/3/issue/SHOP-1", `{"fields":{"summary":"Edited by Priya through the app"}}`)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("edit as user: status %d, want 204", resp.StatusCode)
	}
	authors := s.emu.ChangeAuthors("SHOP-1")
	if len(authors) != before+1 || authors[len(authors)-1] != priya {
		t.Fatalf("changelog authors %v: want a new entry by %s", authors, priya)
	}
	if authors[len(authors)-1] == s.emu.AppAccountID() {
		t.Fatal("the edit is attributed to the app")
	}
	resp = s.do(t, priya, http.MethodPost, "/rest/api/3/issue", `{"fields":{"project":{"key":"SHOP"},"issuetype":{"name":"Story"},"summary":"Created as Priya"}}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create as user: status %d", resp.StatusCode)
	}
	if got := s.emu.UserTokensIssued(); got != 1 {
		t.Errorf("token exchanges = %d, want 1 (the second call reuses the cached token)", got)
	}
}

func TestImpersonationExchangeErrors(t *testing.T) {
	tests := []struct {
		name     string
		tweak    func(s *impSite, t *domain.Tenant)
		account  string
		status   int
		code     string
		domainIs error
	}{
		{"bad shared secret", func(_ *impSite, t *domain.Tenant) { t.SharedSecret = "not-the-secret" }, priya, 400, "invalid_grant", domain.ErrForbidden},
		{"wrong client id", func(_ *impSite, t *domain.Tenant) { t.OAuthClientID = "someone-else" }, priya, 401, "invalid_client", domain.ErrForbidden},
		{"wrong site in tnt", func(_ *impSite, t *domain.Tenant) { t.BaseURL = "https://other.atlassian.net" }, priya, 400, "invalid_grant", domain.ErrForbidden},
		{"unknown user", nil, "712020:nobody", 400, "invalid_grant", domain.ErrForbidden},
		{"expired assertion", func(s *impSite, _ *domain.Tenant) {
			old := s.clock.Now().Add(-10 * time.Minute)
			s.im.Now = func() time.Time { return old }
		}, priya, 400, "invalid_grant", domain.ErrForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newImpSite(t)
			tenant := *s.tenant
			if tc.tweak != nil {
				tc.tweak(s, &tenant)
			}
			_, err := s.im.Token(context.Background(), &tenant, tc.account)
			var ee *connect.ExchangeError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want an *ExchangeError", err)
			}
			if ee.Status != tc.status || ee.Code != tc.code {
				t.Errorf("got %d %s (%s), want %d %s", ee.Status, ee.Code, ee.Description, tc.status, tc.code)
			}
			if !errors.Is(err, tc.domainIs) || !errors.Is(err, connect.ErrExchange) {
				t.Errorf("err %v does not unwrap to %v and ErrExchange", err, tc.domainIs)
			}
			if s.im.Len() != 0 {
				t.Error("a failed exchange was cached")
			}
		})
	}
}

func TestImpersonationRefusesBadInput(t *testing.T) {
	s := newImpSite(t)
	if _, err := s.im.Token(context.Background(), s.tenant, ""); !errors.Is(err, domain.ErrUnauthorized) || !strings.Contains(err.Error(), "accountId") {
		t.Errorf("empty account: %v", err)
	}
	noID := *s.tenant
	noID.OAuthClientID = ""
	if _, err := s.im.Token(context.Background(), &noID, priya); err == nil || !strings.Contains(err.Error(), "oauthClientId") {
		t.Errorf("install without oauthClientId: %v", err)
	}
	if s.emu.UserTokensIssued() != 0 {
		t.Error("bad input reached the authorization server")
	}
}

func TestImpersonationAuthServerFailures(t *testing.T) {
	tests := []struct {
		name   string
		faults jiraemu.Faults
		want   error
		retry  time.Duration
	}{
		{"503", jiraemu.Faults{Errors: []jiraemu.ErrorRule{{Endpoint: jiraemu.TokenPattern, Status: 503, Count: 1}}}, domain.ErrUnavailable, 0},
		{"500", jiraemu.Faults{Errors: []jiraemu.ErrorRule{{Endpoint: "/oauth2/token", Status: 500, Count: 1}}}, domain.ErrUnavailable, 0},
		{"429", jiraemu.Faults{Throttle: []jiraemu.ThrottleRule{{Endpoint: jiraemu.TokenPattern, RetryAfter: 7, Count: 1}}}, domain.ErrRateLimited, 7 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newImpSite(t)
			s.emu.SetFaults(tc.faults)
			_, err := s.im.Token(context.Background(), s.tenant, priya)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var ee *connect.ExchangeError
			if errors.As(err, &ee) && ee.RetryAfter != tc.retry {
				t.Errorf("RetryAfter = %v, want %v", ee.RetryAfter, tc.retry)
			}
			// The failure is not cached: the next call exchanges again.
			if _, err := s.im.Token(context.Background(), s.tenant, priya); err != nil {
				t.Fatalf("after the fault: %v", err)
			}
		})
	}
	t.Run("REST faults do not reach the token endpoint", func(t *testing.T) {
		s := newImpSite(t)
		s.emu.SetFaults(jiraemu.Faults{Errors: []jiraemu.ErrorRule{{Endpoint: "*", Status: 503}}})
		if _, err := s.im.Token(context.Background(), s.tenant, priya); err != nil {
			t.Fatalf("token: %v", err)
		}
	})
}

func TestImpersonationCacheRefreshesNearExpiry(t *testing.T) {
	s := newImpSite(t)
	ctx := context.Background()
	first, err := s.im.Token(ctx, s.tenant, priya)
	if err != nil {
		t.Fatal(err)
	}
	if want := s.clock.Now().Add(jiraemu.UserTokenTTL); !first.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v (expires_in)", first.ExpiresAt, want)
	}
	steps := []struct {
		advance time.Duration
		issued  int
	}{
		{0, 1},
		{jiraemu.UserTokenTTL - connect.DefaultRefreshMargin - 2*time.Second, 1}, // 62 s left: reused
		{3 * time.Second, 2},  // 59 s left: replaced
		{time.Second, 2},      // the new one is reused
		{-0, 2},               // still
		{20 * time.Minute, 3}, // long expired
	}
	for i, st := range steps {
		s.clock.Add(st.advance)
		tok, err := s.im.Token(ctx, s.tenant, priya)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := s.emu.UserTokensIssued(); got != st.issued {
			t.Errorf("step %d: exchanges = %d, want %d", i, got, st.issued)
		}
		if !s.clock.Now().Before(tok.ExpiresAt.Add(-connect.DefaultRefreshMargin + time.Nanosecond)) {
			t.Errorf("step %d: handed out a token expiring at %v, within the margin of %v", i, tok.ExpiresAt, s.clock.Now())
		}
	}
	// Another account and another install get their own tokens.
	if _, err := s.im.Token(ctx, s.tenant, marcus); err != nil {
		t.Fatal(err)
	}
	if got := s.emu.UserTokensIssued(); got != 4 {
		t.Errorf("second account: exchanges = %d, want 4", got)
	}
}

func TestImpersonationConcurrentCallersShareOneExchange(t *testing.T) {
	s := newImpSite(t)
	s.emu.SetFaults(jiraemu.Faults{Slow: []jiraemu.SlowRule{{Endpoint: jiraemu.TokenPattern, Delay: 200 * time.Millisecond}}})
	const n = 25
	var wg sync.WaitGroup
	toks := make([]connect.Token, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			toks[i], errs[i] = s.im.Token(context.Background(), s.tenant, priya)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		if toks[i].Authorization() != toks[0].Authorization() {
			t.Fatalf("caller %d got another token", i)
		}
	}
	if got := s.emu.UserTokensIssued(); got != 1 {
		t.Errorf("exchanges = %d, want 1 for %d concurrent callers", got, n)
	}
}

func TestImpersonationCallerGivingUpDoesNotFailOthers(t *testing.T) {
	s := newImpSite(t)
	s.emu.SetFaults(jiraemu.Faults{Slow: []jiraemu.SlowRule{{Endpoint: jiraemu.TokenPattern, Delay: 150 * time.Millisecond}}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.im.Token(ctx, s.tenant, priya); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("impatient caller: %v", err)
	}
	if _, err := s.im.Token(context.Background(), s.tenant, priya); err != nil {
		t.Fatalf("patient caller: %v", err)
	}
	if got := s.emu.UserTokensIssued(); got != 1 {
		t.Errorf("exchanges = %d, want 1 (the patient caller joins the running exchange)", got)
	}
}

func TestImpersonationCacheIsBounded(t *testing.T) {
	s := newImpSite(t)
	s.im.MaxEntries = 2
	for _, a := range []string{priya, marcus, sofia} {
		if _, err := s.im.Token(context.Background(), s.tenant, a); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.im.Len(); got != 2 {
		t.Errorf("cache holds %d tokens, want 2", got)
	}
}

func TestImpersonationNewInstallDropsTokens(t *testing.T) {
	s := newImpSite(t)
	if _, err := s.im.Token(context.Background(), s.tenant, priya); err != nil {
		t.Fatal(err)
	}
	// A re-install with another secret: the old token must not be reused.
	changed := *s.tenant
	changed.SharedSecret = "rotated-secret"
	if _, err := s.im.Token(context.Background(), &changed, priya); err == nil {
		t.Fatal("a token cached for the old install was handed out for the new one")
	}
}

func TestUserClientRefusals(t *testing.T) {
	s := newImpSite(t)
	uc := &connect.UserClient{HTTP: s.srv.Client(), Tokens: s.im, Tenant: s.tenant, AccountID: priya}
	off, _ := http.NewRequest(http.MethodGet, "https://evil.example/rest/api/3/myself", nil)
	if _, err := uc.Do(off); !errors.Is(err, connect.ErrRequestRefused) {
		t.Errorf("off-site request: %v", err)
	}
	get, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/rest/api/3/issue/SHOP-1", strings.NewReader("x"))
	if _, err := uc.Do(get); !errors.Is(err, connect.ErrRequestRefused) {
		t.Errorf("GET with body: %v", err)
	}
	if s.emu.UserTokensIssued() != 0 {
		t.Error("a refused request exchanged a token")
	}
}

func TestImpersonationPermissionsAndScopes(t *testing.T) {
	s := newImpSite(t)
	s.emu.SetUserPermissions(func(account, project, perm string) bool {
		return account != marcus || (perm != "EDIT_ISSUES" && perm != "CREATE_ISSUES")
	})
	if resp := s.do(t, marcus, http.MethodPut, "/rest/api/3/issue/SHOP-2", `{"fields":{"summary":"not allowed"}}`); resp.StatusCode != http.StatusForbidden {
		t.Errorf("edit without EDIT_ISSUES: status %d, want 403", resp.StatusCode)
	}
	if resp := s.do(t, marcus, http.MethodPost, "/rest/api/3/issue", `{"fields":{"project":{"key":"SHOP"},"issuetype":{"name":"Story"},"summary":"no"}}`); resp.StatusCode != http.StatusForbidden {
		t.Errorf("create without CREATE_ISSUES: status %d, want 403", resp.StatusCode)
	}
	if resp := s.do(t, priya, http.MethodPut, "/rest/api/3/issue/SHOP-2", `{"fields":{"summary":"allowed"}}`); resp.StatusCode != http.StatusNoContent {
		t.Errorf("edit with EDIT_ISSUES: status %d, want 204", resp.StatusCode)
	}
	// A read-only token cannot write, whatever the user may do.
	ro := &connect.Impersonator{AuthServerURL: s.emu.AuthServerURL(), HTTP: s.srv.Client(), Now: s.clock.Now, Scopes: []string{"read"}}
	uc := &connect.UserClient{HTTP: s.srv.Client(), Tokens: ro, Tenant: s.tenant, AccountID: sofia}
	req, _ := http.NewRequest(http.MethodPut, s.srv.URL+"/rest/api/3/issue/SHOP-3", strings.NewReader(`{"fields":{"summary":"x"}}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := uc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("write with a READ token: status %d, want 403", resp.StatusCode)
	}
}

func TestImpersonationRejectedTokenIsForgotten(t *testing.T) {
	s := newImpSite(t)
	if resp := s.do(t, priya, http.MethodGet, "/rest/api/3/issue/SHOP-1", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("read as user: %d", resp.StatusCode)
	}
	// A revoked token is refused with 401: the client drops it and sends
	// the request once more with a fresh token (the body replayed).
	s.emu.RevokeUserTokens()
	before := len(s.emu.ChangeAuthors("SHOP-1"))
	if resp := s.do(t, priya, http.MethodPut, "/rest/api/3/issue/SHOP-1", `{"fields":{"summary":"After a revocation"}}`); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write after revocation: status %d, want 204 after one retry", resp.StatusCode)
	}
	if got := s.emu.UserTokensIssued(); got != 2 {
		t.Errorf("exchanges = %d, want 2", got)
	}
	if got := len(s.emu.ChangeAuthors("SHOP-1")); got != before+1 {
		t.Errorf("%d new history entries, want exactly 1", got-before)
	}
	if resp := s.do(t, priya, http.MethodGet, "/rest/api/3/issue/SHOP-1", ""); resp.StatusCode != http.StatusOK || s.emu.UserTokensIssued() != 2 {
		t.Errorf("next call: status %d, exchanges %d: want the fresh token reused", resp.StatusCode, s.emu.UserTokensIssued())
	}
	// An expired token is refused by the site.
	tok, _ := s.im.Token(context.Background(), s.tenant, priya)
	s.clock.Add(jiraemu.UserTokenTTL + time.Second)
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/rest/api/3/issue/SHOP-1", nil)
	req.Header.Set("Authorization", tok.Authorization())
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired user token: status %d, want 401", resp.StatusCode)
	}
}

func TestTokenNeverPrinted(t *testing.T) {
	s := newImpSite(t)
	var logs bytes.Buffer
	s.im.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tok, err := s.im.Token(context.Background(), s.tenant, priya)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimPrefix(tok.Authorization(), "Bearer ")
	if secret == "" || secret == tok.Authorization() {
		t.Fatalf("Authorization() = %q", tok.Authorization())
	}
	slog.New(slog.NewTextHandler(&logs, nil)).Info("token", "tok", tok)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("token", "tok", tok)
	for _, out := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok), logs.String()} {
		if strings.Contains(out, secret) {
			t.Fatalf("the access token leaked: %s", out)
		}
	}
	if !strings.Contains(logs.String(), "[redacted]") {
		t.Errorf("log does not show the redaction: %s", logs.String())
	}
}
