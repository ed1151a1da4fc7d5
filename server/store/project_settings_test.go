package store_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

func ptr[T any](v T) *T { return &v }

func TestScopeSettingsPerProject(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		if _, err := ts.ScopeSettings(ctx, "SYN"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("before save: %v", err)
		}
		syn := domain.ScopeSettings{Project: "SYN", LLMProvider: ptr("compatible"), LLMBaseURL: "https://llm.attacker.example/v1",
			LLMModel: "m", LLMKeySealed: "v1:abc", LLMBudgetMicro: ptr(int64(100000e6)), UpdatedBy: "acc-syn"}
		if err := ts.SaveScopeSettings(ctx, syn); err != nil {
			t.Fatal(err)
		}
		site := domain.ScopeSettings{Project: domain.SiteScope, SearchesPerMonth: ptr(0), RetentionDays: ptr(30)}
		if err := ts.SaveScopeSettings(ctx, site); err != nil {
			t.Fatal(err)
		}
		syn.LLMModel = "m2"
		if err := ts.SaveScopeSettings(ctx, syn); err != nil {
			t.Fatal(err)
		}
		got, err := ts.ScopeSettings(ctx, "SYN")
		if err != nil || got.LLMModel != "m2" || *got.LLMProvider != "compatible" || got.LLMKeySealed != "v1:abc" ||
			*got.LLMBudgetMicro != 100000e6 || got.ResearchProvider != nil || got.SearchesPerMonth != nil || got.RetentionDays != nil {
			t.Fatalf("SYN settings %+v %v", got, err)
		}
		// Another project of the same site, and another site, see nothing.
		if _, err := ts.ScopeSettings(ctx, "SHOP"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("SHOP reads SYN's settings: %v", err)
		}
		if _, err := s.Tenant(b).ScopeSettings(ctx, "SYN"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("tenant b reads a's settings: %v", err)
		}
		// Zero is a value, not "unset".
		got, err = ts.ScopeSettings(ctx, domain.SiteScope)
		if err != nil || got.SearchesPerMonth == nil || *got.SearchesPerMonth != 0 || *got.RetentionDays != 30 || got.LLMProvider != nil {
			t.Fatalf("site settings %+v %v", got, err)
		}
		if store.ScopeAAD(a.ID, "SYN", "llm") == store.ScopeAAD(a.ID, "SHOP", "llm") || store.ScopeAAD(a.ID, domain.SiteScope, "llm") != store.SettingsAAD(a.ID, "llm") {
			t.Error("scope AAD must bind the project and keep the site form")
		}
	})
}

// TestMigration0004MovesSiteRows runs migration 0004 again on a database
// that holds an old site-wide settings row: the statements are idempotent
// and the row becomes the site defaults, keys untouched.
func TestMigration0004MovesSiteRows(t *testing.T) {
	for _, d := range storetest.Drivers {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			o := store.Options{Driver: d, Box: storetest.Box(t), Logger: slog.New(slog.DiscardHandler)}
			rawDriver := "sqlite"
			if d == "sqlite" {
				o.DSN = filepath.Join(t.TempDir(), "m.db") + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
			} else {
				o.DSN, rawDriver = storetest.MySQLDatabase(t), "mysql"
			}
			s, err := store.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			tn := tenantOf(t, s, "old")
			raw, err := sql.Open(rawDriver, o.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			sealed, _ := storetest.Box(t).Seal("sk-old", store.SettingsAAD(tn.ID, "llm"))
			for _, q := range []string{
				`INSERT INTO generate_settings (tenant_id, llm_provider, llm_base_url, llm_model, llm_key_enc, research_provider, research_key_enc,
				 llm_budget_micro_usd, searches_per_month, retention_days, updated_by, updated_at)
				 VALUES (?, 'compatible', 'https://llm.example.com/v1', 'llama', ?, 'none', '', 7000000, 0, 45, 'acc-old', ?)`,
				`DELETE FROM schema_migrations WHERE version = 4`,
			} {
				args := []any{}
				if q[0] == 'I' {
					args = []any{tn.ID, sealed, time.Now().UTC()}
				}
				if _, err := raw.ExecContext(ctx, q, args...); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("0004 again: %v", err)
			}
			g, err := s.Tenant(tn).ScopeSettings(ctx, domain.SiteScope)
			if err != nil {
				t.Fatal(err)
			}
			if *g.LLMProvider != "compatible" || g.LLMBaseURL != "https://llm.example.com/v1" || *g.LLMBudgetMicro != 7000000 ||
				*g.SearchesPerMonth != 0 || *g.RetentionDays != 45 || *g.ResearchProvider != "none" || g.UpdatedBy != "acc-old" {
				t.Errorf("moved row %+v", g)
			}
			if k, err := storetest.Box(t).Open(g.LLMKeySealed, store.ScopeAAD(tn.ID, domain.SiteScope, "llm")); err != nil || k != "sk-old" {
				t.Errorf("moved key %q %v", k, err)
			}
			if n, _ := s.CountRows(ctx, "generate_settings"); n != 0 {
				t.Errorf("%d rows left in generate_settings", n)
			}
			// A third run changes nothing.
			raw.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 4`)
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if n, _ := s.CountRows(ctx, "project_settings"); n != 1 {
				t.Errorf("%d settings rows after a third run", n)
			}
		})
	}
}
