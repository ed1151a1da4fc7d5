package web

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/mcpserver"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// TestMCPTokenLifecycle: a token works until it expires or is revoked,
// and only while its tenant is installed; last use is recorded.
func TestMCPTokenLifecycle(t *testing.T) {
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			st := storetest.Open(t, driver, clock)
			tenant, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: "ck", BaseURL: "https://a.atlassian.net", SharedSecret: "s"})
			if err != nil {
				t.Fatal(err)
			}
			s := &Server{Deps: Deps{Store: st, Now: clock, Logger: slog.New(slog.DiscardHandler)}}
			token, err := newToken()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(token, TokenPrefix) || len(token) != len(TokenPrefix)+43 {
				t.Fatalf("token %q", token)
			}
			if other, _ := newToken(); other == token {
				t.Fatal("two tokens are equal")
			}
			rec, err := st.Tenant(tenant).CreateAccessToken(ctx, "acc-1", "cli", token, []string{"SHOP"}, now.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}

			c, exp, err := s.authenticateToken(ctx, token, nil)
			if err != nil || c.AccountID != "acc-1" || c.Tenant.ID != tenant.ID || !c.Allows("SHOP") || c.Allows("OPS") || c.TokenID != rec.ID || !exp.Equal(rec.ExpiresAt) {
				t.Fatalf("valid token: %+v %v %v", c, exp, err)
			}
			if toks, _ := st.Tenant(tenant).AccessTokens(ctx, "acc-1"); toks[0].LastUsedAt == nil || !toks[0].LastUsedAt.Equal(now) {
				t.Fatalf("last use not recorded: %+v", toks[0])
			}
			for _, bad := range []string{"", "bai_pat_", "ghp_" + token[8:], token + "x", strings.Repeat("bai_pat_x", 20)} {
				if _, _, err := s.authenticateToken(ctx, bad, nil); !errors.Is(err, mcpserver.ErrInvalidToken) {
					t.Errorf("token %.20q: err = %v", bad, err)
				}
			}

			now = now.Add(24 * time.Hour) // the expiry instant
			if _, _, err := s.authenticateToken(ctx, token, nil); !errors.Is(err, mcpserver.ErrInvalidToken) {
				t.Fatalf("expired token: %v", err)
			}
			now = now.Add(-time.Hour)
			if _, _, err := s.authenticateToken(ctx, token, nil); err != nil {
				t.Fatalf("before expiry: %v", err)
			}
			if err := st.MarkUninstalled(ctx, "ck", time.Hour); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.authenticateToken(ctx, token, nil); !errors.Is(err, mcpserver.ErrInvalidToken) {
				t.Fatalf("uninstalled tenant: %v", err)
			}
			if _, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: "ck", BaseURL: "https://a.atlassian.net", SharedSecret: "s"}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.authenticateToken(ctx, token, nil); err != nil {
				t.Fatalf("reinstalled: %v", err)
			}
			if err := st.Tenant(tenant).RevokeAccessToken(ctx, "acc-1", rec.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.authenticateToken(ctx, token, nil); !errors.Is(err, mcpserver.ErrInvalidToken) {
				t.Fatalf("revoked token: %v", err)
			}
		})
	}
}

// Last use is written once a minute per token, not on every call.
func TestTokenTouchThrottle(t *testing.T) {
	ta := &tokenAuth{touched: map[int64]time.Time{}}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		id    int64
		after time.Duration
		want  bool
	}{{1, 0, true}, {1, 30 * time.Second, false}, {2, 30 * time.Second, true}, {1, 61 * time.Second, true}, {1, 90 * time.Second, false}}
	for i, s := range steps {
		if got := ta.touch(s.id, at.Add(s.after)); got != s.want {
			t.Errorf("step %d: touch(%d, +%v) = %v, want %v", i, s.id, s.after, got, s.want)
		}
	}
}
