package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// GenerateUsage is a tenant's usage in one month.
type GenerateUsage struct {
	Period           string // "2026-05"
	LLMCalls         int
	PromptTokens     int64
	CompletionTokens int64
	LLMCostMicro     int64
	Searches         int
}

type usageRow struct {
	ID               int64 `gorm:"primaryKey"`
	TenantID         int64
	Period           string
	LLMCalls         int   `gorm:"column:llm_calls"`
	PromptTokens     int64 `gorm:"column:prompt_tokens"`
	CompletionTokens int64 `gorm:"column:completion_tokens"`
	LLMCostMicroUSD  int64 `gorm:"column:llm_cost_micro_usd"`
	Searches         int
	UpdatedAt        time.Time
}

func (usageRow) TableName() string { return "generate_usage" }

// Usage returns the month's usage (zero when none): the project's in a
// ForProject view, else the tenant's total.
func (ts *TenantStore) Usage(ctx context.Context, period string) (GenerateUsage, error) {
	var r usageRow
	err := ts.usageQ(ctx).Where("period = ?", period).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return GenerateUsage{Period: period}, nil
	}
	if err != nil {
		return GenerateUsage{}, fmt.Errorf("store: usage: %w", err)
	}
	return GenerateUsage{Period: period, LLMCalls: r.LLMCalls, PromptTokens: r.PromptTokens, CompletionTokens: r.CompletionTokens,
		LLMCostMicro: r.LLMCostMicroUSD, Searches: r.Searches}, nil
}

// usageQ starts a query on the view's own usage rows.
func (ts *TenantStore) usageQ(ctx context.Context) *gorm.DB {
	if ts.project != "" {
		return ts.q(ctx, "project_usage").Where("project_key = ?", ts.project)
	}
	return ts.q(ctx, "generate_usage")
}

// ensureUsage creates the month's rows if missing (the tenant's, and the
// project's in a ForProject view).
func (ts *TenantStore) ensureUsage(ctx context.Context, period string) error {
	now := ts.s.now().UTC()
	return retry(ctx, func() error {
		db := func() *gorm.DB { return ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}) }
		if err := db().Create(&usageRow{TenantID: ts.tenantID, Period: period, UpdatedAt: now}).Error; err != nil {
			return err
		}
		if ts.project == "" {
			return nil
		}
		return db().Create(&projectUsageRow{TenantID: ts.tenantID, ProjectKey: ts.project, Period: period, UpdatedAt: now}).Error
	})
}

// AddLLMUsage adds calls, tokens and cost to the month's counters (the
// tenant's total, and the project's in a ForProject view).
func (ts *TenantStore) AddLLMUsage(ctx context.Context, period string, calls int, prompt, completion, costMicro int64) error {
	if err := ts.ensureUsage(ctx, period); err != nil {
		return fmt.Errorf("store: add llm usage: %w", err)
	}
	add := map[string]any{
		"llm_calls":          gorm.Expr("llm_calls + ?", calls),
		"prompt_tokens":      gorm.Expr("prompt_tokens + ?", prompt),
		"completion_tokens":  gorm.Expr("completion_tokens + ?", completion),
		"llm_cost_micro_usd": gorm.Expr("llm_cost_micro_usd + ?", costMicro),
		"updated_at":         ts.s.now().UTC(),
	}
	err := retry(ctx, func() error {
		if ts.project != "" {
			if err := ts.usageQ(ctx).Where("period = ?", period).Updates(add).Error; err != nil {
				return err
			}
		}
		return ts.q(ctx, "generate_usage").Where("period = ?", period).Updates(add).Error
	})
	if err != nil {
		return fmt.Errorf("store: add llm usage: %w", err)
	}
	return nil
}

// TakeSearch counts one search against the month's quota (the project's
// in a ForProject view) if fewer than limit were made; ok is false when
// the quota is spent. The check and the increment are one UPDATE, so
// replicas sharing the database never exceed the quota together.
func (ts *TenantStore) TakeSearch(ctx context.Context, period string, limit int) (bool, error) {
	if limit <= 0 {
		return false, nil
	}
	if err := ts.ensureUsage(ctx, period); err != nil {
		return false, fmt.Errorf("store: take search: %w", err)
	}
	var n int64
	inc := func() map[string]any {
		return map[string]any{"searches": gorm.Expr("searches + 1"), "updated_at": ts.s.now().UTC()}
	}
	err := retry(ctx, func() error {
		res := ts.usageQ(ctx).Where("period = ? AND searches < ?", period, limit).Updates(inc())
		n = res.RowsAffected
		return res.Error
	})
	if err == nil && n == 1 && ts.project != "" {
		err = retry(ctx, func() error {
			return ts.q(ctx, "generate_usage").Where("period = ?", period).Updates(inc()).Error
		})
	}
	if err != nil {
		return false, fmt.Errorf("store: take search: %w", err)
	}
	return n == 1, nil
}

// ReturnSearch gives back a search taken for a call that failed.
func (ts *TenantStore) ReturnSearch(ctx context.Context, period string) error {
	dec := func() map[string]any {
		return map[string]any{"searches": gorm.Expr("searches - 1"), "updated_at": ts.s.now().UTC()}
	}
	err := retry(ctx, func() error {
		if ts.project != "" {
			if err := ts.usageQ(ctx).Where("period = ? AND searches > 0", period).Updates(dec()).Error; err != nil {
				return err
			}
		}
		return ts.q(ctx, "generate_usage").Where("period = ? AND searches > 0", period).Updates(dec()).Error
	})
	if err != nil {
		return fmt.Errorf("store: return search: %w", err)
	}
	return nil
}
