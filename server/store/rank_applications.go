package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type rankApplicationRow struct {
	ID            int64 `gorm:"primaryKey"`
	TenantID      int64
	ProjectKey    string
	AccountID     string
	Moved         string
	PreviousOrder string
	AppliedAt     time.Time
	UndoneAt      *time.Time
	UndoneBy      string
}

func (rankApplicationRow) TableName() string { return "rank_applications" }

// SaveRankApplication records an application, replacing the project's
// previous one (only the last can be undone).
func (ts *TenantStore) SaveRankApplication(ctx context.Context, a domain.RankApplication) error {
	moved, err := json.Marshal(a.Moved)
	if err != nil {
		return fmt.Errorf("store: save rank application: %w", err)
	}
	prev, err := json.Marshal(a.PreviousOrder)
	if err != nil {
		return fmt.Errorf("store: save rank application: %w", err)
	}
	row := rankApplicationRow{TenantID: ts.tenantID, ProjectKey: a.Project, AccountID: a.AccountID, Moved: string(moved),
		PreviousOrder: string(prev), AppliedAt: a.AppliedAt.UTC()}
	err = ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "project_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"account_id", "moved", "previous_order", "applied_at", "undone_at", "undone_by"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: save rank application: %w", err)
	}
	return nil
}

// RankApplication returns the project's last application
// (domain.ErrNotFound when there is none).
func (ts *TenantStore) RankApplication(ctx context.Context, project string) (domain.RankApplication, error) {
	var row rankApplicationRow
	err := ts.q(ctx, "rank_applications").Where("project_key = ?", project).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.RankApplication{}, fmt.Errorf("store: rank application of %s: %w", project, domain.ErrNotFound)
	}
	if err != nil {
		return domain.RankApplication{}, fmt.Errorf("store: rank application of %s: %w", project, err)
	}
	a := domain.RankApplication{Project: row.ProjectKey, AccountID: row.AccountID, AppliedAt: row.AppliedAt.UTC(), UndoneAt: row.UndoneAt, UndoneBy: row.UndoneBy}
	if err := json.Unmarshal([]byte(row.Moved), &a.Moved); err != nil {
		return domain.RankApplication{}, fmt.Errorf("store: rank application of %s: moved: %w", project, err)
	}
	if err := json.Unmarshal([]byte(row.PreviousOrder), &a.PreviousOrder); err != nil {
		return domain.RankApplication{}, fmt.Errorf("store: rank application of %s: previous order: %w", project, err)
	}
	return a, nil
}

// MarkRankUndone records that the project's last application was undone.
// It fails with domain.ErrConflict when it was already undone, so two
// people pressing undo at once undo it once.
func (ts *TenantStore) MarkRankUndone(ctx context.Context, project, accountID string) error {
	now := ts.s.now().UTC()
	res := ts.q(ctx, "rank_applications").Where("project_key = ? AND undone_at IS NULL", project).
		Updates(map[string]any{"undone_at": now, "undone_by": accountID})
	if res.Error != nil {
		return fmt.Errorf("store: undo rank of %s: %w", project, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: undo rank of %s: nothing to undo: %w", project, domain.ErrConflict)
	}
	return nil
}
