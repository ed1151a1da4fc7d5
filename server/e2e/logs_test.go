package e2e_test

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/cli"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)

// TestLogsHoldNoSecretsOrTokens runs install, a scan, webhooks, iframe
// pages and API calls (including refused ones) with debug logging, then
// scans everything logged for the shared secret and for JWTs.
func TestLogsHoldNoSecretsOrTokens(t *testing.T) {
	buf := &syncBuffer{}
	o := envOptions{}
	cfg := testConfig(t, &o)
	cfg.LogLevel = slog.LevelDebug
	sb, err := cli.StartSandbox(context.Background(), cli.SandboxOptions{Config: cfg,
		Logger: slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, sb: sb, emu: sb.Emu, app: sb.App.URL, cfg: cfg}
	t.Cleanup(e.close)
	activate(t, e)
	key := e.goodStory()
	e.emu.UserUpdate(key, map[string]any{"summary": "As a shopper, I want to keep my cart so that I can buy later"}, "")
	iframe, _ := e.emu.SignedIframeURL("/glance", map[string][]string{"issueKey": {key}, "projectKey": {"SHOP"}}, "557058:pm")
	get(iframe)
	get(e.app + "/glance?issueKey=" + key + "&jwt=eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.forgedsignaturexx")
	e.api("PUT", "/api/issues/"+key+"/override", map[string]string{"moscow": "Must", "reason": "promised"}, nil)
	secret := e.emu.SharedSecret()
	time.Sleep(500 * time.Millisecond)
	logs := buf.String()
	if len(logs) < 1000 {
		t.Fatalf("too little was logged to judge (%d bytes)", len(logs))
	}
	if secret == "" || strings.Contains(logs, secret) {
		t.Error("the shared secret appears in the logs")
	}
	if m := jwtLike.FindString(logs); m != "" {
		t.Errorf("a token appears in the logs: %.40s…", m)
	}
	if strings.Contains(logs, "jwt=") {
		t.Error("a query string with jwt= appears in the logs")
	}
}
