package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/backlogai/backlogai/server/domain"
)

// TenantStore is the store seen by one tenant. Every query it runs carries
// the tenant's id; it has no method that reaches another tenant's rows.
type TenantStore struct {
	s        *Store
	tenantID int64
	// project, when set (ForProject), makes usage counters and quotas
	// the project's; the site's total is kept as well.
	project string
}

// Tenant returns the view of t's data.
func (s *Store) Tenant(t *domain.Tenant) *TenantStore {
	return &TenantStore{s: s, tenantID: t.ID}
}

// TenantID is the id this view is bound to.
func (ts *TenantStore) TenantID() int64 { return ts.tenantID }

// q starts a query on table scoped to the tenant.
func (ts *TenantStore) q(ctx context.Context, table string) *gorm.DB {
	return ts.s.db.WithContext(ctx).Table(table).Where("tenant_id = ?", ts.tenantID)
}

// WithTx runs fn in a transaction on this tenant's view.
func (ts *TenantStore) WithTx(ctx context.Context, fn func(tx *TenantStore) error) error {
	return ts.s.WithTx(ctx, func(tx *Store) error {
		return fn(&TenantStore{s: tx, tenantID: ts.tenantID, project: ts.project})
	})
}

// affected turns an update that matched no row into ErrNotFound. MySQL
// counts only rows whose values changed, so 0 is confirmed by a lookup.
func (ts *TenantStore) affected(ctx context.Context, res *gorm.DB, table, cond string, args ...any) error {
	if res.RowsAffected > 0 {
		return nil
	}
	var n int64
	if err := ts.q(ctx, table).Where(cond, args...).Count(&n).Error; err != nil {
		return fmt.Errorf("store: %s: %w", table, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", table, domain.ErrNotFound)
	}
	return nil
}
