package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type runRow struct {
	ID            int64 `gorm:"primaryKey"`
	TenantID      int64
	ProjectKey    string
	AccountID     string
	State         string
	Step          string
	Progress      float64
	Mode          string
	Notice        string
	Error         string
	PromptVersion string
	Form          string
	Research      string
	Stats         string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	FinishedAt    *time.Time
}

func (runRow) TableName() string { return "generation_runs" }

func raw(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func (r *runRow) toRun() *domain.GenerationRun {
	return &domain.GenerationRun{ID: r.ID, Project: r.ProjectKey, AccountID: r.AccountID, State: r.State, Step: r.Step, Progress: r.Progress,
		Mode: r.Mode, Notice: r.Notice, Error: r.Error, PromptVersion: r.PromptVersion, Form: raw(r.Form),
		Research: raw(r.Research), Stats: raw(r.Stats), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt}
}

// CreateRun records a queued run of a form (JSON) submitted by accountID.
func (ts *TenantStore) CreateRun(ctx context.Context, project, accountID string, form json.RawMessage) (*domain.GenerationRun, error) {
	if project == "" || !json.Valid(form) {
		return nil, fmt.Errorf("store: create run: project and a JSON form are required: %w", domain.ErrInvalid)
	}
	now := ts.s.now().UTC()
	row := runRow{TenantID: ts.tenantID, ProjectKey: project, AccountID: accountID, State: domain.RunQueued, Form: string(form),
		CreatedAt: now, UpdatedAt: now}
	if err := ts.s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return nil, fmt.Errorf("store: create run: %w", err)
	}
	return row.toRun(), nil
}

// Run returns one of the tenant's runs, or ErrNotFound.
func (ts *TenantStore) Run(ctx context.Context, id int64) (*domain.GenerationRun, error) {
	var r runRow
	if err := ts.q(ctx, "generation_runs").Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, notFound(err, "store: run")
	}
	return r.toRun(), nil
}

// RunUpdate changes a run; nil fields stay as they are.
type RunUpdate struct {
	State, Step, Mode, Notice, Error, PromptVersion *string
	Progress                                        *float64
	Research, Stats                                 json.RawMessage
	Finished                                        bool
}

// UpdateRun applies u to run id.
func (ts *TenantStore) UpdateRun(ctx context.Context, id int64, u RunUpdate) error {
	now := ts.s.now().UTC()
	cols := map[string]any{"updated_at": now}
	set := func(col string, v *string) {
		if v != nil {
			cols[col] = *v
		}
	}
	set("state", u.State)
	set("step", u.Step)
	set("mode", u.Mode)
	set("notice", u.Notice)
	set("error", u.Error)
	set("prompt_version", u.PromptVersion)
	if u.Progress != nil {
		cols["progress"] = *u.Progress
	}
	if u.Research != nil {
		cols["research"] = string(u.Research)
	}
	if u.Stats != nil {
		cols["stats"] = string(u.Stats)
	}
	if u.Finished {
		cols["finished_at"] = now
	}
	res := ts.q(ctx, "generation_runs").Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		return fmt.Errorf("store: update run: %w", res.Error)
	}
	return ts.affected(ctx, res, "generation_runs", "id = ?", id)
}

// DraftInput is a new draft of a run.
type DraftInput struct {
	Content  json.RawMessage
	Analysis json.RawMessage
	// IdemKey is put on the Jira issue when the draft is created; unique
	// per tenant.
	IdemKey string
}

// FinishRun stores the drafts of run id (replacing any a previous attempt
// of the run stored) and applies u, in one transaction.
func (ts *TenantStore) FinishRun(ctx context.Context, id int64, drafts []DraftInput, u RunUpdate) error {
	return ts.WithTx(ctx, func(tx *TenantStore) error {
		run, err := tx.Run(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.q(ctx, "drafts").Where("run_id = ? AND status IN ?", id, []string{domain.DraftNew}).Delete(&draftRow{}).Error; err != nil {
			return fmt.Errorf("store: finish run: %w", err)
		}
		now := tx.s.now().UTC()
		for i, d := range drafts {
			if d.IdemKey == "" || !json.Valid(d.Content) {
				return fmt.Errorf("store: finish run: draft %d needs content and an idempotency key: %w", i, domain.ErrInvalid)
			}
			row := draftRow{TenantID: tx.tenantID, RunID: &id, ProjectKey: run.Project, Ord: i, Status: domain.DraftNew,
				Content: string(d.Content), Analysis: string(d.Analysis), IdemKey: d.IdemKey, CreatedAt: now, UpdatedAt: now}
			if err := tx.s.db.WithContext(ctx).Create(&row).Error; err != nil {
				return fmt.Errorf("store: finish run: %w", err)
			}
		}
		return tx.UpdateRun(ctx, id, u)
	})
}

type draftRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	RunID      *int64
	ProjectKey string
	Ord        int
	Status     string
	Content    string
	Analysis   string
	IdemKey    string
	Attempts   int
	CreatedKey string
	CreatedID  string
	Error      string
	ClaimedAt  *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (draftRow) TableName() string { return "drafts" }

func (r *draftRow) toRecord() domain.DraftRecord {
	d := domain.DraftRecord{ID: r.ID, Project: r.ProjectKey, Status: r.Status, Content: raw(r.Content), Analysis: raw(r.Analysis),
		IdemKey: r.IdemKey, Attempts: r.Attempts, CreatedKey: r.CreatedKey, CreatedID: r.CreatedID, Error: r.Error,
		ClaimedAt: r.ClaimedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.RunID != nil {
		d.RunID = *r.RunID
	}
	return d
}

// RunDrafts returns the drafts of a run in their order.
func (ts *TenantStore) RunDrafts(ctx context.Context, runID int64) ([]domain.DraftRecord, error) {
	var rows []draftRow
	if err := ts.q(ctx, "drafts").Where("run_id = ? AND status <> ?", runID, domain.DraftDiscarded).Order("ord, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: run drafts: %w", err)
	}
	return toRecords(rows), nil
}

func toRecords(rows []draftRow) []domain.DraftRecord {
	out := make([]domain.DraftRecord, len(rows))
	for i := range rows {
		out[i] = rows[i].toRecord()
	}
	return out
}

// Drafts returns a project's most recent drafts: newest run first, each
// run's drafts in their order.
func (ts *TenantStore) Drafts(ctx context.Context, project string, limit int) ([]domain.DraftRecord, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var rows []draftRow
	err := ts.q(ctx, "drafts").Where("project_key = ? AND status <> ?", project, domain.DraftDiscarded).Order("created_at DESC, run_id DESC, ord, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: drafts: %w", err)
	}
	return toRecords(rows), nil
}

// Draft returns one draft, or ErrNotFound.
func (ts *TenantStore) Draft(ctx context.Context, id int64) (*domain.DraftRecord, error) {
	var r draftRow
	if err := ts.q(ctx, "drafts").Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, notFound(err, "store: draft")
	}
	d := r.toRecord()
	return &d, nil
}

// editable are the statuses in which a person may change a draft.
var editable = []string{domain.DraftNew, domain.DraftEdited, domain.DraftFailed}

// EditDraft replaces a draft's content and analysis and marks it edited.
// A draft being created or already created cannot change: the error
// wraps ErrConflict.
func (ts *TenantStore) EditDraft(ctx context.Context, id int64, content, analysis json.RawMessage) (*domain.DraftRecord, error) {
	res := ts.q(ctx, "drafts").Where("id = ? AND status IN ?", id, editable).Updates(map[string]any{
		"content": string(content), "analysis": string(analysis), "status": domain.DraftEdited, "error": "", "updated_at": ts.s.now().UTC(),
	})
	if res.Error != nil {
		return nil, fmt.Errorf("store: edit draft: %w", res.Error)
	}
	d, err := ts.Draft(ctx, id)
	if err != nil {
		return nil, err
	}
	// MySQL reports 0 rows for an update that changed nothing.
	if res.RowsAffected == 0 && !slices.Contains(editable, d.Status) {
		return nil, fmt.Errorf("store: edit draft %d: it is being or has been created: %w", id, domain.ErrConflict)
	}
	return d, nil
}

// DiscardDrafts hides a project's drafts that are not created or being
// created; it returns the ids it discarded. updated_at is kept, so that
// RestoreDrafts can tell an edited draft from an untouched one.
func (ts *TenantStore) DiscardDrafts(ctx context.Context, project string, ids []int64) ([]int64, error) {
	return ts.moveDrafts(ctx, project, ids, editable, domain.DraftDiscarded)
}

// RestoreDrafts brings discarded drafts back (the undo of DiscardDrafts):
// as edited when they were changed after being drafted, else as new.
func (ts *TenantStore) RestoreDrafts(ctx context.Context, project string, ids []int64) ([]int64, error) {
	return ts.moveDrafts(ctx, project, ids, []string{domain.DraftDiscarded}, "")
}

func (ts *TenantStore) moveDrafts(ctx context.Context, project string, ids []int64, from []string, to string) ([]int64, error) {
	var moved []int64
	if len(ids) == 0 {
		return moved, nil
	}
	err := ts.WithTx(ctx, func(tx *TenantStore) error {
		moved = nil
		if err := tx.q(ctx, "drafts").Where("project_key = ? AND id IN ? AND status IN ?", project, ids, from).Order("id").Pluck("id", &moved).Error; err != nil {
			return err
		}
		if len(moved) == 0 {
			return nil
		}
		status := any(to)
		if to == "" {
			status = gorm.Expr("CASE WHEN updated_at > created_at THEN ? ELSE ? END", domain.DraftEdited, domain.DraftNew)
		}
		return tx.q(ctx, "drafts").Where("id IN ?", moved).Update("status", status).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: discard or restore drafts: %w", err)
	}
	return moved, nil
}

// ClaimDraft takes a draft for creation in Jira: it moves it to
// "creating" when it is a draft, edited or failed, or when an earlier
// claim is older than staleBefore (that creator died). claimed is false
// when someone else holds it or it is already created; the record is
// returned either way. Attempts on the returned record counts earlier
// claims: above 0, an earlier attempt may have created the issue.
func (ts *TenantStore) ClaimDraft(ctx context.Context, id int64, staleBefore time.Time) (*domain.DraftRecord, bool, error) {
	var rec *domain.DraftRecord
	claimed := false
	err := ts.WithTx(ctx, func(tx *TenantStore) error {
		d, err := tx.Draft(ctx, id)
		if err != nil {
			return err
		}
		rec = d
		now := tx.s.now().UTC()
		res := tx.q(ctx, "drafts").Where("id = ?", id).
			Where("status IN ? OR (status = ? AND (claimed_at IS NULL OR claimed_at < ?))", editable, domain.DraftCreating, staleBefore.UTC()).
			Updates(map[string]any{"status": domain.DraftCreating, "claimed_at": now, "attempts": gorm.Expr("attempts + 1"), "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		claimed = res.RowsAffected == 1
		if claimed {
			rec.Status, rec.ClaimedAt = domain.DraftCreating, &now
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: claim draft: %w", err)
	}
	return rec, claimed, nil
}

// MarkDraftCreated records the Jira issue created from a draft.
func (ts *TenantStore) MarkDraftCreated(ctx context.Context, id int64, key, issueID string) error {
	return ts.setDraft(ctx, id, map[string]any{"status": domain.DraftCreated, "created_key": key, "created_id": issueID, "error": ""})
}

// MarkDraftFailed records why creating a draft failed; it can be retried.
func (ts *TenantStore) MarkDraftFailed(ctx context.Context, id int64, msg string) error {
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	return ts.setDraft(ctx, id, map[string]any{"status": domain.DraftFailed, "error": msg, "claimed_at": nil})
}

func (ts *TenantStore) setDraft(ctx context.Context, id int64, cols map[string]any) error {
	cols["updated_at"] = ts.s.now().UTC()
	res := ts.q(ctx, "drafts").Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		return fmt.Errorf("store: update draft: %w", res.Error)
	}
	return ts.affected(ctx, res, "drafts", "id = ?", id)
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

// PruneGenerated deletes runs (and their drafts) created before t, except
// drafts still being created; it returns how many runs went.
func (ts *TenantStore) PruneGenerated(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := ts.WithTx(ctx, func(tx *TenantStore) error {
		busy := tx.q(ctx, "drafts").Select("run_id").Where("status = ? AND run_id IS NOT NULL", domain.DraftCreating)
		if err := tx.q(ctx, "drafts").Where("created_at < ? AND status <> ?", before.UTC(), domain.DraftCreating).Delete(&draftRow{}).Error; err != nil {
			return err
		}
		res := tx.q(ctx, "generation_runs").Where("created_at < ? AND id NOT IN (?)", before.UTC(), busy).Delete(&runRow{})
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune generated: %w", err)
	}
	return n, nil
}

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

type cacheRow struct {
	ID        int64 `gorm:"primaryKey"`
	TenantID  int64
	Provider  string
	QueryHash string
	Query     string
	Result    string
	FetchedAt time.Time
	ExpiresAt time.Time
}

func (cacheRow) TableName() string { return "research_cache" }

func queryHash(q string) string {
	sum := sha256.Sum256([]byte(q))
	return hex.EncodeToString(sum[:])
}

// CachedResearch returns a provider's unexpired cached answer to query.
func (ts *TenantStore) CachedResearch(ctx context.Context, provider, query string) (json.RawMessage, time.Time, bool, error) {
	var r cacheRow
	err := ts.q(ctx, "research_cache").Where("provider = ? AND query_hash = ? AND expires_at > ?", provider, queryHash(query), ts.s.now().UTC()).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("store: cached research: %w", err)
	}
	return json.RawMessage(r.Result), r.FetchedAt, true, nil
}

// CacheResearch stores a provider's answer to query for ttl.
func (ts *TenantStore) CacheResearch(ctx context.Context, provider, query string, result json.RawMessage, ttl time.Duration) error {
	now := ts.s.now().UTC()
	row := cacheRow{TenantID: ts.tenantID, Provider: provider, QueryHash: queryHash(query), Query: query, Result: string(result),
		FetchedAt: now, ExpiresAt: now.Add(ttl)}
	err := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "provider"}, {Name: "query_hash"}},
		DoUpdates: clause.AssignmentColumns([]string{"query", "result", "fetched_at", "expires_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: cache research: %w", err)
	}
	return nil
}

// PruneResearchCache deletes the tenant's expired cache entries.
func (ts *TenantStore) PruneResearchCache(ctx context.Context) (int64, error) {
	res := ts.q(ctx, "research_cache").Where("expires_at <= ?", ts.s.now().UTC()).Delete(&cacheRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune research cache: %w", res.Error)
	}
	return res.RowsAffected, nil
}

type idemRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	IdemKey    string
	State      string
	Attempts   int
	Result     string
	ClaimToken string
	ClaimedAt  *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (idemRow) TableName() string { return "idempotency_keys" }

func claimToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ClaimKey starts an idempotent operation. claimed is true when the
// caller should do the work: the key is new, or its earlier claim is
// older than staleBefore and was never finished. A finished key returns
// its result and claimed false; so does one another caller is working on.
func (ts *TenantStore) ClaimKey(ctx context.Context, key string, staleBefore time.Time) (domain.IdempotencyKey, bool, error) {
	var out domain.IdempotencyKey
	claimed := false
	token := claimToken()
	err := ts.WithTx(ctx, func(tx *TenantStore) error {
		now := tx.s.now().UTC()
		row := idemRow{TenantID: tx.tenantID, IdemKey: key, State: domain.IdempotencyPending, Attempts: 1, ClaimToken: token,
			ClaimedAt: &now, CreatedAt: now, UpdatedAt: now}
		if err := tx.s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return err
		}
		var r idemRow
		if err := tx.q(ctx, "idempotency_keys").Where("idem_key = ?", key).Take(&r).Error; err != nil {
			return err
		}
		out = domain.IdempotencyKey{Key: key, State: r.State, Attempts: r.Attempts - 1, Result: raw(r.Result)}
		if r.ClaimToken == token {
			claimed = true // the row is ours: just inserted
			return nil
		}
		if r.State != domain.IdempotencyPending || (r.ClaimedAt != nil && !r.ClaimedAt.Before(staleBefore.UTC())) {
			return nil
		}
		upd := tx.q(ctx, "idempotency_keys").Where("idem_key = ? AND state = ? AND claim_token = ?", key, domain.IdempotencyPending, r.ClaimToken).
			Updates(map[string]any{"claim_token": token, "claimed_at": now, "attempts": gorm.Expr("attempts + 1"), "updated_at": now})
		if upd.Error != nil {
			return upd.Error
		}
		claimed = upd.RowsAffected == 1
		out.Attempts = r.Attempts
		return nil
	})
	if err != nil {
		return domain.IdempotencyKey{}, false, fmt.Errorf("store: claim key: %w", err)
	}
	return out, claimed, nil
}

// FinishKey records the result of an idempotent operation.
func (ts *TenantStore) FinishKey(ctx context.Context, key string, result json.RawMessage) error {
	res := ts.q(ctx, "idempotency_keys").Where("idem_key = ?", key).Updates(map[string]any{
		"state": domain.IdempotencyDone, "result": string(result), "updated_at": ts.s.now().UTC(),
	})
	if res.Error != nil {
		return fmt.Errorf("store: finish key: %w", res.Error)
	}
	return ts.affected(ctx, res, "idempotency_keys", "idem_key = ?", key)
}

// ReleaseKey gives up a claim so that the operation may be tried again at
// once (it failed without effect).
func (ts *TenantStore) ReleaseKey(ctx context.Context, key string) error {
	err := ts.q(ctx, "idempotency_keys").Where("idem_key = ? AND state = ?", key, domain.IdempotencyPending).
		Updates(map[string]any{"claimed_at": nil, "claim_token": "", "updated_at": ts.s.now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("store: release key: %w", err)
	}
	return nil
}
