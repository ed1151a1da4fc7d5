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
