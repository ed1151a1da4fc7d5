// Package config reads and validates the environment. A bad value stops
// start-up with a message naming the variable.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/connect"
)

// Config is the validated configuration of one process.
type Config struct {
	Port          int
	BaseURL       string // public URL Jira calls, no trailing slash
	DatabaseURL   string
	Driver        string // "sqlite" or "mysql"
	DSN           string // driver-specific data source name
	DataDir       string // folder of the embedded database (sqlite only)
	EncryptionKey []byte // 32 bytes
	// PreviousKeys decrypt secrets sealed before a key rotation (until
	// `backlogai rotate-key` has re-sealed them).
	PreviousKeys      [][]byte
	AppKey            string
	ConnectKeysURL    string
	ConnectOAuthURL   string // authorization server of Connect user impersonation
	ForgeAppID        string // FORGE_APP_ID: the Forge app's UUID or ARI; empty: Forge Remote off
	ForgeJWKSURL      string // FORGE_JWKS_URL: keys Forge Invocation Tokens are signed with
	AllowedJiraHosts  []string
	DataRetentionDays int
	LogLevel          slog.Level
	// Sandbox runs the emulated Jira and the /sandbox shell beside the app.
	// Only allowed in embedded (sqlite) mode.
	Sandbox bool

	// JobWorkers is how many job workers this replica runs (0: none, an
	// HTTP-only replica).
	JobWorkers int
	// JobLease bounds how long a crashed replica's jobs wait before another
	// replica takes them over (live workers renew their leases).
	JobLease time.Duration

	// Default LLM (OpenAI or any OpenAI-compatible server); a tenant may
	// set its own in Settings. Empty key: deterministic drafting only.
	OpenAIKey     string
	OpenAIBaseURL string
	OpenAIModel   string
	// Default research provider (SerpAPI). Empty key: no web research.
	SerpAPIKey     string
	SerpAPIBaseURL string
	// AllowPrivateURLs lets tenant-configured URLs (LLM, research) reach
	// loopback and private addresses and plain http: local development and
	// the sandbox only. Off, outgoing calls to them are SSRF-guarded.
	AllowPrivateURLs bool

	// Per-tenant fairness on the app API (per replica): requests of one
	// site running at once, and its token bucket (requests per second and
	// burst). 0 turns a limit off.
	APITenantConcurrency int
	APITenantRate        float64
	APITenantBurst       int

	// MetricsToken, when set, serves /metrics on the main port to requests
	// bearing it ("Authorization: Bearer …"). MetricsAddr, when set, serves
	// /metrics on its own listener instead (still requiring the token if
	// one is set). With neither, /metrics is off.
	MetricsToken string
	MetricsAddr  string
	// OTLPEndpoint (OTEL_EXPORTER_OTLP_ENDPOINT) turns tracing on: spans
	// go over OTLP/HTTP to OTLPEndpoint/v1/traces, or to
	// OTLPTracesEndpoint when that is set.
	OTLPEndpoint       string
	OTLPTracesEndpoint string
}

// Getenv is os.Getenv's shape, injected so tests need no process env.
type Getenv func(string) string

// Load reads the configuration. In embedded mode a missing ENCRYPTION_KEY is
// created once under the data folder with mode 0600.
func Load(getenv Getenv) (*Config, error) {
	c := &Config{}
	var err error
	if c.Port, err = intVar(getenv, "PORT", 8080, 0, 65535); err != nil {
		return nil, err
	}
	c.BaseURL = strings.TrimSuffix(orDefault(getenv("BASE_URL"), fmt.Sprintf("http://localhost:%d", c.Port)), "/")
	if u, perr := url.Parse(c.BaseURL); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("BASE_URL: %q is not an absolute http(s) URL without query", c.BaseURL)
	}
	c.DatabaseURL = orDefault(getenv("DATABASE_URL"), "sqlite://./data/backlogai.db")
	if err := c.parseDatabaseURL(); err != nil {
		return nil, err
	}
	c.AppKey = orDefault(getenv("APP_KEY"), "backlogai")
	if !validAppKey(c.AppKey) {
		return nil, fmt.Errorf("APP_KEY: %q must match ^[a-zA-Z0-9-._]+$ and be at most 80 characters", c.AppKey)
	}
	c.ConnectKeysURL = strings.TrimSuffix(orDefault(getenv("CONNECT_KEYS_URL"), "https://connect-install-keys.atlassian.com"), "/")
	if u, perr := url.Parse(c.ConnectKeysURL); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("CONNECT_KEYS_URL: %q is not an absolute http(s) URL", c.ConnectKeysURL)
	}
	c.ForgeAppID = strings.TrimSpace(getenv("FORGE_APP_ID"))
	if c.ForgeAppID != "" && !forgeAppIDPattern.MatchString(c.ForgeAppID) {
		return nil, fmt.Errorf("FORGE_APP_ID: %q is neither an app UUID nor ari:cloud:ecosystem::app/<UUID>", c.ForgeAppID)
	}
	c.ForgeJWKSURL = orDefault(getenv("FORGE_JWKS_URL"), "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json")
	if u, perr := url.Parse(c.ForgeJWKSURL); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("FORGE_JWKS_URL: %q is not an absolute http(s) URL", c.ForgeJWKSURL)
	}
	c.ConnectOAuthURL = strings.TrimSuffix(orDefault(getenv("CONNECT_OAUTH_URL"), connect.DefaultAuthServerURL), "/")
	if u, perr := url.Parse(c.ConnectOAuthURL); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("CONNECT_OAUTH_URL: %q is not an absolute http(s) URL", c.ConnectOAuthURL)
	}
	for _, h := range strings.Split(orDefault(getenv("ALLOWED_JIRA_HOSTS"), "*.atlassian.net,*.jira.com"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.AllowedJiraHosts = append(c.AllowedJiraHosts, h)
		}
	}
	if err := connect.ValidateHostPatterns(c.AllowedJiraHosts); err != nil {
		return nil, fmt.Errorf("ALLOWED_JIRA_HOSTS: %v", err)
	}
	if len(c.AllowedJiraHosts) == 0 {
		return nil, errors.New("ALLOWED_JIRA_HOSTS: at least one host pattern is required")
	}
	if c.DataRetentionDays, err = intVar(getenv, "DATA_RETENTION_DAYS", 30, 0, 3650); err != nil {
		return nil, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(orDefault(getenv("LOG_LEVEL"), "info"))); err != nil {
		return nil, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", getenv("LOG_LEVEL"))
	}
	if v := getenv("SANDBOX"); v != "" {
		b, perr := strconv.ParseBool(v)
		if perr != nil {
			return nil, fmt.Errorf("SANDBOX: %q is not a boolean", v)
		}
		c.Sandbox = b
	}
	if v := getenv("ALLOW_PRIVATE_URLS"); v != "" {
		b, perr := strconv.ParseBool(v)
		if perr != nil {
			return nil, fmt.Errorf("ALLOW_PRIVATE_URLS: %q is not a boolean", v)
		}
		c.AllowPrivateURLs = b
	}
	if c.Sandbox && c.Driver != "sqlite" {
		return nil, errors.New("SANDBOX: the sandbox runs only in embedded (sqlite) mode, never beside real tenants")
	}
	if err := c.loadKey(getenv("ENCRYPTION_KEY")); err != nil {
		return nil, err
	}
	if v := strings.TrimSpace(getenv("ENCRYPTION_KEY_PREVIOUS")); v != "" {
		for _, part := range strings.Split(v, ",") {
			k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(part))
			if err != nil || len(k) != 32 {
				return nil, errors.New("ENCRYPTION_KEY_PREVIOUS: must be comma-separated base64 encodings of 32 bytes")
			}
			c.PreviousKeys = append(c.PreviousKeys, k)
		}
	}
	if c.JobWorkers, err = intVar(getenv, "JOB_WORKERS", 2, 0, 64); err != nil {
		return nil, err
	}
	c.JobLease = 30 * time.Second
	if v := getenv("JOB_LEASE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > time.Hour {
			return nil, fmt.Errorf("JOB_LEASE: %q is not a duration between 1s and 1h (e.g. 30s)", v)
		}
		c.JobLease = d
	}
	if c.APITenantConcurrency, err = intVar(getenv, "API_TENANT_CONCURRENCY", 4, 0, 1024); err != nil {
		return nil, err
	}
	c.APITenantRate = 50
	if v := getenv("API_TENANT_RATE"); v != "" {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 100000 || f != f {
			return nil, fmt.Errorf("API_TENANT_RATE: %q is not a number of requests per second between 0 and 100000", v)
		}
		c.APITenantRate = f
	}
	if c.APITenantBurst, err = intVar(getenv, "API_TENANT_BURST", 100, 1, 1000000); err != nil {
		return nil, err
	}
	c.OpenAIKey = strings.TrimSpace(getenv("OPENAI_API_KEY"))
	c.OpenAIBaseURL = strings.TrimSuffix(orDefault(getenv("OPENAI_BASE_URL"), "https://api.openai.com/v1"), "/")
	c.OpenAIModel = orDefault(getenv("OPENAI_MODEL"), "gpt-4o-mini")
	c.SerpAPIKey = strings.TrimSpace(getenv("SERPAPI_API_KEY"))
	c.SerpAPIBaseURL = strings.TrimSuffix(orDefault(getenv("SERPAPI_BASE_URL"), "https://serpapi.com"), "/")
	for name, v := range map[string]string{"OPENAI_BASE_URL": c.OpenAIBaseURL, "SERPAPI_BASE_URL": c.SerpAPIBaseURL} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s: %q is not an absolute http(s) URL", name, v)
		}
	}
	if err := c.loadTelemetry(getenv); err != nil {
		return nil, err
	}
	return c, nil
}

// loadTelemetry reads the metrics and tracing settings.
func (c *Config) loadTelemetry(getenv Getenv) error {
	c.MetricsToken = strings.TrimSpace(getenv("METRICS_TOKEN"))
	if c.MetricsToken != "" && (len(c.MetricsToken) < 16 || strings.ContainsAny(c.MetricsToken, " \t\r\n")) {
		return errors.New("METRICS_TOKEN: must be at least 16 characters without spaces (try: head -c24 /dev/urandom | base64)")
	}
	c.MetricsAddr = strings.TrimSpace(getenv("METRICS_ADDR"))
	if c.MetricsAddr != "" {
		_, port, err := net.SplitHostPort(c.MetricsAddr)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			return fmt.Errorf("METRICS_ADDR: %q is not a listen address such as :9090 or 127.0.0.1:9090", c.MetricsAddr)
		}
	}
	for _, v := range []struct {
		name string
		dst  *string
	}{{"OTEL_EXPORTER_OTLP_ENDPOINT", &c.OTLPEndpoint}, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &c.OTLPTracesEndpoint}} {
		*v.dst = strings.TrimSpace(getenv(v.name))
		if *v.dst == "" {
			continue
		}
		if u, err := url.Parse(*v.dst); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s: %q is not an absolute http(s) URL (e.g. http://otel-collector:4318)", v.name, *v.dst)
		}
	}
	return nil
}

// Tracing reports whether an OTLP endpoint turns tracing on.
func (c *Config) Tracing() bool { return c.OTLPEndpoint != "" || c.OTLPTracesEndpoint != "" }

func (c *Config) parseDatabaseURL() error {
	switch {
	case strings.HasPrefix(c.DatabaseURL, "sqlite://"):
		path := strings.TrimPrefix(c.DatabaseURL, "sqlite://")
		if path == "" {
			return errors.New("DATABASE_URL: sqlite:// needs a file path")
		}
		c.Driver = "sqlite"
		c.DataDir = filepath.Dir(path)
		// WAL for concurrent readers; a busy timeout so the job queue and
		// web requests wait instead of failing on a locked database.
		c.DSN = path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	case strings.HasPrefix(c.DatabaseURL, "mysql://"):
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return errors.New("DATABASE_URL: expected mysql://USER:PASS@HOST:PORT/DB")
		}
		pass, _ := u.User.Password()
		c.Driver = "mysql"
		c.DSN = MySQLDSN(u.User.Username(), pass, u.Host, strings.Trim(u.Path, "/"))
	default:
		return errors.New("DATABASE_URL: must start with sqlite:// or mysql://")
	}
	return nil
}

// MySQLDSN builds a go-sql-driver DSN with the options the store relies on.
func MySQLDSN(user, pass, hostport, db string) string {
	// Timeouts make requests fail fast (503) while the database is away
	// instead of hanging on the OS's TCP timeouts.
	return fmt.Sprintf("%s:%s@tcp(%s)/%s?parseTime=true&loc=UTC&charset=utf8mb4&collation=utf8mb4_bin&multiStatements=true&timeout=3s&readTimeout=30s&writeTimeout=30s", user, pass, hostport, db)
}

func (c *Config) loadKey(v string) error {
	if v != "" {
		k, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(k) != 32 {
			return errors.New("ENCRYPTION_KEY: must be the base64 encoding of exactly 32 bytes (try: head -c32 /dev/urandom | base64)")
		}
		c.EncryptionKey = k
		return nil
	}
	if c.Driver != "sqlite" {
		return errors.New("ENCRYPTION_KEY: required with MySQL (base64 of 32 bytes)")
	}
	path := filepath.Join(c.DataDir, "encryption.key")
	if raw, err := os.ReadFile(path); err == nil {
		k, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
		if derr != nil || len(k) != 32 {
			return fmt.Errorf("ENCRYPTION_KEY: %s is corrupt (expected base64 of 32 bytes)", path)
		}
		c.EncryptionKey = k
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("ENCRYPTION_KEY: read %s: %w", path, err)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("ENCRYPTION_KEY: create data folder: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return fmt.Errorf("ENCRYPTION_KEY: generate: %w", err)
	}
	// O_EXCL: two processes starting at once must not overwrite each other's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return c.loadKey("")
	}
	if err != nil {
		return fmt.Errorf("ENCRYPTION_KEY: create %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		return fmt.Errorf("ENCRYPTION_KEY: write %s: %w", path, err)
	}
	c.EncryptionKey = k
	return nil
}

// LogValue prints the configuration once at start with secrets redacted.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("port", c.Port),
		slog.String("base_url", c.BaseURL),
		slog.String("database", RedactURL(c.DatabaseURL)),
		slog.String("encryption_key", "[redacted]"),
		slog.String("app_key", c.AppKey),
		slog.String("connect_keys_url", c.ConnectKeysURL),
		slog.String("connect_oauth_url", c.ConnectOAuthURL),
		slog.String("forge_app_id", c.ForgeAppID),
		slog.String("forge_jwks_url", c.ForgeJWKSURL),
		slog.Any("allowed_jira_hosts", c.AllowedJiraHosts),
		slog.Int("data_retention_days", c.DataRetentionDays),
		slog.String("log_level", c.LogLevel.String()),
		slog.Bool("sandbox", c.Sandbox),
		slog.Duration("job_lease", c.JobLease),
		slog.Int("job_workers", c.JobWorkers),
		slog.String("openai_base_url", c.OpenAIBaseURL),
		slog.String("openai_model", c.OpenAIModel),
		slog.Bool("openai_key_set", c.OpenAIKey != ""),
		slog.String("serpapi_base_url", c.SerpAPIBaseURL),
		slog.Bool("serpapi_key_set", c.SerpAPIKey != ""),
		slog.Bool("allow_private_urls", c.AllowPrivateURLs),
		slog.Int("api_tenant_concurrency", c.APITenantConcurrency),
		slog.Float64("api_tenant_rate", c.APITenantRate),
		slog.Int("api_tenant_burst", c.APITenantBurst),
		slog.Bool("metrics_token_set", c.MetricsToken != ""),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.String("otlp_endpoint", RedactURL(c.OTLPEndpoint)),
		slog.String("otlp_traces_endpoint", RedactURL(c.OTLPTracesEndpoint)),
	)
}

// RedactURL hides a password in a URL.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func orDefault(v, d string) string {
	if strings.TrimSpace(v) == "" {
		return d
	}
	return strings.TrimSpace(v)
}

func intVar(getenv Getenv, name string, def, min, max int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < min || n > max {
		return 0, fmt.Errorf("%s: %q is not an integer between %d and %d", name, v, min, max)
	}
	return n, nil
}

var forgeAppIDPattern = regexp.MustCompile(`^(ari:cloud:ecosystem::app/)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func validAppKey(k string) bool {
	if k == "" || len(k) > 80 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}
