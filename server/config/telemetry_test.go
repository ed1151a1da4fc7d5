package config

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

func TestTelemetrySettings(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	bad := []struct {
		name, value string
	}{
		{"METRICS_TOKEN", "short"},
		{"METRICS_TOKEN", "sixteen chars with spaces"},
		{"METRICS_ADDR", "9090"},
		{"METRICS_ADDR", ":http"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "otel-collector:4318"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "grpc://x"},
	}
	for _, c := range bad {
		_, err := Load(env(map[string]string{"DATABASE_URL": db, c.name: c.value}))
		if err == nil || !strings.HasPrefix(err.Error(), c.name+":") {
			t.Errorf("%s=%q: got %v", c.name, c.value, err)
		}
	}
	c, err := Load(env(map[string]string{"DATABASE_URL": db}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsToken != "" || c.MetricsAddr != "" || c.Tracing() {
		t.Errorf("metrics or tracing on by default: %+v", c)
	}
	c, err = Load(env(map[string]string{"DATABASE_URL": db, "METRICS_TOKEN": "0123456789abcdef0123", "METRICS_ADDR": "127.0.0.1:9090",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://user:pw@collector:4318"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != "127.0.0.1:9090" || !c.Tracing() {
		t.Errorf("settings not read: %+v", c)
	}
	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("start", "config", c)
	if out := sb.String(); strings.Contains(out, "0123456789abcdef0123") || strings.Contains(out, ":pw@") || !strings.Contains(out, "metrics_token_set=true") {
		t.Errorf("token or endpoint password in the start log: %s", out)
	}
}
