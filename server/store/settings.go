package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type scopeRow struct {
	ID                int64 `gorm:"primaryKey"`
	TenantID          int64
	ProjectKey        string
	LLMProvider       *string `gorm:"column:llm_provider"`
	LLMBaseURL        string  `gorm:"column:llm_base_url"`
	LLMModel          string  `gorm:"column:llm_model"`
	LLMKeyEnc         string  `gorm:"column:llm_key_enc"`
	ResearchProvider  *string
	ResearchKeyEnc    string
	LLMBudgetMicroUSD *int64 `gorm:"column:llm_budget_micro_usd"`
	SearchesPerMonth  *int
	RetentionDays     *int
	UpdatedBy         string
	UpdatedAt         time.Time
}

func (scopeRow) TableName() string { return "project_settings" }

// ScopeAAD is the associated data a scope's secret is sealed with, purpose
// "llm" or "research". The site scope keeps the form the site-wide
// settings had (SettingsAAD), so migrated keys still open; a project's
// binds the project too, so a key copied to another project does not open.
func ScopeAAD(tenantID int64, project, purpose string) string {
	return scopeAAD(strconv.FormatInt(tenantID, 10), project, purpose)
}

func scopeAAD(tenantID, project, purpose string) string {
	if project == domain.SiteScope {
		return "tenant-id:" + tenantID + ":" + purpose
	}
	return "tenant-id:" + tenantID + ":project:" + project + ":" + purpose
}

// ScopeSettings returns one scope's settings, or ErrNotFound when nothing
// was ever saved there.
func (ts *TenantStore) ScopeSettings(ctx context.Context, project string) (*domain.ScopeSettings, error) {
	var r scopeRow
	if err := ts.q(ctx, "project_settings").Where("project_key = ?", project).Take(&r).Error; err != nil {
		return nil, notFound(err, "store: settings")
	}
	return &domain.ScopeSettings{Project: r.ProjectKey, LLMProvider: r.LLMProvider, LLMBaseURL: r.LLMBaseURL, LLMModel: r.LLMModel,
		LLMKeySealed: r.LLMKeyEnc, ResearchProvider: r.ResearchProvider, ResearchKeySealed: r.ResearchKeyEnc,
		LLMBudgetMicro: r.LLMBudgetMicroUSD, SearchesPerMonth: r.SearchesPerMonth, RetentionDays: r.RetentionDays,
		UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt}, nil
}

// SaveScopeSettings writes one scope's settings whole (nil columns become
// NULL: inherited).
func (ts *TenantStore) SaveScopeSettings(ctx context.Context, g domain.ScopeSettings) error {
	if len(g.Project) > 255 {
		return fmt.Errorf("store: save settings: project key too long: %w", domain.ErrInvalid)
	}
	row := scopeRow{TenantID: ts.tenantID, ProjectKey: g.Project, LLMProvider: g.LLMProvider, LLMBaseURL: g.LLMBaseURL,
		LLMModel: g.LLMModel, LLMKeyEnc: g.LLMKeySealed, ResearchProvider: g.ResearchProvider, ResearchKeyEnc: g.ResearchKeySealed,
		LLMBudgetMicroUSD: g.LLMBudgetMicro, SearchesPerMonth: g.SearchesPerMonth, RetentionDays: g.RetentionDays,
		UpdatedBy: g.UpdatedBy, UpdatedAt: ts.s.now().UTC()}
	err := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "tenant_id"}, {Name: "project_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"llm_provider", "llm_base_url", "llm_model", "llm_key_enc",
			"research_provider", "research_key_enc", "llm_budget_micro_usd", "searches_per_month", "retention_days",
			"updated_by", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: save settings: %w", err)
	}
	return nil
}

// ForProject returns the tenant's view whose usage counters and search
// quota (Usage, AddLLMUsage, TakeSearch, ReturnSearch) are the project's:
// each project's budget counts its own spending. The tenant's total is
// kept beside it. Every other method is unchanged.
func (ts *TenantStore) ForProject(project string) *TenantStore {
	return &TenantStore{s: ts.s, tenantID: ts.tenantID, project: project}
}

type projectUsageRow struct {
	ID               int64 `gorm:"primaryKey"`
	TenantID         int64
	ProjectKey       string
	Period           string
	LLMCalls         int   `gorm:"column:llm_calls"`
	PromptTokens     int64 `gorm:"column:prompt_tokens"`
	CompletionTokens int64 `gorm:"column:completion_tokens"`
	LLMCostMicroUSD  int64 `gorm:"column:llm_cost_micro_usd"`
	Searches         int
	UpdatedAt        time.Time
}

func (projectUsageRow) TableName() string { return "project_usage" }

type installTokenRow struct {
	ClientKey  string `gorm:"primaryKey"`
	TokenHash  string
	IssuedAt   int64
	AcceptedAt time.Time
}

func (installTokenRow) TableName() string { return "install_tokens" }

// SaveSignedInstallation is SaveInstallation for a signed install: in one
// transaction it claims tok as the last accepted token of the clientKey
// and saves the installation. The same token again, or one issued before
// the last accepted one, fails with ErrInstallReplay and changes nothing.
// Two distinct tokens of the same second are both accepted (iat has
// one-second resolution).
func (s *Store) SaveSignedInstallation(ctx context.Context, t *domain.Tenant, tok domain.InstallToken) (*domain.Tenant, error) {
	if tok.Hash == "" || tok.IssuedAt.IsZero() {
		return nil, fmt.Errorf("store: signed installation: token hash and iat are required: %w", domain.ErrInvalid)
	}
	err := s.WithTx(ctx, func(tx *Store) error {
		if err := tx.ClaimInstallToken(ctx, t.ClientKey, tok); err != nil {
			return err
		}
		_, err := tx.saveInstallation(ctx, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.tenants.forget(t.ClientKey)
	return s.TenantByClientKey(ctx, t.ClientKey)
}

// ClaimInstallToken records tok as the clientKey's last accepted signed
// lifecycle token, or fails with ErrInstallReplay. The check and the
// write are one conditional UPDATE, so two replicas receiving the same
// token at once cannot both accept it.
func (s *Store) ClaimInstallToken(ctx context.Context, clientKey string, tok domain.InstallToken) error {
	iat := tok.IssuedAt.Unix()
	now := s.now().UTC()
	db := s.db.WithContext(ctx)
	// A first token for the clientKey: the row starts below any iat.
	seed := installTokenRow{ClientKey: clientKey, TokenHash: "", IssuedAt: -1 << 62, AcceptedAt: now}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&seed).Error; err != nil {
		return fmt.Errorf("store: install token: %w", err)
	}
	res := db.Model(&installTokenRow{}).
		Where("client_key = ? AND token_hash <> ? AND issued_at <= ?", clientKey, tok.Hash, iat).
		Updates(map[string]any{"token_hash": tok.Hash, "issued_at": iat, "accepted_at": now})
	if res.Error != nil {
		return fmt.Errorf("store: install token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.ErrInstallReplay
	}
	return nil
}
