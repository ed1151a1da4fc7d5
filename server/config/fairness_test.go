package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestAPITenantLimits(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	c, err := Load(env(map[string]string{"DATABASE_URL": db}))
	if err != nil {
		t.Fatal(err)
	}
	if c.APITenantConcurrency != 4 || c.APITenantRate != 50 || c.APITenantBurst != 100 {
		t.Errorf("defaults: %d %v %d", c.APITenantConcurrency, c.APITenantRate, c.APITenantBurst)
	}
	c, err = Load(env(map[string]string{"DATABASE_URL": db, "API_TENANT_CONCURRENCY": "0", "API_TENANT_RATE": "2.5", "API_TENANT_BURST": "7"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.APITenantConcurrency != 0 || c.APITenantRate != 2.5 || c.APITenantBurst != 7 {
		t.Errorf("set: %d %v %d", c.APITenantConcurrency, c.APITenantRate, c.APITenantBurst)
	}
	for name, v := range map[string]string{"API_TENANT_CONCURRENCY": "-1", "API_TENANT_RATE": "fast", "API_TENANT_BURST": "0"} {
		_, err := Load(env(map[string]string{"DATABASE_URL": db, name: v}))
		if err == nil || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%s=%s: %v", name, v, err)
		}
	}
	for _, v := range []string{"-1", "NaN", "1e9"} {
		if _, err := Load(env(map[string]string{"DATABASE_URL": db, "API_TENANT_RATE": v})); err == nil {
			t.Errorf("API_TENANT_RATE=%s accepted", v)
		}
	}
}
