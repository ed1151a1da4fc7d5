package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	backlogai "github.com/backlogai/backlogai"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store/storetest"
	"github.com/backlogai/backlogai/server/web"
)

// fairEnv is the app's HTTP server with per-tenant limits, two installed
// tenants, and an API route that holds each call until released.
type fairEnv struct {
	url     string
	secrets map[string]string
	hold    chan struct{}
	entered chan string
}

func newFairEnv(t *testing.T, cfg config.Config) *fairEnv {
	t.Helper()
	st := storetest.Open(t, "sqlite", nil)
	fe := &fairEnv{secrets: map[string]string{}, hold: make(chan struct{}), entered: make(chan string, 100)}
	for _, k := range []string{"jira:a", "jira:b"} {
		secret := "secret-of-" + k + "-0123456789abcdef"
		if _, err := st.SaveInstallation(context.Background(), &domain.Tenant{ClientKey: k, BaseURL: "https://" + k[5:] + ".atlassian.net", SharedSecret: secret}); err != nil {
			t.Fatal(err)
		}
		fe.secrets[k] = secret
	}
	cfg.BaseURL, cfg.AppKey, cfg.AllowedJiraHosts = appBase, appKey, []string{"*.atlassian.net"}
	srv, err := web.New(web.Deps{Config: &cfg, Store: st, Auth: &connect.JWTAuthenticator{Tenants: st},
		Descriptor: backlogai.DescriptorTemplate, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Echo().GET("/api/held", srv.AppAPI(func(c echo.Context) error {
		fe.entered <- web.IdentityOf(c).Tenant.ClientKey
		<-fe.hold
		return c.NoContent(http.StatusNoContent)
	}))
	srv.Echo().GET("/api/quick", srv.AppAPI(func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	fe.url = ts.URL
	return fe
}

func (fe *fairEnv) get(t *testing.T, tenant, path string) (int, string) {
	now := time.Now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: tenant, Subject: "557058:u",
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, QSH: connect.ContextQSH}, fe.secrets[tenant])
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", fe.url+path, nil)
	req.Header.Set("Authorization", "JWT "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestTenantConcurrencyLimit: a tenant's calls beyond its concurrency wait
// for a slot (about a second), then get 429 with Retry-After; another
// tenant is served meanwhile.
func TestTenantConcurrencyLimit(t *testing.T) {
	fe := newFairEnv(t, config.Config{APITenantConcurrency: 2})
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c, _ := fe.get(t, "jira:a", "/api/held"); codes <- c }()
	}
	for i := 0; i < 2; i++ {
		<-fe.entered
	}
	start := time.Now()
	code, retry := fe.get(t, "jira:a", "/api/quick")
	if code != http.StatusTooManyRequests || retry != "1" {
		t.Errorf("A's third call: %d Retry-After %q, want 429 and 1", code, retry)
	}
	if el := time.Since(start); el < 900*time.Millisecond || el > 5*time.Second {
		t.Errorf("refused after %v, want after about a second of waiting", el)
	}
	if code, _ := fe.get(t, "jira:b", "/api/quick"); code != http.StatusNoContent {
		t.Errorf("B while A is at its limit: %d", code)
	}
	// A call that waits gets the slot as soon as one is free.
	done := make(chan int)
	go func() { c, _ := fe.get(t, "jira:a", "/api/quick"); done <- c }()
	time.Sleep(100 * time.Millisecond)
	close(fe.hold)
	if c := <-done; c != http.StatusNoContent {
		t.Errorf("A's waiting call after a slot freed: %d", c)
	}
	wg.Wait()
	for i := 0; i < 2; i++ {
		if c := <-codes; c != http.StatusNoContent {
			t.Errorf("held call: %d", c)
		}
	}
}

// TestTenantRateLimit: a tenant's burst is served, the next call gets 429
// with a Retry-After of whole seconds; another tenant's bucket is its own.
func TestTenantRateLimit(t *testing.T) {
	fe := newFairEnv(t, config.Config{APITenantRate: 0.5, APITenantBurst: 3})
	for i := 0; i < 3; i++ {
		if code, _ := fe.get(t, "jira:a", "/api/quick"); code != http.StatusNoContent {
			t.Fatalf("A's call %d within the burst: %d", i, code)
		}
	}
	code, retry := fe.get(t, "jira:a", "/api/quick")
	if n, _ := strconv.Atoi(retry); code != http.StatusTooManyRequests || n < 1 || n > 2 {
		t.Errorf("A over its rate: %d Retry-After %q, want 429 and 1-2 s", code, retry)
	}
	for i := 0; i < 3; i++ {
		if code, _ := fe.get(t, "jira:b", "/api/quick"); code != http.StatusNoContent {
			t.Errorf("B's call %d: %d", i, code)
		}
	}
}

// TestNoLimitsByDefault: a zero configuration (tests, tools) limits nothing.
func TestNoLimitsByDefault(t *testing.T) {
	fe := newFairEnv(t, config.Config{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, _ := fe.get(t, "jira:a", "/api/quick"); c != http.StatusNoContent {
				mu.Lock()
				bad++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if bad > 0 {
		t.Errorf("%d of 40 calls refused without limits", bad)
	}
}
