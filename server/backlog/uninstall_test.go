package backlog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestUninstalledLogsAStoreFailure: when the tenant's projects cannot be
// listed, Uninstalled says so instead of silently leaving their scans.
func TestUninstalledLogsAStoreFailure(t *testing.T) {
	s, _, b := intakeEnv(t, "sqlite")
	var logs bytes.Buffer
	s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // every store call fails
	s.Uninstalled(ctx, b)
	out := logs.String()
	if !strings.Contains(out, "list projects on uninstall") || !strings.Contains(out, "context canceled") {
		t.Errorf("no error logged for the failed project listing:\n%s", out)
	}
}
