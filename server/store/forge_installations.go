package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/backlogai/backlogai/server/domain"
)

type forgeInstallationRow struct {
	ID                 int64 `gorm:"primaryKey"`
	TenantID           int64
	InstallationID     string
	AppID              string
	CloudID            string
	SiteURL            string `gorm:"column:site_url"`
	APIBaseURL         string `gorm:"column:api_base_url"`
	SystemTokenEnc     string
	SystemTokenExpires *time.Time
	State              string
	InstalledAt        time.Time
	UpdatedAt          time.Time
}

func (forgeInstallationRow) TableName() string { return "forge_installations" }

// ForgeTenantKeyPrefix starts the clientKey of a tenant created by a Forge
// install (a site that was never on Connect).
const ForgeTenantKeyPrefix = "forge:"

func aadForgeToken(installationID string) string {
	return "forge-installation:" + installationID + ":system"
}

// SaveForgeInstallation records a verified Forge install (or any
// invocation of an installation not seen yet) and returns the tenant it
// uses. A site already installed through Connect (same site URL) keeps its
// tenant, so its strategy, overrides and history carry over; otherwise a
// tenant keyed "forge:<installationId>" is created. Re-installing revives
// both rows.
func (s *Store) SaveForgeInstallation(ctx context.Context, in domain.ForgeInstallation) (*domain.Tenant, error) {
	if in.InstallationID == "" || in.SiteURL == "" || in.APIBaseURL == "" {
		return nil, fmt.Errorf("store: forge installation: installationId, siteUrl and apiBaseUrl are required: %w", domain.ErrInvalid)
	}
	site := strings.TrimRight(in.SiteURL, "/")
	now := s.now().UTC()
	var tenantKey string
	err := s.WithTx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		var row forgeInstallationRow
		err := db.Where("installation_id = ?", in.InstallationID).Take(&row).Error
		switch {
		case err == nil:
			// Known installation: refresh what Forge says about it.
		case errors.Is(err, gorm.ErrRecordNotFound):
			tid, key, err := tx.forgeTenantFor(ctx, in.InstallationID, site, now)
			if err != nil {
				return err
			}
			row = forgeInstallationRow{TenantID: tid, InstallationID: in.InstallationID, InstalledAt: now}
			tenantKey = key
		default:
			return err
		}
		row.AppID, row.CloudID, row.SiteURL, row.APIBaseURL = in.AppID, in.CloudID, site, strings.TrimRight(in.APIBaseURL, "/")
		row.State, row.UpdatedAt = string(domain.TenantInstalled), now
		if err := db.Save(&row).Error; err != nil {
			return err
		}
		// A re-install after an uninstall revives the tenant and cancels
		// its purge.
		var t tenantRow
		if err := db.Where("id = ?", row.TenantID).Take(&t).Error; err != nil {
			return err
		}
		tenantKey = t.ClientKey
		if t.State == string(domain.TenantUninstalled) || t.State == string(domain.TenantDisabled) {
			return db.Model(&tenantRow{}).Where("id = ?", t.ID).Updates(map[string]any{
				"state": string(domain.TenantInstalled), "updated_at": now, "uninstalled_at": nil, "purge_after": nil}).Error
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: forge installation: %w", err)
	}
	s.tenants.forget(tenantKey)
	return s.TenantByClientKey(ctx, tenantKey)
}

// forgeTenantFor finds the tenant a new installation uses: the Connect
// tenant of the same site, or a new one.
func (s *Store) forgeTenantFor(ctx context.Context, installationID, site string, now time.Time) (int64, string, error) {
	db := s.db.WithContext(ctx)
	var existing tenantRow
	err := db.Where("base_url = ? OR base_url = ?", site, site+"/").Order("id").Take(&existing).Error
	if err == nil {
		return existing.ID, existing.ClientKey, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, "", err
	}
	key := ForgeTenantKeyPrefix + installationID
	// Forge tenants have no Connect shared secret; the column holds a
	// sealed empty string so that every tenant row opens the same way.
	enc, err := s.box.Seal("", aadTenant(key))
	if err != nil {
		return 0, "", err
	}
	row := tenantRow{ClientKey: key, BaseURL: site, DisplayURL: site, ProductType: "jira", InstallationID: installationID,
		SharedSecretEnc: enc, State: string(domain.TenantInstalled), InstalledAt: now, UpdatedAt: now}
	if err := db.Create(&row).Error; err != nil {
		return 0, "", err
	}
	return row.ID, key, nil
}

// TenantByForgeInstallation returns the tenant an installation uses, or
// ErrNotFound for an installation never recorded or uninstalled.
func (s *Store) TenantByForgeInstallation(ctx context.Context, installationID string) (*domain.Tenant, error) {
	in, err := s.ForgeInstallation(ctx, installationID)
	if err != nil {
		return nil, err
	}
	if in.State != domain.TenantInstalled {
		return nil, fmt.Errorf("store: forge installation %s is %s: %w", installationID, in.State, domain.ErrNotFound)
	}
	return s.TenantByID(ctx, in.TenantID)
}

// ForgeInstallation returns an installation with its system token opened.
func (s *Store) ForgeInstallation(ctx context.Context, installationID string) (*domain.ForgeInstallation, error) {
	var r forgeInstallationRow
	if err := s.db.WithContext(ctx).Where("installation_id = ?", installationID).Take(&r).Error; err != nil {
		return nil, notFound(err, "store: forge installation")
	}
	return s.forgeToDomain(&r)
}

// ForgeInstallationOfTenant returns the active installation of a tenant,
// or ErrNotFound when the tenant is not on Forge.
func (s *Store) ForgeInstallationOfTenant(ctx context.Context, tenantID int64) (*domain.ForgeInstallation, error) {
	var r forgeInstallationRow
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND state = ?", tenantID, domain.TenantInstalled).
		Order("updated_at DESC").Take(&r).Error
	if err != nil {
		return nil, notFound(err, "store: forge installation of tenant")
	}
	return s.forgeToDomain(&r)
}

func (s *Store) forgeToDomain(r *forgeInstallationRow) (*domain.ForgeInstallation, error) {
	in := &domain.ForgeInstallation{InstallationID: r.InstallationID, TenantID: r.TenantID, AppID: r.AppID,
		CloudID: r.CloudID, SiteURL: r.SiteURL, APIBaseURL: r.APIBaseURL, State: domain.TenantState(r.State),
		InstalledAt: r.InstalledAt, UpdatedAt: r.UpdatedAt}
	if r.SystemTokenEnc != "" {
		tok, err := s.box.Open(r.SystemTokenEnc, aadForgeToken(r.InstallationID))
		if err != nil {
			return nil, fmt.Errorf("store: forge installation %s token: %w", r.InstallationID, err)
		}
		in.SystemToken = tok
	}
	if r.SystemTokenExpires != nil {
		in.SystemTokenExpires = *r.SystemTokenExpires
	}
	return in, nil
}

// SaveForgeSystemToken keeps the app system token of an installation if it
// lives longer than the stored one (invocations can arrive out of order).
// It reports whether the token was stored.
func (s *Store) SaveForgeSystemToken(ctx context.Context, installationID, token string, expires time.Time) (bool, error) {
	if token == "" || expires.IsZero() {
		return false, fmt.Errorf("store: forge system token: token and expiry are required: %w", domain.ErrInvalid)
	}
	enc, err := s.box.Seal(token, aadForgeToken(installationID))
	if err != nil {
		return false, fmt.Errorf("store: forge system token: %w", err)
	}
	exp := expires.UTC()
	res := s.db.WithContext(ctx).Model(&forgeInstallationRow{}).
		Where("installation_id = ? AND (system_token_expires IS NULL OR system_token_expires < ?)", installationID, exp).
		Updates(map[string]any{"system_token_enc": enc, "system_token_expires": exp, "updated_at": s.now().UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("store: forge system token: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// MarkForgeUninstalled records an uninstall. A tenant that no longer has
// any installation, Forge or Connect, is scheduled for purge like a
// Connect uninstall; a tenant still installed through Connect is kept.
func (s *Store) MarkForgeUninstalled(ctx context.Context, installationID string, retention time.Duration) error {
	now := s.now().UTC()
	var key string
	err := s.WithTx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		var row forgeInstallationRow
		if err := db.Where("installation_id = ?", installationID).Take(&row).Error; err != nil {
			return notFound(err, "forge installation")
		}
		if err := db.Model(&row).Updates(map[string]any{"state": string(domain.TenantUninstalled),
			"system_token_enc": "", "system_token_expires": nil, "updated_at": now}).Error; err != nil {
			return err
		}
		var t tenantRow
		if err := db.Where("id = ?", row.TenantID).Take(&t).Error; err != nil {
			return err
		}
		key = t.ClientKey
		var others int64
		if err := db.Model(&forgeInstallationRow{}).Where("tenant_id = ? AND state = ?", t.ID, domain.TenantInstalled).
			Count(&others).Error; err != nil {
			return err
		}
		connectLive := !strings.HasPrefix(t.ClientKey, ForgeTenantKeyPrefix) && t.State != string(domain.TenantUninstalled)
		if others > 0 || connectLive {
			return nil
		}
		return db.Model(&tenantRow{}).Where("id = ?", t.ID).Updates(map[string]any{"state": string(domain.TenantUninstalled),
			"updated_at": now, "uninstalled_at": now, "purge_after": now.Add(retention)}).Error
	})
	if err != nil {
		return fmt.Errorf("store: forge uninstall: %w", err)
	}
	s.tenants.forget(key)
	return nil
}
