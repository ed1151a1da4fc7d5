package store

import (
	"context"
	"fmt"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

type toolAuditRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	TokenID    int64
	AccountID  string
	ProjectKey string
	Tool       string
	Result     string
	DurationMs int
	CreatedAt  time.Time
}

func (toolAuditRow) TableName() string { return "tool_audit" }

// AddToolCall appends a tool call to the audit log.
func (ts *TenantStore) AddToolCall(ctx context.Context, c domain.ToolCall) error {
	r := toolAuditRow{TenantID: ts.tenantID, TokenID: c.TokenID, AccountID: c.AccountID, ProjectKey: c.Project,
		Tool: c.Tool, Result: c.Result, DurationMs: c.DurationMS, CreatedAt: c.At.UTC()}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = ts.s.now().UTC()
	}
	if err := ts.s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("store: audit tool call: %w", err)
	}
	return nil
}

// ToolCalls returns the project's latest audited tool calls, newest first.
func (ts *TenantStore) ToolCalls(ctx context.Context, project string, limit int) ([]domain.ToolCall, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var rows []toolAuditRow
	if err := ts.q(ctx, "tool_audit").Where("project_key = ?", project).Order("created_at DESC, id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: tool calls: %w", err)
	}
	out := make([]domain.ToolCall, len(rows))
	for i, r := range rows {
		out[i] = domain.ToolCall{ID: r.ID, TokenID: r.TokenID, AccountID: r.AccountID, Project: r.ProjectKey, Tool: r.Tool,
			Result: r.Result, DurationMS: r.DurationMs, At: r.CreatedAt}
	}
	return out, nil
}

// PruneToolCalls deletes the tenant's audited tool calls older than before.
func (ts *TenantStore) PruneToolCalls(ctx context.Context, before time.Time) (int64, error) {
	res := ts.q(ctx, "tool_audit").Where("created_at < ?", before.UTC()).Delete(&toolAuditRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune tool calls: %w", res.Error)
	}
	return res.RowsAffected, nil
}
