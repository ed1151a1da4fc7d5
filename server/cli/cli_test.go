package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeBootsAndShutsDown boots the whole app on :0 with a temp SQLite
// database, checks it answers, then shuts it down gracefully.
func TestServeBootsAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PORT": "0", "DATABASE_URL": "sqlite://" + filepath.Join(dir, "app.db"), "BASE_URL": "https://app.example.com"}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *App, 1)
	errc := make(chan error, 1)
	var logs bytes.Buffer
	go func() { errc <- serve(ctx, func(k string) string { return env[k] }, &logs, ready) }()
	var app *App
	select {
	case app = <-ready:
	case err := <-errc:
		t.Fatalf("serve failed: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("app did not start")
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(app.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("readyz %d", code)
	}
	code, body := get("/atlassian-connect.json")
	var d map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &d) != nil || d["baseUrl"] != "https://app.example.com" {
		t.Errorf("descriptor %d %s", code, body)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("shutdown hung")
	}
	if strings.Contains(logs.String(), "encryption_key\":\"") && !strings.Contains(logs.String(), "[redacted]") {
		t.Error("encryption key not redacted in the start-up log")
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Error("no shutdown log")
	}
}

func TestBadConfigNamesTheVariable(t *testing.T) {
	var stderr bytes.Buffer
	code := Run(context.Background(), []string{"serve"}, func(k string) string {
		if k == "PORT" {
			return "eighty"
		}
		return ""
	}, io.Discard, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "PORT:") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if Run(context.Background(), []string{"nope"}, func(string) string { return "" }, io.Discard, io.Discard) != 2 {
		t.Error("unknown command not a usage error")
	}
}
