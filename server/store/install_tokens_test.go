package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func TestInstallTokenReplay(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		tok := func(h string, sec int) domain.InstallToken {
			return domain.InstallToken{Hash: "sha256-of-" + h, IssuedAt: t0.Add(time.Duration(sec) * time.Second)}
		}
		inst := func(secret string) *domain.Tenant {
			return &domain.Tenant{ClientKey: "ck", BaseURL: "https://a.atlassian.net", SharedSecret: secret}
		}
		if _, err := s.SaveSignedInstallation(ctx, inst("secret-1"), tok("A", 10)); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			tok  domain.InstallToken
			ok   bool
		}{
			{"same token again", tok("A", 10), false},
			{"older token", tok("B", 9), false},
			{"another token of the same second", tok("C", 10), true},
			{"newer token", tok("D", 20), true},
			{"the first token after a newer one", tok("A", 10), false},
		} {
			_, err := s.SaveSignedInstallation(ctx, inst("secret-"+c.name), c.tok)
			if c.ok != (err == nil) || (!c.ok && !errors.Is(err, domain.ErrInstallReplay)) || (!c.ok && !errors.Is(err, domain.ErrUnauthorized)) {
				t.Errorf("%s: %v", c.name, err)
			}
			tn, _ := s.TenantByClientKey(ctx, "ck")
			if c.ok && tn.SharedSecret != "secret-"+c.name {
				t.Errorf("%s: secret %q", c.name, tn.SharedSecret)
			}
			if !c.ok && tn.SharedSecret == "secret-"+c.name {
				t.Errorf("%s: the refused install changed the secret", c.name)
			}
		}
		// Tokens are remembered per clientKey.
		other := &domain.Tenant{ClientKey: "ck-2", BaseURL: "https://b.atlassian.net", SharedSecret: "x"}
		if _, err := s.SaveSignedInstallation(ctx, other, tok("A", 10)); err != nil {
			t.Errorf("another clientKey: %v", err)
		}
		if _, err := s.SaveSignedInstallation(ctx, other, domain.InstallToken{Hash: "h"}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("no iat: %v", err)
		}
	})
}
