package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/backlogai/backlogai/server/domain"
)

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
