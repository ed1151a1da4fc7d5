package domain

import (
	"encoding/json"
	"time"
)

// Generation run states.
const (
	RunQueued      = "queued"
	RunResearching = "researching"
	RunDrafting    = "drafting"
	RunChecking    = "checking"
	RunRevising    = "revising"
	RunDone        = "done"
	RunFailed      = "failed"
)

// Draft statuses.
const (
	DraftNew      = "draft"
	DraftEdited   = "edited"
	DraftCreating = "creating"
	DraftCreated  = "created"
	DraftFailed   = "failed"
	// DraftDiscarded is hidden from the lists until restored or pruned.
	DraftDiscarded = "discarded"
)

// GenerationRun is one generation run: a submitted form and its progress.
type GenerationRun struct {
	ID            int64
	Project       string
	AccountID     string
	State         string
	Step          string
	Progress      float64
	Mode          string
	Notice        string
	Error         string
	PromptVersion string
	Form          json.RawMessage
	Research      json.RawMessage // nil until researched
	Stats         json.RawMessage // nil until done
	CreatedAt     time.Time
	UpdatedAt     time.Time
	FinishedAt    *time.Time
}

// DraftRecord is a stored draft.
type DraftRecord struct {
	ID         int64
	RunID      int64
	Project    string
	Status     string
	Content    json.RawMessage
	Analysis   json.RawMessage
	IdemKey    string
	Attempts   int
	CreatedKey string
	CreatedID  string
	Error      string
	ClaimedAt  *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Idempotency key states.
const (
	IdempotencyPending = "pending"
	IdempotencyDone    = "done"
)

// IdempotencyKey is the state of one idempotent operation.
type IdempotencyKey struct {
	Key      string
	State    string
	Attempts int // claims before this one
	Result   json.RawMessage
}

// UsagePeriod is the usage month of t ("2026-05", UTC): LLM spending and
// searches are counted and limited per month.
func UsagePeriod(t time.Time) string { return t.UTC().Format("2006-01") }

// SiteScope is the project key under which a tenant's site defaults are
// stored.
const SiteScope = ""

// ScopeSettings are one scope's generation settings: a project's, or the
// site defaults (Project == SiteScope). A nil pointer is "not set here":
// the next scope out applies. Keys are sealed by the caller (see
// store.ScopeAAD); the store keeps them opaque.
type ScopeSettings struct {
	Project string
	// LLMProvider nil inherits the whole LLM group (URL, model, key).
	LLMProvider  *string
	LLMBaseURL   string
	LLMModel     string
	LLMKeySealed string
	// ResearchProvider nil inherits the research group with its key.
	ResearchProvider  *string
	ResearchKeySealed string
	LLMBudgetMicro    *int64
	SearchesPerMonth  *int
	// RetentionDays is a site setting; projects leave it nil.
	RetentionDays *int
	UpdatedBy     string
	UpdatedAt     time.Time
}
