package store

import (
	"time"
)

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
