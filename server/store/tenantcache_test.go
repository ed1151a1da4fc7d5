package store_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// twoReplicas opens two stores on one database, as two app replicas do,
// with one clock.
func twoReplicas(t *testing.T, driver string, now func() time.Time) (*store.Store, *store.Store) {
	t.Helper()
	dsn := ""
	switch driver {
	case "sqlite":
		dsn = filepath.Join(t.TempDir(), "test.db") + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	case "mysql":
		dsn = storetest.MySQLDatabase(t)
	}
	open := func() *store.Store {
		s, err := store.Open(context.Background(), store.Options{Driver: driver, DSN: dsn, Box: storetest.Box(t),
			Logger: slog.New(slog.DiscardHandler), Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	return open(), open()
}

// TestDataVersionFollowsLocalAndRemoteWrites: this replica's writes move a
// tenant's data version at once and only that tenant's; another
// replica's are seen once the version's second is up, with one query.
func TestDataVersionFollowsLocalAndRemoteWrites(t *testing.T) {
	for _, d := range storetest.Drivers {
		t.Run(d, func(t *testing.T) {
			var clock atomic.Int64
			clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
			now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
			tick := func(d time.Duration) { clock.Add(int64(d)) }
			a, b := twoReplicas(t, d, now)
			ctx := context.Background()
			ta, tb := tenantOf(t, a, "a"), tenantOf(t, a, "b")
			for _, tn := range []*domain.Tenant{ta, tb} {
				if _, err := a.Tenant(tn).EnsureProject(ctx, "SHOP", "1", "Shop"); err != nil {
					t.Fatal(err)
				}
				if err := a.Tenant(tn).SaveResults(ctx, "SHOP", []store.ResultInput{analysed("SHOP-1", 50, domain.MoscowCould)}); err != nil {
					t.Fatal(err)
				}
			}
			version := func(s *store.Store, tn *domain.Tenant) store.DataVersion {
				t.Helper()
				v, err := s.Tenant(tn).DataVersion(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			va, vb, vRemote := version(a, ta), version(a, tb), version(b, ta)
			if version(a, ta) != va {
				t.Fatal("version moved without a write")
			}

			// A local write moves the version at once, and only its tenant's.
			tick(time.Millisecond)
			if err := a.Tenant(ta).SaveResults(ctx, "SHOP", []store.ResultInput{analysed("SHOP-1", 60, domain.MoscowShould)}); err != nil {
				t.Fatal(err)
			}
			if version(a, ta) == va {
				t.Error("a local result save did not move the tenant's version")
			}
			if version(a, tb) != vb {
				t.Error("a write to tenant a moved tenant b's version")
			}
			// Writes in a transaction count, also after the commit.
			va = version(a, ta)
			tick(time.Millisecond)
			err := a.Tenant(ta).WithTx(ctx, func(tx *store.TenantStore) error {
				return tx.SetProjectActive(ctx, "SHOP", true)
			})
			if err != nil {
				t.Fatal(err)
			}
			if version(a, ta) == va {
				t.Error("a local project write in a transaction did not move the version")
			}

			// Replica b serves its version from memory for up to a second,
			// then reads the database again and sees a's writes.
			if version(b, ta) != vRemote {
				t.Error("replica b read its version again within the second")
			}
			tick(1100 * time.Millisecond)
			if version(b, ta) == vRemote {
				t.Error("replica b does not see replica a's writes after a second")
			}
			// A tombstone on b (an update, no new row) is seen by a.
			va = version(a, ta)
			tick(time.Millisecond)
			if _, err := b.Tenant(ta).MarkDeleted(ctx, "SHOP-1"); err != nil {
				t.Fatal(err)
			}
			tick(1100 * time.Millisecond)
			if version(a, ta) == va {
				t.Error("replica a does not see replica b's tombstone")
			}
		})
	}
}
