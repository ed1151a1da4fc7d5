package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type overrideRow struct {
	ID        int64 `gorm:"primaryKey"`
	TenantID  int64
	IssueKey  string
	Moscow    string
	Reason    string
	AccountID string
	CreatedAt time.Time
}

func (overrideRow) TableName() string { return "overrides" }

// SetOverride records a person's MoSCoW decision; it is kept until cleared.
func (ts *TenantStore) SetOverride(ctx context.Context, issueKey string, o domain.Override) error {
	switch o.Moscow {
	case domain.MoscowMust, domain.MoscowShould, domain.MoscowCould, domain.MoscowWont:
	default:
		return fmt.Errorf("store: override class %q: %w", o.Moscow, domain.ErrInvalid)
	}
	if strings.TrimSpace(o.Reason) == "" {
		return fmt.Errorf("store: override needs a reason: %w", domain.ErrInvalid)
	}
	row := overrideRow{TenantID: ts.tenantID, IssueKey: issueKey, Moscow: string(o.Moscow), Reason: truncate(o.Reason, 2000),
		AccountID: o.AccountID, CreatedAt: ts.s.now().UTC()}
	err := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "issue_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"moscow", "reason", "account_id", "created_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: set override: %w", err)
	}
	return nil
}

// ClearOverride removes an override.
func (ts *TenantStore) ClearOverride(ctx context.Context, issueKey string) error {
	return ts.q(ctx, "overrides").Where("issue_key = ?", issueKey).Delete(&overrideRow{}).Error
}

// Overrides returns overrides for the given keys (all when keys is nil).
func (ts *TenantStore) Overrides(ctx context.Context, keys []string) (map[string]domain.Override, error) {
	q := ts.q(ctx, "overrides")
	if keys != nil {
		if len(keys) == 0 {
			return map[string]domain.Override{}, nil
		}
		q = q.Where("issue_key IN ?", keys)
	}
	var rows []overrideRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: overrides: %w", err)
	}
	out := make(map[string]domain.Override, len(rows))
	for _, r := range rows {
		out[r.IssueKey] = domain.Override{Moscow: domain.Moscow(r.Moscow), Reason: r.Reason, AccountID: r.AccountID, At: r.CreatedAt}
	}
	return out, nil
}
