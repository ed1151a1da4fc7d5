package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

const tokenA = "bai_pat_0123456789abcdef0123456789abcdef0123456789"

func TestAccessTokens(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a, b := tenantOf(t, s, "a"), tenantOf(t, s, "b")
		ts := s.Tenant(a)
		exp := clock.t.Add(30 * 24 * time.Hour)

		bad := []struct {
			name, account, label, token string
			projects                    []string
		}{
			{"no account", "", "n", tokenA, []string{"SHOP"}},
			{"no name", "acc", "", tokenA, []string{"SHOP"}},
			{"no project", "acc", "n", tokenA, nil},
			{"comma in project", "acc", "n", tokenA, []string{"A,B"}},
			{"short token", "acc", "n", "bai_pat_x", []string{"SHOP"}},
		}
		for _, c := range bad {
			if _, err := ts.CreateAccessToken(ctx, c.account, c.label, c.token, c.projects, exp); !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", c.name, err)
			}
		}

		tok, err := ts.CreateAccessToken(ctx, "acc-1", "Claude Code", tokenA, []string{"SHOP", "OPS"}, exp)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Prefix != tokenA[:12] || len(tok.Projects) != 2 || !tok.Allows("OPS") || tok.Allows("HR") {
			t.Fatalf("token = %+v", tok)
		}
		if h := store.HashToken(tokenA); len(h) != 64 || h == store.HashToken(tokenA+"x") {
			t.Fatalf("hash = %q", h)
		}
		got, err := s.AccessTokenByValue(ctx, tokenA)
		if err != nil || got.ID != tok.ID || got.TenantID != a.ID || got.AccountID != "acc-1" {
			t.Fatalf("by value = %+v, %v", got, err)
		}
		if !got.Active(clock.t) || got.Active(exp) {
			t.Fatal("active before expiry only")
		}
		if _, err := s.AccessTokenByValue(ctx, tokenA+"x"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("unknown token: %v", err)
		}

		// Listing is per person and per tenant.
		if _, err := ts.CreateAccessToken(ctx, "acc-2", "other", tokenA+"2", []string{"SHOP"}, exp); err != nil {
			t.Fatal(err)
		}
		mine, err := ts.AccessTokens(ctx, "acc-1")
		if err != nil || len(mine) != 1 || mine[0].ID != tok.ID {
			t.Fatalf("mine = %v, %v", mine, err)
		}
		if other, _ := s.Tenant(b).AccessTokens(ctx, "acc-1"); len(other) != 0 {
			t.Fatalf("tenant b sees %v", other)
		}

		// Last use is recorded at most once a minute.
		if err := ts.TouchAccessToken(ctx, tok.ID, clock.t); err != nil {
			t.Fatal(err)
		}
		ts.TouchAccessToken(ctx, tok.ID, clock.t.Add(30*time.Second))
		got, _ = s.AccessTokenByValue(ctx, tokenA)
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(clock.t) {
			t.Fatalf("last used = %v, want %v", got.LastUsedAt, clock.t)
		}

		// Revoking: only the owner, in the owner's tenant; twice is fine.
		if err := ts.RevokeAccessToken(ctx, "acc-2", tok.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("revoke by another person: %v", err)
		}
		if err := s.Tenant(b).RevokeAccessToken(ctx, "acc-1", tok.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("revoke from another tenant: %v", err)
		}
		if err := ts.RevokeAccessToken(ctx, "acc-1", tok.ID); err != nil {
			t.Fatal(err)
		}
		if err := ts.RevokeAccessToken(ctx, "acc-1", tok.ID); err != nil {
			t.Fatalf("second revoke: %v", err)
		}
		got, _ = s.AccessTokenByValue(ctx, tokenA)
		if got.RevokedAt == nil || got.Active(clock.t) {
			t.Fatalf("revoked token still active: %+v", got)
		}
	})
}
