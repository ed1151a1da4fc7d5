package store_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/secrets"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// TestRotateSecrets re-seals every secret with a new key: afterwards the
// new key alone reads them, and no raw row holds the old ciphertext.
func TestRotateSecrets(t *testing.T) {
	for _, d := range storetest.Drivers {
		t.Run(d, func(t *testing.T) {
			s := storetest.Open(t, d, nil) // sealed with storetest.Key
			ctx := context.Background()
			for _, k := range []string{"a", "b", "c"} {
				if _, err := s.SaveInstallation(ctx, &domain.Tenant{ClientKey: k, BaseURL: "https://" + k + ".atlassian.net", SharedSecret: "secret-" + k}); err != nil {
					t.Fatal(err)
				}
			}
			// A tenant's LLM key in the generation settings is rotated too.
			ta, _ := s.TenantByClientKey(ctx, "a")
			box := storetest.Box(t)
			sealed, _ := box.Seal("sk-tenant-llm-key", store.ScopeAAD(ta.ID, domain.SiteScope, "llm"))
			openai := "openai"
			if err := s.Tenant(ta).SaveScopeSettings(ctx, domain.ScopeSettings{LLMProvider: &openai, LLMKeySealed: sealed}); err != nil {
				t.Fatal(err)
			}
			// and a project's research key, bound to its project.
			psealed, _ := box.Seal("serp-shop", store.ScopeAAD(ta.ID, "SHOP", "research"))
			if err := s.Tenant(ta).SaveScopeSettings(ctx, domain.ScopeSettings{Project: "SHOP", ResearchKeySealed: psealed}); err != nil {
				t.Fatal(err)
			}
			before, _ := s.RawSecretColumn(ctx, "a")
			newKey := bytes.Repeat([]byte{9}, 32)
			rotating, _ := secrets.New(newKey, storetest.Key)
			rs := s.WithBox(rotating)
			n, err := rs.RotateSecrets(ctx)
			if err != nil || n != 5 {
				t.Fatalf("rotated %d: %v", n, err)
			}
			after, _ := s.RawSecretColumn(ctx, "a")
			if after == before {
				t.Fatal("raw row unchanged")
			}
			onlyNew, _ := secrets.New(newKey)
			ns := s.WithBox(onlyNew)
			for _, k := range []string{"a", "b", "c"} {
				tn, err := ns.TenantByClientKey(ctx, k)
				if err != nil || tn.SharedSecret != "secret-"+k {
					t.Fatalf("%s after rotation: %+v %v", k, tn, err)
				}
			}
			g, _ := ns.Tenant(ta).ScopeSettings(ctx, domain.SiteScope)
			if g.LLMKeySealed == sealed {
				t.Error("settings key not re-sealed")
			}
			if pt, err := onlyNew.Open(g.LLMKeySealed, store.ScopeAAD(ta.ID, domain.SiteScope, "llm")); err != nil || pt != "sk-tenant-llm-key" {
				t.Errorf("settings key after rotation: %q %v", pt, err)
			}
			p, _ := ns.Tenant(ta).ScopeSettings(ctx, "SHOP")
			if pt, err := onlyNew.Open(p.ResearchKeySealed, store.ScopeAAD(ta.ID, "SHOP", "research")); err != nil || pt != "serp-shop" {
				t.Errorf("project key after rotation: %q %v", pt, err)
			}
			// The old key alone no longer reads them.
			oldOnly, _ := secrets.New(storetest.Key)
			if _, err := s.WithBox(oldOnly).TenantByClientKey(ctx, "b"); err == nil {
				t.Error("old key still reads rotated secrets")
			}
			var _ *store.Store = ns
		})
	}
}

// TestEverySecretColumnIsRotated fails when a migration adds a sealed
// column (named *_enc) that key rotation does not know.
func TestEverySecretColumnIsRotated(t *testing.T) {
	for _, d := range storetest.Drivers {
		t.Run(d, func(t *testing.T) {
			s := storetest.Open(t, d, nil)
			cols, err := s.EncryptedLookingColumns(context.Background())
			if err != nil || len(cols) == 0 {
				t.Fatalf("columns %v %v", cols, err)
			}
			known := map[string]bool{}
			for _, c := range store.SealedColumns() {
				known[c] = true
			}
			for _, c := range cols {
				if !known[c] {
					t.Errorf("%s looks encrypted but key rotation skips it (add it to sealedColumns)", c)
				}
			}
		})
	}
}
