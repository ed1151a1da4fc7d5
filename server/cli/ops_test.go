package cli

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bootServe runs serve with env (plus a temp SQLite database and PORT 0)
// until the test ends.
func bootServe(t *testing.T, env map[string]string) *App {
	t.Helper()
	env["PORT"] = "0"
	env["DATABASE_URL"] = "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *App, 1)
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, func(k string) string { return env[k] }, io.Discard, ready) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("shutdown: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("shutdown hung")
		}
	})
	select {
	case app := <-ready:
		return app
	case err := <-errc:
		t.Fatalf("serve failed: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("app did not start")
	}
	return nil
}

func fetch(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetricsEndpointModes(t *testing.T) {
	const token = "cli-test-token-0123456789"
	t.Run("off by default", func(t *testing.T) {
		app := bootServe(t, map[string]string{})
		if code, _ := fetch(t, app.URL+"/metrics", token); code != http.StatusNotFound {
			t.Errorf("/metrics without METRICS_TOKEN or METRICS_ADDR: %d, want 404", code)
		}
		if app.MetricsURL != "" {
			t.Errorf("metrics listener %q without METRICS_ADDR", app.MetricsURL)
		}
	})
	t.Run("token on the main port", func(t *testing.T) {
		app := bootServe(t, map[string]string{"METRICS_TOKEN": token})
		fetch(t, app.URL+"/readyz", "")
		if code, _ := fetch(t, app.URL+"/metrics", ""); code != http.StatusUnauthorized {
			t.Errorf("without token: %d, want 401", code)
		}
		code, body := fetch(t, app.URL+"/metrics", token)
		if code != http.StatusOK || !strings.Contains(body, `backlogai_http_requests_total{code="200",method="GET",route="/readyz"} 1`) ||
			!strings.Contains(body, "backlogai_store_up 1") {
			t.Errorf("with token: %d\n%s", code, body)
		}
	})
	t.Run("separate address", func(t *testing.T) {
		app := bootServe(t, map[string]string{"METRICS_ADDR": "127.0.0.1:0", "METRICS_TOKEN": token})
		if code, _ := fetch(t, app.URL+"/metrics", token); code != http.StatusNotFound {
			t.Errorf("/metrics on the main port with METRICS_ADDR: %d, want 404", code)
		}
		if code, _ := fetch(t, app.MetricsURL, ""); code != http.StatusUnauthorized {
			t.Errorf("metrics listener without token: %d, want 401", code)
		}
		if code, body := fetch(t, app.MetricsURL, token); code != http.StatusOK || !strings.Contains(body, "backlogai_store_up 1") {
			t.Errorf("metrics listener with token: %d\n%.300s", code, body)
		}
	})
	t.Run("separate address without token", func(t *testing.T) {
		app := bootServe(t, map[string]string{"METRICS_ADDR": "127.0.0.1:0"})
		if code, body := fetch(t, app.MetricsURL, ""); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
			t.Errorf("metrics listener: %d", code)
		}
	})
}

func TestHealthcheckCommand(t *testing.T) {
	app := bootServe(t, map[string]string{})
	port := app.URL[strings.LastIndex(app.URL, ":")+1:]
	env := func(k string) string {
		if k == "PORT" {
			return port
		}
		return ""
	}
	var out, errs strings.Builder
	if code := Run(context.Background(), []string{"healthcheck"}, env, &out, &errs); code != 0 || strings.TrimSpace(out.String()) != "ok" {
		t.Errorf("healthcheck of a ready app: exit %d, %q %q", code, out.String(), errs.String())
	}
	errs.Reset()
	if code := Run(context.Background(), []string{"healthcheck", "/no-such-path"}, env, io.Discard, &errs); code != 1 || !strings.Contains(errs.String(), "404") {
		t.Errorf("healthcheck of a 404: exit %d, %q", code, errs.String())
	}
}
