package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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
