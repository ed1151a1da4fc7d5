package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func forgeInstall(id, site string) domain.ForgeInstallation {
	return domain.ForgeInstallation{InstallationID: id, AppID: "ari:cloud:ecosystem::app/x", CloudID: "cloud-" + id,
		SiteURL: site, APIBaseURL: "https://api.atlassian.com/ex/jira/cloud-" + id}
}

// A site that was on Connect keeps its tenant (and data) when it installs
// the Forge app, and keeps it when the Connect app is then removed.
func TestForgeInstallKeepsConnectTenant(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		connectTenant := tenantOf(t, s, "acme") // https://acme.atlassian.net
		got, err := s.SaveForgeInstallation(ctx, forgeInstall("inst-1", "https://acme.atlassian.net/"))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != connectTenant.ID {
			t.Fatalf("forge install made tenant %d, want the Connect tenant %d", got.ID, connectTenant.ID)
		}
		// Removing the Connect app leaves the tenant live for Forge.
		if err := s.MarkUninstalled(ctx, "acme", time.Hour); err != nil {
			t.Fatal(err)
		}
		tn, err := s.TenantByForgeInstallation(ctx, "inst-1")
		if err != nil || !tn.Active() {
			t.Fatalf("after Connect uninstall: %v %v", tn, err)
		}
		// A new site gets its own tenant keyed by installation.
		other, err := s.SaveForgeInstallation(ctx, forgeInstall("inst-2", "https://new.atlassian.net"))
		if err != nil {
			t.Fatal(err)
		}
		if other.ID == connectTenant.ID || other.ClientKey != store.ForgeTenantKeyPrefix+"inst-2" {
			t.Fatalf("new site tenant = %d %q", other.ID, other.ClientKey)
		}
		// Installing the same installation again is idempotent.
		again, err := s.SaveForgeInstallation(ctx, forgeInstall("inst-2", "https://new.atlassian.net"))
		if err != nil || again.ID != other.ID {
			t.Fatalf("re-install: %v %v", again, err)
		}
	})
}

func TestForgeSystemTokenSealedAndLatestWins(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		if _, err := s.SaveForgeInstallation(ctx, forgeInstall("inst-1", "https://a.atlassian.net")); err != nil {
			t.Fatal(err)
		}
		t0 := clock.t
		if ok, err := s.SaveForgeSystemToken(ctx, "inst-1", "tok-new", t0.Add(time.Hour)); err != nil || !ok {
			t.Fatalf("save: %v %v", ok, err)
		}
		// An older token arriving late does not replace it.
		if ok, err := s.SaveForgeSystemToken(ctx, "inst-1", "tok-old", t0.Add(30*time.Minute)); err != nil || ok {
			t.Fatalf("older token stored: %v %v", ok, err)
		}
		in, err := s.ForgeInstallation(ctx, "inst-1")
		if err != nil || in.SystemToken != "tok-new" || !in.SystemTokenExpires.Equal(t0.Add(time.Hour)) {
			t.Fatalf("installation = %+v %v", in, err)
		}
		raw, err := s.CountRows(ctx, "forge_installations")
		if err != nil || raw != 1 {
			t.Fatalf("rows %d %v", raw, err)
		}
		if _, err := s.SaveForgeSystemToken(ctx, "inst-1", "", t0); !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "token") {
			t.Fatalf("empty token: %v", err)
		}
	})
}

func TestForgeUninstallSchedulesPurgeOfForgeOnlyTenant(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		tn, err := s.SaveForgeInstallation(ctx, forgeInstall("inst-9", "https://z.atlassian.net"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveForgeSystemToken(ctx, "inst-9", "tok", clock.t.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkForgeUninstalled(ctx, "inst-9", time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TenantByForgeInstallation(ctx, "inst-9"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("uninstalled installation still resolves: %v", err)
		}
		in, _ := s.ForgeInstallation(ctx, "inst-9")
		if in.SystemToken != "" {
			t.Fatal("system token kept after uninstall")
		}
		clock.t = clock.t.Add(2 * time.Hour)
		if n, err := s.PurgeDue(ctx); err != nil || n != 1 {
			t.Fatalf("purge = %d %v", n, err)
		}
		if _, err := s.TenantByID(ctx, tn.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("tenant not purged: %v", err)
		}
	})
}
