package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"

	_ "modernc.org/sqlite"
)

// forEachDriver runs fn on every engine with a fresh migrated database.
func forEachDriver(t *testing.T, fn func(t *testing.T, s *store.Store, clock *fakeClock)) {
	for _, d := range storetest.Drivers {
		t.Run(d, func(t *testing.T) {
			c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			fn(t, storetest.Open(t, d, c.Now), c)
		})
	}
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func TestMigrationsOnEmptyDatabase(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		if err := s.Ready(ctx); err != nil {
			t.Fatalf("not ready after migrate: %v", err)
		}
		// Migrating again is a no-op.
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := s.CountRows(ctx, "schema_migrations")
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(filepath.Join("..", "..", "migrations", s.Driver()))
		if int(n) != len(entries) {
			t.Errorf("recorded %d migrations, have %d files", n, len(entries))
		}
	})
}

func TestMigrationSetsMatch(t *testing.T) {
	list := func(dir string) []string {
		entries, err := os.ReadDir(filepath.Join("..", "..", "migrations", dir))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	a, b := list("sqlite"), list("mysql")
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("migration sets differ:\nsqlite %v\nmysql  %v", a, b)
	}
}

func TestInstallReinstallAndEncryption(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		tn, err := s.SaveInstallation(ctx, &domain.Tenant{ClientKey: "ck-1", BaseURL: "https://a.atlassian.net", SharedSecret: "first-secret-value"})
		if err != nil {
			t.Fatal(err)
		}
		if tn.SharedSecret != "first-secret-value" || tn.State != domain.TenantInstalled {
			t.Fatalf("got %+v", tn)
		}
		raw, err := s.RawSecretColumn(ctx, "ck-1")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "first-secret-value") || !strings.HasPrefix(raw, "v1:") {
			t.Errorf("secret not encrypted at rest: %q", raw)
		}
		// Re-install replaces the secret.
		tn2, err := s.SaveInstallation(ctx, &domain.Tenant{ClientKey: "ck-1", BaseURL: "https://a.atlassian.net", SharedSecret: "second-secret"})
		if err != nil {
			t.Fatal(err)
		}
		if tn2.ID != tn.ID || tn2.SharedSecret != "second-secret" {
			t.Errorf("re-install: %+v", tn2)
		}
		if _, err := s.TenantByClientKey(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("unknown tenant: %v", err)
		}
	})
}

func TestLifecycleStates(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		if _, err := s.SaveInstallation(ctx, &domain.Tenant{ClientKey: "ck", BaseURL: "https://a.atlassian.net", SharedSecret: "s"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetTenantEnabled(ctx, "ck", false); err != nil {
			t.Fatal(err)
		}
		tn, _ := s.TenantByClientKey(ctx, "ck")
		if tn.Active() {
			t.Error("disabled tenant is active")
		}
		if _, err := s.Tenant(tn).EnsureProject(ctx, "SHOP", "10000", "Shop"); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkUninstalled(ctx, "ck", 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		// A late enabled/disabled never revives an uninstalled tenant.
		if err := s.SetTenantEnabled(ctx, "ck", true); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("enable after uninstall: %v", err)
		}
		tn, _ = s.TenantByClientKey(ctx, "ck")
		if tn.State != domain.TenantUninstalled || tn.PurgeAfter == nil {
			t.Fatalf("state %s purge %v", tn.State, tn.PurgeAfter)
		}
		if n, err := s.PurgeDue(ctx); err != nil || n != 0 {
			t.Errorf("purged before retention: %d %v", n, err)
		}
		clock.t = clock.t.Add(31 * 24 * time.Hour)
		if n, err := s.PurgeDue(ctx); err != nil || n != 1 {
			t.Errorf("purge after retention: %d %v", n, err)
		}
		if _, err := s.TenantByClientKey(ctx, "ck"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("tenant survived purge: %v", err)
		}
		if n, _ := s.CountRows(ctx, "projects"); n != 0 {
			t.Errorf("%d project rows survived purge", n)
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, _ := s.SaveInstallation(ctx, &domain.Tenant{ClientKey: "a", BaseURL: "https://a.atlassian.net", SharedSecret: "sa"})
		b, _ := s.SaveInstallation(ctx, &domain.Tenant{ClientKey: "b", BaseURL: "https://b.atlassian.net", SharedSecret: "sb"})
		if _, err := s.Tenant(a).EnsureProject(ctx, "SHOP", "1", "A shop"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Tenant(b).EnsureProject(ctx, "OTHER", "2", "B other"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Tenant(b).Project(ctx, "SHOP"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("tenant b read tenant a's project: %v", err)
		}
		if err := s.Tenant(b).SetProjectActive(ctx, "SHOP", true); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("tenant b changed tenant a's project: %v", err)
		}
		ps, err := s.Tenant(a).Projects(ctx)
		if err != nil || len(ps) != 1 || ps[0].Key != "SHOP" {
			t.Errorf("tenant a projects: %+v %v", ps, err)
		}
		p, _ := s.Tenant(a).Project(ctx, "SHOP")
		if p.Active {
			t.Error("project activated by another tenant")
		}
	})
}

// TestPurgeCoversEveryTenantTable fails when a migration adds a tenant_id
// table that the purge does not know.
func TestPurgeCoversEveryTenantTable(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		tables, err := s.TablesWithColumn(context.Background(), "tenant_id")
		if err != nil {
			t.Fatal(err)
		}
		if len(tables) == 0 {
			t.Fatal("found no tenant tables")
		}
		known := map[string]bool{}
		for _, tb := range store.TenantTables() {
			known[tb] = true
		}
		for _, tb := range tables {
			if !known[tb] {
				t.Errorf("table %s has tenant_id but is not purged (add it to tenantTables)", tb)
			}
		}
	})
}

// TestSQLiteVersion: the embedded SQLite is a current release (README
// states which), not the 3.41 of 2023 the old driver carried.
func TestSQLiteVersion(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow("SELECT sqlite_version()").Scan(&v); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("version %q: %v", v, err)
	}
	if major != 3 || minor < 50 {
		t.Errorf("embedded SQLite %s, want 3.50 or later", v)
	}
	t.Logf("embedded SQLite %s", v)
}

func openDSN(t *testing.T, driver, dsn string, migrate bool) *store.Store {
	s, err := store.Open(context.Background(), store.Options{Driver: driver, DSN: dsn, Box: storetest.Box(t), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if migrate {
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}
