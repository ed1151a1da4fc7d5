package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type tenantRow struct {
	ID              int64 `gorm:"primaryKey"`
	ClientKey       string
	BaseURL         string `gorm:"column:base_url"`
	DisplayURL      string `gorm:"column:display_url"`
	ProductType     string
	Description     string
	OAuthClientID   string `gorm:"column:oauth_client_id"`
	InstallationID  string
	SharedSecretEnc string
	State           string
	InstalledAt     time.Time
	UpdatedAt       time.Time
	UninstalledAt   *time.Time
	PurgeAfter      *time.Time
}

func (tenantRow) TableName() string { return "tenants" }

func aadTenant(clientKey string) string { return "tenant:" + clientKey }

func (s *Store) toDomain(r *tenantRow) (*domain.Tenant, error) {
	secret, err := s.box.Open(r.SharedSecretEnc, aadTenant(r.ClientKey))
	if err != nil {
		return nil, fmt.Errorf("store: tenant %d secret: %w", r.ID, err)
	}
	return &domain.Tenant{
		ID: r.ID, ClientKey: r.ClientKey, BaseURL: r.BaseURL, DisplayURL: r.DisplayURL,
		ProductType: r.ProductType, Description: r.Description, OAuthClientID: r.OAuthClientID,
		InstallationID: r.InstallationID, SharedSecret: secret, State: domain.TenantState(r.State),
		InstalledAt: r.InstalledAt, UpdatedAt: r.UpdatedAt, UninstalledAt: r.UninstalledAt, PurgeAfter: r.PurgeAfter,
	}, nil
}

// SaveInstallation records a verified install or re-install: a new tenant,
// or the same clientKey with a new secret and URLs. A re-install after an
// uninstall revives the tenant and cancels its scheduled purge.
func (s *Store) SaveInstallation(ctx context.Context, t *domain.Tenant) (*domain.Tenant, error) {
	if _, err := s.saveInstallation(ctx, t); err != nil {
		return nil, err
	}
	s.tenants.forget(t.ClientKey)
	return s.TenantByClientKey(ctx, t.ClientKey)
}

func (s *Store) saveInstallation(ctx context.Context, t *domain.Tenant) (*tenantRow, error) {
	if t.ClientKey == "" || t.BaseURL == "" || t.SharedSecret == "" {
		return nil, fmt.Errorf("store: save installation: clientKey, baseUrl and sharedSecret are required: %w", domain.ErrInvalid)
	}
	enc, err := s.box.Seal(t.SharedSecret, aadTenant(t.ClientKey))
	if err != nil {
		return nil, fmt.Errorf("store: save installation: %w", err)
	}
	now := s.now().UTC()
	row := tenantRow{
		ClientKey: t.ClientKey, BaseURL: t.BaseURL, DisplayURL: t.DisplayURL, ProductType: t.ProductType,
		Description: t.Description, OAuthClientID: t.OAuthClientID, InstallationID: t.InstallationID,
		SharedSecretEnc: enc, State: string(domain.TenantInstalled), InstalledAt: now, UpdatedAt: now,
	}
	err = s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "client_key"}},
		DoUpdates: clause.Assignments(map[string]any{
			"base_url": row.BaseURL, "display_url": row.DisplayURL, "product_type": row.ProductType,
			"description": row.Description, "oauth_client_id": row.OAuthClientID,
			"installation_id": row.InstallationID, "shared_secret_enc": row.SharedSecretEnc,
			"state": row.State, "updated_at": now, "uninstalled_at": nil, "purge_after": nil,
		}),
	}).Create(&row).Error
	if err != nil {
		return nil, fmt.Errorf("store: save installation: %w", err)
	}
	return &row, nil
}

// TenantByClientKey returns the tenant in any state, or ErrNotFound. It is
// served from a short-lived cache (tenantCacheTTL); this process's own
// lifecycle writes refresh it at once.
func (s *Store) TenantByClientKey(ctx context.Context, clientKey string) (*domain.Tenant, error) {
	now := s.now()
	if t, ok := s.tenants.get(clientKey, now); ok {
		return t, nil
	}
	var r tenantRow
	if err := s.db.WithContext(ctx).Where("client_key = ?", clientKey).Take(&r).Error; err != nil {
		return nil, notFound(err, "store: tenant")
	}
	t, err := s.toDomain(&r)
	if err != nil {
		return nil, err
	}
	s.tenants.put(t, now)
	return t, nil
}

// TenantByID returns the tenant with that id, or ErrNotFound.
func (s *Store) TenantByID(ctx context.Context, id int64) (*domain.Tenant, error) {
	var r tenantRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, notFound(err, "store: tenant")
	}
	return s.toDomain(&r)
}

// SetTenantEnabled records an enabled/disabled callback. It never revives
// an uninstalled tenant.
func (s *Store) SetTenantEnabled(ctx context.Context, clientKey string, enabled bool) error {
	state := domain.TenantDisabled
	if enabled {
		state = domain.TenantEnabled
	}
	defer s.tenants.forget(clientKey)
	res := s.db.WithContext(ctx).Model(&tenantRow{}).
		Where("client_key = ? AND state <> ?", clientKey, domain.TenantUninstalled).
		Updates(map[string]any{"state": string(state), "updated_at": s.now().UTC()})
	if res.Error != nil {
		return fmt.Errorf("store: set tenant state: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: set tenant state: %w", domain.ErrNotFound)
	}
	return nil
}

// MarkUninstalled stops the tenant and schedules its data for deletion.
func (s *Store) MarkUninstalled(ctx context.Context, clientKey string, retention time.Duration) error {
	defer s.tenants.forget(clientKey)
	now := s.now().UTC()
	purge := now.Add(retention)
	// A site that moved to Forge keeps its tenant when the Connect app is
	// removed (docs/forge.md, migration path).
	var onForge int64
	err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*) FROM forge_installations f JOIN tenants t ON t.id = f.tenant_id
		WHERE t.client_key = ? AND f.state = ?`, clientKey, domain.TenantInstalled).Scan(&onForge).Error
	if err != nil {
		return fmt.Errorf("store: uninstall: %w", err)
	}
	if onForge > 0 {
		return nil
	}
	res := s.db.WithContext(ctx).Model(&tenantRow{}).Where("client_key = ?", clientKey).
		Updates(map[string]any{"state": string(domain.TenantUninstalled), "updated_at": now, "uninstalled_at": now, "purge_after": purge})
	if res.Error != nil {
		return fmt.Errorf("store: uninstall: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: uninstall: %w", domain.ErrNotFound)
	}
	return nil
}

// PurgeDue deletes every uninstalled tenant whose retention has passed,
// with all its data, and returns how many were purged.
func (s *Store) PurgeDue(ctx context.Context) (int, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&tenantRow{}).
		Where("state = ? AND purge_after IS NOT NULL AND purge_after <= ?", domain.TenantUninstalled, s.now().UTC()).
		Pluck("id", &ids).Error
	if err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	for _, id := range ids {
		err := s.WithTx(ctx, func(tx *Store) error {
			for _, table := range tenantTables {
				if err := tx.db.Exec("DELETE FROM "+table+" WHERE tenant_id = ?", id).Error; err != nil {
					return fmt.Errorf("%s: %w", table, err)
				}
			}
			// Re-check the state inside the transaction: a re-install
			// between the select and here must win.
			res := tx.db.Exec("DELETE FROM tenants WHERE id = ? AND state = ?", id, domain.TenantUninstalled)
			return res.Error
		})
		if err != nil {
			return 0, fmt.Errorf("store: purge tenant %d: %w", id, err)
		}
		s.log.Info("tenant data purged", "tenant_id", id)
	}
	return len(ids), nil
}

// tenantTables lists every table holding tenant data (column tenant_id),
// children before parents. A new tenant table must be added here; the
// purge test checks that no tenant_id table is missing.
var tenantTables = []string{"score_history", "project_trend", "saved_views", "rank_applications", "tool_audit", "access_tokens", "drafts", "generation_runs", "research_cache", "generate_usage", "project_usage", "generate_settings", "project_settings", "idempotency_keys", "jobs", "webhook_events", "issue_results", "overrides", "scans", "forge_installations", "projects"}

// CountRows counts rows of a table (tests and readiness only).
func (s *Store) CountRows(ctx context.Context, table string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Table(table).Count(&n).Error
	return n, err
}

// RawSecretColumn returns the stored shared secret column as it sits in the
// database (for encryption-at-rest tests and key rotation).
func (s *Store) RawSecretColumn(ctx context.Context, clientKey string) (string, error) {
	var v string
	err := s.db.WithContext(ctx).Raw("SELECT shared_secret_enc FROM tenants WHERE client_key = ?", clientKey).Scan(&v).Error
	if err == nil && v == "" {
		err = gorm.ErrRecordNotFound
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", fmt.Errorf("store: raw secret: %w", domain.ErrNotFound)
	}
	return v, err
}

// TenantTables lists the tables holding tenant data.
func TenantTables() []string { return append([]string(nil), tenantTables...) }

// TablesWithColumn lists tables that have a column of that name.
func (s *Store) TablesWithColumn(ctx context.Context, column string) ([]string, error) {
	var tables []string
	q := `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type='table' AND c.name=?`
	if s.driver == "mysql" {
		q = `SELECT table_name FROM information_schema.columns WHERE table_schema = DATABASE() AND column_name = ?`
	}
	err := s.db.WithContext(ctx).Raw(q, column).Scan(&tables).Error
	return tables, err
}
