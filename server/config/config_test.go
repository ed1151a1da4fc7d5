package config

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(env(map[string]string{"DATABASE_URL": "sqlite://" + filepath.Join(dir, "db", "x.db")}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.BaseURL != "http://localhost:8080" || c.AppKey != "backlogai" || c.DataRetentionDays != 30 {
		t.Errorf("unexpected defaults: %+v", c)
	}
	if len(c.AllowedJiraHosts) != 2 || c.AllowedJiraHosts[0] != "*.atlassian.net" {
		t.Errorf("hosts %v", c.AllowedJiraHosts)
	}
	if len(c.EncryptionKey) != 32 {
		t.Fatal("no key generated")
	}
	fi, err := os.Stat(filepath.Join(dir, "db", "encryption.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	// A second start reuses the same key.
	c2, err := Load(env(map[string]string{"DATABASE_URL": "sqlite://" + filepath.Join(dir, "db", "x.db")}))
	if err != nil {
		t.Fatal(err)
	}
	if string(c2.EncryptionKey) != string(c.EncryptionKey) {
		t.Error("key changed between starts")
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "x.db")
	good := base64.StdEncoding.EncodeToString(make([]byte, 32))
	cases := map[string]map[string]string{
		"PORT":                {"PORT": "abc"},
		"BASE_URL":            {"BASE_URL": "ftp://x"},
		"DATABASE_URL":        {"DATABASE_URL": "postgres://x"},
		"ENCRYPTION_KEY":      {"ENCRYPTION_KEY": "c2hvcnQ="},
		"APP_KEY":             {"APP_KEY": "bad key!"},
		"DATA_RETENTION_DAYS": {"DATA_RETENTION_DAYS": "-1"},
		"LOG_LEVEL":           {"LOG_LEVEL": "loud"},
		"CONNECT_KEYS_URL":    {"CONNECT_KEYS_URL": "nope"},
		"CONNECT_OAUTH_URL":   {"CONNECT_OAUTH_URL": "https://user:pw@auth.example"},
		"SANDBOX":             {"SANDBOX": "maybe"},
		"FORGE_APP_ID":        {"FORGE_APP_ID": "my-app"},
		"FORGE_JWKS_URL":      {"FORGE_JWKS_URL": "jwks.json"},
	}
	for name, vars := range cases {
		if _, ok := vars["DATABASE_URL"]; !ok {
			vars["DATABASE_URL"] = db
		}
		_, err := Load(env(vars))
		if err == nil || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%s: got %v", name, err)
		}
	}
	// MySQL requires an explicit key.
	_, err := Load(env(map[string]string{"DATABASE_URL": "mysql://root:pw@127.0.0.1:3306/test"}))
	if err == nil || !strings.HasPrefix(err.Error(), "ENCRYPTION_KEY:") {
		t.Errorf("mysql without key: %v", err)
	}
	c, err := Load(env(map[string]string{"DATABASE_URL": "mysql://root:pw@127.0.0.1:3306/test", "ENCRYPTION_KEY": good}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Driver != "mysql" || !strings.Contains(c.DSN, "tcp(127.0.0.1:3306)/test") {
		t.Errorf("dsn %q", c.DSN)
	}
	if c.ConnectOAuthURL != "https://oauth-2-authorization-server.services.atlassian.com" {
		t.Errorf("default CONNECT_OAUTH_URL %q, want Atlassian's authorization server", c.ConnectOAuthURL)
	}
	if c.ForgeAppID != "" || c.ForgeJWKSURL != "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json" {
		t.Errorf("Forge defaults: app id %q, jwks %q", c.ForgeAppID, c.ForgeJWKSURL)
	}
	for _, id := range []string{"8d2a4c10-3f6e-4b7a-9c21-5e0f1a2b3c4d", "ari:cloud:ecosystem::app/8d2a4c10-3f6e-4b7a-9c21-5e0f1a2b3c4d"} {
		if c, err := Load(env(map[string]string{"DATABASE_URL": db, "FORGE_APP_ID": id})); err != nil || c.ForgeAppID != id {
			t.Errorf("FORGE_APP_ID %q: %v", id, err)
		}
	}
	if _, err := Load(env(map[string]string{"DATABASE_URL": "mysql://root:pw@127.0.0.1:3306/test", "ENCRYPTION_KEY": good, "SANDBOX": "true"})); err == nil {
		t.Error("sandbox accepted beside MySQL")
	}
}

func TestRedaction(t *testing.T) {
	if got := RedactURL("mysql://u:secret@h:3306/db"); strings.Contains(got, "secret") {
		t.Errorf("password leaked: %s", got)
	}
	c := &Config{DatabaseURL: "mysql://u:secret@h/db", EncryptionKey: []byte("0123456789abcdef0123456789abcdef")}
	if s := c.LogValue().String(); strings.Contains(s, "secret") || strings.Contains(s, "0123456789abcdef") {
		t.Errorf("secret in log value: %s", s)
	}
}
